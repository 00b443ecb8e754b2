package mock_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/identity"
)

// sandboxCall sends a sandbox request with an optional bearer token.
func sandboxCall(t testing.TB, ts *httptest.Server, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

func TestSandbox_Merchants(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})

	status, body := sandboxCall(t, ts, "POST", "/sandbox/merchants", "", map[string]any{"platform_mode": "public_key", "notify_url": "http://127.0.0.1:9/notify"})
	require.Equal(t, http.StatusCreated, status, string(body))
	var m mock.Merchant
	require.NoError(t, json.Unmarshal(body, &m))
	assert.Regexp(t, `^[1-9][0-9]{9}$`, m.MchID)
	assert.Len(t, m.APIv3Key, 32)
	assert.Regexp(t, `^[0-9A-F]{40}$`, m.SerialNo)
	assert.Contains(t, m.PrivateKeyPEM, "-----BEGIN PRIVATE KEY-----", "a generated key is handed out as PKCS#8")
	assert.Equal(t, "public_key", m.PlatformMode)
	assert.Equal(t, int64(mock.DefaultRiskFundCap), m.RiskFundCap)
	require.Len(t, m.AppIDs, 1)
	require.Len(t, m.ServiceIDs, 1)
	cert, err := protocol.ParseCertificate([]byte(m.CertificatePEM))
	require.NoError(t, err)
	assert.Equal(t, m.SerialNo, protocol.SerialNumber(cert))
	assert.Equal(t, m.MchID, cert.Subject.CommonName)

	// The new merchant can call the API at once with what it was given.
	k := keyOf(t, m)
	resp, rb := k.call(t, ts, "GET", "/v3/certificates", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a public-key merchant has no platform certificate")
	assert.Equal(t, "RESOURCE_NOT_EXISTS", decodeError(t, rb).Code)
	assert.Equal(t, srv.Platform().PublicKeyID, verifyResponse(t, srv.Platform(), resp, rb))

	status, body = sandboxCall(t, ts, "GET", "/sandbox/merchants/"+m.MchID, "", nil)
	require.Equal(t, http.StatusOK, status)
	var got mock.Merchant
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, m, got)

	status, body = sandboxCall(t, ts, "GET", "/sandbox/merchants", "", nil)
	require.Equal(t, http.StatusOK, status)
	var list []mock.Merchant
	require.NoError(t, json.Unmarshal(body, &list))
	require.Len(t, list, 2)
	assert.ElementsMatch(t, []string{"1230000109", m.MchID}, []string{list[0].MchID, list[1].MchID})

	status, body = sandboxCall(t, ts, "POST", "/sandbox/merchants", "", map[string]any{"mchid": m.MchID})
	assert.Equal(t, http.StatusConflict, status, string(body))

	status, _ = sandboxCall(t, ts, "DELETE", "/sandbox/merchants/"+m.MchID, "", nil)
	assert.Equal(t, http.StatusNoContent, status)
	status, body = sandboxCall(t, ts, "GET", "/sandbox/merchants/"+m.MchID, "", nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "NOT_FOUND", decodeError(t, body).Code)
	resp, rb = k.call(t, ts, "GET", "/v3/certificates", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a removed merchant is unknown")
	assert.Equal(t, "mchid", decodeError(t, rb).Detail["field"])
	status, _ = sandboxCall(t, ts, "DELETE", "/sandbox/merchants/"+m.MchID, "", nil)
	assert.Equal(t, http.StatusNotFound, status)
}

