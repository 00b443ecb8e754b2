package mock_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/identity"
)

// TestAuthenticate_Rejections walks every way a request can fail
// authentication: each answers with the status, code and a detail that names
// the cause, is signed, and changes no state.
func TestAuthenticate_Rejections(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	me := defaultMerchant(t)
	other, err := identity.NewKey()
	require.NoError(t, err)

	// A create request: if authentication let any of these through, an order
	// would exist afterwards.
	const uri = "/v3/payscore/serviceorder"
	body := []byte(`{"out_order_no":"AUTH-1","appid":"wxd678efh567hg6787","service_id":"500001","service_introduction":"网约车",` +
		`"time_range":{"start_time":"` + protocol.Format14(mock.TestStart) + `"},"risk_fund":{"name":"ESTIMATE_ORDER_COST","amount":100},` +
		`"notify_url":"https://example.com/notify"}`)
	now := time.Now().Unix()
	// with returns a correctly signed request, then lets the case break it.
	type breaker func(t *testing.T, r *http.Request)
	resign := func(k merchantKey, method, signedURI string, body []byte, at int64) breaker {
		return func(t *testing.T, r *http.Request) {
			r.Header.Set("Authorization", k.authorization(t, method, signedURI, body, at))
		}
	}
	replaceAuth := func(old, new string) breaker {
		return func(t *testing.T, r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
		}
	}
	tests := []struct {
		name       string
		uri        string // sent; default uri
		brk        breaker
		status     int
		code       string
		field      string
		wantIssue  string // substring of detail.issue or detail.detail.issue
		signedInfo bool   // detail.sign_information present
	}{
		{"missing Accept", "", func(t *testing.T, r *http.Request) { r.Header.Del("Accept") }, 400, "INVALID_REQUEST", "Accept", "required", false},
		{"missing User-Agent", "", func(t *testing.T, r *http.Request) { r.Header.Set("User-Agent", "") /* Go sends no header then */ }, 400, "INVALID_REQUEST", "User-Agent", "required", false},
		{"missing Authorization", "", func(t *testing.T, r *http.Request) { r.Header.Del("Authorization") }, 400, "INVALID_REQUEST", "schema", "empty", false},
		{"wrong scheme", "", replaceAuth("WECHATPAY2-SHA256-RSA2048", "WECHATPAY2-SM2-WITH-SM3"), 400, "INVALID_REQUEST", "schema", "scheme", false},
		{"missing item", "", func(t *testing.T, r *http.Request) {
			a, _ := protocol.ParseAuthorization(r.Header.Get("Authorization"))
			r.Header.Set("Authorization", strings.Replace(a.String(), `,signature="`+a.Signature+`"`, "", 1))
		}, 400, "INVALID_REQUEST", "signature", "missing", false},
		{"unknown mchid", "", replaceAuth(`mchid="`+me.mchid+`"`, `mchid="1900000001"`), 401, "SIGN_ERROR", "mchid", "not registered", true},
		{"unknown serial", "", replaceAuth(me.serial, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"), 401, "SIGN_ERROR", "serial_no", "is not the API certificate", true},
		{"signed by another key", "", resign(merchantKey{mchid: me.mchid, serial: me.serial, key: other}, "POST", uri, body, now), 401, "SIGN_ERROR", "signature", "sign not match", true},
		{"tampered body", "", resign(me, "POST", uri, append(body[:len(body)-1:len(body)-1], ` ,"attach":"x"}`...), now), 401, "SIGN_ERROR", "signature", "sign not match", true},
		{"body signed without the bytes sent", "", resign(me, "POST", uri, nil, now), 401, "SIGN_ERROR", "signature", "sign not match", true},
		{"tampered path", "", resign(me, "POST", "/v3/payscore/serviceOrder", body, now), 401, "SIGN_ERROR", "signature", "sign not match", true},
		{"tampered query", uri + "?debug=1", resign(me, "POST", uri, body, now), 401, "SIGN_ERROR", "signature", "sign not match", true},
		{"tampered method", "", resign(me, "PUT", uri, body, now), 401, "SIGN_ERROR", "signature", "sign not match", true},
		{"timestamp 6 minutes old", "", resign(me, "POST", uri, body, now-360), 401, "SIGN_ERROR", "timestamp", "behind the server's clock; at most 5m0s", true},
		{"timestamp 6 minutes ahead", "", resign(me, "POST", uri, body, now+360), 401, "SIGN_ERROR", "timestamp", "ahead of the server's clock; at most 5m0s", true},
		{"timestamp in milliseconds", "", resign(me, "POST", uri, body, now*1000), 401, "SIGN_ERROR", "timestamp", "days ahead of the server's clock; at most 5m0s is allowed; it looks like milliseconds", true},
		{"signature not base64", "", func(t *testing.T, r *http.Request) {
			a, _ := protocol.ParseAuthorization(r.Header.Get("Authorization"))
			a.Signature = "not*base64"
			r.Header.Set("Authorization", a.String())
		}, 401, "SIGN_ERROR", "signature", "Base64", true},
		{"signature probe", "", func(t *testing.T, r *http.Request) {
			a, _ := protocol.ParseAuthorization(r.Header.Get("Authorization"))
			a.Signature = protocol.SignTestPrefix + a.Signature
			r.Header.Set("Authorization", a.String())
		}, 401, "SIGN_ERROR", "signature", "SIGNTEST", true},
	}
	before, err := srv.Merchants()
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent := uri
			if tt.uri != "" {
				sent = tt.uri
			}
			req := me.request(t, ts, "POST", sent, body)
			tt.brk(t, req)
			resp, raw := send(t, req)
			assert.Equal(t, tt.status, resp.StatusCode, string(raw))
			verifyResponse(t, srv.Platform(), resp, raw)
			e := decodeError(t, raw)
			assert.Equal(t, tt.code, e.Code)
			assert.NotEmpty(t, e.Message)
			require.NotNil(t, e.Detail, string(raw))
			assert.Equal(t, tt.field, e.Detail["field"])
			issue, _ := e.Detail["issue"].(string)
			if inner, ok := e.Detail["detail"].(map[string]any); ok {
				issue, _ = inner["issue"].(string)
			}
			assert.Contains(t, issue, tt.wantIssue)
			if tt.signedInfo {
				assert.Equal(t, "authorization", e.Detail["location"])
				si, ok := e.Detail["sign_information"].(map[string]any)
				require.True(t, ok, "a SIGN_ERROR shows what was verified: %s", raw)
				a, err := protocol.ParseAuthorization(req.Header.Get("Authorization"))
				require.NoError(t, err)
				want := string(protocol.RequestMessage("POST", sent, a.Timestamp, a.NonceStr, body))
				assert.Equal(t, want, si["truncated_sign_message"], "the message the mock verified")
				assert.Equal(t, float64(len(want)), si["sign_message_length"])
				assert.Equal(t, sent, si["url"])
			}
			recs := srv.Requests(mock.RequestFilter{Limit: 1})
			require.Len(t, recs, 1)
			assert.Equal(t, resp.Header.Get("Request-Id"), recs[0].RequestID)
			assert.Equal(t, tt.code, recs[0].Code)
			assert.NotEqual(t, mock.VerdictValid, recs[0].Signature)
			if tt.status == 401 && tt.field != "mchid" && tt.field != "serial_no" {
				assert.Equal(t, mock.VerdictInvalid, recs[0].Signature)
				assert.NotEmpty(t, recs[0].Verified, "a failed signature keeps the verified message")
			}
		})
	}
	after, err := srv.Merchants()
	require.NoError(t, err)
	assert.Equal(t, before, after, "rejected requests change no state")
	orders, err := srv.Orders(mock.OrderFilter{})
	require.NoError(t, err)
	assert.Empty(t, orders, "no rejected create made an order")

	// The same request, signed correctly, does.
	resp, raw := send(t, me.request(t, ts, "POST", uri, body))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	orders, err = srv.Orders(mock.OrderFilter{})
	require.NoError(t, err)
	assert.Len(t, orders, 1)
}

