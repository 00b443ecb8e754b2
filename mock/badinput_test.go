package mock_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// deepCopy copies a JSON-shaped value.
func deepCopy(v map[string]any) map[string]any {
	raw, _ := json.Marshal(v)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

// setPath sets (or, with del, removes) the value at a JSON Pointer.
func setPath(m map[string]any, ptr string, v any, del bool) {
	parts := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	var cur any = m
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if del {
					delete(c, p)
				} else {
					c[p] = v
				}
				return
			}
			cur = c[p]
		case []any:
			n, _ := strconv.Atoi(p)
			if last {
				c[n] = v
				return
			}
			cur = c[n]
		}
	}
}

// badCase is one bad input to one endpoint.
type badCase struct {
	name   string
	body   func(base map[string]any) any // a map, or []byte sent as it is
	status int
	code   string
	field  string
}

func missing(ptr string) badCase {
	return badCase{"missing " + ptr, func(b map[string]any) any { setPath(b, ptr, nil, true); return b }, 400, "PARAM_ERROR", ptr}
}

func set(name, ptr string, v any, field string) badCase {
	return badCase{name, func(b map[string]any) any { setPath(b, ptr, v, false); return b }, 400, "PARAM_ERROR", field}
}

func wrongType(ptr string, v any) badCase {
	return set(fmt.Sprintf("wrong JSON type for %s", ptr), ptr, v, ptr)
}

func tooLong(ptr string, n int) badCase {
	return set(fmt.Sprintf("%s over %d characters", ptr, n), ptr, strings.Repeat("长", n+1), ptr)
}

var commonBadBodies = []badCase{
	{"malformed JSON", func(map[string]any) any { return []byte(`{"appid": "wx`) }, 400, "PARAM_ERROR", ""},
	{"empty body", func(map[string]any) any { return []byte{} }, 400, "PARAM_ERROR", ""},
	{"JSON array", func(map[string]any) any { return []byte(`[1,2]`) }, 400, "PARAM_ERROR", ""},
}

// badEndpoint is one endpoint taking a body, with its bad inputs.
type badEndpoint struct {
	name  string
	uri   string
	base  func() map[string]any // a valid body; each case spoils a fresh one
	cases []badCase
}

// runBadBodies sends each endpoint each of its bad bodies: each is refused
// with the case's status and code naming its field, in a signed response,
// and changes no state. Then the endpoint's base body is sent and accepted,
// which shows the cases failed for their own reason.
func (f *fixture) runBadBodies(endpoints []badEndpoint, snapshot func() string) {
	t := f.t
	for _, ep := range endpoints {
		for _, bc := range ep.cases {
			t.Run(ep.name+"/"+bc.name, func(t *testing.T) {
				f.t = t
				before := snapshot()
				var raw []byte
				switch b := bc.body(ep.base()).(type) {
				case []byte:
					raw = b
				default:
					var err error
					raw, err = json.Marshal(b)
					require.NoError(t, err)
				}
				resp, body := send(t, f.me.request(t, f.ts, "POST", ep.uri, raw))
				verifyResponse(t, f.srv.Platform(), resp, body)
				require.Equal(t, bc.status, resp.StatusCode, string(body))
				e := decodeError(t, body)
				assert.Equal(t, bc.code, e.Code, string(body))
				assert.NotEmpty(t, e.Message)
				if bc.field != "" {
					require.NotNil(t, e.Detail, string(body))
					assert.Equal(t, bc.field, e.Detail["field"], string(body))
				}
				f.settle() // what a wrongly accepted call fired shows in the snapshot
				assert.Equal(t, before, snapshot(), "a rejected request changes no state")
			})
		}
		t.Run(ep.name+"/the valid base body is accepted", func(t *testing.T) {
			f.t = t
			resp, body := f.me.call(t, f.ts, "POST", ep.uri, ep.base())
			assert.Less(t, resp.StatusCode, 300, string(body))
			f.settle() // the callbacks it fired are delivered before the next snapshot
		})
	}
	f.t = t
}

