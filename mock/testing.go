package mock

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mockpay/mockpay/mock/clock"
)

// TestStart is where NewTestServer's virtual clock starts: a fixed time, so
// that order times in tests and golden files never depend on the day.
var TestStart = time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// NewTestServer builds a server for a test and serves it on an httptest
// server; both are closed when the test ends. Without a clock in opts it
// gets a virtual clock at TestStart, so the test moves time itself.
func NewTestServer(t testing.TB, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = clock.NewVirtual(TestStart)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("mock.New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
	})
	return srv, ts
}
