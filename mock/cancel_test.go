package mock_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// A reset, or a merchant's removal, takes the work it drops off the clock:
// /sandbox/clock lists none of it, and a later advance fires none of it.
func TestSandbox_DroppedWorkLeavesTheClock(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		path     func(gone, kept string) string
		keptWork bool // whether the other merchant's work stays
	}{
		{"reset", "POST", func(_, _ string) string { return "/sandbox/reset" }, false},
		{"merchant removed", "DELETE", func(gone, _ string) string { return "/sandbox/merchants/" + gone }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, http.StatusInternalServerError) // the first callback fails: a retry is pending
			m, err := f.srv.CreateMerchant(mock.MerchantSpec{})
			require.NoError(t, err)
			other := &fixture{t: t, srv: f.srv, ts: f.ts, me: keyOf(t, m), m: m, rc: newReceiver(t, f.srv, m.APIv3Key)}

			for _, fx := range []*fixture{f, other} {
				status, e := fx.v3("POST", "/v3/payscore/serviceorder", fx.createBody("ORDER1", true, ""), nil)
				require.Equal(t, http.StatusOK, status, "%+v", e)
			}
			status, body := sandboxCall(t, f.ts, "POST", "/sandbox/orders/"+f.m.MchID+"/ORDER1/confirm", "", nil)
			require.Equal(t, http.StatusOK, status, string(body))
			f.settle()
			require.NotEmpty(t, pendingOf(t, f, f.m.MchID), "an expiry or a callback retry is pending")
			require.NotEmpty(t, pendingOf(t, f, m.MchID))
			hits := f.rc.hitCount()

			status, body = sandboxCall(t, f.ts, tt.method, tt.path(f.m.MchID, m.MchID), "", nil)
			require.Less(t, status, 300, string(body))

			assert.Empty(t, pendingOf(t, f, f.m.MchID), "the dropped merchant's work left the clock")
			if tt.keptWork {
				assert.NotEmpty(t, pendingOf(t, f, m.MchID), "the other merchant's work stays")
			} else {
				assert.Empty(t, pendingOf(t, f, ""), "a reset leaves nothing pending")
			}
			status, body = sandboxCall(t, f.ts, "POST", "/sandbox/clock/advance", "", map[string]string{"duration": "720h"})
			require.Equal(t, http.StatusOK, status, string(body))
			var st mock.ClockState
			require.NoError(t, json.Unmarshal(body, &st))
			for _, ev := range st.Fired {
				assert.NotContains(t, ev.Label, f.m.MchID, "an advance fired dropped work")
			}
			if !tt.keptWork {
				assert.Empty(t, st.Fired)
			}
			assert.Equal(t, hits, f.rc.hitCount(), "no callback reached the dropped merchant")
		})
	}
}

// pendingOf lists the labels of /sandbox/clock's pending work that name
// mchid (an order's expiry or deduction), or all of them for "".
func pendingOf(t *testing.T, f *fixture, mchid string) []string {
	t.Helper()
	status, body := sandboxCall(t, f.ts, "GET", "/sandbox/clock", "", nil)
	require.Equal(t, http.StatusOK, status, string(body))
	var st mock.ClockState
	require.NoError(t, json.Unmarshal(body, &st))
	var out []string
	for _, ev := range st.Pending {
		if strings.Contains(ev.Label, mchid) {
			out = append(out, ev.Label)
		}
	}
	return out
}
