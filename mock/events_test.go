package mock_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/scenario"
)

// eventWait bounds every wait for an event that is sure to come.
const eventWait = 10 * time.Second

// describe renders an event as one line that tests compare.
func describe(ev mock.Event) string {
	switch d := ev.Data.(type) {
	case *mock.OrderEvent:
		s := "order " + d.OutOrderNo + " " + d.State
		if d.StateDescription != "" {
			s += "/" + d.StateDescription
		}
		if d.Removed {
			s += " removed"
		}
		return s
	case *mock.NotificationEvent:
		return "notification " + d.EventType + " " + d.State
	case *mock.RequestEvent:
		return fmt.Sprintf("request %s %s %d %s", d.Method, d.Path, d.Status, d.Signature)
	case *mock.ClockChangeEvent:
		return "clock " + d.Now
	case *mock.ScenarioEvent:
		return fmt.Sprintf("scenario %s %s %s %d", d.Action, d.ID, d.Name, d.Applied)
	}
	return fmt.Sprintf("%s %T", ev.Type, ev.Data)
}

// buffered describes the events waiting in es, without waiting for more.
func buffered(es *mock.EventStream) []string {
	var out []string
	for _, ev := range drain(es) {
		out = append(out, describe(ev))
	}
	return out
}

// collect reads es until every line of want has been seen, and returns
// all it read. Request events are published once the answer is written,
// so a test may be ahead of them; the wait is bounded.
func collect(t *testing.T, es *mock.EventStream, want ...string) []string {
	t.Helper()
	var got []string
	timeout := time.After(eventWait)
	for !containsAll(got, want) {
		select {
		case ev, open := <-es.C():
			require.True(t, open, "the stream ended (%v) before %q; got %q", es.Err(), want, got)
			got = append(got, describe(ev))
		case <-timeout:
			require.Failf(t, "events missing", "want %q among %q", want, got)
		}
	}
	return got
}

