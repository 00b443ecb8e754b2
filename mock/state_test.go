package mock_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

var writeStateFixture = flag.Bool("write-state-fixture", false,
	"write testdata/state-v<StateVersion>.json from this run; only for a new StateVersion, whose fixture must then stay as written")

// stubEndpoint answers callbacks in place of the merchant's endpoint,
// without a network: 500 while the domain clock is before upAt, 204 from
// then on. Answering by domain time rather than by count gives two servers
// doing the same work the same answers.
type stubEndpoint struct {
	clock clock.Clock
	upAt  time.Time

	mu  sync.Mutex
	got []string // "event_type id status" per delivery
}

func (e *stubEndpoint) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	var env struct {
		ID        string `json:"id"`
		EventType string `json:"event_type"`
	}
	_ = json.Unmarshal(body, &env) // a forged body still gets an answer
	status := http.StatusNoContent
	if e.clock.Now().Before(e.upAt) {
		status = http.StatusInternalServerError
	}
	e.mu.Lock()
	e.got = append(e.got, fmt.Sprintf("%s %s %d", env.EventType, env.ID, status))
	e.mu.Unlock()
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

func (e *stubEndpoint) deliveries() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.got...)
}

// stateServer is a test server of the default merchant whose ids come from
// a counter starting after firstID, so that two servers doing the same work
// make the same ids, and whose callbacks go to a stubEndpoint that is down
// for the first two hours after mock.TestStart.
type stateServer struct {
	*fixture
	ids *atomic.Int64
	ep  *stubEndpoint
}

func newStateServer(t *testing.T, opts mock.Options, firstID int64) *stateServer {
	t.Helper()
	s := &stateServer{ids: &atomic.Int64{}, ep: &stubEndpoint{upAt: mock.TestStart.Add(2 * time.Hour)}}
	s.ids.Store(firstID)
	opts.NewID = func() string { return fmt.Sprintf("id-%08d", s.ids.Add(1)) }
	opts.CallbackClient = &http.Client{Transport: s.ep}
	if opts.Clock == nil {
		opts.Clock = clock.NewVirtual(mock.TestStart)
	}
	// Set before New: restored work that is overdue calls back at once.
	s.ep.clock = opts.Clock
	srv, ts := mock.NewTestServer(t, opts)
	me := defaultMerchant(t)
	m, err := srv.Merchant(me.mchid)
	require.NoError(t, err)
	// The receiver only lends its URL to notify_url: the stub transport
	// answers every callback in its place.
	s.fixture = &fixture{t: t, srv: srv, ts: ts, me: me, m: m, rc: newReceiver(t, srv, m.APIv3Key)}
	return s
}

// populate leaves a row of every kind and every kind of pending timer: a
// callback in the middle of its retries (the endpoint is down), a CREATED
// service order and a CREATED payafter order awaiting expiry, a USER_PAYING
// order awaiting its deduction, a PROCESSING refund (due at the same
// instant as that deduction), an authorization, a user with a wallet and a
// charge.
func (s *stateServer) populate() {
	f := s.fixture
	f.authorize("oState")
	require.NoError(f.t, f.srv.SetWallet("oState", mock.Wallet{Balance: ptr(int64(100000))}))
	tid := f.paidServiceOrder("PAID-1", "oState", 3000)
	f.mustCreate("PAYING-1", false, "oState")
	status, e := f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody("PA-1", true, ""), nil)
	require.Equal(f.t, http.StatusOK, status, "%+v", e)
	f.advance(time.Minute)
	f.mustComplete("PAYING-1", 2000)
	status, e = f.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(tid, "RF-1", 1000, 3000), nil)
	require.Equal(f.t, http.StatusOK, status, "%+v", e)
	f.mustCreate("CREATED-1", true, "")
	f.settle()
}

func (s *stateServer) save() []byte {
	s.t.Helper()
	var buf bytes.Buffer
	require.NoError(s.t, s.srv.SaveState(&buf))
	return buf.Bytes()
}

// tables is the saved state without what legitimately differs between two
// servers doing the same work: the wall time of the save, each callback's
// body (its nonce is random) and how long each attempt took.
func (s *stateServer) tables() map[string]any {
	s.t.Helper()
	var m map[string]any
	require.NoError(s.t, json.Unmarshal(s.save(), &m))
	delete(m, "saved_at")
	for _, n := range m["notifications"].([]any) {
		n := n.(map[string]any)
		delete(n, "Body")
		for _, a := range n["Attempts"].([]any) {
			a.(map[string]any)["DurationMS"] = 0
		}
	}
	return m
}