// snapshot is everything a rejected request must leave untouched.
func (f *fixture) snapshot() string {
	f.t.Helper()
	orders, err := f.srv.Orders(mock.OrderFilter{MchID: f.me.mchid})
	require.NoError(f.t, err)
	ns, err := f.srv.Notifications(mock.NotificationFilter{MchID: f.me.mchid})
	require.NoError(f.t, err)
	u, err := f.srv.User("oBadInput")
	require.NoError(f.t, err)
	raw, err := json.Marshal([]any{orders, ns, u, f.ownTimelines(orders)})
	require.NoError(f.t, err)
	return string(raw)
}

// ownTimelines are the orders' timelines but for the API calls (which a
// rejected call adds to the request log, not to the order): they hold
// refunds and deductions too.
func (f *fixture) ownTimelines(orders []mock.SandboxOrder) [][]mock.TimelineEntry {
	f.t.Helper()
	var timelines [][]mock.TimelineEntry
	for _, o := range orders {
		so, err := f.srv.Order(f.me.mchid, o.SubMchID, o.OutOrderNo)
		require.NoError(f.t, err)
		var own []mock.TimelineEntry
		for _, e := range so.Timeline {
			if e.Type != "api" {
				own = append(own, e)
			}
		}
		timelines = append(timelines, own)
	}
	return timelines
}

