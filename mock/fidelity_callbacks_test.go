package mock_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// sealed is how a callback's envelope says its resource is sealed.
type sealed struct {
	EventType string `json:"event_type"`
	Resource  struct {
		OriginalType   string `json:"original_type"`
		AssociatedData string `json:"associated_data"`
		Nonce          string `json:"nonce"`
		Ciphertext     string `json:"ciphertext"`
	} `json:"resource"`
}

// The PAYSCORE.* callbacks are sealed with an empty associated_data, as
// the official examples of USER_CONFIRM, USER_PAID and USER_OPEN_SERVICE
// show; the refund callbacks with "refund".
func TestFidelity_CallbackAssociatedData(t *testing.T) {
	f := newPayAfterFixture(t)
	f.authorize("oSealed") // PAYSCORE.USER_OPEN_SERVICE
	f.mustCreate("SEAL-1", true, "")
	_, err := f.srv.ConfirmOrder(f.me.mchid, "", "SEAL-1", mock.ConfirmRequest{OpenID: "oSealed"}) // PAYSCORE.USER_CONFIRM
	require.NoError(t, err)
	f.advance(time.Minute)
	f.mustComplete("SEAL-1", 1500)
	f.advance(time.Minute) // PAYSCORE.USER_PAID
	charge := f.query("SEAL-1").Collection.Details[0].TransactionID
	status, e := f.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(charge, "SEAL-R1", 500, 1500), nil)
	require.Equal(t, http.StatusOK, status, "%+v", e)
	f.advance(time.Minute) // REFUND.SUCCESS
	status, e = f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody("SEAL-PA", false, "oSealed"), nil)
	require.Equal(t, http.StatusOK, status, "%+v", e) // PAYSCORE.USER_ACCEPTED
	status, e = f.v3("POST", "/v3/payscore/permissions/openid/oSealed/terminate", map[string]any{
		"service_id": f.serviceID(), "appid": f.appid(), "reason": "用户注销",
	}, nil)
	require.Equal(t, http.StatusNoContent, status, "%+v", e) // PAYSCORE.USER_CLOSE_SERVICE
	f.settle()

	want := map[string]struct{ originalType, associatedData string }{
		"PAYSCORE.USER_OPEN_SERVICE":  {"payscore", ""},
		"PAYSCORE.USER_CONFIRM":       {"payscore", ""},
		"PAYSCORE.USER_PAID":          {"payscore", ""},
		"PAYSCORE.USER_ACCEPTED":      {"payscore", ""},
		"PAYSCORE.USER_CLOSE_SERVICE": {"payscore", ""},
		"REFUND.SUCCESS":              {"refund", "refund"},
	}
	seen := map[string]bool{}
	for _, cb := range f.rc.callbacks() {
		var env sealed
		require.NoError(t, json.Unmarshal(cb.Raw, &env))
		w, ok := want[env.EventType]
		require.True(t, ok, "unexpected %s", env.EventType)
		seen[env.EventType] = true
		assert.Equal(t, w.originalType, env.Resource.OriginalType, env.EventType)
		assert.Equal(t, w.associatedData, env.Resource.AssociatedData, env.EventType)
		_, err := protocol.Decrypt([]byte(f.m.APIv3Key), env.Resource.Nonce, w.associatedData, env.Resource.Ciphertext)
		assert.NoError(t, err, "%s opens with associated data %q", env.EventType, w.associatedData)
		if w.associatedData == "" {
			_, err := protocol.Decrypt([]byte(f.m.APIv3Key), env.Resource.Nonce, "payscore", env.Resource.Ciphertext)
			assert.Error(t, err, "%s does not open with a hard-coded \"payscore\"", env.EventType)
		}
	}
	for typ := range want {
		assert.True(t, seen[typ], "%s was received", typ)
	}
}

// attemptOffsets are the times of a callback's attempts after its first.
func attemptOffsets(t *testing.T, n mock.NotificationRecord) []time.Duration {
	t.Helper()
	var out []time.Duration
	var first time.Time
	for i, a := range n.Attempts {
		at, err := time.Parse(time.RFC3339, a.At)
		require.NoError(t, err)
		if i == 0 {
			first = at
		}
		out = append(out, at.Sub(first))
	}
	return out
}

// offsets are the times after the first attempt that a schedule of waits
// makes its attempts at.
func offsets(waits ...time.Duration) []time.Duration {
	out := []time.Duration{0}
	var at time.Duration
	for _, w := range waits {
		at += w
		out = append(out, at)
	}
	return out
}

// The authorization callbacks are retried on the order callbacks' schedule
// (15s, 15s, 30s, 3m, 30m ×4, 60m) and then every hour for up to three
// days; the order callbacks stop after the tenth attempt.
func TestFidelity_AuthorizationCallbackRetries(t *testing.T) {
	failing := make([]int, 300)
	for i := range failing {
		failing[i] = http.StatusInternalServerError
	}
	f := newFixture(t, failing...)
	f.authorize("oRetried")
	f.mustCreate("RETRY-1", true, "")
	_, err := f.srv.ConfirmOrder(f.me.mchid, "", "RETRY-1", mock.ConfirmRequest{OpenID: "oRetried"})
	require.NoError(t, err)
	_, err = f.srv.RevokeUser("oRetried", mock.RevokeRequest{MchID: f.me.mchid})
	require.NoError(t, err)
	f.advance(4 * 24 * time.Hour)

	orderSchedule := []time.Duration{
		15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
		30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, time.Hour,
	}
	hourly := orderSchedule
	for range 68 { // 3 h 4 min + 68 h = 71 h 4 min; one more would pass 72 h
		hourly = append(hourly, time.Hour)
	}
	want := map[string][]time.Duration{
		"PAYSCORE.USER_OPEN_SERVICE":  offsets(hourly...),
		"PAYSCORE.USER_CLOSE_SERVICE": offsets(hourly...),
		"PAYSCORE.USER_CONFIRM":       offsets(orderSchedule...),
	}
	ns, err := f.srv.Notifications(mock.NotificationFilter{MchID: f.me.mchid})
	require.NoError(t, err)
	require.Len(t, ns, len(want))
	for _, n := range ns {
		t.Run(n.EventType, func(t *testing.T) {
			assert.Equal(t, "failed", n.State, "every attempt failed and no more are due")
			got := attemptOffsets(t, n)
			assert.Equal(t, want[n.EventType], got)
			assert.LessOrEqual(t, got[len(got)-1], 72*time.Hour)
		})
	}
	assert.Len(t, want["PAYSCORE.USER_OPEN_SERVICE"], 78)
}