// clockEvents renders clock events comparably: restored times carry a zone
// offset where the original's carry the zone's name.
func clockEvents(evs []clock.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.At.UTC().Format(time.RFC3339Nano)+" "+e.Label)
	}
	return out
}

func (s *stateServer) advance(d time.Duration) []string {
	s.t.Helper()
	fired, err := s.srv.Advance(d)
	require.NoError(s.t, err)
	return clockEvents(fired)
}

func readState(t *testing.T, data []byte) *mock.State {
	t.Helper()
	st, err := mock.ReadState(bytes.NewReader(data))
	require.NoError(t, err)
	return st
}

// TestState_RoundTrip restores a saved server into a fresh one and checks
// that the tables are the same and that moving both clocks by the same
// amounts does the same work: the deduction and its USER_PAID callback,
// the refund's SUCCESS, every callback's next attempt at the same time,
// the expiries.
func TestState_RoundTrip(t *testing.T) {
	orig := newStateServer(t, mock.Options{}, 0)
	orig.populate()
	saved := orig.save()
	st := readState(t, saved)
	assert.True(t, st.Now().Equal(orig.now()))

	restored := newStateServer(t, mock.Options{State: st}, orig.ids.Load())
	assert.True(t, restored.now().Equal(orig.now()), "the virtual clock continues from the saved time")
	require.Equal(t, orig.tables(), restored.tables())

	pending := clockEvents(orig.srv.Clock().Pending())
	require.Equal(t, pending, clockEvents(restored.srv.Clock().Pending()), "every timer is armed again, at the same time")
	for _, want := range []string{"expire " + orig.me.mchid + "/CREATED-1", "expire " + orig.me.mchid + "/PA-1", "deduct " + orig.me.mchid + "/PAYING-1 (after completion)", "refund " + orig.me.mchid + "/RF-1", "PAYSCORE.USER_OPEN_SERVICE"} {
		assert.Condition(t, func() bool {
			for _, p := range pending {
				if strings.Contains(p, want) {
					return true
				}
			}
			return false
		}, "a timer %q is pending: %v", want, pending)
	}

	for _, step := range []time.Duration{10 * time.Second, 2 * time.Hour, 31 * 24 * time.Hour} {
		want := orig.advance(step)
		assert.NotEmpty(t, want)
		assert.Equal(t, want, restored.advance(step), "what advancing %s fired", step)
		assert.Equal(t, orig.tables(), restored.tables(), "the tables after advancing %s", step)
	}
	// Deliveries of different orders run in parallel, so only the set of
	// them, not the order they arrived in, is the same.
	assert.ElementsMatch(t, orig.ep.deliveries()[len(orig.ep.deliveries())-len(restored.ep.deliveries()):], restored.ep.deliveries(),
		"the merchant saw the same callbacks after the restart")

	r := restored.fixture
	for no, state := range map[string]string{"PAID-1": "DONE", "PAYING-1": "DONE", "CREATED-1": "EXPIRED", "PA-1": "EXPIRED"} {
		o, err := r.srv.Order(r.me.mchid, "", no)
		require.NoError(t, err)
		assert.Equal(t, state, o.State, no)
	}
	var refund map[string]any
	r.v3("GET", "/v3/refund/domestic/refunds/RF-1", nil, &refund)
	assert.Equal(t, "SUCCESS", refund["status"])
	u, err := r.srv.User("oState")
	require.NoError(t, err)
	assert.Equal(t, int64(100000-3000-2000+1000), *u.Wallet.Balance)
	ns, err := r.srv.Notifications(mock.NotificationFilter{})
	require.NoError(t, err)
	var paid []string
	for _, n := range ns {
		assert.Equal(t, "delivered", n.State, "%s %s", n.EventType, n.ID)
		if n.EventType == "PAYSCORE.USER_PAID" {
			paid = append(paid, n.OutOrderNo)
		}
	}
	assert.Equal(t, []string{"PAID-1", "PAYING-1"}, paid)
}