func TestAuthenticate_Accepts(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	me := defaultMerchant(t)
	tests := []struct {
		name string
		uri  string
		brk  func(r *http.Request)
	}{
		{"plain", "/v3/certificates", nil},
		{"query signed as sent", "/v3/certificates?algorithm_type=RSA", nil},
		{"empty query signed as sent", "/v3/certificates?", nil},
		{"empty query signed without its ?, as gopay signs it", "/v3/certificates?", func(r *http.Request) {
			r.Header.Set("Authorization", me.authorization(t, "GET", "/v3/certificates", nil, time.Now().Unix()))
		}},
		{"Accept */* as wechatpay-go sends", "/v3/certificates", func(r *http.Request) { r.Header.Set("Accept", "*/*") }},
		{"timestamp 4 minutes old", "/v3/certificates", func(r *http.Request) {
			r.Header.Set("Authorization", me.authorization(t, "GET", "/v3/certificates", nil, time.Now().Add(-4*time.Minute).Unix()))
		}},
		{"items in another order with spaces", "/v3/certificates", func(r *http.Request) {
			a, _ := protocol.ParseAuthorization(r.Header.Get("Authorization"))
			r.Header.Set("Authorization", protocol.Schema+` signature="`+a.Signature+`", timestamp="`+strconv.FormatInt(a.Timestamp, 10)+`", serial_no="`+a.SerialNo+`", nonce_str="`+a.NonceStr+`", mchid="`+a.MchID+`"`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := me.request(t, ts, "GET", tt.uri, nil)
			if tt.brk != nil {
				tt.brk(req)
			}
			resp, body := send(t, req)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			verifyResponse(t, srv.Platform(), resp, body)
			recs := srv.Requests(mock.RequestFilter{Limit: 1})
			require.Len(t, recs, 1)
			assert.Equal(t, mock.VerdictValid, recs[0].Signature)
			assert.Equal(t, me.mchid, recs[0].MchID)
		})
	}
}

func TestUnknownPathAndMethod(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	me := defaultMerchant(t)
	tests := []struct {
		method, uri string
		status      int
		code        string
	}{
		{"GET", "/v3/payscore/no-such-api", 404, "NOT_FOUND"},
		{"GET", "/v3/pay/transactions/id/4200000001", 404, "NOT_FOUND"},
		{"POST", "/v3/certificates", 405, "METHOD_NOT_ALLOWED"},
		{"DELETE", "/v3/certificates", 405, "METHOD_NOT_ALLOWED"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.uri, func(t *testing.T) {
			resp, body := send(t, me.request(t, ts, tt.method, tt.uri, nil))
			assert.Equal(t, tt.status, resp.StatusCode)
			verifyResponse(t, srv.Platform(), resp, body)
			e := decodeError(t, body)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, "url", e.Detail["field"])
			assert.Equal(t, strings.Split(tt.uri, "?")[0], e.Detail["value"])
		})
	}
	// The sandbox answers in its own shape, unsigned.
	resp, err := http.Get(ts.URL + "/sandbox/nothing")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Wechatpay-Signature"))
	var e errorBody
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	assert.Equal(t, "NOT_FOUND", e.Code)
}
