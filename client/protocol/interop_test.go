package protocol_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/credentials"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/signers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/validators"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/mockpay/mockpay/client/protocol"
)

// These tests hold the shared primitives to the official SDK, so that a bug
// shared by mockpay's client and server cannot hide.

func TestInterop_SDKSignedRequestVerifiesHere(t *testing.T) {
	key, err := protocol.ParsePrivateKey(certsFile(t, "apiclient_key.pem"))
	require.NoError(t, err)
	cert, err := protocol.ParseCertificate(certsFile(t, "apiclient_cert.pem"))
	require.NoError(t, err)
	serial := protocol.SerialNumber(cert)
	assert.Equal(t, utils.GetCertificateSerialNumber(*cert), serial, "serial formatting matches the SDK")

	cred := credentials.WechatPayCredentials{Signer: &signers.SHA256WithRSASigner{MchID: "1230000109", PrivateKey: key, CertificateSerialNo: serial}}
	for _, tc := range []struct{ method, uri, body string }{
		{"GET", "/v3/certificates", ""},
		{"GET", "/v3/payscore/serviceorder?service_id=500001&out_order_no=8416518464133&appid=wxd678efh567hg6787", ""},
		{"POST", "/v3/payscore/serviceorder", `{"out_order_no":"x","service_introduction":"某某酒店"}` + "\n"},
	} {
		header, err := cred.GenerateAuthorizationHeader(context.Background(), tc.method, tc.uri, tc.body)
		require.NoError(t, err)
		a, err := protocol.ParseAuthorization(header)
		require.NoError(t, err, header)
		assert.Equal(t, "1230000109", a.MchID)
		assert.Equal(t, serial, a.SerialNo)
		assert.Len(t, a.NonceStr, 32)
		msg := protocol.RequestMessage(tc.method, tc.uri, a.Timestamp, a.NonceStr, []byte(tc.body))
		assert.NoError(t, protocol.Verify(cert.PublicKey.(*rsa.PublicKey), msg, a.Signature), tc.uri)

		// And the header this package renders is what the SDK renders.
		assert.Equal(t, header, a.String())
	}
}

func TestInterop_ResponseSignedHereValidatesInSDK(t *testing.T) {
	platformKey, err := protocol.ParsePrivateKey(certsFile(t, "platform_key.pem"))
	require.NoError(t, err)
	platformCert, err := protocol.ParseCertificate(certsFile(t, "platform_cert.pem"))
	require.NoError(t, err)
	pubKeyKey, err := protocol.ParsePrivateKey(certsFile(t, "pub_key_private.pem"))
	require.NoError(t, err)
	pubKey, err := protocol.ParsePublicKey(certsFile(t, "pub_key.pem"))
	require.NoError(t, err)

	certValidator := validators.NewWechatPayResponseValidator(verifiers.NewSHA256WithRSAVerifier(core.NewCertificateMapWithList([]*x509.Certificate{platformCert})))
	const keyID = "PUB_KEY_ID_0114232134912410000000000000"
	pubValidator := validators.NewWechatPayResponseValidator(verifiers.NewSHA256WithRSAPubkeyVerifier(keyID, *pubKey))

	for _, body := range [][]byte{[]byte(`{"code":"SUCCESS"}`), nil, []byte("中文\n")} {
		resp := signedResponse(t, platformKey, protocol.SerialNumber(platformCert), body)
		assert.NoError(t, certValidator.Validate(context.Background(), resp), "platform certificate mode, body %q", body)
		resp = signedResponse(t, pubKeyKey, keyID, body)
		assert.NoError(t, pubValidator.Validate(context.Background(), resp), "public key mode, body %q", body)

		resp = signedResponse(t, platformKey, protocol.SerialNumber(platformCert), body)
		resp.Body = io.NopCloser(bytes.NewReader(append(body, ' ')))
		assert.Error(t, certValidator.Validate(context.Background(), resp), "the SDK must reject a changed body")
	}
}

func TestInterop_EncryptedHereDecryptsInSDK(t *testing.T) {
	nonce := protocol.NewNonce(protocol.NonceSize)
	ct, err := protocol.Encrypt([]byte(vecAPIv3Key), nonce, "certificate", certsFile(t, "platform_cert.pem"))
	require.NoError(t, err)
	plain, err := utils.DecryptAES256GCM(vecAPIv3Key, "certificate", nonce, ct)
	require.NoError(t, err)
	assert.Equal(t, string(certsFile(t, "platform_cert.pem")), plain)
}

func TestInterop_SignaturesEqualSDK(t *testing.T) {
	key, err := protocol.ParsePrivateKey(certsFile(t, "apiclient_key.pem"))
	require.NoError(t, err)
	msg := protocol.RequestMessage("GET", "/v3/certificates", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", nil)
	ours, err := protocol.Sign(key, msg)
	require.NoError(t, err)
	theirs, err := utils.SignSHA256WithRSA(string(msg), key)
	require.NoError(t, err)
	assert.Equal(t, theirs, ours, "PKCS#1 v1.5 is deterministic: both must produce the same bytes")
}

func signedResponse(t *testing.T, key *rsa.PrivateKey, serial string, body []byte) *http.Response {
	t.Helper()
	ts := time.Now().Unix()
	nonce := protocol.NewNonce(32)
	sig, err := protocol.Sign(key, protocol.ResponseMessage(ts, nonce, body))
	require.NoError(t, err)
	h := http.Header{}
	h.Set(protocol.HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(protocol.HeaderNonce, nonce)
	h.Set(protocol.HeaderSerial, serial)
	h.Set(protocol.HeaderSignature, sig)
	h.Set(protocol.HeaderRequestID, "interop")
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(body))}
}
