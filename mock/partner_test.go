package mock_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/scenario"
)

// Sub-merchants of the partner fixtures: two bound to the service
// provider, each with one app of its own.
var (
	subA = mock.SubMerchant{SubMchID: "1900000109", SubAppIDs: []string{"wxsubappa000000001"}}
	subB = mock.SubMerchant{SubMchID: "1900000110", SubAppIDs: []string{"wxsubappb000000001"}}
)

// newPartnerFixture is newFixture for a service provider (服务商) with the
// sub-merchants subA and subB: f.me signs as the service provider, and its
// receiver decrypts with the service provider's APIv3 key.
func newPartnerFixture(t *testing.T) *fixture {
	t.Helper()
	srv, ts := mock.NewTestServer(t, mock.Options{})
	return partnerOf(t, srv, ts)
}

// partnerOf registers another service provider, with subA and subB, on a
// running server.
func partnerOf(t *testing.T, srv *mock.Server, ts *httptest.Server) *fixture {
	t.Helper()
	m, err := srv.CreateMerchant(mock.MerchantSpec{Kind: "partner", SubMerchants: []mock.SubMerchant{subA, subB}})
	require.NoError(t, err)
	return &fixture{t: t, srv: srv, ts: ts, me: keyOf(t, m), m: m, rc: newReceiver(t, srv, m.APIv3Key)}
}

// partnerCreateBody is a valid partner create for a ride starting now, for
// the user named by user (openid, or sub_openid under the sub-merchant's
// first app when subOpenID).
func (f *fixture) partnerCreateBody(sub mock.SubMerchant, no string, needConfirm bool, user string, subOpenID bool) map[string]any {
	b := f.createBody(no, needConfirm, "")
	b["sub_mchid"] = sub.SubMchID
	switch {
	case user == "":
	case subOpenID:
		b["sub_appid"], b["sub_openid"] = sub.SubAppIDs[0], user
	default:
		b["openid"] = user
	}
	return b
}

// partnerAuthorize pre-authorizes for the sub-merchant and lets the user
// authorize, by openid; it returns the authorization code.
func (f *fixture) partnerAuthorize(sub mock.SubMerchant, openid string) string {
	f.t.Helper()
	code := "AUTH" + sub.SubMchID + openid
	status, e := f.v3("POST", "/v3/payscore/partner/permissions", map[string]any{
		"service_id": f.serviceID(), "appid": f.appid(), "sub_mchid": sub.SubMchID, "authorization_code": code, "notify_url": f.rc.url(),
	}, nil)
	require.Equal(f.t, http.StatusOK, status, "%+v", e)
	_, err := f.srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: f.me.mchid, SubMchID: sub.SubMchID, AuthorizationCode: code})
	require.NoError(f.t, err)
	f.settle()
	return code
}

// partnerQuery queries a sub-merchant's order.
func (f *fixture) partnerQuery(sub mock.SubMerchant, no string) (int, map[string]any, errorBody) {
	f.t.Helper()
	var v map[string]any
	q := url.Values{"out_order_no": {no}, "service_id": {f.serviceID()}, "sub_mchid": {sub.SubMchID}}
	status, e := f.v3("GET", "/v3/payscore/partner/serviceorder?"+q.Encode(), nil, &v)
	return status, v, e
}

// partnerCompleteBody completes a sub-merchant's order with amount: the
// direct completion without appid, with sub_mchid.
func (f *fixture) partnerCompleteBody(sub mock.SubMerchant, amount int64) map[string]any {
	b := f.completeBody(amount)
	delete(b, "appid")
	b["sub_mchid"] = sub.SubMchID
	return b
}