func TestSandbox_CreateMerchantSpecs(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	def, err := srv.Merchant("1230000109")
	require.NoError(t, err)
	pub, err := protocol.ParseCertificate([]byte(def.CertificatePEM))
	require.NoError(t, err)
	pubPEM, err := protocol.EncodePublicKey(pub.PublicKey.(*rsa.PublicKey))
	require.NoError(t, err)
	other, err := identity.NewKey()
	require.NoError(t, err)
	otherKey, err := protocol.EncodePrivateKey(other)
	require.NoError(t, err)
	otherKeyPEM := string(otherKey)

	tests := []struct {
		name   string
		spec   map[string]any
		status int
		field  string
	}{
		{"everything given", map[string]any{"mchid": "1900000109", "apiv3_key": strings.Repeat("k", 32), "appids": []string{"wx1", "wx2"}, "service_ids": []string{"s1"}, "risk_fund_cap": 5000}, 201, ""},
		{"own certificate without key", map[string]any{"mchid": "1900000110", "certificate_pem": def.CertificatePEM}, 201, ""},
		{"own certificate with matching serial", map[string]any{"mchid": "1900000111", "certificate_pem": def.CertificatePEM, "serial_no": strings.ToLower(def.SerialNo)}, 201, ""},
		{"own private key is certified", map[string]any{"mchid": "1900000112", "private_key_pem": def.PrivateKeyPEM}, 201, ""},
		{"bare public key with serial", map[string]any{"mchid": "1900000113", "public_key_pem": string(pubPEM), "serial_no": "ABC123"}, 201, ""},
		{"bare public key without serial", map[string]any{"public_key_pem": string(pubPEM)}, 400, "serial_no"},
		{"serial not the certificate's", map[string]any{"certificate_pem": def.CertificatePEM, "serial_no": "ABC"}, 400, "serial_no"},
		{"short APIv3 key", map[string]any{"apiv3_key": "0123456789abcdef"}, 400, "apiv3_key"},
		{"non-numeric mchid", map[string]any{"mchid": "abc"}, 400, "mchid"},
		{"bad platform mode", map[string]any{"platform_mode": "sm2"}, 400, "platform_mode"},
		{"negative cap", map[string]any{"risk_fund_cap": -1}, 400, "risk_fund_cap"},
		{"notify_url with query", map[string]any{"notify_url": "https://example.com/n?a=1"}, 400, "notify_url"},
		{"notify_url not absolute", map[string]any{"notify_url": "/notify"}, 400, "notify_url"},
		{"garbage certificate", map[string]any{"certificate_pem": "nope"}, 400, "certificate_pem"},
		{"key not matching certificate", map[string]any{"certificate_pem": def.CertificatePEM, "private_key_pem": otherKeyPEM}, 400, "private_key_pem"},
		{"unknown field", map[string]any{"mch_id": "1"}, 400, ""},
		{"wrong type", map[string]any{"risk_fund_cap": "lots"}, 400, "risk_fund_cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := srv.Merchants()
			require.NoError(t, err)
			status, body := sandboxCall(t, ts, "POST", "/sandbox/merchants", "", tt.spec)
			require.Equal(t, tt.status, status, string(body))
			if status != http.StatusCreated {
				e := decodeError(t, body)
				assert.Equal(t, "PARAM_ERROR", e.Code)
				if tt.field != "" {
					assert.Equal(t, tt.field, e.Detail["field"], string(body))
				}
				after, err := srv.Merchants()
				require.NoError(t, err)
				assert.Equal(t, before, after, "a refused spec registers nothing")
				return
			}
			var m mock.Merchant
			require.NoError(t, json.Unmarshal(body, &m))
			assert.Equal(t, tt.spec["mchid"], m.MchID)
			if _, ok := tt.spec["private_key_pem"]; !ok {
				if _, own := tt.spec["certificate_pem"]; own {
					assert.Empty(t, m.PrivateKeyPEM, "mockpay does not hold a key it was not given")
				}
			}
		})
	}
}

func TestSandbox_Token(t *testing.T) {
	_, ts := mock.NewTestServer(t, mock.Options{SandboxToken: "s3cret"})
	tests := []struct {
		path, token string
		status      int
	}{
		{"/sandbox/health", "", http.StatusOK},
		{"/sandbox/platform", "", http.StatusUnauthorized},
		{"/sandbox/platform", "wrong", http.StatusUnauthorized},
		{"/sandbox/platform", "s3cret", http.StatusOK},
		{"/sandbox/merchants", "", http.StatusUnauthorized},
		{"/sandbox/merchants", "s3cret", http.StatusOK},
		{"/sandbox/nothing", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s token=%q", tt.path, tt.token), func(t *testing.T) {
			status, body := sandboxCall(t, ts, "GET", tt.path, tt.token, nil)
			assert.Equal(t, tt.status, status, string(body))
			if status == http.StatusUnauthorized {
				assert.Equal(t, "UNAUTHORIZED", decodeError(t, body).Code)
			}
		})
	}
	status, _ := sandboxCall(t, ts, "POST", "/sandbox/merchants", "", map[string]any{})
	assert.Equal(t, http.StatusUnauthorized, status)
}

func TestSandbox_Requests(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{RequestLogSize: 3})
	me := defaultMerchant(t)
	for _, uri := range []string{"/v3/certificates", "/v3/certificates?algorithm_type=SM2", "/v3/nope", "/v3/certificates?algorithm_type=ALL"} {
		me.call(t, ts, "GET", uri, nil)
	}
	status, body := sandboxCall(t, ts, "GET", "/sandbox/requests", "", nil)
	require.Equal(t, http.StatusOK, status)
	var recs []mock.RequestRecord
	require.NoError(t, json.Unmarshal(body, &recs))
	require.Len(t, recs, 3, "the ring keeps the newest RequestLogSize calls")
	assert.Equal(t, "/v3/certificates?algorithm_type=ALL", recs[0].URL, "newest first")
	assert.Equal(t, "/v3/nope", recs[1].URL)
	assert.Equal(t, 404, recs[1].Status)
	assert.Equal(t, "NOT_FOUND", recs[1].Code)
	assert.Equal(t, mock.VerdictUnchecked, recs[1].Signature)
	assert.Equal(t, mock.VerdictValid, recs[0].Signature)
	assert.Equal(t, mock.TestStart, recs[0].Time.In(mock.TestStart.Location()), "records carry domain time")

	status, body = sandboxCall(t, ts, "GET", "/sandbox/requests?limit=1&mchid="+me.mchid, "", nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal(body, &recs))
	require.Len(t, recs, 1)
	status, body = sandboxCall(t, ts, "GET", "/sandbox/requests?mchid=1", "", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, "[]", string(body))
	status, _ = sandboxCall(t, ts, "GET", "/sandbox/requests?limit=-2", "", nil)
	assert.Equal(t, http.StatusBadRequest, status)

	assert.Len(t, srv.Requests(mock.RequestFilter{}), 3)
	status, _ = sandboxCall(t, ts, "POST", "/sandbox/reset", "", nil)
	assert.Equal(t, http.StatusNoContent, status)
	assert.Empty(t, srv.Requests(mock.RequestFilter{}))
	_, err := srv.Merchant(me.mchid)
	assert.NoError(t, err, "reset keeps merchants")
}

