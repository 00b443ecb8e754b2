package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

// harness is an in-process mock on a virtual clock and the environment
// that points the CLI at it. Callbacks the tests do not watch go to sink,
// a merchant endpoint that answers 204.
type harness struct {
	srv  *mock.Server
	url  string
	env  map[string]string
	sink string // notify_url that accepts everything
}

func newHarness(t *testing.T, opts mock.Options) *harness {
	t.Helper()
	srv, ts := mock.NewTestServer(t, opts)
	return harnessOn(t, srv, ts.URL)
}

// harnessOn is the harness of srv served at url.
func harnessOn(t *testing.T, srv *mock.Server, url string) *harness {
	t.Helper()
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(sink.Close)
	h := &harness{srv: srv, url: url, sink: sink.URL + "/notify"}
	h.env = map[string]string{"MOCKPAY_URL": url, "MOCKPAY_NOTIFY_URL": h.sink}
	return h
}

// result is one run of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI with the harness's environment.
func (h *harness) run(t *testing.T, args ...string) result {
	t.Helper()
	return runWith(t, h.env, args...)
}

func runWith(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb syncBuffer
	code := run(context.Background(), args, env, &out, &errb)
	record(args, code)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// ok runs the CLI and requires success.
func (h *harness) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := h.run(t, args...)
	require.Equal(t, exitOK, r.code, "%v\nstdout:\n%s\nstderr:\n%s", args, r.stdout, r.stderr)
	return r.stdout
}

// okJSON runs the CLI with --json and decodes its output.
func (h *harness) okJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := h.ok(t, append(args, "--json")...)
	require.NoError(t, json.Unmarshal([]byte(out), v), out)
}

// fails runs the CLI and requires exit status code; it returns stderr.
func (h *harness) fails(t *testing.T, code int, args ...string) string {
	t.Helper()
	r := h.run(t, args...)
	require.Equal(t, code, r.code, "%v\nstdout:\n%s\nstderr:\n%s", args, r.stdout, r.stderr)
	return r.stderr
}

// advance moves the mock's virtual clock; it returns once what fell due,
// callback deliveries included, has run.
func (h *harness) advance(t *testing.T, d time.Duration) {
	t.Helper()
	_, err := h.srv.Advance(d)
	require.NoError(t, err)
}

// settle waits for the work started at once (a callback due now).
func (h *harness) settle() {
	h.srv.Clock().(*clock.Virtual).Settle()
}

// authorize makes openid an AVAILABLE user of the default merchant.
func (h *harness) authorize(t *testing.T, openid string) {
	t.Helper()
	_, err := h.srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: defaultMchID})
	require.NoError(t, err)
	h.settle()
}

// syncBuffer is an io.Writer safe for the listener's goroutines, which
// can wait for text to appear without sleeping.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor returns the text once it contains substr, failing the test
// after a generous deadline.
func (s *syncBuffer) waitFor(t *testing.T, substr string) string {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		text := s.b.String()
		if strings.Contains(text, substr) {
			s.mu.Unlock()
			return text
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no %q in output:\n%s", substr, text)
		}
	}
}

// notWeChat is a target that is not a mock: every path is 404, as the
// real WeChat Pay answers /sandbox/health.
func notWeChat(t *testing.T) string {
	t.Helper()
	ts := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// refusal is a call WeChat Pay (here the mock) refuses: exit status 1,
// stderr starting with "CODE: message", then the detail and the HTTP
// status.
type refusal struct {
	name, code string
	args       []string
	detail     string // in the detail, if not empty
}

// checkRefusals runs each refusal against h as a parallel subtest.
func checkRefusals(t *testing.T, h *harness, refusals []refusal) {
	t.Helper()
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stderr := h.fails(t, exitFailure, tt.args...)
			assert.Regexp(t, "^"+tt.code+`: \S`, stderr)
			assert.Contains(t, stderr, "(HTTP ")
			if tt.detail != "" {
				assert.Contains(t, stderr, "detail: {")
				assert.Contains(t, stderr, tt.detail)
			}
		})
	}
}
