package mock_test

import (
	"fmt"
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

// directCompleteBody is a valid direct-complete of 300 fen for openid, its
// service over a minute ago, with the given discounts.
func (f *fixture) directCompleteBody(no, openid string, discounts int) map[string]any {
	var ds []map[string]any
	for i := range discounts {
		ds = append(ds, map[string]any{"name": fmt.Sprintf("优惠%d", i), "amount": 10})
	}
	return map[string]any{
		"out_order_no": no, "appid": f.appid(), "service_id": f.serviceID(), "openid": openid,
		"service_introduction": "充电宝租借", "notify_url": f.rc.url(),
		"post_payments":  []map[string]any{{"name": "租金", "amount": 300 + 10*discounts}},
		"post_discounts": ds, "total_amount": 300,
		"time_range": map[string]any{"start_time": protocol.Format14(f.now().Add(-2 * time.Hour)), "end_time": protocol.Format14(f.now().Add(-time.Minute))},
	}
}

// direct-complete takes at most 5 post_discounts, as its page says (the
// other calls take 30).
func TestFidelity_DirectCompleteDiscounts(t *testing.T) {
	f := newFixture(t)
	f.authorize("oDirectDisc")
	tests := []struct {
		discounts int
		status    int
	}{
		{0, http.StatusOK},
		{5, http.StatusOK},
		{6, http.StatusBadRequest},
		{30, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d discounts", tt.discounts), func(t *testing.T) {
			f.t = t
			status, e := f.v3("POST", "/v3/payscore/serviceorder/direct-complete", f.directCompleteBody(fmt.Sprintf("DD%d", tt.discounts), "oDirectDisc", tt.discounts), nil)
			require.Equal(t, tt.status, status, "%+v", e)
			if tt.status != http.StatusOK {
				assert.Equal(t, "PARAM_ERROR", e.Code)
				assert.Equal(t, "/post_discounts", e.Detail["field"])
				assert.Contains(t, e.Message, "大于最大值 5")
			}
		})
	}
	// Completion keeps its own limit of 30.
	f.t = t
	f.mustCreate("DD-COMPLETE", false, "oDirectDisc")
	f.advance(time.Minute)
	body := f.completeBody(600)
	var ds []map[string]any
	for i := range 6 {
		ds = append(ds, map[string]any{"name": fmt.Sprintf("优惠%d", i), "amount": 10})
	}
	body["post_discounts"], body["total_amount"] = ds, 540
	status, e := f.v3("POST", "/v3/payscore/serviceorder/DD-COMPLETE/complete", body, nil)
	assert.Equal(t, http.StatusOK, status, "%+v", e)
}

// A service order's cancel may leave out service_id (the current cancel
// page marks it optional): the order's is meant. The legacy payafter
// cancel still needs it.
func TestFidelity_CancelWithoutServiceID(t *testing.T) {
	f := newPayAfterFixture(t)
	body := map[string]any{"appid": f.appid(), "reason": "行程取消"}

	f.mustCreate("CX1", true, "")
	var first, again map[string]any
	status, e := f.v3("POST", "/v3/payscore/serviceorder/CX1/cancel", body, &first)
	require.Equal(t, http.StatusOK, status, "%+v", e)
	assert.Equal(t, f.serviceID(), first["service_id"], "the answer names the order's service")
	assert.Equal(t, "REVOKED", f.query("CX1").State)
	status, e = f.v3("POST", "/v3/payscore/serviceorder/CX1/cancel", body, &again)
	require.Equal(t, http.StatusOK, status, "an identical retry succeeds (原参重入): %+v", e)
	assert.Equal(t, first, again)

	f.mustCreate("CX2", true, "")
	status, e = f.v3("POST", "/v3/payscore/serviceorder/CX2/cancel", f.cancelBody("行程取消"), nil)
	assert.Equal(t, http.StatusOK, status, "giving it is still fine: %+v", e)

	status, e = f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody("CX-PA", true, ""), nil)
	require.Equal(t, http.StatusOK, status, "%+v", e)
	status, e = f.v3("POST", "/v3/payscore/payafter-orders/CX-PA/cancel", body, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "PARAM_ERROR", e.Code)
	assert.Equal(t, "/service_id", e.Detail["field"])
}

