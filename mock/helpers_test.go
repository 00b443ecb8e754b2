package mock_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/identity"
)

// merchantKey signs requests as one merchant, with the protocol primitives
// only, so the mock's tests do not depend on mockpay's client.
type merchantKey struct {
	mchid, serial, apiV3Key string
	key                     *rsa.PrivateKey
}

func defaultMerchant(t testing.TB) merchantKey {
	t.Helper()
	b, err := identity.Default()
	require.NoError(t, err)
	return merchantKey{mchid: b.Info.MchID, serial: protocol.SerialNumber(b.MerchantCert), apiV3Key: b.Info.APIv3Key, key: b.MerchantKey}
}

func keyOf(t testing.TB, m mock.Merchant) merchantKey {
	t.Helper()
	k, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM))
	require.NoError(t, err)
	return merchantKey{mchid: m.MchID, serial: m.SerialNo, apiV3Key: m.APIv3Key, key: k}
}

// authorization signs method, uri, body at ts.
func (k merchantKey) authorization(t testing.TB, method, uri string, body []byte, ts int64) string {
	t.Helper()
	nonce := protocol.NewNonce(32)
	sig, err := protocol.Sign(k.key, protocol.RequestMessage(method, uri, ts, nonce, body))
	require.NoError(t, err)
	return protocol.Authorization{MchID: k.mchid, NonceStr: nonce, Timestamp: ts, SerialNo: k.serial, Signature: sig}.String()
}

// request builds a correctly signed request to ts.
func (k merchantKey) request(t testing.TB, ts *httptest.Server, method, uri string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+uri, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "mockpay-test")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", k.authorization(t, method, req.URL.RequestURI(), body, time.Now().Unix()))
	return req
}

// send performs req and returns the response with its body read.
func send(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// call signs and sends a request, returning status and body.
func (k merchantKey) call(t testing.TB, ts *httptest.Server, method, uri string, body any) (*http.Response, []byte) {
	t.Helper()
	var raw []byte
	if body != nil {
		var err error
		raw, err = json.Marshal(body)
		require.NoError(t, err)
	}
	return send(t, k.request(t, ts, method, uri, raw))
}

// verifyResponse checks a response's signature with the platform identity
// its Wechatpay-Serial names, and returns that serial.
func verifyResponse(t testing.TB, p mock.PlatformInfo, resp *http.Response, body []byte) string {
	t.Helper()
	serial := resp.Header.Get("Wechatpay-Serial")
	var pub *rsa.PublicKey
	switch serial {
	case p.SerialNo:
		cert, err := protocol.ParseCertificate([]byte(p.CertificatePEM))
		require.NoError(t, err)
		pub = cert.PublicKey.(*rsa.PublicKey)
	case p.PublicKeyID:
		var err error
		pub, err = protocol.ParsePublicKey([]byte(p.PublicKeyPEM))
		require.NoError(t, err)
	default:
		t.Fatalf("response Wechatpay-Serial %q names no platform identity", serial)
	}
	tsHeader := resp.Header.Get("Wechatpay-Timestamp")
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	require.NoError(t, err, "Wechatpay-Timestamp %q", tsHeader)
	require.InDelta(t, time.Now().Unix(), ts, 5, "Wechatpay-Timestamp is wall-clock time")
	require.NotEmpty(t, resp.Header.Get("Request-Id"))
	msg := protocol.ResponseMessage(ts, resp.Header.Get("Wechatpay-Nonce"), body)
	require.NoError(t, protocol.Verify(pub, msg, resp.Header.Get("Wechatpay-Signature")), "response signature over the exact body")
	return serial
}

// errorBody is WeChat Pay's error response.
type errorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Detail  map[string]any `json:"detail"`
}

func decodeError(t testing.TB, body []byte) errorBody {
	t.Helper()
	var e errorBody
	require.NoError(t, json.Unmarshal(body, &e), "error body %s", body)
	return e
}