func containsAll(got, want []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// assertInOrder asserts that want occurs in got in this order.
func assertInOrder(t *testing.T, got []string, want ...string) {
	t.Helper()
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	assert.Equal(t, len(want), i, "want %q in this order among %q; %q is missing or out of order", want, got, want[min(i, len(want)-1)])
}

// Every change of an order's life comes as an event, in the order it
// happened: changes in commit order (within one commit, such as an order
// and the callback it fires, in no promised order), each request after the
// changes it made, the clock after what its advance ran.
func TestEvents_Order(t *testing.T) {
	f := newFixture(t)
	es := f.srv.Subscribe(mock.SubscribeOptions{})
	defer es.Close()
	const openid = "oEvents"

	f.authorize(openid)
	f.mustCreate("RIDE-1", true, openid)
	_, err := f.srv.ConfirmOrder(f.me.mchid, "", "RIDE-1", mock.ConfirmRequest{})
	require.NoError(t, err)
	f.settle()
	f.advance(10 * time.Minute) // the ride
	f.mustComplete("RIDE-1", 2500)
	f.advance(5 * time.Second)
	now := "clock " + f.srv.ClockState().Now

	got := collect(t, es, now,
		"request POST /v3/payscore/serviceorder 200 valid",
		"request POST /v3/payscore/serviceorder/RIDE-1/complete 200 valid")
	assertInOrder(t, got,
		"notification PAYSCORE.USER_OPEN_SERVICE pending",
		"notification PAYSCORE.USER_OPEN_SERVICE delivered",
		"order RIDE-1 CREATED",
		"order RIDE-1 DOING/USER_CONFIRM",
		"notification PAYSCORE.USER_CONFIRM delivered",
		"order RIDE-1 DOING/MCH_COMPLETE",
		"order RIDE-1 DONE",
		"notification PAYSCORE.USER_PAID delivered",
		now,
	)
	assertInOrder(t, got, "order RIDE-1 CREATED", "request POST /v3/payscore/serviceorder 200 valid")
	assertInOrder(t, got, "order RIDE-1 DOING/MCH_COMPLETE", "request POST /v3/payscore/serviceorder/RIDE-1/complete 200 valid")
}

// A stream keeps the events of its merchant and those about none in
// particular; the others' go to the others.
func TestEvents_FilterByMerchant(t *testing.T) {
	srv, _ := mock.NewTestServer(t, mock.Options{Merchants: []mock.MerchantSpec{}})
	a, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	b, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)

	tests := []struct {
		name  string
		mchid string
		want  []string
	}{
		{"every merchant", "", []string{"a", "b", "clock"}},
		{"merchant a", a.MchID, []string{"a", "clock"}},
		{"merchant b", b.MchID, []string{"b", "clock"}},
		{"a merchant with no events", "1999999999", []string{"clock"}},
	}
	streams := make([]*mock.EventStream, len(tests))
	for i, tt := range tests {
		streams[i] = srv.Subscribe(mock.SubscribeOptions{MchID: tt.mchid})
		defer streams[i].Close()
	}

	changeEach(t, srv, time.Second, a, b)

	name := map[string]string{
		"notification PAYSCORE.USER_OPEN_SERVICE dropped " + a.MchID: "a",
		"notification PAYSCORE.USER_OPEN_SERVICE dropped " + b.MchID: "b",
		"clock " + srv.ClockState().Now + " ":                        "clock",
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, ev := range drain(streams[i]) {
				line := describe(ev) + " " + ev.MchID
				require.Contains(t, name, line, "an unexpected event")
				got = append(got, name[line])
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// changeEach makes one change about each merchant, in order, then moves
// the clock by d. The change is a user opening the merchant's service:
// without a notify_url, its callback is dropped, a change like any other,
// made before the call returns.
func changeEach(t *testing.T, srv *mock.Server, d time.Duration, ms ...mock.Merchant) {
	t.Helper()
	for _, m := range ms {
		_, err := srv.AuthorizeUser("oUser", mock.AuthorizeRequest{MchID: m.MchID})
		require.NoError(t, err)
	}
	_, err := srv.Advance(d)
	require.NoError(t, err)
}

// drain returns the events waiting in es.
func drain(es *mock.EventStream) []mock.Event {
	var out []mock.Event
	for {
		select {
		case ev, open := <-es.C():
			if !open {
				return out
			}
			out = append(out, ev)
		default:
			return out
		}
	}
}

// A reader that lets its buffer fill is dropped, its stream closed after
// what it holds, and the server goes on without waiting for it; the other
// readers get every event.
func TestEvents_SlowReaderDropped(t *testing.T) {
	srv, _ := mock.NewTestServer(t, mock.Options{})
	slow := srv.Subscribe(mock.SubscribeOptions{Buffer: 2})
	defer slow.Close()
	fast := srv.Subscribe(mock.SubscribeOptions{})
	defer fast.Close()

	var want []string
	for range 3 {
		_, err := srv.Advance(time.Second) // nothing is scheduled: one clock event each
		require.NoError(t, err)
		want = append(want, "clock "+srv.ClockState().Now)
	}

	assert.Equal(t, want[:2], buffered(slow), "what it held before it fell behind")
	_, open := <-slow.C()
	assert.False(t, open, "the stream is closed")
	assert.ErrorIs(t, slow.Err(), mock.ErrSlowReader)
	assert.Equal(t, want, buffered(fast))
	assert.NoError(t, fast.Err(), "still running")
}

// How a stream ends, and why.
func TestEvents_StreamEnds(t *testing.T) {
	tests := []struct {
		name string
		end  func(srv *mock.Server, es *mock.EventStream)
		want error
	}{
		{"closed by its reader", func(_ *mock.Server, es *mock.EventStream) { es.Close(); es.Close() }, mock.ErrStreamClosed},
		{"server closed", func(srv *mock.Server, _ *mock.EventStream) { require.NoError(t, srv.Close()) }, mock.ErrServerClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := mock.NewTestServer(t, mock.Options{})
			es := srv.Subscribe(mock.SubscribeOptions{})
			tt.end(srv, es)
			_, open := <-es.C()
			assert.False(t, open)
			assert.ErrorIs(t, es.Err(), tt.want)
		})
	}

	srv, _ := mock.NewTestServer(t, mock.Options{})
	require.NoError(t, srv.Close())
	late := srv.Subscribe(mock.SubscribeOptions{})
	_, open := <-late.C()
	assert.False(t, open, "a stream of a closed server ends at once")
	assert.ErrorIs(t, late.Err(), mock.ErrServerClosed)
}

// Scenarios are reported loaded, fired (each time they take effect, with
// the count) and unloaded, by the sandbox or by a reset.
func TestEvents_Scenarios(t *testing.T) {
	f := newFixture(t)
	es := f.srv.Subscribe(mock.SubscribeOptions{})
	defer es.Close()

	load := func(name string) string {
		infos, err := f.srv.LoadScenarios(name+".yaml", []byte(`
name: `+name+`
description: the API fails.
match: {endpoint: serviceorder.query}
api: {status: 500, code: SYSTEM_ERROR, message: 系统错误}
`), scenario.Scope{MchID: f.me.mchid})
		require.NoError(t, err)
		return infos[0].ID
	}
	first, second := load("query-fails"), load("query-fails-too")
	assert.Equal(t, []string{
		"scenario loaded " + first + " query-fails 0",
		"scenario loaded " + second + " query-fails-too 0",
	}, buffered(es))

	for n := 1; n <= 2; n++ {
		status, _ := f.v3("GET", "/v3/payscore/serviceorder?out_order_no=R1&service_id="+f.serviceID()+"&appid="+f.appid(), nil, nil)
		require.Equal(t, http.StatusInternalServerError, status)
		fired := fmt.Sprintf("scenario fired %s query-fails %d", first, n)
		assert.Equal(t, []string{"request GET /v3/payscore/serviceorder 500 valid", fired}, collect(t, es, fired))
	}

	require.NoError(t, f.srv.UnloadScenario(first))
	assert.Equal(t, []string{"scenario unloaded " + first + "  2"}, buffered(es))
	require.NoError(t, f.srv.Reset())
	assert.Equal(t, []string{"scenario unloaded " + second + "  0"}, buffered(es))
}

// A reset reports the orders and callbacks it removes.
func TestEvents_ResetRemoves(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("RIDE-1", true, "oReset")
	es := f.srv.Subscribe(mock.SubscribeOptions{MchID: f.me.mchid})
	defer es.Close()
	require.NoError(t, f.srv.Reset())
	assert.Equal(t, []string{"order RIDE-1 CREATED removed"}, buffered(es))
}

// A request event carries the signature verdict and, when it failed, why.
func TestEvents_RequestSignature(t *testing.T) {
	f := newFixture(t)
	es := f.srv.Subscribe(mock.SubscribeOptions{})
	defer es.Close()
	req := f.me.request(t, f.ts, "GET", "/v3/payscore/serviceorder?out_order_no=R1", nil)
	req.URL.RawQuery = "out_order_no=R2" // signed for R1
	resp, _ := send(t, req)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	select {
	case ev := <-es.C():
		require.Equal(t, mock.EventRequest, ev.Type)
		d := ev.Data.(*mock.RequestEvent)
		assert.Equal(t, f.me.mchid, ev.MchID)
		assert.Equal(t, "/v3/payscore/serviceorder", d.Path)
		assert.Equal(t, "SIGN_ERROR", d.Code)
		assert.Equal(t, mock.VerdictInvalid, d.Signature)
		assert.Equal(t, "sign not match", d.SignIssue)
		assert.NotEmpty(t, d.RequestID)
	case <-time.After(eventWait):
		t.Fatal("no request event")
	}
}

// sseEvent is one event as read from the wire.
type sseEvent struct {
	name string
	data map[string]any
}

// sseReader reads events from a text/event-stream body, skipping comments.
type sseReader struct {
	sc       *bufio.Scanner
	comments []string
}

func (r *sseReader) next() (sseEvent, error) {
	var ev sseEvent
	for r.sc.Scan() {
		line := r.sc.Text()
		switch {
		case line == "" && ev.name != "":
			return ev, nil
		case strings.HasPrefix(line, ":"):
			r.comments = append(r.comments, strings.TrimSpace(line[1:]))
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[len("data: "):]), &ev.data); err != nil {
				return ev, err
			}
		}
	}
	if err := r.sc.Err(); err != nil {
		return ev, err
	}
	return ev, io.EOF
}

