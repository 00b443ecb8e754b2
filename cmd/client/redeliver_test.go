package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A start that several ids share is a usage error listing them; the mock's
// ids are random, so a stand-in sandbox holds two that share one.
func TestRedeliver_ambiguousPrefix(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"status":"ok","version":"test","clock":"virtual"}`))
	})
	mux.HandleFunc("POST /sandbox/notifications/{id}/redeliver", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"code":"NOT_FOUND","message":"no callback"}`))
	})
	mux.HandleFunc("GET /sandbox/notifications", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`[{"id":"5f0c2a8e-1111-4000-8000-000000000001","attempts":[]},{"id":"5f0c2a8e-2222-4000-8000-000000000002","attempts":[]},{"id":"9a9a9a9a-3333-4000-8000-000000000003","attempts":[]}]`))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	r := runWith(t, map[string]string{"MOCKPAY_URL": ts.URL}, "sandbox", "notifications", "redeliver", "5f0c2a8e-…")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "error: 5f0c2a8e- is the start of 2 callbacks' ids: 5f0c2a8e-1111-4000-8000-000000000001, 5f0c2a8e-2222-4000-8000-000000000002")
	assert.Contains(t, r.stderr, "hint: give more of the id")
}
