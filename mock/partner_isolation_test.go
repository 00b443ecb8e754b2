package mock_test

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// Two sub-merchants of one service provider, and two service providers
// with the same sub-merchants, never see each other's orders,
// authorizations, charges, refunds or callbacks: every read and write
// endpoint, called by each of the others for the first one's records,
// finds nothing there and changes nothing of it.
func TestPartner_Isolation(t *testing.T) {
	owner := newPartnerFixture(t)
	other := partnerOf(t, owner.srv, owner.ts)
	const openid = "oIso"
	code := owner.partnerAuthorize(subA, openid)
	for _, o := range []struct {
		no          string
		needConfirm bool
	}{{"ISO-CREATED", true}, {"ISO-DOING", false}, {"ISO-PAYING", false}, {"ISO-PAID", false}} {
		status, e := owner.v3("POST", "/v3/payscore/partner/serviceorder", owner.partnerCreateBody(subA, o.no, o.needConfirm, openid, false), nil)
		require.Equal(t, 200, status, "%+v", e)
	}
	owner.advance(time.Minute)
	status, e := owner.v3("POST", "/v3/payscore/partner/serviceorder/ISO-PAID/complete", owner.partnerCompleteBody(subA, 3000), nil)
	require.Equal(t, 204, status, "%+v", e)
	owner.advance(time.Minute)
	require.NoError(t, owner.srv.SetWallet(openid, mock.Wallet{Balance: new(int64)}))
	status, e = owner.v3("POST", "/v3/payscore/partner/serviceorder/ISO-PAYING/complete", owner.partnerCompleteBody(subA, 3000), nil)
	require.Equal(t, 204, status, "%+v", e)
	owner.advance(time.Minute)
	_, paid, _ := owner.partnerQuery(subA, "ISO-PAID")
	txID := paid["collection"].(map[string]any)["details"].([]any)[0].(map[string]any)["transaction_id"].(string)
	refund := owner.refundBody(txID, "ISO-RF", 1000, 3000)
	refund["sub_mchid"] = subA.SubMchID
	status, e = owner.v3("POST", "/v3/refund/domestic/refunds", refund, nil)
	require.Equal(t, 200, status, "%+v", e)
	owner.advance(time.Minute)
	doing, err := owner.srv.Order(owner.me.mchid, subA.SubMchID, "ISO-DOING")
	require.NoError(t, err)
	ownerCallbacks := len(owner.rc.callbacks())

	// The owner's records, as the sandbox and its receiver see them.
	ownerState := func() string {
		t.Helper()
		orders, err := owner.srv.Orders(mock.OrderFilter{MchID: owner.me.mchid, SubMchID: subA.SubMchID})
		require.NoError(t, err)
		ns, err := owner.srv.Notifications(mock.NotificationFilter{MchID: owner.me.mchid})
		require.NoError(t, err)
		u, err := owner.srv.User(openid)
		require.NoError(t, err)
		raw, err := json.Marshal([]any{orders, ns, u})
		require.NoError(t, err)
		return string(raw)
	}
	before := ownerState()

	sid := owner.serviceID()
	intruders := []struct {
		name string
		f    *fixture
		sub  mock.SubMerchant
	}{
		{"the other sub-merchant of the same service provider", owner, subB},
		{"another service provider, for the same sub-merchant", other, subA},
		{"another service provider, for another sub-merchant", other, subB},
	}
	for _, in := range intruders {
		f, sub := in.f, in.sub
		app := f.appid()
		q := func(kv ...string) string {
			v := url.Values{"service_id": {sid}, "sub_mchid": {sub.SubMchID}}
			for i := 0; i < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v.Encode()
		}
		body := func(m map[string]any) map[string]any {
			m["service_id"], m["sub_mchid"] = sid, sub.SubMchID
			return m
		}
		if f != owner { // the other service provider has the owner's service, as a shared test service would
			_, err := f.srv.UpdateMerchant(f.me.mchid, mock.MerchantPatch{ServiceIDs: []string{sid}})
			require.NoError(t, err)
			f.m.ServiceIDs = []string{sid}
		}
		calls := []struct {
			name, method, uri string
			body              any
			status            int
			code              string
		}{
			{"query by out_order_no", "GET", "/v3/payscore/partner/serviceorder?" + q("out_order_no", "ISO-DOING"), nil, 404, "ORDER_NOT_EXIST"},
			{"query by query_id", "GET", "/v3/payscore/partner/serviceorder?" + q("query_id", doing.QueryID), nil, 404, "ORDER_NOT_EXIST"},
			{"cancel", "POST", "/v3/payscore/partner/serviceorder/ISO-CREATED/cancel", body(map[string]any{"reason": "取消"}), 404, "ORDER_NOT_EXIST"},
			{"complete", "POST", "/v3/payscore/partner/serviceorder/ISO-DOING/complete", f.partnerCompleteBody(sub, 100), 404, "ORDER_NOT_EXIST"},
			{"modify", "POST", "/v3/payscore/partner/serviceorder/ISO-PAYING/modify", body(map[string]any{
				"post_payments": []any{map[string]any{"name": "车费", "amount": 100}}, "total_amount": 100, "reason": "改价"}), 404, "ORDER_NOT_EXIST"},
			{"pay", "POST", "/v3/payscore/partner/serviceorder/ISO-PAYING/pay", body(map[string]any{}), 404, "ORDER_NOT_EXIST"},
			{"sync", "POST", "/v3/payscore/partner/serviceorder/ISO-PAYING/sync", body(map[string]any{
				"type": "Order_Paid", "detail": map[string]any{"paid_time": protocol.Format14(owner.now())}}), 404, "ORDER_NOT_EXIST"},
			{"authorization by code", "GET", "/v3/payscore/partner/permissions/authorization-code/" + code + "?" + q(), nil, 404, "ORDER_NOT_EXIST"},
			{"terminate by code", "POST", "/v3/payscore/partner/permissions/authorization-code/" + code + "/terminate", body(map[string]any{"reason": "注销"}), 404, "ORDER_NOT_EXIST"},
			{"search by openid", "GET", "/v3/payscore/partner/permissions/search?" + q("appid", app, "openid", openid), nil, 404, "ORDER_NOT_EXIST"},
			{"search on the older path", "GET", "/v3/payscore/partner/permissions/openid/" + openid + "?" + q("appid", app), nil, 404, "ORDER_NOT_EXIST"},
			{"terminate by openid", "POST", "/v3/payscore/partner/permissions/terminate", body(map[string]any{"appid": app, "openid": openid, "reason": "注销"}), 404, "ORDER_NOT_EXIST"},
			{"refund the owner's charge", "POST", "/v3/refund/domestic/refunds", func() any {
				b := f.refundBody(txID, "ISO-RF-2", 100, 3000)
				b["sub_mchid"] = sub.SubMchID
				return b
			}(), 404, "RESOURCE_NOT_EXISTS"},
			{"query the owner's refund", "GET", "/v3/refund/domestic/refunds/ISO-RF?" + url.Values{"sub_mchid": {sub.SubMchID}}.Encode(), nil, 404, "RESOURCE_NOT_EXISTS"},
			{"direct-complete for the owner's user", "POST", "/v3/payscore/partner/serviceorder/direct-complete", func() any {
				b := owner.directCompleteBody("ISO-DIRECT", openid, 0)
				b["appid"] = app
				return body(b)
			}(), 400, "INVALID_REQUEST"},
			{"免确认 create for the owner's user", "POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(sub, "ISO-NOAUTH", false, openid, false), 400, "INVALID_REQUEST"},
			// Writes in the intruder's own account under the owner's numbers
			// succeed, apart from the owner's records.
			{"create under the owner's out_order_no", "POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(sub, "ISO-DOING", true, "", false), 200, ""},
			{"pre-authorize under the owner's authorization_code", "POST", "/v3/payscore/partner/permissions", body(map[string]any{
				"appid": app, "authorization_code": code}), 200, ""},
		}
		for _, c := range calls {
			t.Run(in.name+"/"+c.name, func(t *testing.T) {
				f.t = t
				status, e := f.v3(c.method, c.uri, c.body, nil)
				require.Equal(t, c.status, status, "%+v", e)
				assert.Equal(t, c.code, e.Code)
				assert.Equal(t, before, ownerState(), "the owner's records are untouched")
			})
		}
		t.Run(in.name+"/user-service-state", func(t *testing.T) {
			f.t = t
			var st map[string]any
			status, e := f.v3("GET", "/v3/payscore/user-service-state?"+q("appid", app, "openid", openid), nil, &st)
			require.Equal(t, 200, status, "%+v", e)
			assert.Equal(t, "UNAVAILABLE", st["use_service_state"], "another account's authorization does not count")
		})
		t.Run(in.name+"/sandbox", func(t *testing.T) {
			_, err := f.srv.Order(f.me.mchid, sub.SubMchID, "ISO-PAID")
			assert.Error(t, err, "the sandbox finds the order in its own account only")
			_, err = f.srv.ConfirmOrder(f.me.mchid, sub.SubMchID, "ISO-CREATED", mock.ConfirmRequest{})
			assert.Error(t, err)
			_, err = f.srv.UserPay(f.me.mchid, sub.SubMchID, "ISO-PAYING")
			assert.Error(t, err)
			_, err = f.srv.RevokeUser(openid, mock.RevokeRequest{MchID: f.me.mchid, SubMchID: sub.SubMchID, ServiceID: sid})
			assert.Error(t, err)
			assert.Equal(t, before, ownerState())
		})
	}
	owner.settle()
	assert.Empty(t, other.rc.callbacks(), "no callback of the owner's reaches another service provider")
	assert.Len(t, owner.rc.callbacks(), ownerCallbacks, "the intruders' calls fired nothing")
	for _, cb := range owner.rc.callbacks() {
		assert.Equal(t, subA.SubMchID, cb.Resource["sub_mchid"], "%s", cb.EventType)
	}
	ns, err := owner.srv.Notifications(mock.NotificationFilter{MchID: other.me.mchid})
	require.NoError(t, err)
	assert.Empty(t, ns)
}