// TestBadInput walks every endpoint with every kind of bad input: each is a
// 4xx in WeChat Pay's shape naming the field, and changes no state.
func TestBadInput(t *testing.T) {
	f := newFixture(t)
	const openid = "oBadInput"
	f.authorize(openid)
	f.mustCreate("BI-CREATED", true, "")
	f.mustCreate("BI-DOING", false, openid)
	f.mustCreate("BI-PAYING", false, openid)
	f.advance(time.Minute)
	f.mustComplete("BI-PAYING", 3000)
	require.NoError(t, f.srv.SetWallet(openid, mock.Wallet{Balance: new(int64)}))
	f.advance(time.Minute) // the deduction fails: the wallet is empty
	require.Equal(t, "DOING/MCH_COMPLETE", f.stageOf("BI-PAYING"))
	f.advance(time.Minute)
	// Legacy orders: one accepted, one finished with its charge failed.
	for _, no := range []string{"BI-PA-ACC", "BI-PA-FIN", "BI-PA-CAN"} {
		b := f.payAfterBody(no, no == "BI-PA-CAN", map[bool]string{true: "", false: openid}[no == "BI-PA-CAN"])
		status, e := f.v3("POST", "/v3/payscore/payafter-orders", b, nil)
		require.Equal(t, 200, status, "%+v", e)
	}
	f.advance(time.Minute)
	finTicket := f.queryPayAfter("BI-PA-FIN")["finish_ticket"].(string)
	status, e := f.v3("POST", "/v3/payscore/payafter-orders/BI-PA-FIN/complete", f.completePayAfterBody(finTicket, 1000), nil)
	require.Equal(t, 200, status, "%+v", e)
	accTicket := f.queryPayAfter("BI-PA-ACC")["finish_ticket"].(string)
	// A charge to refund, from a user whose wallet is unlimited.
	f.authorize("oBadRefund")
	chargeID := f.paidServiceOrder("BI-CHARGE", "oBadRefund", 5000)
	f.advance(time.Minute)

	ref := func() map[string]any { return map[string]any{"appid": f.appid(), "service_id": f.serviceID()} }
	withRef := func(m map[string]any) map[string]any {
		for k, v := range ref() {
			m[k] = v
		}
		return m
	}
	items := func(amount int64) []any {
		return []any{map[string]any{"name": "里程费", "amount": amount, "description": "12公里"}}
	}
	unknownRef := []badCase{
		set("appid of another merchant", "/appid", "wx0000000000000000", "/appid"),
		{"service_id of another merchant", func(b map[string]any) any { setPath(b, "/service_id", "999999", false); return b }, 403, "NO_AUTH", "/service_id"},
	}
	endpoints := []badEndpoint{
		{"create", "/v3/payscore/serviceorder", func() map[string]any {
			b := f.createBody("BI-NEW", true, "")
			b["post_payments"] = items(100)
			b["post_discounts"] = []any{map[string]any{"name": "新客", "description": "首单"}}
			return deepCopy(b)
		}, append([]badCase{
			missing("/out_order_no"), missing("/appid"), missing("/service_id"), missing("/service_introduction"),
			missing("/time_range"), missing("/time_range/start_time"), missing("/risk_fund"), missing("/risk_fund/name"),
			missing("/risk_fund/amount"), missing("/notify_url"), missing("/post_payments/0/name"), missing("/post_discounts/0/description"),
			set("免确认 without openid", "/need_user_confirm", false, "/openid"),
			wrongType("/out_order_no", 123), wrongType("/risk_fund/amount", "100"), wrongType("/need_user_confirm", "false"),
			wrongType("/time_range", "20261201"), wrongType("/post_payments", map[string]any{"name": "x"}), wrongType("/post_payments/0/amount", 1.5),
			tooLong("/service_introduction", 20), tooLong("/attach", 256), tooLong("/location/start_location", 50),
			tooLong("/post_payments/0/name", 20), tooLong("/post_payments/0/description", 30), tooLong("/risk_fund/description", 30),
			set("out_order_no over 32 characters", "/out_order_no", strings.Repeat("A", 33), "/out_order_no"),
			set("out_order_no with a space", "/out_order_no", "BI NEW", "/out_order_no"),
			set("emoji in service_introduction", "/service_introduction", "打车🚕", "/service_introduction"),
			set("bad risk_fund name", "/risk_fund/name", "UDEPOSIT", "/risk_fund/name"),
			set("bad 14-digit start_time", "/time_range/start_time", "20261301090000", "/time_range/start_time"),
			set("start_time of the wrong length", "/time_range/start_time", "2026120109", "/time_range/start_time"),
			set("start_time in the past", "/time_range/start_time", "20200101090000", "/time_range/start_time"),
			set("end_time before start", "/time_range/end_time", "20261201090000", "/time_range/end_time"),
			set("zero risk_fund amount", "/risk_fund/amount", 0, "/risk_fund/amount"),
			set("negative risk_fund amount", "/risk_fund/amount", -100, "/risk_fund/amount"),
			set("risk_fund above the cap", "/risk_fund/amount", 100001, "/risk_fund/amount"),
			set("negative post_payments amount", "/post_payments/0/amount", -1, "/post_payments/0/amount"),
			set("post_payments count 0", "/post_payments/0/count", 0, "/post_payments/0/count"),
			set("notify_url with a query", "/notify_url", "https://example.com/notify?a=1", "/notify_url"),
			set("notify_url not a URL", "/notify_url", "notify", "/notify_url"),
			set("end_location without start_location", "/location", map[string]any{"end_location": "西站"}, "/location/end_location"),
		}, append(unknownRef, commonBadBodies...)...)},

		{"complete", "/v3/payscore/serviceorder/BI-DOING/complete", func() map[string]any {
			return deepCopy(withRef(map[string]any{
				"post_payments": items(2000), "post_discounts": []any{map[string]any{"name": "券", "amount": 500}},
				"total_amount": 1500, "time_range": map[string]any{"end_time": protocol.Format14(f.now())},
			}))
		}, append([]badCase{
			missing("/appid"), missing("/service_id"), missing("/post_payments"), missing("/total_amount"),
			missing("/post_discounts/0/amount"), missing("/post_payments/0/name"),
			wrongType("/total_amount", "1500"), wrongType("/profit_sharing", "yes"), wrongType("/post_discounts", "none"),
			tooLong("/post_payments/0/name", 20),
			set("total_amount not the sum", "/total_amount", 2000, "/total_amount"),
			set("negative total_amount", "/total_amount", -1, "/total_amount"),
			set("empty post_payments", "/post_payments", []any{}, "/post_payments"),
			set("end_time after the call", "/time_range/end_time", "20301201090000", "/time_range/end_time"),
			set("end_time before start", "/time_range/end_time", "20200101090000", "/time_range/end_time"),
			set("bad 14-digit end_time", "/time_range/end_time", "2026120125000", "/time_range/end_time"),
			set("date-only end_time after a 14-digit start", "/time_range/end_time", protocol.Format14(f.now())[:8], "/time_range/end_time"),
		}, append(unknownRef, commonBadBodies...)...)},

		{"cancel", "/v3/payscore/serviceorder/BI-CREATED/cancel", func() map[string]any {
			return withRef(map[string]any{"reason": "行程取消"})
		}, append([]badCase{
			missing("/appid"), missing("/reason"), tooLong("/reason", 50), wrongType("/reason", 1),
		}, append(unknownRef, commonBadBodies...)...)},

		{"modify", "/v3/payscore/serviceorder/BI-PAYING/modify", func() map[string]any {
			return deepCopy(withRef(map[string]any{"post_payments": items(2000), "total_amount": 2000, "reason": "多收"}))
		}, append([]badCase{
			missing("/appid"), missing("/service_id"), missing("/post_payments"), missing("/total_amount"), missing("/reason"),
			wrongType("/total_amount", "2000"), tooLong("/reason", 50),
			set("raises the amount", "/total_amount", 4000, "/total_amount"),
			set("total_amount not the sum", "/total_amount", 1000, "/total_amount"),
		}, append(unknownRef, commonBadBodies...)...)},

		{"pay", "/v3/payscore/serviceorder/BI-PAYING/pay", ref,
			append([]badCase{missing("/appid"), missing("/service_id"), wrongType("/appid", true)}, append(unknownRef, commonBadBodies...)...)},

		{"sync", "/v3/payscore/serviceorder/BI-PAYING/sync", func() map[string]any {
			return withRef(map[string]any{"type": "Order_Paid", "detail": map[string]any{"paid_time": protocol.Format14(f.now())}})
		}, append([]badCase{
			missing("/appid"), missing("/service_id"), missing("/type"), missing("/detail"), missing("/detail/paid_time"),
			set("bad type", "/type", "Order_Refunded", "/type"), wrongType("/detail", "paid"),
			set("bad paid_time", "/detail/paid_time", "2026-12-01", "/detail/paid_time"),
			set("paid_time in the future", "/detail/paid_time", "20301201090000", "/detail/paid_time"),
			set("paid_time before completion", "/detail/paid_time", "20261201090000", "/detail/paid_time"),
		}, append(unknownRef, commonBadBodies...)...)},

		{"direct-complete", "/v3/payscore/serviceorder/direct-complete", func() map[string]any {
			start := f.now().Add(-time.Hour)
			return deepCopy(withRef(map[string]any{
				"out_order_no": "BI-DIRECT", "openid": openid, "service_introduction": "充电宝租借",
				"post_payments": items(300), "total_amount": 300, "notify_url": f.rc.url(),
				"time_range": map[string]any{"start_time": protocol.Format14(start), "end_time": protocol.Format14(f.now().Add(-time.Minute))},
			}))
		}, append([]badCase{
			missing("/out_order_no"), missing("/openid"), missing("/service_introduction"), missing("/post_payments"),
			missing("/time_range"), missing("/time_range/start_time"), missing("/time_range/end_time"), missing("/total_amount"),
			missing("/notify_url"),
			wrongType("/total_amount", "300"), tooLong("/service_introduction", 20),
			set("total_amount not the sum", "/total_amount", 301, "/total_amount"),
			set("end_time in the future", "/time_range/end_time", "20301201090000", "/time_range/end_time"),
			set("start_time in the future", "/time_range/start_time", "20301201090000", "/time_range/start_time"),
			{"user without authorization", func(b map[string]any) any { b["openid"] = "oNobody"; return b }, 400, "INVALID_REQUEST", "/openid"},
		}, append(unknownRef, commonBadBodies...)...)},

		{"pre-authorize", "/v3/payscore/permissions", func() map[string]any {
			return withRef(map[string]any{"authorization_code": "BI-AUTH-NEW", "notify_url": f.rc.url()})
		}, append([]badCase{
			missing("/appid"), missing("/service_id"), missing("/authorization_code"),
			set("authorization_code with a space", "/authorization_code", "BI AUTH", "/authorization_code"),
			tooLong("/authorization_code", 32), wrongType("/authorization_code", 7),
			set("notify_url with a query", "/notify_url", "https://example.com/n?x=1", "/notify_url"),
		}, append(unknownRef, commonBadBodies...)...)},

		{"terminate by authorization_code", "/v3/payscore/permissions/authorization-code/AUTH" + openid + "/terminate", func() map[string]any {
			return map[string]any{"service_id": f.serviceID(), "reason": "用户注销"}
		}, append([]badCase{
			missing("/service_id"), missing("/reason"), tooLong("/reason", 50),
			{"service_id of another merchant", func(b map[string]any) any { b["service_id"] = "999999"; return b }, 403, "NO_AUTH", "/service_id"},
		}, commonBadBodies...)},

		{"terminate by openid", "/v3/payscore/permissions/openid/" + openid + "/terminate", func() map[string]any {
			return withRef(map[string]any{"reason": "用户注销"})
		}, append([]badCase{missing("/service_id"), missing("/appid"), missing("/reason"), wrongType("/reason", []any{})}, append(unknownRef, commonBadBodies...)...)},

		{"payafter create", "/v3/payscore/payafter-orders", func() map[string]any {
			b := f.payAfterBody("BI-PA-NEW", true, "")
			b["discounts"] = []any{map[string]any{"discount_name": "新客", "discount_desc": "首单"}}
			return deepCopy(b)
		}, append([]badCase{
			missing("/appid"), missing("/out_order_no"), missing("/service_id"), missing("/service_start_time"),
			missing("/service_introduction"), missing("/fees"), missing("/risk_amount"), missing("/fees/0/fee_name"),
			missing("/discounts/0/discount_name"),
			set("免确认 without openid", "/need_user_confirm", false, "/openid"),
			wrongType("/risk_amount", "20000"), wrongType("/fees", "车费"), wrongType("/fees/0/fee_amount", "3000"),
			tooLong("/service_start_location", 20), tooLong("/service_introduction", 20), tooLong("/fees/0/fee_desc", 30), tooLong("/attach", 200),
			set("bad service_start_time", "/service_start_time", "2026-12-01 09:00", "/service_start_time"),
			set("service_start_time in the past", "/service_start_time", "20200101000000", "/service_start_time"),
			set("zero risk_amount", "/risk_amount", 0, "/risk_amount"),
			set("risk_amount above the cap", "/risk_amount", 100001, "/risk_amount"),
			set("negative fee_amount", "/fees/0/fee_amount", -5, "/fees/0/fee_amount"),
			set("six discounts", "/discounts", []any{
				map[string]any{"discount_name": "a"}, map[string]any{"discount_name": "b"}, map[string]any{"discount_name": "c"},
				map[string]any{"discount_name": "d"}, map[string]any{"discount_name": "e"}, map[string]any{"discount_name": "f"},
			}, "/discounts"),
			set("encrypted name without Wechatpay-Serial", "/name", "c2VjcmV0", "Wechatpay-Serial"),
		}, append(unknownRef, commonBadBodies...)...)},

		{"payafter complete", "/v3/payscore/payafter-orders/BI-PA-ACC/complete", func() map[string]any {
			return deepCopy(f.completePayAfterBody(accTicket, 1200))
		}, append([]badCase{
			missing("/appid"), missing("/service_id"), missing("/finish_type"), missing("/finish_ticket"), missing("/fees"),
			missing("/total_amount"), missing("/real_service_end_time"),
			wrongType("/finish_type", "2"), wrongType("/total_amount", "1200"),
			set("bad finish_type", "/finish_type", 3, "/finish_type"),
			set("bogus finish_ticket", "/finish_ticket", strings.Repeat("B", 32), "/finish_ticket"),
			set("another order's finish_ticket", "/finish_ticket", finTicket, "/finish_ticket"),
			set("total_amount not the sum", "/total_amount", 1300, "/total_amount"),
			set("total_amount above risk_amount", "/fees", []any{map[string]any{"fee_name": "车费", "fee_amount": 30000}}, "/total_amount"),
			set("end time after the call", "/real_service_end_time", "20301201090000", "/real_service_end_time"),
			tooLong("/real_service_end_location", 20),
		}, append(unknownRef, commonBadBodies...)...)},

		{"payafter sync", "/v3/payscore/payafter-orders/BI-PA-FIN/sync", func() map[string]any {
			return withRef(map[string]any{"type": "Order_Paid", "detail": map[string]any{"paid_time": protocol.Format14(f.now())}})
		}, append([]badCase{
			missing("/type"), missing("/detail/paid_time"), set("bad type", "/type", "Paid", "/type"),
			set("paid_time in the future", "/detail/paid_time", "20301201090000", "/detail/paid_time"),
		}, append(unknownRef, commonBadBodies...)...)},

		{"payafter cancel", "/v3/payscore/payafter-orders/BI-PA-CAN/cancel", func() map[string]any {
			return withRef(map[string]any{"reason": "取消"})
		}, append([]badCase{missing("/reason"), tooLong("/reason", 50)}, append(unknownRef, commonBadBodies...)...)},

		{"refund", "/v3/refund/domestic/refunds", func() map[string]any {
			return deepCopy(map[string]any{
				"transaction_id": chargeID, "out_refund_no": "BI-REFUND", "reason": "退款",
				"amount": map[string]any{"refund": 100, "total": 5000, "currency": "CNY"},
			})
		}, append([]badCase{
			missing("/out_refund_no"), missing("/amount"), missing("/amount/refund"), missing("/amount/total"), missing("/amount/currency"),
			set("neither transaction_id nor out_trade_no", "/transaction_id", "", "/transaction_id"),
			wrongType("/amount/refund", "100"), wrongType("/amount", 100),
			set("out_refund_no with a space", "/out_refund_no", "BI REFUND", "/out_refund_no"),
			set("reason over 80 bytes", "/reason", strings.Repeat("退", 27), "/reason"),
			set("zero refund", "/amount/refund", 0, "/amount/refund"),
			set("refund above total", "/amount/refund", 6000, "/amount/refund"),
			set("bad currency", "/amount/currency", "USD", "/amount/currency"),
			set("bad funds_account", "/funds_account", "BASIC", "/funds_account"),
			set("notify_url with a query", "/notify_url", "https://example.com/r?x=1", "/notify_url"),
			set("total not the charge's", "/amount/total", 4000, "/amount/total"),
			{"unknown transaction", func(b map[string]any) any { b["transaction_id"] = "4200000000000000000000000001"; return b }, 404, "RESOURCE_NOT_EXISTS", "/transaction_id"},
			{"out_order_no as out_trade_no", func(b map[string]any) any { delete(b, "transaction_id"); b["out_trade_no"] = "BI-CHARGE"; return b }, 404, "RESOURCE_NOT_EXISTS", "/out_trade_no"},
		}, commonBadBodies...)},

		{"terminate users/{openid}/permissions/{service_id}", "/v3/payscore/users/" + openid + "/permissions/" + f.serviceID() + "/terminate", func() map[string]any {
			return map[string]any{"appid": f.appid(), "reason": "用户注销"}
		}, append([]badCase{missing("/appid"), missing("/reason"), set("appid of another merchant", "/appid", "wx0000000000000000", "/appid")}, commonBadBodies...)},
	}

	f.runBadBodies(endpoints, f.snapshot)
}

