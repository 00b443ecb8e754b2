package mock_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/identity"
	"github.com/mockpay/mockpay/mock/internal/apierr"
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
		{"bare public key without serial", map[string]any{"public_key_pem": string(pubPEM)}, 400, "/serial_no"},
		{"serial not the certificate's", map[string]any{"certificate_pem": def.CertificatePEM, "serial_no": "ABC"}, 400, "/serial_no"},
		{"short APIv3 key", map[string]any{"apiv3_key": "0123456789abcdef"}, 400, "/apiv3_key"},
		{"non-numeric mchid", map[string]any{"mchid": "abc"}, 400, "/mchid"},
		{"bad platform mode", map[string]any{"platform_mode": "sm2"}, 400, "/platform_mode"},
		{"negative cap", map[string]any{"risk_fund_cap": -1}, 400, "/risk_fund_cap"},
		{"notify_url with query", map[string]any{"notify_url": "https://example.com/n?a=1"}, 400, "/notify_url"},
		{"notify_url not absolute", map[string]any{"notify_url": "/notify"}, 400, "/notify_url"},
		{"garbage certificate", map[string]any{"certificate_pem": "nope"}, 400, "/certificate_pem"},
		{"key not matching certificate", map[string]any{"certificate_pem": def.CertificatePEM, "private_key_pem": otherKeyPEM}, 400, "/private_key_pem"},
		{"unknown field", map[string]any{"mch_id": "1"}, 400, "/mch_id"},
		{"wrong type", map[string]any{"risk_fund_cap": "lots"}, 400, "/risk_fund_cap"},
		{"wrong type in a list", map[string]any{"appids": []any{"wx1", 2}}, 400, "/appids/1"},
		{"bad appid", map[string]any{"appids": []string{"wx1", "wx 2"}}, 400, "/appids/1"},
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
					assert.Equal(t, tt.field, e.Detail["field"], "a body field is named by its JSON Pointer: %s", body)
					assert.Equal(t, "body", e.Detail["location"])
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
	assert.Equal(t, "2026-12-01T09:00:00.000+08:00", recs[0].Time, "records carry domain time, with milliseconds in Beijing time")

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
	assert.Equal(t, "2026-12-01T09:00:00.000+08:00", st.Now)
	require.Len(t, st.Pending, 1)
	assert.Equal(t, "test work", st.Pending[0].Label)
	assert.Equal(t, "2026-12-01T09:30:00.000+08:00", st.Pending[0].At)
	assert.NotContains(t, string(body), `"fired"`, "only an advance says what fired")

	tests := []struct {
		name   string
		body   any
		status int
		now    string
		fired  int
	}{
		{"duration", map[string]string{"duration": "29m"}, 200, "2026-12-01T09:29:00.000+08:00", 0},
		{"duration reaching work", map[string]string{"duration": "1m"}, 200, "2026-12-01T09:30:00.000+08:00", 1},
		{"to", map[string]string{"to": "2026-12-31T09:30:00+08:00"}, 200, "2026-12-31T09:30:00.000+08:00", 0},
		{"to in UTC", map[string]string{"to": "2026-12-31T02:00:00Z"}, 200, "2026-12-31T10:00:00.000+08:00", 0},
		{"to with milliseconds", map[string]string{"to": "2026-12-31T10:00:00.250+08:00"}, 200, "2026-12-31T10:00:00.250+08:00", 0},
		{"sub-millisecond duration rounds up to a tick", map[string]string{"duration": "1us"}, 200, "2026-12-31T10:00:00.251+08:00", 0},
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
			require.NotNil(t, st.Fired, "fired is [] when nothing ran, never left out: %s", body)
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

// The sandbox's times have milliseconds and one offset, so a test that
// reads GET /sandbox/clock can advance by a pending event's at minus now,
// or to its at, and that event runs: even on a clock that started between
// two milliseconds (as one started at the wall clock does) with work due
// between two milliseconds.
func TestSandbox_ClockArithmetic(t *testing.T) {
	reMilli := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$`)
	tests := []struct {
		name    string
		advance func(t *testing.T, st mock.ClockState) map[string]string
	}{
		{"by at minus now", func(t *testing.T, st mock.ClockState) map[string]string {
			now, err := time.Parse(time.RFC3339, st.Now)
			require.NoError(t, err)
			at, err := time.Parse(time.RFC3339, st.Pending[0].At)
			require.NoError(t, err)
			return map[string]string{"duration": at.Sub(now).String()}
		}},
		{"to at", func(_ *testing.T, st mock.ClockState) map[string]string {
			return map[string]string{"to": st.Pending[0].At}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := mock.TestStart.Add(123*time.Millisecond + 456789*time.Nanosecond).UTC()
			srv, ts := mock.NewTestServer(t, mock.Options{Clock: clock.NewVirtual(start)})
			srv.Clock().AfterFunc(15*time.Second+400*time.Microsecond, "work", func() {})
			srv.Clock().AfterFunc(15*time.Second+2*time.Millisecond, "later work", func() {})

			status, body := sandboxCall(t, ts, "GET", "/sandbox/clock", "", nil)
			require.Equal(t, http.StatusOK, status)
			var st mock.ClockState
			require.NoError(t, json.Unmarshal(body, &st))
			assert.Equal(t, "2026-12-01T09:00:00.123+08:00", st.Now, "the clock starts at a whole millisecond")
			require.Len(t, st.Pending, 2)
			assert.Equal(t, "2026-12-01T09:00:15.124+08:00", st.Pending[0].At, "work is due at a whole millisecond, never early")
			assert.Regexp(t, reMilli, st.Pending[1].At)

			status, body = sandboxCall(t, ts, "POST", "/sandbox/clock/advance", "", tt.advance(t, st))
			require.Equal(t, http.StatusOK, status, string(body))
			require.NoError(t, json.Unmarshal(body, &st))
			require.Len(t, st.Fired, 1, "the event and nothing after it ran: %s", body)
			assert.Equal(t, "work", st.Fired[0].Label)
			assert.Equal(t, "2026-12-01T09:00:15.124+08:00", st.Fired[0].At)
			assert.Equal(t, st.Fired[0].At, st.Now, "the clock stopped at the event")
			require.Len(t, st.Pending, 1)
			assert.Equal(t, "later work", st.Pending[0].Label)

			defaultMerchant(t).call(t, ts, "GET", "/v3/certificates", nil)
			recs := srv.Requests(mock.RequestFilter{Limit: 1})
			require.Len(t, recs, 1)
			assert.Equal(t, st.Now, recs[0].Time, "the request log writes times as the clock does")
		})
	}
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

// PATCH /sandbox/merchants/{mchid} changes a merchant's settings as a JSON
// merge patch and answers with the record; the keys stay, and a refused
// patch changes nothing.
func TestSandbox_PatchMerchant(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	orig, err := srv.CreateMerchant(mock.MerchantSpec{NotifyURL: "https://example.com/notify"})
	require.NoError(t, err)

	tests := []struct {
		name   string
		body   any // raw JSON when a string
		status int
		field  string                 // detail.field of a 400
		want   func(m *mock.Merchant) // the record after the patch, from orig
	}{
		{"notify_url", map[string]any{"notify_url": "http://127.0.0.1:9/cb"}, 200, "", func(m *mock.Merchant) { m.NotifyURL = "http://127.0.0.1:9/cb" }},
		{"notify_url cleared", map[string]any{"notify_url": ""}, 200, "", func(m *mock.Merchant) { m.NotifyURL = "" }},
		{"notify_url cleared by null", `{"notify_url": null}`, 200, "", func(m *mock.Merchant) { m.NotifyURL = "" }},
		{"platform_mode", map[string]any{"platform_mode": "public_key"}, 200, "", func(m *mock.Merchant) { m.PlatformMode = "public_key" }},
		{"several at once", map[string]any{"platform_mode": "public_key", "notify_url": "https://example.com/n2", "risk_fund_cap": 5000},
			200, "", func(m *mock.Merchant) {
				m.PlatformMode, m.NotifyURL, m.RiskFundCap = "public_key", "https://example.com/n2", 5000
			}},
		{"lists", map[string]any{"appids": []string{"wxNEW", orig.AppIDs[0]}, "service_ids": []string{"S2"}}, 200, "", func(m *mock.Merchant) {
			m.AppIDs, m.ServiceIDs = []string{"wxNEW", orig.AppIDs[0]}, []string{"S2"}
		}},
		{"empty body", nil, 200, "", func(*mock.Merchant) {}},
		{"empty object", map[string]any{}, 200, "", func(*mock.Merchant) {}},

		{"notify_url with a query", map[string]any{"notify_url": "https://example.com/n?a=1"}, 400, "/notify_url", nil},
		{"notify_url not a string", map[string]any{"notify_url": 7}, 400, "/notify_url", nil},
		{"bad platform_mode", map[string]any{"platform_mode": "sm2"}, 400, "/platform_mode", nil},
		{"platform_mode removed", `{"platform_mode": null}`, 400, "/platform_mode", nil},
		{"no appids", map[string]any{"appids": []string{}}, 400, "/appids", nil},
		{"bad service_id", map[string]any{"service_ids": []string{"S1", "S 2"}}, 400, "/service_ids/1", nil},
		{"zero cap", map[string]any{"risk_fund_cap": 0}, 400, "/risk_fund_cap", nil},
		{"cap not a number", map[string]any{"risk_fund_cap": "lots"}, 400, "/risk_fund_cap", nil},
		{"mchid", map[string]any{"mchid": "1900000001"}, 400, "/mchid", nil},
		{"apiv3_key", map[string]any{"apiv3_key": strings.Repeat("k", 32)}, 400, "/apiv3_key", nil},
		{"serial_no", map[string]any{"serial_no": "ABC"}, 400, "/serial_no", nil},
		{"certificate_pem", map[string]any{"certificate_pem": orig.CertificatePEM}, 400, "/certificate_pem", nil},
		{"public_key_pem", map[string]any{"public_key_pem": "x"}, 400, "/public_key_pem", nil},
		{"private_key_pem", map[string]any{"private_key_pem": orig.PrivateKeyPEM}, 400, "/private_key_pem", nil},
		{"unknown field", map[string]any{"notify_uri": "https://example.com/n"}, 400, "/notify_uri", nil},
		{"a good field with a bad one", map[string]any{"platform_mode": "public_key", "apiv3_key": strings.Repeat("k", 32)}, 400, "/apiv3_key", nil},
		{"not an object", `["notify_url"]`, 400, "", nil},
		{"not JSON", `{notify_url`, 400, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each case starts from the merchant as registered.
			_, err := srv.UpdateMerchant(orig.MchID, mock.MerchantPatch{
				NotifyURL: &orig.NotifyURL, PlatformMode: &orig.PlatformMode, AppIDs: orig.AppIDs, ServiceIDs: orig.ServiceIDs, RiskFundCap: &orig.RiskFundCap,
			})
			require.NoError(t, err)
			status, body := patchMerchant(t, ts, orig.MchID, tt.body)
			require.Equal(t, tt.status, status, string(body))
			after, err := srv.Merchant(orig.MchID)
			require.NoError(t, err)
			if status != http.StatusOK {
				e := decodeError(t, body)
				assert.Equal(t, "PARAM_ERROR", e.Code)
				if tt.field != "" {
					require.NotNil(t, e.Detail, string(body))
					assert.Equal(t, tt.field, e.Detail["field"], "named by its JSON Pointer")
					assert.Equal(t, "body", e.Detail["location"])
				}
				assert.Equal(t, orig, after, "a refused patch changes nothing")
				return
			}
			want := orig
			want.AppIDs, want.ServiceIDs = slices.Clone(orig.AppIDs), slices.Clone(orig.ServiceIDs)
			tt.want(&want)
			var got mock.Merchant
			require.NoError(t, json.Unmarshal(body, &got))
			assert.Equal(t, want, got, "the answer is the merchant record, keys unchanged")
			assert.Equal(t, want, after, "as GET shows it")
		})
	}

	status, body := patchMerchant(t, ts, "1900000001", map[string]any{"platform_mode": "public_key"})
	assert.Equal(t, http.StatusNotFound, status)
	e := decodeError(t, body)
	assert.Equal(t, "NOT_FOUND", e.Code)
	assert.Contains(t, e.Message, "merchant 1900000001 is not registered")
}

func patchMerchant(t *testing.T, ts *httptest.Server, mchid string, body any) (int, []byte) {
	t.Helper()
	raw, ok := body.(string)
	if !ok {
		return sandboxCall(t, ts, "PATCH", "/sandbox/merchants/"+mchid, "", body)
	}
	req, err := http.NewRequest("PATCH", ts.URL+"/sandbox/merchants/"+mchid, strings.NewReader(raw))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/merge-patch+json")
	resp, out := send(t, req)
	return resp.StatusCode, out
}

// A patched merchant works under its new settings at once, with the keys
// it had: the platform signs in its new mode, and its calls still verify.
func TestUpdateMerchant_TakesEffect(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	m, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	k := keyOf(t, m)
	resp, body := k.call(t, ts, "GET", "/v3/payscore/user-service-state?openid=o1&service_id="+m.ServiceIDs[0]+"&appid="+m.AppIDs[0], nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, srv.Platform().SerialNo, verifyResponse(t, srv.Platform(), resp, body))

	mode := "public_key"
	got, err := srv.UpdateMerchant(m.MchID, mock.MerchantPatch{PlatformMode: &mode, AppIDs: []string{"wxSECOND", m.AppIDs[0]}})
	require.NoError(t, err)
	assert.Equal(t, []string{"wxSECOND", m.AppIDs[0]}, got.AppIDs)
	resp, body = k.call(t, ts, "GET", "/v3/payscore/user-service-state?openid=o1&service_id="+m.ServiceIDs[0]+"&appid=wxSECOND", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the new appid is the merchant's, and the old key still signs: %s", body)
	assert.Equal(t, srv.Platform().PublicKeyID, verifyResponse(t, srv.Platform(), resp, body), "signed with the WeChat Pay public key now")

	_, err = srv.UpdateMerchant(m.MchID, mock.MerchantPatch{ServiceIDs: []string{}})
	var ae *apierr.Error
	require.ErrorAs(t, err, &ae, "the Go twin refuses what the endpoint refuses")
	assert.Equal(t, "/service_ids", ae.Detail.Field)
	_, err = srv.UpdateMerchant("1900000001", mock.MerchantPatch{})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, apierr.NotFound, ae.Code)
}

// A sandbox body over 1 MiB is refused as too large, whatever the
// endpoint, rather than read cut short as broken JSON or YAML; one of
// exactly 1 MiB is read.
func TestSandbox_BodyTooLarge(t *testing.T) {
	_, ts := mock.NewTestServer(t, mock.Options{})
	const limit = 1 << 20
	// padded is a JSON object of exactly n bytes with one long string member.
	padded := func(n int) string {
		const head, tail = `{"notify_url":"https://example.com/`, `"}`
		return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
	}
	tests := []struct {
		method, path string
	}{
		{"POST", "/sandbox/merchants"},
		{"PATCH", "/sandbox/merchants/1230000109"},
		{"POST", "/sandbox/clock/advance"},
		{"POST", "/sandbox/users/oBig/authorize"},
		{"POST", "/sandbox/scenarios"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(padded(limit+1)))
			require.NoError(t, err)
			resp, body := send(t, req)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
			e := decodeError(t, body)
			assert.Equal(t, "INVALID_REQUEST", e.Code)
			assert.Contains(t, e.Message, "larger than 1048576 bytes")

			req, err = http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(padded(limit)))
			require.NoError(t, err)
			resp, body = send(t, req)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
			assert.NotContains(t, string(body), "larger than", "a body at the limit is read")
		})
	}
}