// TestState_OverdueWork restores onto a clock that has moved on: what fell
// due meanwhile runs at once, in due order.
func TestState_OverdueWork(t *testing.T) {
	orig := newStateServer(t, mock.Options{}, 0)
	orig.populate()
	st := readState(t, orig.save())

	later := st.Now().Add(time.Hour)
	restored := newStateServer(t, mock.Options{State: st, Clock: clock.NewVirtual(later)}, orig.ids.Load())
	restored.settle()
	r := restored.fixture
	o, err := r.srv.Order(r.me.mchid, "", "PAYING-1")
	require.NoError(t, err)
	assert.Equal(t, "DONE", o.State, "the deduction ran")
	var refund map[string]any
	r.v3("GET", "/v3/refund/domestic/refunds/RF-1", nil, &refund)
	assert.Equal(t, "SUCCESS", refund["status"])
	o, err = r.srv.Order(r.me.mchid, "", "PA-1")
	require.NoError(t, err)
	assert.Equal(t, "EXPIRED", o.State, "its hour is over")
	o, err = r.srv.Order(r.me.mchid, "", "CREATED-1")
	require.NoError(t, err)
	assert.Equal(t, "CREATED", o.State, "its 30 days are not")

	ns, err := r.srv.Notifications(mock.NotificationFilter{EventType: "PAYSCORE.USER_OPEN_SERVICE"})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	last := ns[0].Attempts[len(ns[0].Attempts)-1]
	assert.Equal(t, later.Format(time.RFC3339), last.At, "the overdue attempt was made at once")
	for _, p := range clockEvents(r.srv.Clock().Pending()) {
		assert.NotContains(t, p, "PAYING-1", "nothing overdue is left pending")
	}
}

// TestState_RedeliveryCancelsRestoredRetry: the retry a restored server
// armed again is taken off the clock when a redelivery delivers the
// callback, as one armed before the restart would be.
func TestState_RedeliveryCancelsRestoredRetry(t *testing.T) {
	orig := newStateServer(t, mock.Options{}, 0)
	orig.populate()
	restored := newStateServer(t, mock.Options{State: readState(t, orig.save())}, orig.ids.Load())
	ns, err := restored.srv.Notifications(mock.NotificationFilter{EventType: "PAYSCORE.USER_OPEN_SERVICE"})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	require.Equal(t, "pending", ns[0].State, "the endpoint is down for two hours")
	id := ns[0].ID
	retrying := func(evs []string) bool {
		for _, e := range evs {
			if strings.Contains(e, id) {
				return true
			}
		}
		return false
	}
	require.True(t, retrying(clockEvents(restored.srv.Clock().Pending())), "its retry was armed again")

	restored.settle()                 // nothing runs while the endpoint comes back
	restored.ep.upAt = restored.now() // the merchant's endpoint is back
	n, err := restored.srv.Redeliver(id)
	require.NoError(t, err)
	assert.Equal(t, "delivered", n.State)
	assert.False(t, retrying(clockEvents(restored.srv.Clock().Pending())), "its retry is off the clock")
	assert.False(t, retrying(restored.advance(3*time.Hour)), "and never fires")
}

// TestState_Merchants: a restored merchant keeps its record and keys over
// a spec with its mchid; a spec for another mchid is registered; a spec
// without a mchid is not registered again.
func TestState_Merchants(t *testing.T) {
	orig := newStateServer(t, mock.Options{}, 0)
	gen, err := orig.srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	st := readState(t, orig.save())

	srv, _ := mock.NewTestServer(t, mock.Options{State: st, Merchants: []mock.MerchantSpec{
		{MchID: gen.MchID, PlatformMode: "public_key"},
		{MchID: "1900000109"},
		{},
	}})
	ms, err := srv.Merchants()
	require.NoError(t, err)
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.MchID)
	}
	assert.ElementsMatch(t, []string{orig.me.mchid, gen.MchID, "1900000109"}, ids)
	got, err := srv.Merchant(gen.MchID)
	require.NoError(t, err)
	assert.Equal(t, gen, got, "the restored record wins, private key included")
}

func TestReadState_Refuses(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"empty", "", "not a mockpay state"},
		{"not JSON", "{not json", "not a mockpay state"},
		{"trailing data", `{"version":1,"clock":{"now":"2026-12-01T09:00:00+08:00"}} {}`, "not a mockpay state"},
		{"no version", `{"clock":{}}`, "no version"},
		{"another version", `{"version":2}`, "version 2, this mockpay reads version 1"},
		{"unknown field", `{"version":1,"colour":"red"}`, `unknown field "colour"`},
		{"no clock", `{"version":1}`, "no clock.now"},
		{"a row of the wrong shape", `{"version":1,"clock":{"now":"2026-12-01T09:00:00+08:00"},"orders":[{"State":7}]}`, "orders[0]: json: cannot unmarshal number into Go struct field Order.State"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mock.ReadState(strings.NewReader(tt.data))
			require.ErrorIs(t, err, mock.ErrInvalidState)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// TestNew_RefusesInconsistentState: rows that decode but do not fit
// together stop New with ErrInvalidState, before anything is armed.
func TestNew_RefusesInconsistentState(t *testing.T) {
	orig := newStateServer(t, mock.Options{}, 0)
	orig.populate()
	saved := orig.save()
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"two orders with one key", func(m map[string]any) {
			os := m["orders"].([]any)
			m["orders"] = append(os, os[0])
		}, "another row has the same id"},
		{"a null merchant", func(m map[string]any) { m["merchants"] = append(m["merchants"].([]any), nil) }, "null"},
		{"a pending callback without its next attempt", func(m map[string]any) {
			for _, n := range m["notifications"].([]any) {
				if n := n.(map[string]any); n["State"] == "pending" {
					delete(n, "NextAttempt")
				}
			}
		}, "pending with no next attempt"},
		{"a refund without its due time", func(m map[string]any) {
			m["refunds"].([]any)[0].(map[string]any)["Due"] = map[string]any{}
		}, "PROCESSING with no due time"},
		{"an order being collected without its collection", func(m map[string]any) {
			for _, o := range m["orders"].([]any) {
				if o := o.(map[string]any); o["OutOrderNo"] == "PAYING-1" {
					o["Collection"] = nil
				}
			}
		}, "DOING/MCH_COMPLETE with no collection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { refusesState(t, saved, tt.edit, tt.want) })
	}
}