// TestBadInput_Queries covers the GET endpoints' query and path parameters.
func TestBadInput_Queries(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("BQ-1", true, "")
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	sid, app := f.serviceID(), f.appid()
	tests := []struct {
		name, uri string
		status    int
		code      string
		field     string
	}{
		{"query without service_id", "/v3/payscore/serviceorder?" + q("out_order_no", "BQ-1", "appid", app), 400, "PARAM_ERROR", "service_id"},
		{"query without appid", "/v3/payscore/serviceorder?" + q("out_order_no", "BQ-1", "service_id", sid), 400, "PARAM_ERROR", "appid"},
		{"query with neither id", "/v3/payscore/serviceorder?" + q("service_id", sid, "appid", app), 400, "PARAM_ERROR", "out_order_no"},
		{"query with both ids", "/v3/payscore/serviceorder?" + q("out_order_no", "BQ-1", "query_id", "x", "service_id", sid, "appid", app), 400, "PARAM_ERROR", "query_id"},
		{"query with an unknown appid", "/v3/payscore/serviceorder?" + q("out_order_no", "BQ-1", "service_id", sid, "appid", "wx0"), 400, "PARAM_ERROR", "appid"},
		{"query with an unknown service_id", "/v3/payscore/serviceorder?" + q("out_order_no", "BQ-1", "service_id", "1", "appid", app), 403, "NO_AUTH", "service_id"},
		{"query an unknown order", "/v3/payscore/serviceorder?" + q("out_order_no", "NOPE", "service_id", sid, "appid", app), 404, "ORDER_NOT_EXIST", "out_order_no"},
		{"query an unknown query_id", "/v3/payscore/serviceorder?" + q("query_id", "NOPE", "service_id", sid, "appid", app), 404, "ORDER_NOT_EXIST", "query_id"},
		{"user-service-state without openid", "/v3/payscore/user-service-state?" + q("service_id", sid, "appid", app), 400, "PARAM_ERROR", "openid"},
		{"user-service-state without service_id", "/v3/payscore/user-service-state?" + q("openid", "o1", "appid", app), 400, "PARAM_ERROR", "service_id"},
		{"user-service-state without appid", "/v3/payscore/user-service-state?" + q("openid", "o1", "service_id", sid), 400, "PARAM_ERROR", "appid"},
		{"permission by code without service_id", "/v3/payscore/permissions/authorization-code/X", 400, "PARAM_ERROR", "service_id"},
		{"permission by unknown code", "/v3/payscore/permissions/authorization-code/X?" + q("service_id", sid), 404, "ORDER_NOT_EXIST", "authorization_code"},
		{"permission by openid without appid", "/v3/payscore/permissions/openid/o1?" + q("service_id", sid), 400, "PARAM_ERROR", "appid"},
		{"permission by unknown openid", "/v3/payscore/permissions/openid/o1?" + q("service_id", sid, "appid", app), 404, "ORDER_NOT_EXIST", "openid"},
		{"out_order_no too long in the path", "/v3/payscore/serviceorder/" + strings.Repeat("A", 33) + "/cancel", 400, "PARAM_ERROR", "out_order_no"},
		{"out_order_no with a bad character in the path", "/v3/payscore/serviceorder/A%2BB/cancel", 400, "PARAM_ERROR", "out_order_no"},
		{"operation on an unknown order", "/v3/payscore/serviceorder/NOPE/cancel", 404, "ORDER_NOT_EXIST", "out_order_no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			before := f.snapshot()
			method, body := "GET", []byte(nil)
			if strings.HasSuffix(tt.uri, "/cancel") {
				method, body = "POST", []byte(`{"appid":"`+app+`","service_id":"`+sid+`","reason":"r"}`)
			}
			resp, raw := send(t, f.me.request(t, f.ts, method, tt.uri, body))
			require.Equal(t, tt.status, resp.StatusCode, string(raw))
			e := decodeError(t, raw)
			assert.Equal(t, tt.code, e.Code)
			require.NotNil(t, e.Detail, string(raw))
			assert.Equal(t, tt.field, e.Detail["field"], string(raw))
			assert.Equal(t, before, f.snapshot())
		})
	}
}