// A service provider's whole ride for its sub-merchant, over the wire:
// every answer signed (the 204s too), every callback verified and
// decrypted with the service provider's APIv3 key, and the sub-merchant
// named in each.
func TestPartner_Flow(t *testing.T) {
	f := newPartnerFixture(t)
	const openid = "oPartnerRider"

	var st map[string]any
	stateURI := "/v3/payscore/user-service-state?" + url.Values{"service_id": {f.serviceID()}, "appid": {f.appid()}, "openid": {openid}, "sub_mchid": {subA.SubMchID}}.Encode()
	status, e := f.v3("GET", stateURI, nil, &st)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "UNAVAILABLE", st["use_service_state"])

	code := f.partnerAuthorize(subA, openid)
	require.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE"}, f.rc.events())
	open := f.rc.callbacks()[0].Resource
	assert.Equal(t, f.me.mchid, open["mchid"], "mchid is the service provider's")
	assert.Equal(t, f.appid(), open["appid"])
	assert.Equal(t, subA.SubMchID, open["sub_mchid"])
	assert.Equal(t, openid, open["openid"])
	assert.Equal(t, code, open["authorization_code"])
	assert.NotContains(t, open, "sp_mchid")

	f.v3("GET", stateURI, nil, &st)
	assert.Equal(t, "AVAILABLE", st["use_service_state"])

	var created map[string]any
	status, e = f.v3("POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(subA, "P-RIDE-1", false, openid, false), &created)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "DOING", created["state"])
	assert.Equal(t, "USER_CONFIRM", created["state_description"])
	assert.Equal(t, f.me.mchid, created["mchid"])
	assert.Equal(t, subA.SubMchID, created["sub_mchid"])
	assert.NotEmpty(t, created["package"])

	f.advance(10 * time.Minute)
	resp, raw := f.me.call(t, f.ts, "POST", "/v3/payscore/partner/serviceorder/P-RIDE-1/complete", f.partnerCompleteBody(subA, 2500))
	verifyResponse(t, f.srv.Platform(), resp, raw)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(raw))
	assert.Empty(t, raw)

	f.advance(5 * time.Second)
	require.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_PAID"}, f.rc.events())
	paid := f.rc.callbacks()[1].Resource
	assert.Equal(t, "DONE", paid["state"])
	assert.Equal(t, f.me.mchid, paid["mchid"])
	assert.Equal(t, subA.SubMchID, paid["sub_mchid"])
	assert.Equal(t, openid, paid["openid"])

	status, q, e := f.partnerQuery(subA, "P-RIDE-1")
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "DONE", q["state"])
	assert.Equal(t, subA.SubMchID, q["sub_mchid"])
	details := q["collection"].(map[string]any)["details"].([]any)
	require.Len(t, details, 1)
	txID := details[0].(map[string]any)["transaction_id"].(string)

	refund := f.refundBody(txID, "P-RF-1", 2500, 2500)
	refund["sub_mchid"] = subA.SubMchID
	var r map[string]any
	status, e = f.v3("POST", "/v3/refund/domestic/refunds", refund, &r)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "PROCESSING", r["status"])
	f.advance(5 * time.Second)
	require.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_PAID", "REFUND.SUCCESS"}, f.rc.events())
	rf := f.rc.callbacks()[2].Resource
	assert.Equal(t, f.me.mchid, rf["sp_mchid"], "a partner's refund callback names the service provider sp_mchid")
	assert.Equal(t, subA.SubMchID, rf["sub_mchid"])
	assert.NotContains(t, rf, "mchid")
	status, e = f.v3("GET", "/v3/refund/domestic/refunds/P-RF-1?sub_mchid="+subA.SubMchID, nil, &r)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "SUCCESS", r["status"])

	so, err := f.srv.Order(f.me.mchid, subA.SubMchID, "P-RIDE-1")
	require.NoError(t, err)
	assert.Equal(t, subA.SubMchID, so.SubMchID)
	var api []string
	for _, e := range so.Timeline {
		if e.Type == "api" {
			api = append(api, e.Summary)
		}
	}
	require.Len(t, api, 5, "create, complete, query and the refund calls show on the sub-merchant's order: %v", api)
	assert.Contains(t, api[1], "POST /v3/payscore/partner/serviceorder/P-RIDE-1/complete → 204")
}

