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

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// partnerCases are the refusals every partner call with a body shares:
// the sub-merchant it acts for must be named, and bound to the service
// provider.
var partnerCases = []badCase{
	missing("/sub_mchid"),
	set("sub_mchid over 32 characters", "/sub_mchid", strings.Repeat("1", 33), "/sub_mchid"),
	{"sub_mchid not bound", func(b map[string]any) any { b["sub_mchid"] = "1999999999"; return b }, 403, "NO_AUTH", "/sub_mchid"},
}

// TestPartnerBadInput walks every partner endpoint with a body through its
// bad inputs: each is refused with the documented code naming the field,
// and changes no state.
func TestPartnerBadInput(t *testing.T) {
	f := newPartnerFixture(t)
	const openid = "oBadInput"
	f.partnerAuthorize(subA, openid)
	_, err := f.srv.AuthorizeUser("oBadSub", mock.AuthorizeRequest{MchID: f.me.mchid, SubMchID: subA.SubMchID, SubAppID: subA.SubAppIDs[0]})
	require.NoError(t, err)
	for _, o := range []struct {
		no          string
		needConfirm bool
		user        string
	}{{"PB-CREATED", true, ""}, {"PB-DOING", false, openid}, {"PB-PAYING", false, openid}} {
		status, e := f.v3("POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(subA, o.no, o.needConfirm, o.user, false), nil)
		require.Equal(t, 200, status, "%+v", e)
	}
	// subB has an order of its own, under a number subA does not use.
	status, e := f.v3("POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(subB, "PB-OTHER", true, "", false), nil)
	require.Equal(t, 200, status, "%+v", e)
	f.advance(time.Minute)
	require.NoError(t, f.srv.SetWallet(openid, mock.Wallet{Balance: new(int64)}))
	status, e = f.v3("POST", "/v3/payscore/partner/serviceorder/PB-PAYING/complete", f.partnerCompleteBody(subA, 3000), nil)
	require.Equal(t, 204, status, "%+v", e)
	f.advance(time.Minute) // the deduction fails: the wallet is empty
	// A charge to refund, from a user whose wallet is unlimited.
	f.partnerAuthorize(subA, "oBadRefund")
	status, e = f.v3("POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(subA, "PB-CHARGE", false, "oBadRefund", false), nil)
	require.Equal(t, 200, status, "%+v", e)
	f.advance(time.Minute)
	status, e = f.v3("POST", "/v3/payscore/partner/serviceorder/PB-CHARGE/complete", f.partnerCompleteBody(subA, 5000), nil)
	require.Equal(t, 204, status, "%+v", e)
	f.advance(time.Minute)
	_, charged, _ := f.partnerQuery(subA, "PB-CHARGE")
	chargeID := charged["collection"].(map[string]any)["details"].([]any)[0].(map[string]any)["transaction_id"].(string)

	items := func(amount int64) []any {
		return []any{map[string]any{"name": "里程费", "amount": amount, "description": "12公里"}}
	}
	ref := func(m map[string]any) map[string]any {
		m["service_id"], m["sub_mchid"] = f.serviceID(), subA.SubMchID
		return m
	}
	otherSubsOrder := badCase{"another sub-merchant's order", func(b map[string]any) any { b["sub_mchid"] = subB.SubMchID; return b }, 404, "ORDER_NOT_EXIST", "out_order_no"}
	otherService := badCase{"service_id of another merchant", func(b map[string]any) any { b["service_id"] = "999999"; return b }, 403, "NO_AUTH", "/service_id"}
	with := func(cases ...badCase) []badCase {
		return append(append(append([]badCase{}, partnerCases...), cases...), commonBadBodies...)
	}
	endpoints := []badEndpoint{
		{"create", "/v3/payscore/partner/serviceorder", func() map[string]any {
			return deepCopy(f.partnerCreateBody(subA, "PB-NEW", true, "", false))
		}, with(
			missing("/out_order_no"), missing("/appid"), missing("/service_id"), missing("/risk_fund"), missing("/notify_url"),
			set("appid of another merchant", "/appid", "wx0000000000000000", "/appid"), otherService,
			set("免确认 naming no user", "/need_user_confirm", false, "/openid"),
			badCase{"both openid and sub_openid", func(b map[string]any) any {
				b["openid"], b["sub_openid"], b["sub_appid"] = openid, "oBadSub", subA.SubAppIDs[0]
				return b
			}, 400, "PARAM_ERROR", "/sub_openid"},
			badCase{"sub_openid without sub_appid", func(b map[string]any) any { b["sub_openid"] = "oBadSub"; return b }, 400, "PARAM_ERROR", "/sub_appid"},
			set("sub_appid of the other sub-merchant", "/sub_appid", subB.SubAppIDs[0], "/sub_appid"),
			set("sub_appid bound to no sub-merchant", "/sub_appid", "wx0000000000000000", "/sub_appid"),
			tooLong("/sub_openid", 128),
			badCase{"免确认 for a sub_openid without authorization", func(b map[string]any) any {
				b["need_user_confirm"], b["sub_appid"], b["sub_openid"] = false, subA.SubAppIDs[0], "oNobody"
				return b
			}, 400, "INVALID_REQUEST", "/sub_openid"},
			badCase{"免确认 for a user authorised with the other sub-merchant only", func(b map[string]any) any {
				b["need_user_confirm"], b["sub_mchid"], b["openid"] = false, subB.SubMchID, openid
				return b
			}, 400, "INVALID_REQUEST", "/openid"},
		)},

		{"direct-complete", "/v3/payscore/partner/serviceorder/direct-complete", func() map[string]any {
			b := f.directCompleteBody("PB-DIRECT", openid, 0)
			delete(b, "appid")
			b["appid"], b["sub_mchid"] = f.appid(), subA.SubMchID
			return deepCopy(b)
		}, with(
			missing("/openid"), missing("/total_amount"), otherService,
			set("sub_appid of the other sub-merchant", "/sub_appid", subB.SubAppIDs[0], "/sub_appid"),
			badCase{"a user authorised with the other sub-merchant only", func(b map[string]any) any { b["sub_mchid"] = subB.SubMchID; return b }, 400, "INVALID_REQUEST", "/openid"},
		)},

		{"complete", "/v3/payscore/partner/serviceorder/PB-DOING/complete", func() map[string]any {
			return deepCopy(ref(map[string]any{
				"post_payments": items(1500), "total_amount": 1500, "time_range": map[string]any{"end_time": protocol.Format14(f.now())},
				"complete_time": f.now().In(protocol.Beijing).Format(time.RFC3339),
			}))
		}, with(
			missing("/service_id"), missing("/post_payments"), missing("/total_amount"), otherSubsOrder, otherService,
			set("total_amount not the sum", "/total_amount", 2000, "/total_amount"),
			set("complete_time not RFC 3339", "/complete_time", "20261201090000", "/complete_time"),
			set("complete_time after the call", "/complete_time", "2030-12-01T09:00:00+08:00", "/complete_time"),
		)},

		{"modify", "/v3/payscore/partner/serviceorder/PB-PAYING/modify", func() map[string]any {
			return deepCopy(ref(map[string]any{"post_payments": items(2000), "total_amount": 2000, "reason": "多收"}))
		}, with(
			missing("/post_payments"), missing("/total_amount"), missing("/reason"), otherSubsOrder,
			set("raises the amount", "/total_amount", 4000, "/total_amount"),
		)},

		{"pay", "/v3/payscore/partner/serviceorder/PB-PAYING/pay", func() map[string]any {
			return ref(map[string]any{})
		}, with(otherSubsOrder, otherService, wrongType("/service_id", true))},

		{"sync", "/v3/payscore/partner/serviceorder/PB-PAYING/sync", func() map[string]any {
			return ref(map[string]any{"type": "Order_Paid", "detail": map[string]any{"paid_time": protocol.Format14(f.now())}})
		}, with(
			missing("/service_id"), missing("/type"), missing("/detail/paid_time"), otherSubsOrder,
			set("paid_time in the future", "/detail/paid_time", "20301201090000", "/detail/paid_time"),
		)},

		{"cancel", "/v3/payscore/partner/serviceorder/PB-CREATED/cancel", func() map[string]any {
			return ref(map[string]any{"reason": "行程取消"})
		}, with(missing("/reason"), tooLong("/reason", 50), otherSubsOrder, otherService)},

		{"pre-authorize", "/v3/payscore/partner/permissions", func() map[string]any {
			return ref(map[string]any{"appid": f.appid(), "authorization_code": "PB-AUTH-NEW", "notify_url": f.rc.url()})
		}, with(
			missing("/appid"), missing("/authorization_code"), otherService,
			set("authorization_code with a space", "/authorization_code", "PB AUTH", "/authorization_code"),
			set("sub_appid of the other sub-merchant", "/sub_appid", subB.SubAppIDs[0], "/sub_appid"),
		)},

		{"terminate by authorization_code", "/v3/payscore/partner/permissions/authorization-code/AUTH" + subA.SubMchID + "oBadRefund/terminate", func() map[string]any {
			return ref(map[string]any{"reason": "用户注销"})
		}, with(
			missing("/service_id"), missing("/reason"), otherService,
			badCase{"another sub-merchant's code", func(b map[string]any) any { b["sub_mchid"] = subB.SubMchID; return b }, 404, "ORDER_NOT_EXIST", "authorization_code"},
		)},

		{"terminate by user", "/v3/payscore/partner/permissions/terminate", func() map[string]any {
			return ref(map[string]any{"appid": f.appid(), "openid": openid, "reason": "用户注销"})
		}, with(
			missing("/appid"), missing("/reason"), missing("/openid"),
			badCase{"both openid and sub_openid", func(b map[string]any) any {
				b["sub_openid"], b["sub_appid"] = "oBadSub", subA.SubAppIDs[0]
				return b
			}, 400, "PARAM_ERROR", "/sub_openid"},
			badCase{"sub_openid without sub_appid", func(b map[string]any) any { delete(b, "openid"); b["sub_openid"] = "oBadSub"; return b }, 400, "PARAM_ERROR", "/sub_appid"},
			badCase{"a user of the other sub-merchant", func(b map[string]any) any { b["sub_mchid"] = subB.SubMchID; return b }, 404, "ORDER_NOT_EXIST", "/openid"},
		)},

		{"terminate by openid, the older path", "/v3/payscore/partner/permissions/openid/" + openid + "/terminate", func() map[string]any {
			return ref(map[string]any{"appid": f.appid(), "reason": "用户注销"})
		}, with(
			missing("/appid"), missing("/reason"),
			badCase{"a user of the other sub-merchant", func(b map[string]any) any { b["sub_mchid"] = subB.SubMchID; return b }, 404, "ORDER_NOT_EXIST", "/openid"},
		)},

		{"binding application", "/v3/payscore/partner/service-account-applications", func() map[string]any {
			return ref(map[string]any{"appid": f.appid(), "out_apply_no": "PB-APPLY", "result_notify_url": f.rc.url()})
		}, with(
			missing("/appid"), missing("/service_id"), missing("/out_apply_no"), otherService,
			set("out_apply_no with a |", "/out_apply_no", "PB|APPLY", "/out_apply_no"),
			set("sub_appid of the other sub-merchant", "/sub_appid", subB.SubAppIDs[0], "/sub_appid"),
			set("result_notify_url with a query", "/result_notify_url", "https://example.com/r?x=1", "/result_notify_url"),
		)},

		{"refund", "/v3/refund/domestic/refunds", func() map[string]any {
			b := f.refundBody(chargeID, "PB-REFUND", 100, 5000)
			b["sub_mchid"] = subA.SubMchID
			return deepCopy(b)
		}, with(
			missing("/out_refund_no"), missing("/amount"),
			badCase{"the other sub-merchant's charge", func(b map[string]any) any { b["sub_mchid"] = subB.SubMchID; return b }, 404, "RESOURCE_NOT_EXISTS", "/transaction_id"},
		)},
	}

	f.runBadBodies(endpoints, f.snapshot)
}

// TestPartnerBadInput_Queries covers the partner GET endpoints' query and
// path parameters, and the refusals of a merchant calling the other
// kind's API.
func TestPartnerBadInput_Queries(t *testing.T) {
	f := newPartnerFixture(t)
	f.partnerAuthorize(subA, "oQuery")
	status, e := f.v3("POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(subA, "PQ-1", true, "", false), nil)
	require.Equal(t, 200, status, "%+v", e)
	_, created, _ := f.partnerQuery(subA, "PQ-1")
	d, err := f.srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	direct := keyOf(t, d)
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	sid, app, a, b := f.serviceID(), f.appid(), subA.SubMchID, subB.SubMchID
	code := "AUTH" + a + "oQuery"
	tests := []struct {
		name, method, uri string
		as                merchantKey
		status            int
		code              string
		field             string
	}{
		{"query without sub_mchid", "GET", "/v3/payscore/partner/serviceorder?" + q("out_order_no", "PQ-1", "service_id", sid), f.me, 400, "PARAM_ERROR", "sub_mchid"},
		{"query with an unbound sub_mchid", "GET", "/v3/payscore/partner/serviceorder?" + q("out_order_no", "PQ-1", "service_id", sid, "sub_mchid", "1999999999"), f.me, 403, "NO_AUTH", "sub_mchid"},
		{"query without service_id", "GET", "/v3/payscore/partner/serviceorder?" + q("out_order_no", "PQ-1", "sub_mchid", a), f.me, 400, "PARAM_ERROR", "service_id"},
		{"query another sub-merchant's order", "GET", "/v3/payscore/partner/serviceorder?" + q("out_order_no", "PQ-1", "service_id", sid, "sub_mchid", b), f.me, 404, "ORDER_NOT_EXIST", "out_order_no"},
		{"query another sub-merchant's query_id", "GET", "/v3/payscore/partner/serviceorder?" + q("query_id", created["order_id"].(string), "service_id", sid, "sub_mchid", b), f.me, 404, "ORDER_NOT_EXIST", "query_id"},
		{"authorization by another sub-merchant's code", "GET", "/v3/payscore/partner/permissions/authorization-code/" + code + "?" + q("service_id", sid, "sub_mchid", b), f.me, 404, "ORDER_NOT_EXIST", "authorization_code"},
		{"authorization by code without sub_mchid", "GET", "/v3/payscore/partner/permissions/authorization-code/" + code + "?" + q("service_id", sid), f.me, 400, "PARAM_ERROR", "sub_mchid"},
		{"search naming no user", "GET", "/v3/payscore/partner/permissions/search?" + q("service_id", sid, "appid", app, "sub_mchid", a), f.me, 400, "PARAM_ERROR", "openid"},
		{"search naming both", "GET", "/v3/payscore/partner/permissions/search?" + q("service_id", sid, "appid", app, "sub_mchid", a, "openid", "oQuery", "sub_openid", "x", "sub_appid", subA.SubAppIDs[0]), f.me, 400, "PARAM_ERROR", "sub_openid"},
		{"search by sub_openid without sub_appid", "GET", "/v3/payscore/partner/permissions/search?" + q("service_id", sid, "appid", app, "sub_mchid", a, "sub_openid", "x"), f.me, 400, "PARAM_ERROR", "sub_appid"},
		{"search with another sub-merchant's sub_appid", "GET", "/v3/payscore/partner/permissions/search?" + q("service_id", sid, "appid", app, "sub_mchid", a, "sub_openid", "x", "sub_appid", subB.SubAppIDs[0]), f.me, 400, "PARAM_ERROR", "sub_appid"},
		{"search without appid", "GET", "/v3/payscore/partner/permissions/search?" + q("service_id", sid, "sub_mchid", a, "openid", "oQuery"), f.me, 400, "PARAM_ERROR", "appid"},
		{"search for a user of the other sub-merchant", "GET", "/v3/payscore/partner/permissions/search?" + q("service_id", sid, "appid", app, "sub_mchid", b, "openid", "oQuery"), f.me, 404, "ORDER_NOT_EXIST", "openid"},
		{"search on the older path, unbound sub_mchid", "GET", "/v3/payscore/partner/permissions/openid/oQuery?" + q("service_id", sid, "appid", app, "sub_mchid", "1999999999"), f.me, 403, "NO_AUTH", "sub_mchid"},
		{"refund query without sub_mchid", "GET", "/v3/refund/domestic/refunds/NOPE", f.me, 400, "PARAM_ERROR", "sub_mchid"},
		{"an unknown binding application", "GET", "/v3/payscore/partner/service-account-applications/NOPE", f.me, 404, "RESOURCE_NOT_EXISTS", "out_apply_no"},
		{"a direct merchant's binding application", "GET", "/v3/payscore/partner/service-account-applications/NOPE", direct, 403, "NO_AUTH", "mchid"},
		{"a binding application numbered with a |", "GET", "/v3/payscore/partner/service-account-applications/A%7CB", f.me, 400, "PARAM_ERROR", "out_apply_no"},
		{"user-service-state with an unbound sub_mchid", "GET", "/v3/payscore/user-service-state?" + q("service_id", sid, "appid", app, "openid", "oQuery", "sub_mchid", "1999999999"), f.me, 403, "NO_AUTH", "sub_mchid"},
		{"a service provider on the direct API", "GET", "/v3/payscore/serviceorder?" + q("out_order_no", "PQ-1", "service_id", sid, "appid", app, "sub_mchid", a), f.me, 400, "PARAM_ERROR", "sub_mchid"},
		{"a service provider creating on the direct API", "POST", "/v3/payscore/serviceorder", f.me, 400, "PARAM_ERROR", "/sub_mchid"},
		{"a direct merchant on the partner API", "GET", "/v3/payscore/partner/serviceorder?" + q("out_order_no", "PQ-1", "service_id", sid, "sub_mchid", a), direct, 403, "NO_AUTH", "mchid"},
		{"a direct merchant creating on the partner API", "POST", "/v3/payscore/partner/serviceorder", direct, 403, "NO_AUTH", "mchid"},
		{"a direct merchant naming a sub-merchant on a refund", "GET", "/v3/refund/domestic/refunds/NOPE?" + q("sub_mchid", a), direct, 403, "NO_AUTH", "sub_mchid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			before := f.snapshot()
			var body []byte
			if tt.method == "POST" {
				body, err = json.Marshal(f.partnerCreateBody(subA, "PQ-NEW", true, "", false))
				require.NoError(t, err)
			}
			resp, raw := send(t, tt.as.request(t, f.ts, tt.method, tt.uri, body))
			verifyResponse(t, f.srv.Platform(), resp, raw)
			require.Equal(t, tt.status, resp.StatusCode, string(raw))
			e := decodeError(t, raw)
			assert.Equal(t, tt.code, e.Code, string(raw))
			require.NotNil(t, e.Detail, string(raw))
			assert.Equal(t, tt.field, e.Detail["field"], string(raw))
			assert.Equal(t, before, f.snapshot())
		})
	}
	assert.Equal(t, http.StatusOK, func() int { s, _, _ := f.partnerQuery(subA, "PQ-1"); return s }(), "the order itself is there")
}
