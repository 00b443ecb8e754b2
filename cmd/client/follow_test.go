package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The follow modes are tested against a stand-in for the mock that speaks
// the "Live events" contract of architecture.md: GET /sandbox/events is
// text/event-stream, one event per change, event: one of order,
// notification, request, clock, scenario, data: a JSON object.

// eventsMock serves /sandbox/health and, for the nth connection to
// /sandbox/events (from 0), the frames streams[n] (the last one again for
// later connections); a stream ending in "hold" stays open until its
// reader leaves. With no streams, it is a mock older than live events:
// /sandbox/events is 404.
type eventsMock struct {
	url string

	mu      sync.Mutex
	queries []string
}

func newEventsMock(t *testing.T, streams ...[]string) *eventsMock {
	t.Helper()
	m := &eventsMock{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox/health", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"status":"ok","version":"test","clock":"virtual"}`)
	})
	mux.HandleFunc("GET /sandbox/events", func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		n := len(m.queries)
		m.queries = append(m.queries, r.URL.RawQuery)
		m.mu.Unlock()
		if len(streams) == 0 {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"code":"NOT_FOUND","message":"GET /sandbox/events is not a sandbox endpoint"}`)
			return
		}
		frames := streams[min(n, len(streams)-1)]
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, ": mockpay sandbox events\n\n")
		for _, f := range frames {
			if f == "hold" {
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return
			}
			io.WriteString(w, f)
		}
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	m.url = ts.URL
	return m
}

func (m *eventsMock) connections() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.queries...)
}

// frame is one event in the stream's format.
func frame(typ, data string) string { return fmt.Sprintf("event: %s\ndata: %s\n\n", typ, data) }

const (
	reqSigned  = `{"request_id":"R1","time":"2026-12-01T09:00:00.123+08:00","mchid":"1230000109","method":"POST","path":"/v3/payscore/serviceorder","status":200,"signature":"valid"}`
	reqForged  = `{"request_id":"R2","time":"2026-12-01T09:00:01.000+08:00","mchid":"1230000109","method":"GET","path":"/v3/payscore/user-service-state","status":401,"code":"SIGN_ERROR","signature":"invalid","signature_issue":"sign not match","scenario":"scenario slow-api (sc-1)"}`
	notePaid   = `{"id":"N1","event_type":"PAYSCORE.USER_PAID","state":"delivered","mchid":"1230000109","out_order_no":"RIDE-1","attempts":2,"attempt":{"at":"2026-12-01T09:00:20+08:00","status":204,"duration_ms":3}}`
	noteOpen   = `{"id":"N2","event_type":"PAYSCORE.USER_OPEN_SERVICE","state":"pending","mchid":"1230000109","attempts":0}`
	noteRetry  = `{"id":"N3","event_type":"PAYSCORE.USER_PAID","state":"pending","mchid":"1230000109","out_order_no":"RIDE-2","attempts":1,"attempt":{"at":"2026-12-01T09:01:00+08:00","status":0,"error":"connection refused","duration_ms":1}}`
	clockMoved = `{"now":"2026-12-01T09:30:00.000+08:00","mode":"virtual"}`
)

// running is a command running until the test stops it.
type running struct {
	out, errOut *syncBuffer
	stop        func() int
}

// start runs the CLI in the background until stop (or the test's end).
func start(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{out: &syncBuffer{}, errOut: &syncBuffer{}}
	done := make(chan int, 1)
	go func() {
		code := run(ctx, args, env, r.out, r.errOut)
		record(args, code)
		done <- code
	}()
	var code *int
	r.stop = func() int {
		if code == nil {
			cancel()
			c := <-done
			code = &c
		}
		return *code
	}
	t.Cleanup(func() { r.stop() })
	return r
}

func TestFollow(t *testing.T) {
	t.Parallel()

	t.Run("requests, as they are answered", func(t *testing.T) {
		t.Parallel()
		m := newEventsMock(t, []string{frame("request", reqSigned), frame("notification", notePaid), frame("clock", clockMoved), frame("request", reqForged), "hold"})
		r := start(t, map[string]string{"MOCKPAY_URL": m.url}, "sandbox", "requests", "--follow", "--mchid", "1230000109")
		out := r.out.waitFor(t, "sign not match")
		assert.Equal(t, exitOK, r.stop(), "Ctrl-C ends it cleanly")
		assert.Equal(t, "09:00:00.123  POST   /v3/payscore/serviceorder  200 -  signature valid  mchid 1230000109\n"+
			"09:00:01.000  GET    /v3/payscore/user-service-state  401 SIGN_ERROR  signature invalid: sign not match  mchid 1230000109  [scenario slow-api (sc-1)]\n", out)
		assert.Contains(t, r.errOut.String(), "following the requests of the mock at "+m.url+" (merchant 1230000109) as they happen; Ctrl-C to stop")
		assert.Equal(t, []string{"mchid=1230000109"}, m.connections(), "the merchant filter is the stream's")
	})
	t.Run("notifications, filtered", func(t *testing.T) {
		t.Parallel()
		m := newEventsMock(t, []string{frame("notification", noteOpen), frame("request", reqSigned), frame("notification", notePaid), frame("notification", noteRetry), "hold"})
		r := start(t, map[string]string{"MOCKPAY_URL": m.url}, "sandbox", "notifications", "--follow", "--event-type", "PAYSCORE.USER_PAID")
		out := r.out.waitFor(t, "connection refused")
		assert.Equal(t, exitOK, r.stop())
		assert.Equal(t, "09:00:20  PAYSCORE.USER_PAID  N1  delivered  attempt 2: 204 in 3ms  RIDE-1\n"+
			"09:01:00  PAYSCORE.USER_PAID  N3  pending  attempt 1: connection refused  RIDE-2\n", out)
		assert.Equal(t, []string{""}, m.connections(), "every merchant's")
	})
	t.Run("json: one object per line", func(t *testing.T) {
		t.Parallel()
		m := newEventsMock(t, []string{frame("notification", notePaid), frame("notification", noteOpen), "hold"})
		r := start(t, map[string]string{"MOCKPAY_URL": m.url}, "sandbox", "notifications", "--follow", "--json", "--state", "pending")
		out := r.out.waitFor(t, "N2")
		assert.Equal(t, exitOK, r.stop())
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, 1)
		var n map[string]any
		require.NoError(t, json.Unmarshal([]byte(lines[0]), &n))
		assert.Equal(t, "PAYSCORE.USER_OPEN_SERVICE", n["event_type"])
	})
	t.Run("a stream the mock ends is followed again", func(t *testing.T) {
		t.Parallel()
		m := newEventsMock(t,
			[]string{frame("request", reqSigned), ": stream ended: the event stream fell behind and was dropped\n\n"},
			[]string{frame("request", reqForged), "hold"})
		r := start(t, map[string]string{"MOCKPAY_URL": m.url}, "sandbox", "requests", "--follow")
		r.out.waitFor(t, "sign not match")
		assert.Equal(t, exitOK, r.stop())
		assert.Contains(t, r.errOut.String(), "the mock ended the event stream: the event stream fell behind and was dropped; following again")
		assert.Len(t, m.connections(), 2)
	})
	t.Run("a stream that ends at once, twice, is an error", func(t *testing.T) {
		t.Parallel()
		m := newEventsMock(t, []string{frame("request", reqSigned)}, []string{})
		r := runWith(t, map[string]string{"MOCKPAY_URL": m.url}, "sandbox", "requests", "--follow")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stdout, "POST   /v3/payscore/serviceorder")
		assert.Contains(t, r.stderr, "error: follow the mock's requests: the mock ended the event stream")
	})
	t.Run("a mock without live events", func(t *testing.T) {
		t.Parallel()
		m := newEventsMock(t)
		r := runWith(t, map[string]string{"MOCKPAY_URL": m.url}, "sandbox", "notifications", "--follow")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "NOT_FOUND: GET /sandbox/events is not a sandbox endpoint")
		assert.Contains(t, r.stderr, "hint: this mock has no live events (GET /sandbox/events); 'sandbox notifications' without --follow lists them")
	})
	t.Run("against WeChat Pay", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, map[string]string{"MOCKPAY_URL": notWeChat(t)}, "sandbox", "requests", "--follow")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "sandbox requests --follow needs a mockpay sandbox")
	})
}

func TestClockTime(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026-12-01T09:00:00.123+08:00", "09:00:00.123"},
		{"2026-12-01T09:00:00+08:00", "09:00:00"},
		{"2026-12-01T01:00:00Z", "09:00:00"},
		{"soon", "soon"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, clockTime(tt.in), tt.in)
	}
}