// openEvents opens GET /sandbox/events; the stream is closed when the test ends.
func openEvents(t *testing.T, url, token string) (*http.Response, *sseReader) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
	})
	return resp, &sseReader{sc: bufio.NewScanner(resp.Body)}
}

// GET /sandbox/events streams the events as text/event-stream, filtered by
// ?mchid=, behind the sandbox token.
func TestEventsSSE(t *testing.T) {
	const token = "s3cret"
	srv, ts := mock.NewTestServer(t, mock.Options{SandboxToken: token, Merchants: []mock.MerchantSpec{}})
	a, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	b, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)

	status, body := sandboxCall(t, ts, "GET", "/sandbox/events", "", nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, string(body), `"code":"UNAUTHORIZED"`)

	resp, sse := openEvents(t, ts.URL+"/sandbox/events?mchid="+a.MchID, token)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	// The server has subscribed once the headers are out: what follows is seen.
	changeEach(t, srv, time.Minute, b, a)

	ev, err := sse.next()
	require.NoError(t, err)
	assert.Equal(t, "notification", ev.name)
	assert.Equal(t, a.MchID, ev.data["mchid"])
	assert.Equal(t, "PAYSCORE.USER_OPEN_SERVICE", ev.data["event_type"])
	assert.Equal(t, "dropped", ev.data["state"])
	assert.NotEmpty(t, ev.data["id"])
	assert.EqualValues(t, 0, ev.data["attempts"])

	ev, err = sse.next()
	require.NoError(t, err)
	assert.Equal(t, "clock", ev.name)
	assert.Equal(t, map[string]any{"now": srv.ClockState().Now, "mode": "virtual"}, ev.data)
	assert.Equal(t, []string{"mockpay sandbox events"}, sse.comments)
}

