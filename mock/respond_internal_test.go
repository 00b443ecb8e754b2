package mock

import (
	"crypto/rsa"
	"errors"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
)

// The one writer signs every status the handlers can produce, including a
// 204 without a body and a 500 made from an unexpected internal error.
func TestEncodeAndWriteSigned(t *testing.T) {
	srv, err := New(Options{})
	require.NoError(t, err)
	defer srv.Close()
	tests := []struct {
		name   string
		rep    reply
		status int
		body   string
	}{
		{"200 with body", ok(map[string]string{"a": "<&>"}), 200, `{"a":"<&>"}`},
		{"204 without body", noContent(), 204, ""},
		{"internal error hidden as SYSTEM_ERROR", fail(errors.New("boom: internal detail")), 500, `{"code":"SYSTEM_ERROR","message":"系统错误"}`},
		{"unencodable body", ok(func() {}), 500, `{"code":"SYSTEM_ERROR","message":"系统错误"}`},
	}
	pub := srv.platform.x509Cert.PublicKey.(*rsa.PublicKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := srv.encode(tt.rep)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.body, string(body))
			w := httptest.NewRecorder()
			require.NoError(t, writeSigned(w, srv.platform.cert, "req-1", status, body))
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, tt.body, w.Body.String())
			h := w.Result().Header
			assert.Equal(t, "req-1", h.Get(protocol.HeaderRequestID))
			assert.Equal(t, srv.platform.certSerial, h.Get(protocol.HeaderSerial))
			ts, err := strconv.ParseInt(h.Get(protocol.HeaderTimestamp), 10, 64)
			require.NoError(t, err)
			msg := protocol.ResponseMessage(ts, h.Get(protocol.HeaderNonce), w.Body.Bytes())
			assert.NoError(t, protocol.Verify(pub, msg, h.Get(protocol.HeaderSignature)))
			if tt.body == "" {
				assert.Empty(t, h.Get("Content-Type"))
			} else {
				assert.Equal(t, "application/json; charset=utf-8", h.Get("Content-Type"))
			}
		})
	}
}
