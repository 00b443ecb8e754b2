package client_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"

	"github.com/mockpay/mockpay/client"
)

// TestInterop_NotificationsAgreeWithSDK holds ParseNotification to the
// official SDK: what one accepts the other accepts, with the same plaintext,
// and what the SDK rejects is rejected here too. (This client is stricter in
// places the SDK is not: a missing header, a probe signature.)
func TestInterop_NotificationsAgreeWithSDK(t *testing.T) {
	f := loadFixtures(t)
	// The SDK reads the wall clock, so this test signs with it too.
	now := time.Now()
	certVerifier := verifiers.NewSHA256WithRSAVerifier(core.NewCertificateMapWithList([]*x509.Certificate{f.platformCert}))
	pubVerifier := verifiers.NewSHA256WithRSAPubkeyVerifier(f.id.PublicKeyID, *f.pubKey)

	modes := []struct {
		name   string
		sdk    auth.Verifier
		ours   client.Verifier
		signed callback
	}{
		{"platform certificate", certVerifier, client.NewCertificateVerifier(f.platformCert), callback{}},
		{"public key", pubVerifier, client.NewPublicKeyVerifier(f.id.PublicKeyID, f.pubKey), callback{key: f.pubKeyKey, serial: f.id.PublicKeyID}},
	}
	refund := "refund"
	cases := []struct {
		name   string
		edit   func(*callback)
		accept bool
	}{
		{"valid", func(*callback) {}, true},
		{"valid without signature type", func(cb *callback) { cb.sigType = "-" }, true},
		{"valid with empty associated data", func(cb *callback) { cb.sealAD = "-" }, true},
		{"stale", func(cb *callback) { cb.ts = now.Unix() - 600 }, false},
		{"bad signature", func(cb *callback) { cb.key = f.merchantKey }, false},
		{"body changed", func(cb *callback) {
			cb.afterSign = func(b []byte) []byte { return bytes.Replace(b, []byte("EV-"), []byte("EX-"), 1) }
		}, false},
		{"wrong associated data", func(cb *callback) { cb.envelopeAD = &refund }, false},
		{"tampered ciphertext", func(cb *callback) {
			cb.editEnvelope = func(env map[string]any) {
				res := env["resource"].(map[string]any)
				raw, _ := base64.StdEncoding.DecodeString(res["ciphertext"].(string))
				raw[len(raw)-1] ^= 0x80
				res["ciphertext"] = base64.StdEncoding.EncodeToString(raw)
			}
		}, false},
		{"wrong algorithm", func(cb *callback) { cb.algorithm = "AEAD_SM4_GCM" }, false},
		{"unsupported signature type", func(cb *callback) { cb.sigType = "WECHATPAY2-SM2-WITH-SM3" }, false},
	}
	for _, mode := range modes {
		sdk, err := notify.NewRSANotifyHandler(f.id.APIv3Key, mode.sdk)
		require.NoError(t, err)
		ours := newClient(t, f.defaultConfig(), client.WithVerifier(mode.ours), client.WithClock(func() time.Time { return now }))
		for _, tc := range cases {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				cb := mode.signed
				cb.ts = now.Unix()
				tc.edit(&cb)
				r := buildCallback(t, f, cb)
				body := readAll(t, r)

				n, ourErr := ours.ParseNotification(r)
				r.Body = io.NopCloser(bytes.NewReader(body))
				var content map[string]any
				sdkReq, sdkErr := sdk.ParseNotifyRequest(context.Background(), r, &content)

				if !tc.accept {
					assert.Error(t, ourErr, "mockpay accepted")
					assert.Error(t, sdkErr, "the SDK accepted")
					return
				}
				require.NoError(t, ourErr)
				require.NoError(t, sdkErr)
				assert.Equal(t, sdkReq.Resource.Plaintext, string(n.Plaintext))
				assert.Equal(t, sdkReq.ID, n.ID)
				assert.Equal(t, sdkReq.EventType, n.EventType)
				assert.Equal(t, "1234323JKHDFE1243252", content["out_order_no"])
			})
		}
	}
}
