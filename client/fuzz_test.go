package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
)

// FuzzParseNotification feeds arbitrary bodies and header values to the
// callback parser, which faces the internet: it must never panic, must
// report every rejection as a *NotificationError, and must only accept a
// callback whose signature really verifies. The seeds (a genuine callback
// and variations) run in every plain `go test`.
func FuzzParseNotification(f *testing.F) {
	fx := loadFixtures(f)
	c := notifyClient(f, fx)
	h := c.NotificationHandler(func(_ context.Context, _ *client.Notification) error { return nil })

	valid := buildCallback(f, fx, callback{})
	validBody := readAll(f, valid)
	hdr := func(r *http.Request, name string) string { return r.Header.Get(name) }
	ts, nonce, serial, sig := hdr(valid, protocol.HeaderTimestamp), hdr(valid, protocol.HeaderNonce), hdr(valid, protocol.HeaderSerial), hdr(valid, protocol.HeaderSignature)

	f.Add(validBody, ts, nonce, serial, sig, protocol.Schema)
	f.Add(validBody, ts, nonce, serial, sig, "")
	f.Add(validBody, "", nonce, serial, sig, protocol.Schema)
	f.Add(validBody, "99999999999999999999", nonce, serial, sig, protocol.Schema)
	f.Add(validBody, strconv.FormatInt(notifyNow.Unix()-300, 10), nonce, serial, sig, protocol.Schema)
	f.Add(validBody, ts, nonce, serial, protocol.SignTestPrefix+sig, protocol.Schema)
	f.Add(append(bytes.Clone(validBody), ' '), ts, nonce, serial, sig, protocol.Schema)
	f.Add([]byte(`{"resource":{"algorithm":"AEAD_AES_256_GCM","nonce":"","ciphertext":""}}`), ts, nonce, serial, sig, protocol.Schema)
	f.Add([]byte{}, ts, "", "", "", "")
	f.Add([]byte("\x00\xff{"), "0", "n", "0BADC0DE", "====", "WECHATPAY2-SM2-WITH-SM3")

	f.Fuzz(func(t *testing.T, body []byte, ts, nonce, serial, sig, sigType string) {
		build := func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/notify", bytes.NewReader(body))
			r.Header[protocol.HeaderTimestamp] = []string{ts}
			r.Header[protocol.HeaderNonce] = []string{nonce}
			r.Header[protocol.HeaderSerial] = []string{serial}
			r.Header[protocol.HeaderSignature] = []string{sig}
			if sigType != "" {
				r.Header[protocol.HeaderSignatureType] = []string{sigType}
			}
			return r
		}
		n, err := c.ParseNotification(build())
		if err != nil {
			var ne *client.NotificationError
			require.True(t, errors.As(err, &ne), "%T: %v", err, err)
			assert.Nil(t, n)
		} else {
			// Only the genuine callback can pass: anything else would be a
			// forgery of a platform signature.
			assert.Equal(t, validBody, body)
			assert.NotEmpty(t, n.Plaintext)
		}

		w := httptest.NewRecorder()
		h.ServeHTTP(w, build())
		if err != nil {
			assert.Equal(t, http.StatusUnauthorized, w.Code)
		} else {
			assert.Equal(t, http.StatusNoContent, w.Code)
		}
	})
}