// refusesState edits a saved state and checks that a new server refuses
// it, saying want, and arms nothing.
func refusesState(t *testing.T, saved []byte, edit func(m map[string]any), want string) {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(saved, &m))
	edit(m)
	data, err := json.Marshal(m)
	require.NoError(t, err)
	v := clock.NewVirtual(mock.TestStart)
	_, err = mock.New(mock.Options{State: readState(t, data), Clock: v})
	require.ErrorIs(t, err, mock.ErrInvalidState)
	assert.Contains(t, err.Error(), want)
	assert.Empty(t, v.Pending(), "nothing was armed")
}

// stateFixture is a saved state of the current StateVersion, written once
// by -write-state-fixture. A change to the row types that this file no
// longer restores into needs a new StateVersion.
var stateFixture = filepath.Join("testdata", fmt.Sprintf("state-v%d.json", mock.StateVersion))

func TestReadState_Fixture(t *testing.T) {
	if *writeStateFixture {
		s := newStateServer(t, mock.Options{}, 0)
		s.populate()
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(stateFixture, s.save(), 0o644))
	}
	data, err := os.ReadFile(stateFixture)
	require.NoError(t, err)
	restored := newStateServer(t, mock.Options{State: readState(t, data)}, 1000)
	var labels []string
	for _, e := range restored.srv.Clock().Pending() {
		labels = append(labels, e.Label)
	}
	assert.Equal(t, []string{
		"deduct 1230000109/PAYING-1 (after completion)",
		"refund 1230000109/RF-1",
		"PAYSCORE.USER_OPEN_SERVICE id-00000005 attempt 5",
		"PAYSCORE.USER_PAID id-00000016 attempt 5",
		"expire 1230000109/PA-1",
		"expire 1230000109/CREATED-1",
	}, labels)
	restored.advance(40 * 24 * time.Hour)
	ns, err := restored.srv.Notifications(mock.NotificationFilter{})
	require.NoError(t, err)
	for _, n := range ns {
		assert.Equal(t, "delivered", n.State, "%s %s", n.EventType, n.ID)
	}
}

// FuzzReadState: whatever the file holds, reading and restoring it either
// works or fails with ErrInvalidState; neither it nor the timers it arms,
// run to the end, panic.
func FuzzReadState(f *testing.F) {
	valid, err := os.ReadFile(stateFixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	for _, frac := range []int{0, 1, 10, 25, 50, 75, 99} {
		f.Add(valid[:len(valid)*frac/100])
	}
	for _, garble := range []struct{ from, to string }{
		{`"PROCESSING"`, `"PROCESS"`},
		{`"State":"DOING"`, `"State":"DONE"`},
		{`"pending"`, `"failed"`},
		{`"Kind":"serviceorder"`, `"Kind":"payafter-order"`},
		{`"Schedule":[`, `"Schedule":[-1,`},
	} {
		f.Add(bytes.Replace(valid, []byte(garble.from), []byte(garble.to), 1))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := mock.ReadState(bytes.NewReader(data))
		if err != nil {
			require.ErrorIs(t, err, mock.ErrInvalidState)
			return
		}
		ep := &stubEndpoint{}
		v := clock.NewVirtual(mock.TestStart)
		ep.clock = v
		srv, err := mock.New(mock.Options{State: st, Clock: v, CallbackClient: &http.Client{Transport: ep}})
		if err != nil {
			require.ErrorIs(t, err, mock.ErrInvalidState)
			return
		}
		defer srv.Close()
		_, err = srv.Advance(40 * 24 * time.Hour)
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, srv.SaveState(&buf), "a restored state can be saved again")
	})
}
