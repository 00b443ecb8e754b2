package ui_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// The dashboard's files are served under /sandbox/ui/ without the sandbox
// token (they hold no data; the page asks for the token), with a policy
// that keeps the page to its own server.
func TestHandler(t *testing.T) {
	_, ts := mock.NewTestServer(t, mock.Options{SandboxToken: "s3cret"})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		path, contentType, location string
		status                      int
	}{
		{"/sandbox/ui/", "text/html; charset=utf-8", "", http.StatusOK},
		{"/sandbox/ui/app.js", "text/javascript; charset=utf-8", "", http.StatusOK},
		{"/sandbox/ui/style.css", "text/css; charset=utf-8", "", http.StatusOK},
		{"/sandbox/ui", "", "/sandbox/ui/", http.StatusFound},
		{"/sandbox/ui/missing.js", "", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := noRedirect.Get(ts.URL + tt.path)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.location, resp.Header.Get("Location"))
			if tt.status == http.StatusOK {
				assert.Equal(t, tt.contentType, resp.Header.Get("Content-Type"))
				assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
				assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")
			}
		})
	}

	// What the page reads stays behind the token.
	for _, path := range []string{"/sandbox/orders", "/sandbox/events", "/metrics"} {
		resp, err := http.Get(ts.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
	}
}

// No CDN: nothing in the dashboard's files points to another server.
func TestAssetsAreLocal(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("assets", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	external := regexp.MustCompile(`(?i)\bhttps?://|(src|href)\s*=\s*["']//|url\(\s*["']?//|@import`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Empty(t, external.FindAllString(string(data), -1), "%s refers to another server", f)
	}
}