// A 需确认 partner order for a user of the sub-merchant's own app: the
// user is its sub_openid under sub_appid, in the order and the callbacks.
func TestPartner_SubOpenID(t *testing.T) {
	f := newPartnerFixture(t)
	var created map[string]any
	status, e := f.v3("POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(subB, "P-SUB-1", true, "oSubApp", true), &created)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "CREATED", created["state"])
	assert.Equal(t, subB.SubAppIDs[0], created["sub_appid"])

	_, err := f.srv.ConfirmOrder(f.me.mchid, subB.SubMchID, "P-SUB-1", mock.ConfirmRequest{})
	require.NoError(t, err)
	f.settle()
	require.Equal(t, []string{"PAYSCORE.USER_CONFIRM"}, f.rc.events())
	confirmed := f.rc.callbacks()[0].Resource
	assert.Equal(t, "oSubApp", confirmed["sub_openid"])
	assert.Equal(t, subB.SubAppIDs[0], confirmed["sub_appid"])
	assert.Equal(t, subB.SubMchID, confirmed["sub_mchid"])
	assert.NotContains(t, confirmed, "openid")

	_, q, _ := f.partnerQuery(subB, "P-SUB-1")
	assert.Equal(t, "oSubApp", q["sub_openid"])
	assert.Equal(t, protocol.Format14(f.now())[:8], q["time_range"].(map[string]any)["start_time"].(string)[:8])
}

// 50 concurrent completes of one partner order: exactly one succeeds (204),
// and there is exactly one deduction and one PAYSCORE.USER_PAID.
func TestPartner_ConcurrentComplete(t *testing.T) {
	f := newPartnerFixture(t)
	f.partnerAuthorize(subA, "oRace")
	status, e := f.v3("POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(subA, "P-RACE", false, "oRace", false), nil)
	require.Equal(t, 200, status, "%+v", e)
	f.advance(time.Minute)
	f.raceCompletes("/v3/payscore/partner/serviceorder/P-RACE/complete", f.partnerCompleteBody(subA, 1800), http.StatusNoContent)
	f.advance(time.Hour)
	_, q, _ := f.partnerQuery(subA, "P-RACE")
	col := q["collection"].(map[string]any)
	require.Len(t, col["details"], 1, "exactly one deduction")
	assert.EqualValues(t, 1800, col["paid_amount"])
	f.assertOnePaid(mock.NotificationFilter{MchID: f.me.mchid, SubMchID: subA.SubMchID, OutOrderNo: "P-RACE"})
}

// A 平台收付通 service provider's application to bind its sub-merchant is
// PROCESSING, then APPROVED on the clock with PAYSCORE.BIND_SERVICE_ACCOUNT
// to its result_notify_url; it is the service provider's alone, and
// survives a saved state.
func TestPartner_ServiceAccountApplication(t *testing.T) {
	f := newPartnerFixture(t)
	body := map[string]any{
		"service_id": f.serviceID(), "appid": f.appid(), "sub_mchid": subA.SubMchID, "sub_appid": subA.SubAppIDs[0],
		"out_apply_no": "APPLY-1", "result_notify_url": f.rc.url(),
	}
	var app map[string]any
	status, e := f.v3("POST", "/v3/payscore/partner/service-account-applications", body, &app)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "PROCESSING", app["apply_state"])
	assert.Equal(t, f.me.mchid, app["mchid"])
	assert.Equal(t, subA.SubMchID, app["sub_mchid"])

	status, _ = f.v3("POST", "/v3/payscore/partner/service-account-applications", body, &app)
	assert.Equal(t, 200, status, "an identical retry returns the application")
	other := deepCopy(body)
	other["sub_mchid"] = subB.SubMchID
	delete(other, "sub_appid")
	status, e = f.v3("POST", "/v3/payscore/partner/service-account-applications", other, nil)
	assert.Equal(t, 400, status)
	assert.Equal(t, "INVALID_REQUEST", e.Code)
	assert.Equal(t, "/out_apply_no", e.Detail["field"])

	// Decided after a restart as it would have been without one.
	var buf bytes.Buffer
	require.NoError(t, f.srv.SaveState(&buf))
	st, err := mock.ReadState(&buf)
	require.NoError(t, err)
	srv, ts := mock.NewTestServer(t, mock.Options{State: st})
	r := &fixture{t: t, srv: srv, ts: ts, me: f.me, m: f.m, rc: f.rc}
	r.advance(5 * time.Second) // the review takes 5 s of domain time
	require.Equal(t, []string{"PAYSCORE.BIND_SERVICE_ACCOUNT"}, r.rc.events())
	assert.Equal(t, map[string]any{
		"service_id": f.serviceID(), "appid": f.appid(), "mchid": f.me.mchid, "sub_mchid": subA.SubMchID,
		"sub_appid": subA.SubAppIDs[0], "out_apply_no": "APPLY-1", "apply_state": "APPROVED",
	}, r.rc.callbacks()[0].Resource)
	status, e = r.v3("GET", "/v3/payscore/partner/service-account-applications/APPLY-1", nil, &app)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "APPROVED", app["apply_state"])

	another := partnerOf(t, srv, ts)
	status, e = another.v3("GET", "/v3/payscore/partner/service-account-applications/APPLY-1", nil, nil)
	assert.Equal(t, 404, status, "another service provider's application is not found")
	assert.Equal(t, "RESOURCE_NOT_EXISTS", e.Code)
}

