package mock_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// BenchmarkRSASign is the floor: one RSA-2048 SHA256withRSA signature, which
// every response must carry.
func BenchmarkRSASign(b *testing.B) {
	me := defaultMerchant(b)
	msg := protocol.ResponseMessage(1796000000, protocol.NewNonce(32), bytes.Repeat([]byte("x"), 600))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := protocol.Sign(me.key, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServeSignedRequest is one already-signed request served through
// the handler: parse and verify the Authorization, look up the merchant,
// handle, sign the response, log the call. Compare with BenchmarkRSASign.
func BenchmarkServeSignedRequest(b *testing.B) {
	srv, ts := mock.NewTestServer(b, mock.Options{})
	me := defaultMerchant(b)
	signed := me.request(b, ts, "GET", "/v3/certificates", nil)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/v3/certificates", nil)
		req.Header = signed.Header
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