// An error about a query parameter says detail.location "query" and names
// the parameter; one about a path segment says "path".
func TestFidelity_QueryParameterLocation(t *testing.T) {
	f := newFixture(t)
	sid, app := f.serviceID(), f.appid()
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	tests := []struct {
		name, method, uri string
		status            int
		field, location   string
	}{
		{"unknown out_order_no", "GET", "/v3/payscore/serviceorder?" + q("out_order_no", "UNKNOWN", "service_id", sid, "appid", app), 404, "out_order_no", "query"},
		{"unknown query_id", "GET", "/v3/payscore/serviceorder?" + q("query_id", "UNKNOWN", "service_id", sid, "appid", app), 404, "query_id", "query"},
		{"unknown payafter out_order_no", "GET", "/v3/payscore/payafter-orders?" + q("out_order_no", "UNKNOWN", "service_id", sid, "appid", app), 404, "out_order_no", "query"},
		{"out_order_no too long", "GET", "/v3/payscore/serviceorder?" + q("out_order_no", strings.Repeat("A", 33), "service_id", sid, "appid", app), 400, "out_order_no", "query"},
		{"appid not the merchant's", "GET", "/v3/payscore/serviceorder?" + q("out_order_no", "A", "service_id", sid, "appid", "wx0"), 400, "appid", "query"},
		{"service_id not the merchant's", "GET", "/v3/payscore/serviceorder?" + q("out_order_no", "A", "service_id", "1", "appid", app), 403, "service_id", "query"},
		{"unknown order in the path", "POST", "/v3/payscore/serviceorder/UNKNOWN/cancel", 404, "out_order_no", "path"},
		{"bad out_order_no in the path", "POST", "/v3/payscore/serviceorder/A%2BB/cancel", 400, "out_order_no", "path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			var body any
			if tt.method == "POST" {
				body = f.cancelBody("行程取消")
			}
			status, e := f.v3(tt.method, tt.uri, body, nil)
			require.Equal(t, tt.status, status, "%+v", e)
			assert.Equal(t, tt.field, e.Detail["field"])
			assert.Equal(t, tt.location, e.Detail["location"])
		})
	}
}

// Cancelling a service order that is over (DONE, EXPIRED) is the answer
// WeChat Pay gives: 400 PARAM_ERROR 当前订单状态不满足撤销条件, naming the
// state; a REVOKED order keeps ORDER_CANCELED (or succeeds again on an
// identical retry).
func TestFidelity_CancelAFinishedOrder(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		stage  string
		status int
		code   string
	}{
		{"DONE", http.StatusBadRequest, "PARAM_ERROR"},
		{"EXPIRED", http.StatusBadRequest, "PARAM_ERROR"},
		{"REVOKED", http.StatusBadRequest, "ORDER_CANCELED"},
	}
	for i, tt := range tests {
		t.Run(tt.stage, func(t *testing.T) {
			f.t = t
			no := fmt.Sprintf("CF%d", i)
			f.toStage(tt.stage, no)
			before := f.snapshot()
			status, e := f.v3("POST", "/v3/payscore/serviceorder/"+no+"/cancel", f.cancelBody("另一个原因"), nil)
			require.Equal(t, tt.status, status, "%+v", e)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, "state", e.Detail["field"])
			assert.Equal(t, tt.stage, e.Detail["value"])
			if tt.code == "PARAM_ERROR" {
				assert.Equal(t, "当前订单状态不满足撤销条件", e.Message)
			}
			assert.Equal(t, before, f.snapshot())
		})
	}
}

// A completed, unpaid order that the merchant cancels shows no collection
// in progress: need_collection false and no collection; nothing is
// deducted later, and the user has nothing to pay.
func TestFidelity_RevokedOrderCollectsNothing(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.srv.SetWallet("oStageREV-PAYING", mock.Wallet{Balance: new(int64)})) // the deduction fails
	f.toStage("DOING/MCH_COMPLETE", "REV-PAYING")
	f.advance(time.Minute)
	paying := f.query("REV-PAYING")
	require.NotNil(t, paying.Collection)
	require.Equal(t, "USER_PAYING", paying.Collection.State)

	status, e := f.v3("POST", "/v3/payscore/serviceorder/REV-PAYING/cancel", f.cancelBody("行程取消"), nil)
	require.Equal(t, http.StatusOK, status, "%+v", e)
	v := f.query("REV-PAYING")
	assert.Equal(t, "REVOKED", v.State)
	assert.Nil(t, v.Collection, "no collection in progress")
	require.NotNil(t, v.NeedCollection)
	assert.False(t, *v.NeedCollection)

	_, err := f.srv.UserPay(f.me.mchid, "", "REV-PAYING")
	assert.Error(t, err, "the user has nothing to pay")
	require.NoError(t, f.srv.SetWallet("oStageREV-PAYING", mock.Wallet{}))
	f.advance(time.Hour)
	assert.Nil(t, f.query("REV-PAYING").Collection)
	for _, ev := range f.rc.events() {
		assert.NotEqual(t, "PAYSCORE.USER_PAID", ev)
	}
}