// Scenarios can match a sub-merchant: by match.sub_mchid, or by the
// sub_mchid scope of a load.
func TestPartner_Scenarios(t *testing.T) {
	f := newPartnerFixture(t)
	_, err := f.srv.LoadScenarios("api.yaml", []byte("name: sub-a-fails\ndescription: d\nmatch: {sub_mchid: \""+subA.SubMchID+"\", endpoint: partner.serviceorder.create, times: 1}\napi: {status: 500}\n"), scenario.Scope{})
	require.NoError(t, err)
	status, _ := f.v3("POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(subA, "P-SC-1", true, "", false), nil)
	assert.Equal(t, 500, status, "subA's create meets the fault")
	status, e := f.v3("POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(subB, "P-SC-1", true, "", false), nil)
	assert.Equal(t, 200, status, "subB's does not: %+v", e)

	_, err = f.srv.LoadScenarios("deduct.yaml", []byte("name: no-deduction\ndescription: d\ndeduction: {fail: true}\n"), scenario.Scope{MchID: f.me.mchid, SubMchID: subB.SubMchID})
	require.NoError(t, err)
	for _, sub := range []mock.SubMerchant{subA, subB} {
		f.partnerAuthorize(sub, "oSc")
		status, e := f.v3("POST", "/v3/payscore/partner/serviceorder", f.partnerCreateBody(sub, "P-SC-2", false, "oSc", false), nil)
		require.Equal(t, 200, status, "%+v", e)
	}
	f.advance(time.Minute)
	for _, sub := range []mock.SubMerchant{subA, subB} {
		status, e := f.v3("POST", "/v3/payscore/partner/serviceorder/P-SC-2/complete", f.partnerCompleteBody(sub, 100), nil)
		require.Equal(t, 204, status, "%+v", e)
	}
	f.advance(time.Minute)
	_, a, _ := f.partnerQuery(subA, "P-SC-2")
	_, b, _ := f.partnerQuery(subB, "P-SC-2")
	assert.Equal(t, "DONE", a["state"], "subA's deduction succeeds")
	assert.Equal(t, "DOING", b["state"], "the scoped scenario fails subB's")
}