func TestSandbox_Clock(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	fired := make(chan time.Time, 1)
	srv.Clock().AfterFunc(30*time.Minute, "test work", func() { fired <- srv.Clock().Now() })

	status, body := sandboxCall(t, ts, "GET", "/sandbox/clock", "", nil)
	require.Equal(t, http.StatusOK, status)
	var st mock.ClockState
	require.NoError(t, json.Unmarshal(body, &st))
	assert.Equal(t, "virtual", st.Mode)
	assert.Equal(t, "2026-12-01T09:00:00+08:00", st.Now)
	require.Len(t, st.Pending, 1)
	assert.Equal(t, "test work", st.Pending[0].Label)

	tests := []struct {
		name   string
		body   any
		status int
		now    string
		fired  int
	}{
		{"duration", map[string]string{"duration": "29m"}, 200, "2026-12-01T09:29:00+08:00", 0},
		{"duration reaching work", map[string]string{"duration": "1m"}, 200, "2026-12-01T09:30:00+08:00", 1},
		{"to", map[string]string{"to": "2026-12-31T09:30:00+08:00"}, 200, "2026-12-31T09:30:00+08:00", 0},
		{"to in UTC", map[string]string{"to": "2026-12-31T02:00:00Z"}, 200, "2026-12-31T10:00:00+08:00", 0},
		{"backwards", map[string]string{"to": "2026-12-01T09:00:00+08:00"}, 400, "", 0},
		{"negative", map[string]string{"duration": "-1s"}, 400, "", 0},
		{"both", map[string]string{"duration": "1s", "to": "2027-01-01T00:00:00+08:00"}, 400, "", 0},
		{"neither", map[string]string{}, 400, "", 0},
		{"bad duration", map[string]string{"duration": "a week"}, 400, "", 0},
		{"bad time", map[string]string{"to": "tomorrow"}, 400, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := sandboxCall(t, ts, "POST", "/sandbox/clock/advance", "", tt.body)
			require.Equal(t, tt.status, status, string(body))
			if status != http.StatusOK {
				assert.Equal(t, "PARAM_ERROR", decodeError(t, body).Code)
				return
			}
			var st mock.ClockState
			require.NoError(t, json.Unmarshal(body, &st))
			assert.Equal(t, tt.now, st.Now)
			assert.Len(t, st.Fired, tt.fired)
		})
	}
	select {
	case at := <-fired:
		assert.Equal(t, mock.TestStart.Add(30*time.Minute), at, "work runs at its due time")
	default:
		t.Fatal("scheduled work did not run")
	}

	real, err := clock.NewReal(1)
	require.NoError(t, err)
	_, rts := mock.NewTestServer(t, mock.Options{Clock: real})
	status, body = sandboxCall(t, rts, "POST", "/sandbox/clock/advance", "", map[string]string{"duration": "1m"})
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, string(body), "MOCKPAY_CLOCK=virtual")
	status, body = sandboxCall(t, rts, "GET", "/sandbox/clock", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal(body, &st))
	assert.Equal(t, "real", st.Mode)
	assert.Equal(t, 1.0, st.Scale)
}

func TestSandbox_HealthAndPlatform(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	status, body := sandboxCall(t, ts, "GET", "/sandbox/health", "", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"status":"ok","version":"`+mock.Version+`","clock":"virtual"}`, string(body))

	status, body = sandboxCall(t, ts, "GET", "/sandbox/platform", "", nil)
	require.Equal(t, http.StatusOK, status)
	var p mock.PlatformInfo
	require.NoError(t, json.Unmarshal(body, &p))
	assert.Equal(t, srv.Platform(), p)
	cert, err := protocol.ParseCertificate([]byte(p.CertificatePEM))
	require.NoError(t, err)
	assert.Equal(t, p.SerialNo, protocol.SerialNumber(cert))
	_, err = protocol.ParsePublicKey([]byte(p.PublicKeyPEM))
	assert.NoError(t, err)
	assert.Regexp(t, `^PUB_KEY_ID_\d+$`, p.PublicKeyID)
}
