package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
)

// TestClient_TamperedAnswers changes signed answers of the mock in transit;
// every change must turn into a *VerificationError of the right kind, both
// through the generic request path and through the certificate download
// (which verifies with the certificates it carries).
func TestClient_TamperedAnswers(t *testing.T) {
	f := loadFixtures(t)
	sb := newMockServer(t)
	now := time.Now()
	platformSerial := protocol.SerialNumber(f.platformCert)

	tests := []struct {
		name    string
		mutate  func(t *testing.T, h http.Header, body []byte) []byte
		wantErr error
		reason  string
	}{
		{
			name:    "body changed",
			mutate:  func(_ *testing.T, _ http.Header, body []byte) []byte { return append(body, ' ') },
			wantErr: client.ErrSignatureMismatch,
		},
		{
			name: "ciphertext changed",
			mutate: func(_ *testing.T, _ http.Header, body []byte) []byte {
				i := bytes.Index(body, []byte(`"ciphertext":"`)) + len(`"ciphertext":"`)
				out := bytes.Clone(body)
				out[i] ^= 'A' ^ 'B' // still Base64, no longer the sealed bytes
				if out[i] == body[i] {
					out[i] = 'C'
				}
				return out
			},
			wantErr: client.ErrSignatureMismatch,
		},
		{
			name:    "missing Wechatpay-Timestamp",
			mutate:  deleteHeader(protocol.HeaderTimestamp),
			wantErr: client.ErrMissingHeader, reason: protocol.HeaderTimestamp,
		},
		{
			name:    "missing Wechatpay-Nonce",
			mutate:  deleteHeader(protocol.HeaderNonce),
			wantErr: client.ErrMissingHeader, reason: protocol.HeaderNonce,
		},
		{
			name:    "missing Wechatpay-Serial",
			mutate:  deleteHeader(protocol.HeaderSerial),
			wantErr: client.ErrMissingHeader, reason: protocol.HeaderSerial,
		},
		{
			name:    "missing Wechatpay-Signature",
			mutate:  deleteHeader(protocol.HeaderSignature),
			wantErr: client.ErrMissingHeader, reason: protocol.HeaderSignature,
		},
		{
			name: "timestamp not a number",
			mutate: func(_ *testing.T, h http.Header, body []byte) []byte {
				h.Set(protocol.HeaderTimestamp, "1700000000000.5")
				return body
			},
			wantErr: client.ErrInvalidHeader,
		},
		{
			name: "stale timestamp, validly signed",
			mutate: func(t *testing.T, h http.Header, body []byte) []byte {
				resign(t, h, body, f.platformKey, platformSerial, now.Unix()-300)
				return body
			},
			wantErr: client.ErrStaleTimestamp,
		},
		{
			name: "future timestamp, validly signed",
			mutate: func(t *testing.T, h http.Header, body []byte) []byte {
				resign(t, h, body, f.platformKey, platformSerial, now.Unix()+300)
				return body
			},
			wantErr: client.ErrStaleTimestamp,
		},
		{
			name: "SIGNTEST probe",
			mutate: func(_ *testing.T, h http.Header, body []byte) []byte {
				h.Set(protocol.HeaderSignature, protocol.SignTestPrefix+h.Get(protocol.HeaderSignature))
				return body
			},
			wantErr: client.ErrSignatureProbe,
		},
		{
			name: "signature not Base64",
			mutate: func(_ *testing.T, h http.Header, body []byte) []byte {
				h.Set(protocol.HeaderSignature, "not base64!")
				return body
			},
			wantErr: client.ErrSignatureMismatch,
		},
		{
			name: "unknown serial",
			mutate: func(_ *testing.T, h http.Header, body []byte) []byte {
				h.Set(protocol.HeaderSerial, "0BADC0DE")
				return body
			},
			wantErr: client.ErrUnknownSerial,
		},
		{
			name: "signed by another key under the platform serial",
			mutate: func(t *testing.T, h http.Header, body []byte) []byte {
				resign(t, h, body, f.merchantKey, platformSerial, now.Unix())
				return body
			},
			wantErr: client.ErrSignatureMismatch,
		},
	}
	calls := []struct {
		name string
		call func(c *client.Client) error
	}{
		{"do", func(c *client.Client) error {
			_, _, err := c.DoForTest(context.Background(), http.MethodGet, "/v3/certificates", nil, nil, nil)
			return err
		}},
		{"Certificates", func(c *client.Client) error {
			_, err := c.Certificates(context.Background())
			return err
		}},
	}
	for _, tc := range tests {
		for _, call := range calls {
			t.Run(tc.name+"/"+call.name, func(t *testing.T) {
				hc := &http.Client{Transport: tamper(func(h http.Header, body []byte) []byte { return tc.mutate(t, h, body) })}
				c := newClient(t, f.defaultConfig(), client.WithBaseURL(sb.url), client.WithHTTPClient(hc),
					client.WithClock(func() time.Time { return now }),
					client.WithVerifier(client.NewCertificateVerifier(f.platformCert)))
				err := call.call(c)
				require.Error(t, err)
				var ve *client.VerificationError
				require.True(t, errors.As(err, &ve), "want a *VerificationError, got %T: %v", err, err)
				assert.ErrorIs(t, err, tc.wantErr)
				assert.NotEmpty(t, ve.RequestID, "the Request-Id is kept for support")
				assert.Contains(t, ve.Reason, tc.reason)
				assert.Contains(t, err.Error(), "GET /v3/certificates: wechatpay: response verification failed (request-id "+ve.RequestID)
			})
		}
	}

	t.Run("299 s old is still fresh", func(t *testing.T) {
		hc := &http.Client{Transport: tamper(func(h http.Header, body []byte) []byte {
			resign(t, h, body, f.platformKey, platformSerial, now.Unix()-299)
			return body
		})}
		c := newClient(t, f.defaultConfig(), client.WithBaseURL(sb.url), client.WithHTTPClient(hc),
			client.WithClock(func() time.Time { return now }),
			client.WithVerifier(client.NewCertificateVerifier(f.platformCert)))
		_, err := c.Certificates(context.Background())
		assert.NoError(t, err)
	})
}

