package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/scenario"
)

// TestParseNotification_RejectsForgedCallbacks: with the mock's forged
// callbacks (the signature probe, a tampered ciphertext, a wrong serial, a
// stale timestamp) ParseNotification refuses each for its own reason and
// accepts the genuine callback that follows.
func TestParseNotification_RejectsForgedCallbacks(t *testing.T) {
	e := newPayscoreEnv(t)
	_, err := e.srv.LoadScenarios("forged.yaml", []byte(`name: forged
description: every forgery before each callback
callback:
  forge: [probe, tampered, wrong_serial, stale_timestamp]
`), scenario.Scope{MchID: e.mchID})
	require.NoError(t, err)

	var mu sync.Mutex
	var results []error
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := e.c.ParseNotification(r)
		mu.Lock()
		results = append(results, err)
		mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	_, err = e.c.CreatePermission(context.Background(), client.CreatePermissionRequest{
		ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: "FORGED-1", NotifyURL: receiver.URL,
	})
	require.NoError(t, err)
	_, err = e.srv.AuthorizeUser("oForged", mock.AuthorizeRequest{MchID: e.mchID, AuthorizationCode: "FORGED-1"})
	require.NoError(t, err)
	e.settle()

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, results, 5, "four forgeries, then the genuine callback")
	for i, want := range []error{client.ErrSignatureProbe, client.ErrDecrypt, client.ErrUnknownSerial, client.ErrStaleTimestamp} {
		var ne *client.NotificationError
		require.True(t, errors.As(results[i], &ne), "delivery %d: %v", i+1, results[i])
		assert.ErrorIs(t, results[i], want, "delivery %d", i+1)
	}
	assert.NoError(t, results[4], "the genuine callback is accepted")

	ns, err := e.srv.Notifications(mock.NotificationFilter{MchID: e.mchID, EventType: client.EventUserOpenService})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	assert.Equal(t, "delivered", ns[0].State)
	var kinds []string
	for _, a := range ns[0].Attempts {
		kinds = append(kinds, a.Kind)
		if a.Kind != "" {
			assert.Equal(t, http.StatusUnauthorized, a.Status)
		}
	}
	assert.Equal(t, []string{"forged:probe", "forged:tampered", "forged:wrong_serial", "forged:stale_timestamp", ""}, kinds)
}

// TestRetry_RecoversFromLostAnswers: when WeChat Pay makes a change and the
// answer is lost, the client's retries and a re-query recover without a
// second order or a second charge.
func TestRetry_RecoversFromLostAnswers(t *testing.T) {
	e := newPayscoreEnv(t)
	const openid = "oLost"
	e.authorize(t, openid, "LOST-1")
	_, err := e.srv.LoadScenarios("lost.yaml", []byte(`name: lost-create
description: the first create is made and its answer lost
match: {endpoint: serviceorder.create, nth: 1}
api: {lose_response: true}
---
name: lost-complete
description: the first complete is made and its answer lost
match: {endpoint: serviceorder.complete, nth: 1}
api: {lose_response: true}
`), scenario.Scope{MchID: e.mchID})
	require.NoError(t, err)

	var waits []time.Duration
	m, err := e.srv.Merchant(e.mchID)
	require.NoError(t, err)
	c := newClient(t, merchantConfig(t, m), client.WithBaseURL(e.apiURL), client.WithVerifier(e.c.Verifier()),
		client.WithRetry(client.RetryPolicy{MaxAttempts: 3, Sleep: func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			return nil
		}}))
	ctx := context.Background()

	// A create retried with identical parameters is the same order (原参重入).
	o, err := c.CreateServiceOrder(ctx, e.createRequest("LOST-RIDE", openid))
	require.NoError(t, err, "the retry after the lost answer succeeds")
	assert.Equal(t, client.StateDoing, o.State)
	assert.Len(t, waits, 1, "one retry")
	orders, err := e.srv.Orders(mock.OrderFilter{MchID: e.mchID})
	require.NoError(t, err)
	assert.Len(t, orders, 1, "one order, not two")

	// A complete whose answer is lost: the retry is refused because the
	// order is already completed, and a query shows it. One charge.
	e.advance(t, 10*time.Minute)
	_, err = c.CompleteServiceOrder(ctx, e.completeRequest("LOST-RIDE", 2100))
	require.Error(t, err)
	assert.True(t, client.IsCode(err, client.CodeInvalidOrderState), "the retry finds the order completed: %v", err)
	q, err := c.QueryServiceOrder(ctx, client.QueryServiceOrderRequest{OutOrderNo: "LOST-RIDE", ServiceID: e.serviceID, AppID: e.appID})
	require.NoError(t, err)
	assert.Equal(t, client.DescriptionMchComplete, q.StateDescription, "the re-query shows the completion was made")
	e.advance(t, time.Minute)
	q, err = c.QueryServiceOrder(ctx, client.QueryServiceOrderRequest{OutOrderNo: "LOST-RIDE", ServiceID: e.serviceID, AppID: e.appID})
	require.NoError(t, err)
	assert.Equal(t, client.StateDone, q.State)
	require.NotNil(t, q.Collection)
	assert.Len(t, q.Collection.Details, 1, "charged once")
	assert.Len(t, e.inbox.ofType(client.EventUserPaid), 1)
}
