package mock_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// A sandbox path nobody serves gets a 404 naming the nearest real one, and
// a path served under other methods a 405 that names them, in Allow too.
func TestSandbox_Misses(t *testing.T) {
	_, ts := mock.NewTestServer(t, mock.Options{})
	tests := []struct {
		method, path string
		status       int
		message      string
		allow        string
	}{
		{"GET", "/sandbox/notification", 404, "GET /sandbox/notification is not a sandbox endpoint; did you mean GET /sandbox/notifications?", ""},
		{"POST", "/sandbox/orders/1230000109/RIDE-1/confirn", 404, "did you mean POST /sandbox/orders/{mchid}/{out_order_no}/confirm?", ""},
		{"POST", "/sandbox/clock/advanse", 404, "did you mean POST /sandbox/clock/advance?", ""},
		{"GET", "/sandbox/nothing-like-it-at-all", 404, "GET /sandbox/nothing-like-it-at-all is not a sandbox endpoint", ""},
		{"DELETE", "/sandbox/clock", 405, "DELETE /sandbox/clock is not allowed: /sandbox/clock answers GET", "GET"},
		{"PUT", "/sandbox/merchants/1230000109", 405, "answers GET, PATCH, DELETE", "GET, PATCH, DELETE"},
		{"GET", "/sandbox/reset", 405, "/sandbox/reset answers POST", "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, nil)
			require.NoError(t, err)
			resp, body := send(t, req)
			require.Equal(t, tt.status, resp.StatusCode, string(body))
			e := decodeError(t, body)
			want := map[int]string{404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}[tt.status]
			assert.Equal(t, want, e.Code)
			assert.Contains(t, e.Message, tt.message)
			if !strings.Contains(tt.message, "did you mean") {
				assert.NotContains(t, e.Message, "did you mean")
			}
			assert.Equal(t, tt.allow, resp.Header.Get("Allow"))
		})
	}
}