// blockedWriter is a ResponseWriter whose writes after the first wait
// until it is opened: a reader that has stopped reading.
type blockedWriter struct {
	header  http.Header
	first   chan struct{} // closed by the first write
	blocked chan struct{} // closed when the second write starts waiting
	open    chan struct{} // closed to let the writes through
	out     strings.Builder
	writes  int
}

func newBlockedWriter() *blockedWriter {
	return &blockedWriter{header: http.Header{}, first: make(chan struct{}), blocked: make(chan struct{}), open: make(chan struct{})}
}

func (w *blockedWriter) Header() http.Header { return w.header }
func (w *blockedWriter) WriteHeader(int)     {}
func (w *blockedWriter) Flush()              {}
func (w *blockedWriter) Write(p []byte) (int, error) {
	w.writes++
	switch w.writes {
	case 1:
		defer close(w.first)
	case 2:
		close(w.blocked)
		fallthrough
	default:
		<-w.open
	}
	return w.out.Write(p)
}

// A reader of /sandbox/events that stops reading is dropped once its
// buffer is full: the server never waits for it, and its stream ends, after
// what it held, with a comment that says why.
func TestEventsSSE_SlowReaderDropped(t *testing.T) {
	srv, _ := mock.NewTestServer(t, mock.Options{})
	w := newBlockedWriter()
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeHTTP(w, httptest.NewRequest("GET", "/sandbox/events", nil))
	}()
	<-w.first // subscribed
	advance := func() {
		_, err := srv.Advance(time.Millisecond)
		require.NoError(t, err)
	}

	// One event is stuck in the write, DefaultEventBuffer wait, one more
	// overflows. Each advance returns: nothing waits for the reader.
	advance()
	<-w.blocked
	for range mock.DefaultEventBuffer + 1 {
		advance()
	}
	close(w.open)
	select {
	case <-done:
	case <-time.After(eventWait):
		t.Fatal("the stream did not end")
	}
	out := w.out.String()
	assert.Equal(t, mock.DefaultEventBuffer+1, strings.Count(out, "event: clock\n"))
	assert.True(t, strings.HasSuffix(out, ": stream ended: "+mock.ErrSlowReader.Error()+"\n\n"), "ends with: %q", out[max(0, len(out)-200):])
}

// Shutting the HTTP server down ends open event streams, so that Shutdown
// does not wait for them until its deadline.
func TestEventsSSE_EndsOnShutdown(t *testing.T) {
	srv, _ := mock.NewTestServer(t, mock.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	resp, sse := openEvents(t, "http://"+ln.Addr().String()+"/sandbox/events", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ctx, cancel := context.WithTimeout(context.Background(), eventWait)
	defer cancel()
	require.NoError(t, hs.Shutdown(ctx), "shutdown did not wait for the stream")
	_, err = sse.next()
	assert.ErrorIs(t, err, io.EOF)
	assert.Contains(t, sse.comments, "stream ended: "+mock.ErrServerClosed.Error())
	assert.True(t, errors.Is(<-served, http.ErrServerClosed))
}
