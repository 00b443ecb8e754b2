package mock_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

// Callbacks due together are delivered in parallel: an advance over many
// receivers that never answer costs about one delivery timeout, not one
// per receiver, and other sandbox calls are served meanwhile.
func TestDelivery_HangingReceiversInParallel(t *testing.T) {
	const receivers = 20
	const timeout = time.Second
	srv, ts := mock.NewTestServer(t, mock.Options{CallbackTimeout: timeout})
	m, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	f := &fixture{t: t, srv: srv, ts: ts, me: keyOf(t, m), m: m}

	var hits atomic.Int64
	hang := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the mock hanging up
		select {                           // never answers: the mock gives up
		case <-r.Context().Done():
		case <-time.After(5 * timeout):
			t.Error("the mock kept a delivery open past its timeout")
		}
	})
	for i := range receivers {
		rc := httptest.NewServer(hang)
		t.Cleanup(rc.Close)
		no := fmt.Sprintf("HANG%02d", i)
		f.rc = &receiver{srv: rc} // only its URL is used
		body := f.createBody(no, true, "")
		status, e := f.v3("POST", "/v3/payscore/serviceorder", body, nil)
		require.Equal(t, http.StatusOK, status, "%+v", e)
		status, raw := sandboxCall(t, ts, "POST", "/sandbox/orders/"+m.MchID+"/"+no+"/confirm", "", nil)
		require.Equal(t, http.StatusOK, status, string(raw))
	}

	began := time.Now()
	f.settle() // the first attempts, due at once
	assert.Less(t, time.Since(began), 3*timeout, "first attempts to %d hanging receivers", receivers)
	require.EqualValues(t, receivers, hits.Load())

	began = time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := srv.Advance(15 * time.Second) // the second attempts fall due together
		done <- err
	}()
	for hits.Load() < 2*receivers && time.Since(began) < 3*timeout {
		time.Sleep(10 * time.Millisecond) // real deliveries in flight: wall time is what is measured
	}
	asked := time.Now()
	status, raw := sandboxCall(t, ts, "GET", "/sandbox/orders?mchid="+m.MchID, "", nil)
	require.Equal(t, http.StatusOK, status, string(raw))
	assert.Less(t, time.Since(asked), timeout, "a sandbox call during an advance")
	require.NoError(t, <-done)
	assert.Less(t, time.Since(began), 3*timeout, "an advance over %d hanging receivers", receivers)
	assert.EqualValues(t, 2*receivers, hits.Load(), "every receiver got its second attempt")
}

// Deliveries that hang at different instants overlap too: the clock
// moves on while one is in flight, up to the time its retry would fall due.
// An advance over retries falling at ten distinct instants costs about one
// delivery timeout per attempt of a notification's chain, not one per
// instant.
func TestDelivery_HangingAtDistinctInstants(t *testing.T) {
	const receivers = 10
	const timeout = time.Second
	srv, ts := mock.NewTestServer(t, mock.Options{CallbackTimeout: timeout})
	m, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	f := &fixture{t: t, srv: srv, ts: ts, me: keyOf(t, m), m: m}
	var hits atomic.Int64
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if hits.Add(1) <= receivers {
			w.WriteHeader(http.StatusInternalServerError) // the first attempts fail at once
			return
		}
		<-r.Context().Done() // the others never get an answer
	}))
	t.Cleanup(rc.Close)
	f.rc = &receiver{srv: rc}

	for i := range receivers { // one confirm a second: first attempts at ten instants
		no := fmt.Sprintf("HANG%02d", i)
		status, e := f.v3("POST", "/v3/payscore/serviceorder", f.createBody(no, true, ""), nil)
		require.Equal(t, http.StatusOK, status, "%+v", e)
		status, raw := sandboxCall(t, ts, "POST", "/sandbox/orders/"+m.MchID+"/"+no+"/confirm", "", nil)
		require.Equal(t, http.StatusOK, status, string(raw))
		_, err := srv.Advance(time.Second)
		require.NoError(t, err)
	}
	require.EqualValues(t, receivers, hits.Load())

	// The second attempts fall due 15 s after the first, at ten instants,
	// the third 15 s after those.
	began := time.Now()
	_, err = srv.Advance(30 * time.Second)
	require.NoError(t, err)
	assert.Less(t, time.Since(began), 5*timeout, "an advance over two attempts each at ten instants")
	assert.EqualValues(t, 3*receivers, hits.Load(), "every receiver got its second and third attempts")
	ns, err := srv.Notifications(mock.NotificationFilter{})
	require.NoError(t, err)
	require.Len(t, ns, receivers)
	for _, n := range ns {
		require.Len(t, n.Attempts, 3, n.ID)
		var at []time.Time
		for _, a := range n.Attempts {
			ts, err := time.Parse(time.RFC3339, a.At)
			require.NoError(t, err)
			at = append(at, ts)
		}
		for i, gap := range []time.Duration{15 * time.Second, 15 * time.Second} {
			assert.Equal(t, gap, at[i+1].Sub(at[i]), "%s: attempt %d is dated by the schedule, not by when the one before gave up", n.ID, i+2)
		}
	}
}

// An advance answers after the server's write timeout when its deliveries
// take longer: the timeout would otherwise cut the answer it waits for.
func TestDelivery_AdvanceOutlivesWriteTimeout(t *testing.T) {
	const timeout = time.Second
	srv, err := mock.New(mock.Options{Clock: clock.NewVirtual(mock.TestStart), CallbackTimeout: timeout})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.WriteTimeout = timeout / 4
	ts.Start()
	t.Cleanup(ts.Close)
	m, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	f := &fixture{t: t, srv: srv, ts: ts, me: keyOf(t, m), m: m}
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done() // never answers
	}))
	t.Cleanup(rc.Close)
	f.rc = &receiver{srv: rc}
	status, e := f.v3("POST", "/v3/payscore/serviceorder", f.createBody("SLOW", true, ""), nil)
	require.Equal(t, http.StatusOK, status, "%+v", e)
	status, raw := sandboxCall(t, ts, "POST", "/sandbox/orders/"+m.MchID+"/SLOW/confirm", "", nil)
	require.Equal(t, http.StatusOK, status, string(raw))
	f.settle()

	began := time.Now()
	status, raw = sandboxCall(t, ts, "POST", "/sandbox/clock/advance", "", map[string]string{"duration": "15s"})
	require.Equal(t, http.StatusOK, status, string(raw))
	assert.GreaterOrEqual(t, time.Since(began), timeout, "the advance waited for the hanging delivery")
	assert.Contains(t, string(raw), "attempt 2")
}
