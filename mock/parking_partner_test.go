package mock_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// newParkingPartnerFixture is a fixture whose merchant is a service provider
// with two bound sub-merchants, the first with a sub_appid.
func newParkingPartnerFixture(t *testing.T) *fixture {
	t.Helper()
	srv, ts := mock.NewTestServer(t, mock.Options{})
	p, err := srv.CreateMerchant(mock.MerchantSpec{Kind: "partner", SubMerchants: []mock.SubMerchant{
		{SubMchID: "1900000109", SubAppIDs: []string{"wxsub0000000000001"}}, {SubMchID: "1900000110", SubAppIDs: []string{}},
	}})
	require.NoError(t, err)
	return &fixture{t: t, srv: srv, ts: ts, me: keyOf(t, p), m: p, rc: newReceiver(t, srv, p.APIv3Key)}
}

// A service provider calls the parking API for its sub-merchants: every
// call names a bound one, every lookup is scoped by it, and the answers
// and callbacks name both.
func TestParking_Partner(t *testing.T) {
	f := newParkingPartnerFixture(t)
	const openid, sub, sub2, subApp = "oPartnerDriver", "1900000109", "1900000110", "wxsub0000000000001"
	_, err := f.srv.SetPlate(openid, testPlate, mock.PlateRequest{MchID: f.m.MchID, SubMchID: sub, State: "NORMAL"})
	require.NoError(t, err)

	find := func(subMchID string) (int, errorBody, map[string]any) {
		q := url.Values{"appid": {f.appid()}, "openid": {openid}, "plate_number": {testPlate}, "plate_color": {"BLUE"}}
		if subMchID != "" {
			q.Set("sub_mchid", subMchID)
		}
		var out map[string]any
		status, eb := f.v3("GET", "/v3/vehicle/parking/services/find?"+q.Encode(), nil, &out)
		return status, eb, out
	}
	status, _, out := find(sub)
	require.Equal(t, 200, status)
	assert.Equal(t, "NORMAL", out["service_state"])
	_, _, out = find(sub2)
	assert.Equal(t, "OUT_SERVICE", out["service_state"], "the plate was opened with the other sub-merchant")
	status, eb, _ := find("")
	assert.Equal(t, 400, status)
	assert.Equal(t, "sub_mchid", eb.Detail["field"], "a service provider must name its sub-merchant")
	status, eb, _ = find("1999999999")
	assert.Equal(t, 403, status)
	assert.Equal(t, "NO_AUTH", eb.Code)
	assert.Equal(t, "受理关系不存在", eb.Message)

	body := f.entryBody("IN-P1", testPlate, f.now().Add(-time.Minute))
	status, eb = f.v3("POST", "/v3/vehicle/parking/parkings", body, nil)
	assert.Equal(t, 400, status, "no sub_mchid")
	assert.Equal(t, "/sub_mchid", eb.Detail["field"])
	body["sub_mchid"] = "1999999999"
	status, eb = f.v3("POST", "/v3/vehicle/parking/parkings", body, nil)
	assert.Equal(t, 403, status, "an unbound sub-merchant")
	assert.Equal(t, "NO_AUTH", eb.Code)
	body["sub_mchid"] = sub
	var e parkingEntry
	status, eb = f.v3("POST", "/v3/vehicle/parking/parkings", body, &e)
	require.Equal(t, 200, status, "%+v", eb)
	assert.Equal(t, "NORMAL", e.State)

	f.advance(time.Hour)
	deduct := f.deductBody("PK-P1", e, 700)
	deduct["sub_mchid"] = sub2
	status, eb = f.v3("POST", "/v3/vehicle/transactions/parking", deduct, nil)
	assert.Equal(t, 400, status, "another sub-merchant than at entry")
	assert.Equal(t, "场景信息和停车入场id不匹配", eb.Message)
	deduct["sub_mchid"], deduct["sub_appid"] = sub, "wxsub0000000000009"
	status, eb = f.v3("POST", "/v3/vehicle/transactions/parking", deduct, nil)
	assert.Equal(t, 403, status, "a sub_appid not linked to the sub-merchant")
	assert.Equal(t, "当前商户无法扣款", eb.Message)
	assert.Equal(t, "/sub_appid", eb.Detail["field"])
	deduct["sub_appid"] = subApp
	var tx map[string]any
	status, eb = f.v3("POST", "/v3/vehicle/transactions/parking", deduct, &tx)
	require.Equal(t, 200, status, "%+v", eb)
	assert.Equal(t, f.m.MchID, tx["sp_mchid"])
	assert.Equal(t, sub, tx["sub_mchid"])
	assert.Equal(t, subApp, tx["sub_appid"])
	assert.Equal(t, map[string]any{"openid": openid, "sub_openid": openid}, tx["payer"])

	f.advance(time.Minute)
	query := func(subMchID string) (int, errorBody, map[string]any) {
		uri := "/v3/vehicle/transactions/out-trade-no/PK-P1"
		if subMchID != "" {
			uri += "?sub_mchid=" + subMchID
		}
		var out map[string]any
		status, eb := f.v3("GET", uri, nil, &out)
		return status, eb, out
	}
	status, _, out = query(sub)
	require.Equal(t, 200, status)
	assert.Equal(t, "SUCCESS", out["trade_state"])
	status, eb, _ = query(sub2)
	assert.Equal(t, 404, status, "the other sub-merchant has no such deduction")
	assert.Equal(t, "ORDER_NOT_EXIST", eb.Code)
	status, _, _ = query("")
	assert.Equal(t, 400, status)

	cbs := f.rc.callbacks()
	require.Len(t, cbs, 1, "the callback is sealed with the service provider's APIv3 key")
	assert.Equal(t, "TRANSACTION.SUCCESS", cbs[0].EventType)
	assert.Equal(t, f.m.MchID, cbs[0].Resource["sp_mchid"])
	assert.Equal(t, sub, cbs[0].Resource["sub_mchid"])
	ns, err := f.srv.Notifications(mock.NotificationFilter{MchID: f.m.MchID})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	assert.Equal(t, sub, ns[0].SubMchID)

	// An entry callback names the sub-merchant too.
	body = f.entryBody("IN-P2", testPlate, f.now().Add(-time.Minute))
	body["sub_mchid"] = sub
	status, eb = f.v3("POST", "/v3/vehicle/parking/parkings", body, nil)
	require.Equal(t, 200, status, "%+v", eb)
	_, err = f.srv.SetPlate(openid, testPlate, mock.PlateRequest{MchID: f.m.MchID, SubMchID: sub, State: "PAUSE"})
	require.NoError(t, err)
	f.settle()
	assert.Equal(t, []string{"BLOCKED/PAUSE"}, f.entryEvents("IN-P2"))
	cbs = f.rc.callbacks()
	assert.Equal(t, sub, cbs[len(cbs)-1].Resource["sub_mchid"])
	assert.Equal(t, f.m.MchID, cbs[len(cbs)-1].Resource["sp_mchid"])

	// The other sub-merchant's deduction may have the same out_trade_no.
	so, err := f.srv.Order(f.m.MchID, "", "PK-P1")
	require.NoError(t, err, "one sub-merchant has it")
	assert.Equal(t, "parking", so.Kind)
	_, err = f.srv.SetPlate("oOtherDriver", otherPlate, mock.PlateRequest{MchID: f.m.MchID, SubMchID: sub2, State: "NORMAL"})
	require.NoError(t, err)
	body = f.entryBody("IN-P3", otherPlate, f.now().Add(-time.Hour))
	body["sub_mchid"] = sub2
	var e3 parkingEntry
	status, eb = f.v3("POST", "/v3/vehicle/parking/parkings", body, &e3)
	require.Equal(t, 200, status, "%+v", eb)
	deduct = f.deductBody("PK-P1", e3, 300)
	deduct["sub_mchid"] = sub2
	status, eb = f.v3("POST", "/v3/vehicle/transactions/parking", deduct, nil)
	require.Equal(t, 200, status, "%+v", eb)
	_, err = f.srv.Order(f.m.MchID, "", "PK-P1")
	assertSandboxCode(t, err, 409)
	so, err = f.srv.Order(f.m.MchID, sub2, "PK-P1")
	require.NoError(t, err, "named by its sub-merchant, the deduction is one")
	assert.Equal(t, sub2, so.SubMchID)
	assert.Equal(t, "parking", so.Kind)
}