func deleteHeader(name string) func(*testing.T, http.Header, []byte) []byte {
	return func(_ *testing.T, h http.Header, body []byte) []byte {
		h.Del(name)
		return body
	}
}

func TestVerifiers(t *testing.T) {
	f := loadFixtures(t)
	ctx := context.Background()
	msg := []byte("1700000000\nnonce\n{}\n")
	certSig := mustSign(t, f, msg)
	pubSig, err := protocol.Sign(f.pubKeyKey, msg)
	require.NoError(t, err)
	platformSerial := protocol.SerialNumber(f.platformCert)
	const keyID = "PUB_KEY_ID_0114232134912410000000000000"

	certs := client.NewCertificateVerifier(nil, f.platformCert)
	pub := client.NewPublicKeyVerifier(keyID, f.pubKey)
	multi := client.NewMultiVerifier(pub, nil, certs)

	tests := []struct {
		name     string
		v        client.Verifier
		serial   string
		sig      string
		wantErr  error
		contains string
	}{
		{name: "certificate", v: certs, serial: platformSerial, sig: certSig},
		{name: "certificate, wrong signature", v: certs, serial: platformSerial, sig: pubSig, wantErr: client.ErrSignatureMismatch},
		{name: "certificate, unknown serial", v: certs, serial: keyID, sig: pubSig, wantErr: client.ErrUnknownSerial, contains: platformSerial},
		{name: "certificate, probe", v: certs, serial: platformSerial, sig: protocol.SignTestPrefix + certSig, wantErr: client.ErrSignatureProbe},
		{name: "public key", v: pub, serial: keyID, sig: pubSig},
		{name: "public key, certificate serial", v: pub, serial: platformSerial, sig: certSig, wantErr: client.ErrUnknownSerial},
		{name: "public key, wrong signature", v: pub, serial: keyID, sig: certSig, wantErr: client.ErrSignatureMismatch},
		{name: "multi, public key", v: multi, serial: keyID, sig: pubSig},
		{name: "multi, certificate", v: multi, serial: platformSerial, sig: certSig},
		{name: "multi, known serial decides", v: multi, serial: keyID, sig: certSig, wantErr: client.ErrSignatureMismatch},
		{name: "multi, nobody knows", v: multi, serial: "0BADC0DE", sig: certSig, wantErr: client.ErrUnknownSerial},
		{name: "empty multi", v: client.NewMultiVerifier(), serial: keyID, sig: pubSig, wantErr: client.ErrUnknownSerial},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.v.Verify(ctx, tc.serial, msg, tc.sig)
			if tc.wantErr == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.wantErr)
			assert.Contains(t, err.Error(), tc.contains)
		})
	}

	t.Run("preferred serials", func(t *testing.T) {
		for _, tc := range []struct {
			v    client.Verifier
			want string
		}{
			{certs, platformSerial},
			{pub, keyID},
			{multi, keyID},
			{client.NewMultiVerifier(client.NewCertificateVerifier(), certs), platformSerial},
			{client.NewCertificateVerifier(), ""},
		} {
			got, err := tc.v.Serial(ctx)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		}
	})

	t.Run("newest certificate is preferred", func(t *testing.T) {
		older, newer := *f.platformCert, *f.merchantCert
		older.NotBefore = newer.NotBefore.Add(-time.Hour)
		v := client.NewCertificateVerifier(&newer, &older)
		got, err := v.Serial(ctx)
		require.NoError(t, err)
		assert.Equal(t, protocol.SerialNumber(&newer), got)
		assert.Equal(t, protocol.SerialNumber(&newer), protocol.SerialNumber(v.Certificates()[0]))
	})
}
