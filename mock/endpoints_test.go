package mock_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/scenario"
)

// concrete fills an endpoint path's variables with sample values.
var concrete = strings.NewReplacer("{out_order_no}", "ALIAS-1", "{openid}", "oAlias", "{service_id}", "500001",
	"{authorization_code}", "ACALIAS", "{out_refund_no}", "RFALIAS", "{out_apply_no}", "APALIAS").Replace

// Every endpoint answers on its alias exactly as on its own path: the same
// status, code and message, and never the unknown-path 404.
func TestEndpoints_AliasesAnswerIdentically(t *testing.T) {
	f := newFixture(t)
	walked := 0
	for _, e := range mock.Endpoints() {
		for _, alias := range e.Aliases {
			t.Run(e.Name+" "+alias, func(t *testing.T) {
				var body any
				if e.Method == "POST" {
					body = map[string]any{}
				}
				resp, raw := f.me.call(t, f.ts, e.Method, concrete(e.Path), body)
				aresp, araw := f.me.call(t, f.ts, e.Method, concrete(alias), body)
				verifyResponse(t, f.srv.Platform(), aresp, araw)
				assert.Equal(t, resp.StatusCode, aresp.StatusCode)
				if resp.StatusCode >= 400 {
					want, got := decodeError(t, raw), decodeError(t, araw)
					assert.Equal(t, want.Code, got.Code)
					assert.Equal(t, want.Message, got.Message)
					assert.NotEqual(t, "url", got.Detail["field"], "the alias is routed, not the unknown-path 404")
				}
				// The request log shows the path as sent.
				reqs := f.srv.Requests(mock.RequestFilter{MchID: f.m.MchID, Limit: 1})
				require.Len(t, reqs, 1)
				assert.True(t, strings.HasPrefix(reqs[0].URL, concrete(alias)), reqs[0].URL)
			})
			walked++
		}
	}
	assert.Equal(t, 39, walked, "every /v3/payscore endpoint has its alias, the older partner permission paths theirs")
}

// A whole ride through the paths without /v3: the same handlers, the same
// scenarios, the same order timeline.
func TestEndpoints_AliasFlow(t *testing.T) {
	f := newFixture(t)
	f.authorize("oAliasRide")
	status, e := f.v3("POST", "/payscore/serviceorder", f.createBody("ALIAS-RIDE", false, "oAliasRide"), nil)
	require.Equal(t, http.StatusOK, status, "%+v", e)

	_, err := f.srv.LoadScenarios("alias.yaml", []byte("name: alias-fault\ndescription: d\nmatch: {endpoint: serviceorder.query, nth: 1}\napi: {status: 500}\n"),
		scenario.Scope{MchID: f.m.MchID})
	require.NoError(t, err)
	q := url.Values{"out_order_no": {"ALIAS-RIDE"}, "service_id": {f.serviceID()}, "appid": {f.appid()}}
	status, e = f.v3("GET", "/payscore/serviceorder?"+q.Encode(), nil, nil)
	assert.Equal(t, http.StatusInternalServerError, status, "a scenario on serviceorder.query applies to its alias")
	assert.Equal(t, "SYSTEM_ERROR", e.Code)

	f.advance(time.Minute)
	status, e = f.v3("POST", "/payscore/serviceorder/ALIAS-RIDE/complete", f.completeBody(1800), nil)
	require.Equal(t, http.StatusOK, status, "%+v", e)
	f.advance(time.Minute)
	assert.Equal(t, "DONE", f.query("ALIAS-RIDE").State)

	o, err := f.srv.Order(f.m.MchID, "", "ALIAS-RIDE")
	require.NoError(t, err)
	var calls []string
	for _, te := range o.Timeline {
		if te.Type == "api" {
			calls = append(calls, strings.Fields(te.Summary)[1])
		}
	}
	assert.Equal(t, []string{"/payscore/serviceorder", "/payscore/serviceorder?" + q.Encode(),
		"/payscore/serviceorder/ALIAS-RIDE/complete", "/v3/payscore/serviceorder?" + q.Encode()}, calls)
}

// Refund calls show on the timeline of the order whose charge they refund.
func TestEndpoints_RefundsOnOrderTimeline(t *testing.T) {
	f := newFixture(t)
	f.authorize("oRefundLink")
	txID := f.paidServiceOrder("REFUNDED", "oRefundLink", 1800)
	status, e := f.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(txID, "RF-LINK", 800, 1800), nil)
	require.Equal(t, http.StatusOK, status, "%+v", e)
	status, e = f.v3("GET", "/v3/refund/domestic/refunds/RF-LINK", nil, nil)
	require.Equal(t, http.StatusOK, status, "%+v", e)

	o, err := f.srv.Order(f.m.MchID, "", "REFUNDED")
	require.NoError(t, err)
	var calls []string
	for _, te := range o.Timeline {
		if te.Type == "api" && strings.Contains(te.Summary, "/refund/") {
			calls = append(calls, strings.Join(strings.Fields(te.Summary)[:2], " "))
		}
	}
	assert.Equal(t, []string{"POST /v3/refund/domestic/refunds", "GET /v3/refund/domestic/refunds/RF-LINK"}, calls)
}

// The v3 responses carry WeChat Pay's headers: the signature type, the
// language, and a Request-ID of WeChat Pay's shape.
func TestEndpoints_ResponseHeaders(t *testing.T) {
	_, ts := mock.NewTestServer(t, mock.Options{})
	me := defaultMerchant(t)
	for _, uri := range []string{"/v3/certificates", "/v3/nowhere"} {
		resp, _ := me.call(t, ts, "GET", uri, nil)
		assert.Equal(t, "WECHATPAY2-SHA256-RSA2048", resp.Header.Get("Wechatpay-Signature-Type"), uri)
		assert.Equal(t, "zh-CN", resp.Header.Get("Content-Language"), uri)
		assert.Regexp(t, `^[0-9A-F]{40}-\d+$`, resp.Header.Get("Request-Id"), uri)
	}
}

func TestEndpoints_ListIsJSON(t *testing.T) {
	raw, err := json.Marshal(mock.Endpoints())
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"path":"/v3/payscore/serviceorder/direct-complete","aliases":["/payscore/serviceorder/direct-complete"]`)
}

// A path id is checked by the same pattern as the body field of its name,
// before anything is looked up, and the answer names it in the path.
func TestEndpoints_PathIDs(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, uri, field string
	}{
		{"out_order_no with a space", "POST", "/v3/payscore/serviceorder/A%20B/cancel", "out_order_no"},
		{"out_order_no of 33 characters", "POST", "/payscore/serviceorder/" + strings.Repeat("A", 33) + "/complete", "out_order_no"},
		{"authorization_code with a pipe", "GET", "/v3/payscore/permissions/authorization-code/A%7CB?service_id=1", "authorization_code"},
		{"out_refund_no of 65 characters", "GET", "/v3/refund/domestic/refunds/" + strings.Repeat("R", 65), "out_refund_no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.method == "POST" {
				body = map[string]any{"reason": "x"}
			}
			resp, raw := f.me.call(t, f.ts, tt.method, tt.uri, body)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(raw))
			e := decodeError(t, raw)
			assert.Equal(t, "PARAM_ERROR", e.Code)
			assert.Equal(t, tt.field, e.Detail["field"])
			assert.Equal(t, "path", e.Detail["location"])
		})
	}
}
