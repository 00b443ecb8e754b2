package mock_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// The sandbox checks the identifiers it is given with the API's rules and
// answers in its own codes.
func TestSandbox_Identifiers(t *testing.T) {
	_, ts := mock.NewTestServer(t, mock.Options{})
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
		message            string // a part of the message or the issue
	}{
		{"an escaped letter is the letter", "GET", "/sandbox/%68ealth", nil, 200, "", `"status":"ok"`},
		{"openid with NUL", "GET", "/sandbox/users/o%00x", nil, 400, "PARAM_ERROR", "openid must be printable ASCII"},
		{"openid beyond ASCII", "PUT", "/sandbox/users/%E7%94%A8/wallet", map[string]any{"balance": 1}, 400, "PARAM_ERROR", "openid must be printable ASCII"},
		{"openid of 129 characters", "GET", "/sandbox/users/" + strings.Repeat("o", 129), nil, 400, "PARAM_ERROR", "at most 128"},
		{"openid of 128 characters", "GET", "/sandbox/users/" + strings.Repeat("o", 128), nil, 200, "", `"openid"`},
		{"openid filter with a control character", "GET", "/sandbox/orders?openid=o%01", nil, 400, "PARAM_ERROR", "openid must be printable ASCII"},
		{"mchid not digits", "GET", "/sandbox/merchants/abc", nil, 400, "PARAM_ERROR", "1 to 32 digits"},
		{"out_order_no with a space", "POST", "/sandbox/orders/1230000109/A%20B/confirm", nil, 400, "PARAM_ERROR", "out_order_no"},
		{"an order that does not exist", "POST", "/sandbox/orders/1230000109/NOPE/confirm", nil, 404, "NOT_FOUND", "has no order NOPE"},
		{"a file:// notify_url", "POST", "/sandbox/merchants", map[string]any{"notify_url": "file:///etc/passwd"}, 400, "PARAM_ERROR", "has the scheme file://, which is refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := sandboxCall(t, ts, tt.method, tt.path, "", tt.body)
			require.Equal(t, tt.status, status, string(body))
			assert.Contains(t, string(body), tt.message)
			if tt.code != "" {
				assert.Equal(t, tt.code, decodeError(t, body).Code)
			}
		})
	}
}
