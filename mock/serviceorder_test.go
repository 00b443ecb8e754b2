package mock_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

func TestFlow_ConfirmThenPay(t *testing.T) {
	f := newFixture(t)
	created := f.mustCreate("RIDE-C", true, "")
	assert.Equal(t, "CREATED", created.State)
	assert.NotEmpty(t, created.Package)
	assert.Empty(t, created.StateDescription)

	_, err := f.srv.ConfirmOrder(f.me.mchid, "", "RIDE-C", mock.ConfirmRequest{OpenID: "oRider"})
	require.NoError(t, err)
	f.settle()
	require.Equal(t, []string{"PAYSCORE.USER_CONFIRM"}, f.rc.events())
	confirm := f.rc.callbacks()[0]
	assert.Equal(t, "确认订单", confirm.Summary)
	assert.Equal(t, "DOING", confirm.Resource["state"])
	assert.Equal(t, "USER_CONFIRM", confirm.Resource["state_description"])
	assert.Equal(t, "oRider", confirm.Resource["openid"])
	assert.Equal(t, f.me.mchid, confirm.Resource["mchid"])
	assert.Equal(t, created.OrderID, confirm.Resource["order_id"])

	f.advance(20 * time.Minute)
	f.mustComplete("RIDE-C", 4200)
	f.advance(5 * time.Second)
	require.Equal(t, []string{"PAYSCORE.USER_CONFIRM", "PAYSCORE.USER_PAID"}, f.rc.events())
	paid := f.rc.callbacks()[1].Resource
	col := paid["collection"].(map[string]any)
	assert.Equal(t, "USER_PAID", col["state"])
	assert.Equal(t, float64(4200), col["paid_amount"])
	details := col["details"].([]any)
	require.Len(t, details, 1)
	assert.Equal(t, "NEWTON", details[0].(map[string]any)["paid_type"])
	assert.Equal(t, true, paid["need_collection"])
}

func TestDeduction_WalletFailsThenPayCollects(t *testing.T) {
	for _, collect := range []string{"merchant pay", "user pays", "sync"} {
		t.Run(collect, func(t *testing.T) {
			f := newFixture(t)
			const openid = "oPoor"
			f.authorize(openid)
			require.NoError(t, f.srv.SetWallet(openid, mock.Wallet{Balance: ptr(int64(1000))}))
			f.mustCreate("W1", false, openid)
			f.advance(time.Minute)
			f.mustComplete("W1", 2500)
			f.advance(time.Hour)
			q := f.query("W1")
			assert.Equal(t, "DOING", q.State, "a deduction above the balance fails")
			assert.Equal(t, "USER_PAYING", q.Collection.State)
			assert.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE"}, f.rc.events(), "no USER_PAID")

			switch collect {
			case "merchant pay":
				status, _ := f.v3("POST", "/v3/payscore/serviceorder/W1/pay", map[string]any{"appid": f.appid(), "service_id": f.serviceID()}, nil)
				require.Equal(t, http.StatusOK, status)
				f.advance(time.Minute)
				assert.Equal(t, "DOING", f.query("W1").State, "pay with the balance still short collects nothing")
				require.NoError(t, f.srv.SetWallet(openid, mock.Wallet{Balance: ptr(int64(10000))}))
				status, _ = f.v3("POST", "/v3/payscore/serviceorder/W1/pay", map[string]any{"appid": f.appid(), "service_id": f.serviceID()}, nil)
				require.Equal(t, http.StatusOK, status)
				f.advance(time.Minute)
				u, err := f.srv.User(openid)
				require.NoError(t, err)
				assert.Equal(t, int64(7500), *u.Wallet.Balance, "the deduction took the amount from the wallet")
			case "user pays":
				_, err := f.srv.UserPay(f.me.mchid, "", "W1")
				require.NoError(t, err)
				f.settle()
			case "sync":
				status, e := f.v3("POST", "/v3/payscore/serviceorder/W1/sync", map[string]any{
					"appid": f.appid(), "service_id": f.serviceID(), "type": "Order_Paid",
					"detail": map[string]any{"paid_time": protocol.Format14(f.now().Add(-time.Minute))},
				}, nil)
				require.Equal(t, http.StatusOK, status, "%+v", e)
			}
			q = f.query("W1")
			assert.Equal(t, "DONE", q.State)
			assert.Equal(t, "USER_PAID", q.Collection.State)
			require.Len(t, q.Collection.Details, 1)
			if collect == "sync" {
				assert.Equal(t, "MCH", q.Collection.Details[0].PaidType)
				assert.Empty(t, q.Collection.Details[0].TransactionID, "a merchant-channel payment has no WeChat Pay transaction")
				assert.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE"}, f.rc.events(), "sync fires no callback")
			} else {
				assert.Equal(t, "NEWTON", q.Collection.Details[0].PaidType)
				assert.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_PAID"}, f.rc.events())
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestModify_LowersAmountWhileUnpaid(t *testing.T) {
	f := newFixture(t)
	const openid = "oModify"
	f.authorize(openid)
	require.NoError(t, f.srv.SetWallet(openid, mock.Wallet{Balance: ptr(int64(0))}))
	f.mustCreate("M1", false, openid)
	f.advance(time.Minute)
	f.mustComplete("M1", 9900)
	f.advance(time.Minute)

	var v orderView
	status, e := f.v3("POST", "/v3/payscore/serviceorder/M1/modify", map[string]any{
		"appid": f.appid(), "service_id": f.serviceID(), "reason": "计费错误",
		"post_payments": []map[string]any{{"name": "里程费", "amount": 1000}}, "total_amount": 1000,
	}, &v)
	require.Equal(t, http.StatusOK, status, "%+v", e)
	assert.Equal(t, int64(1000), *v.TotalAmount)
	assert.Empty(t, v.OpenID, "modify answers without openid")
	q := f.query("M1")
	assert.Equal(t, int64(1000), q.Collection.PayingAmount)
	assert.Equal(t, "DOING", q.State)

	require.NoError(t, f.srv.SetWallet(openid, mock.Wallet{}))
	status, _ = f.v3("POST", "/v3/payscore/serviceorder/M1/pay", map[string]any{"appid": f.appid(), "service_id": f.serviceID()}, nil)
	require.Equal(t, http.StatusOK, status)
	f.advance(time.Minute)
	q = f.query("M1")
	assert.Equal(t, "DONE", q.State)
	assert.Equal(t, int64(1000), q.Collection.Details[0].Amount)
}

func TestComplete_ZeroAmountFinishes(t *testing.T) {
	f := newFixture(t)
	f.authorize("oZero")
	f.mustCreate("Z1", false, "oZero")
	f.advance(time.Minute)
	var v orderView
	status, _ := f.v3("POST", "/v3/payscore/serviceorder/Z1/complete", f.completeBody(0), &v)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "DONE", v.State)
	require.NotNil(t, v.NeedCollection)
	assert.False(t, *v.NeedCollection)
	f.advance(time.Hour)
	q := f.query("Z1")
	assert.Nil(t, q.Collection)
	assert.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE"}, f.rc.events(), "nothing collected, no USER_PAID")
}

func TestComplete_Caps(t *testing.T) {
	f := newFixture(t)
	f.authorize("oCap")
	deposit := f.createBody("CAP-DEPOSIT", false, "oCap")
	deposit["risk_fund"] = map[string]any{"name": "DEPOSIT", "amount": 5000}
	status, e := f.v3("POST", "/v3/payscore/serviceorder", deposit, nil)
	require.Equal(t, 200, status, "%+v", e)
	f.mustCreate("CAP-ESTIMATE", false, "oCap") // ESTIMATE_ORDER_COST 10000
	f.advance(time.Minute)

	status, e = f.v3("POST", "/v3/payscore/serviceorder/CAP-DEPOSIT/complete", f.completeBody(5001), nil)
	assert.Equal(t, 400, status)
	assert.Equal(t, "/total_amount", e.Detail["field"], "先免: the total may not exceed risk_fund.amount")
	status, _ = f.v3("POST", "/v3/payscore/serviceorder/CAP-ESTIMATE/complete", f.completeBody(20000), nil)
	assert.Equal(t, 200, status, "先享: the total may exceed risk_fund.amount up to the service cap")
	f.mustCreate("CAP-OVER", false, "oCap")
	f.advance(time.Minute)
	status, e = f.v3("POST", "/v3/payscore/serviceorder/CAP-OVER/complete", f.completeBody(mock.DefaultRiskFundCap+1), nil)
	assert.Equal(t, 400, status)
	assert.Equal(t, "/total_amount", e.Detail["field"])
}

func TestComplete_TimeRules(t *testing.T) {
	f := newFixture(t)
	f.authorize("oTime")
	f.mustCreate("T1", false, "oTime")
	f.advance(time.Hour)
	body := f.completeBody(100)
	delete(body, "time_range")
	status, e := f.v3("POST", "/v3/payscore/serviceorder/T1/complete", body, nil)
	require.Equal(t, 400, status)
	assert.Equal(t, "创建订单未填写服务结束时间，则结束时间必填", e.Message)

	body["time_range"] = map[string]any{"end_time": protocol.Format14(f.now().Add(time.Second))}
	status, e = f.v3("POST", "/v3/payscore/serviceorder/T1/complete", body, nil)
	require.Equal(t, 400, status)
	assert.Equal(t, "实际结束时间不能晚于使用完结接口的时间", e.Message)

	// A UTC clock mistaken for Beijing time is eight hours behind: before the start.
	body["time_range"] = map[string]any{"end_time": f.now().UTC().Format("20060102150405")}
	status, e = f.v3("POST", "/v3/payscore/serviceorder/T1/complete", body, nil)
	require.Equal(t, 400, status)
	assert.Equal(t, "真实结束时间小于预计开始时间", e.Message)

	body["time_range"] = map[string]any{"end_time": protocol.Format14(f.now())}
	status, _ = f.v3("POST", "/v3/payscore/serviceorder/T1/complete", body, nil)
	assert.Equal(t, 200, status)
}

func TestCreate_Idempotent(t *testing.T) {
	f := newFixture(t)
	body := f.createBody("IDEM-1", true, "")
	var first, again orderView
	status, _ := f.v3("POST", "/v3/payscore/serviceorder", body, &first)
	require.Equal(t, 200, status)
	f.advance(time.Second)
	status, _ = f.v3("POST", "/v3/payscore/serviceorder", body, &again)
	require.Equal(t, 200, status, "原参重入: an identical retry succeeds")
	assert.Equal(t, first, again, "and returns the same order")

	body["service_introduction"] = "另一种服务"
	status, e := f.v3("POST", "/v3/payscore/serviceorder", body, nil)
	assert.Equal(t, 400, status)
	assert.Equal(t, "INVALID_REQUEST", e.Code)
	assert.Equal(t, "/out_order_no", e.Detail["field"])
	orders, err := f.srv.Orders(mock.OrderFilter{MchID: f.me.mchid})
	require.NoError(t, err)
	assert.Len(t, orders, 1)
}

func TestCreate_NoConfirmNeedsAuthorization(t *testing.T) {
	f := newFixture(t)
	status, e := f.v3("POST", "/v3/payscore/serviceorder", f.createBody("NA-1", false, "oStranger"), nil)
	assert.Equal(t, 400, status)
	assert.Equal(t, "INVALID_REQUEST", e.Code)
	assert.Equal(t, "/openid", e.Detail["field"])

	f.authorize("oStranger")
	_, err := f.srv.RevokeUser("oStranger", mock.RevokeRequest{MchID: f.me.mchid})
	require.NoError(t, err)
	status, _ = f.v3("POST", "/v3/payscore/serviceorder", f.createBody("NA-1", false, "oStranger"), nil)
	assert.Equal(t, 400, status, "a revoked authorization is not enough")
}

func TestQueryByQueryID(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("Q1", true, "")
	// The user confirms and leaves the confirm page: WeChat hands the
	// merchant's front end the query_id, which the sandbox shows.
	so, err := f.srv.ConfirmOrder(f.me.mchid, "", "Q1", mock.ConfirmRequest{})
	require.NoError(t, err)
	qid := so.QueryID
	require.NotEmpty(t, qid)
	var v orderView
	status, e := f.v3("GET", "/v3/payscore/serviceorder?"+url.Values{"query_id": {qid}, "service_id": {f.serviceID()}, "appid": {f.appid()}}.Encode(), nil, &v)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "Q1", v.OutOrderNo)
}

func TestDirectComplete(t *testing.T) {
	f := newFixture(t)
	f.authorize("oDirect")
	body := map[string]any{
		"out_order_no": "D1", "appid": f.appid(), "service_id": f.serviceID(), "openid": "oDirect",
		"service_introduction": "充电宝租借", "post_payments": []map[string]any{{"name": "租金", "amount": 300}},
		"total_amount": 300, "notify_url": f.rc.url(),
		"time_range": map[string]any{"start_time": protocol.Format14(f.now().Add(-2 * time.Hour)), "end_time": protocol.Format14(f.now().Add(-time.Minute))},
	}
	var v orderView
	status, e := f.v3("POST", "/v3/payscore/serviceorder/direct-complete", body, &v)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "DOING", v.State)
	assert.Equal(t, "MCH_COMPLETE", v.StateDescription)
	f.advance(time.Minute)
	assert.Equal(t, "DONE", f.query("D1").State)
	assert.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_PAID"}, f.rc.events())

	body["out_order_no"], body["total_amount"] = "D0", 0
	body["post_payments"] = []map[string]any{{"name": "租金", "amount": 0}}
	delete(body, "notify_url")
	status, e = f.v3("POST", "/v3/payscore/serviceorder/direct-complete", body, &v)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "DONE", v.State, "nothing to collect: done at once")
}

// TestConcurrent_Complete: 50 merchants' threads completing one order at once
// get exactly one success, one deduction and one USER_PAID.
func TestConcurrent_Complete(t *testing.T) {
	f := newFixture(t)
	f.authorize("oRace")
	f.mustCreate("RACE", false, "oRace")
	f.advance(time.Minute)
	f.raceCompletes("/v3/payscore/serviceorder/RACE/complete", f.completeBody(1800), http.StatusOK)
	f.advance(time.Hour)
	q := f.query("RACE")
	require.Len(t, q.Collection.Details, 1, "exactly one deduction")
	assert.Equal(t, int64(1800), q.Collection.PaidAmount)
	f.assertOnePaid(mock.NotificationFilter{OutOrderNo: "RACE"})
}

// raceCompletes sends 50 completes of one order at once: exactly one
// succeeds with the success status, the others are refused with 400.
func (f *fixture) raceCompletes(uri string, body any, success int) {
	t := f.t
	var wg sync.WaitGroup
	statuses := make(chan int, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := f.me.call(t, f.ts, "POST", uri, body)
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	ok := 0
	for s := range statuses {
		if s == success {
			ok++
		} else {
			assert.Equal(t, http.StatusBadRequest, s)
		}
	}
	assert.Equal(t, 1, ok, "exactly one complete succeeds")
}

// assertOnePaid checks that the order of the filter had exactly one
// PAYSCORE.USER_PAID, both recorded and delivered.
func (f *fixture) assertOnePaid(of mock.NotificationFilter) {
	t := f.t
	paid := 0
	for _, e := range f.rc.events() {
		if e == "PAYSCORE.USER_PAID" {
			paid++
		}
	}
	assert.Equal(t, 1, paid, "exactly one USER_PAID delivered")
	of.EventType = "PAYSCORE.USER_PAID"
	ns, err := f.srv.Notifications(of)
	require.NoError(t, err)
	assert.Len(t, ns, 1)
}

func TestConcurrent_Create(t *testing.T) {
	f := newFixture(t)
	body := f.createBody("SAME", true, "")
	var wg sync.WaitGroup
	ids := make(chan string, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var v orderView
			resp, raw := f.me.call(t, f.ts, "POST", "/v3/payscore/serviceorder", body)
			if assert.Equal(t, 200, resp.StatusCode, string(raw)) {
				require.NoError(t, json.Unmarshal(raw, &v))
				ids <- v.OrderID
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	assert.Len(t, seen, 1, "every identical create returns the one order")
	orders, err := f.srv.Orders(mock.OrderFilter{MchID: f.me.mchid})
	require.NoError(t, err)
	assert.Len(t, orders, 1)
}

// TestIsolation: merchant B cannot see or change merchant A's orders and
// authorizations; it gets the 404 WeChat Pay gives for a missing one.
func TestIsolation(t *testing.T) {
	a := newFixture(t)
	a.authorize("oShared")
	a.mustCreate("A-1", false, "oShared")
	m, err := a.srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	b := &fixture{t: t, srv: a.srv, ts: a.ts, me: keyOf(t, m), m: m, rc: a.rc}
	before := a.snapshot()

	q := url.Values{"out_order_no": {"A-1"}, "service_id": {b.serviceID()}, "appid": {b.appid()}}
	status, e := b.v3("GET", "/v3/payscore/serviceorder?"+q.Encode(), nil, nil)
	assert.Equal(t, 404, status)
	assert.Equal(t, "ORDER_NOT_EXIST", e.Code)
	q.Set("service_id", a.serviceID())
	status, e = b.v3("GET", "/v3/payscore/serviceorder?"+q.Encode(), nil, nil)
	assert.Equal(t, 403, status, "A's service_id is not B's")
	assert.Equal(t, "NO_AUTH", e.Code)
	for _, op := range []string{"cancel", "complete", "pay"} {
		status, e = b.v3("POST", "/v3/payscore/serviceorder/A-1/"+op, map[string]any{"appid": b.appid(), "service_id": b.serviceID(), "reason": "x",
			"post_payments": []map[string]any{{"name": "x", "amount": 1}}, "total_amount": 1}, nil)
		assert.Equal(t, 404, status, op)
		assert.Equal(t, "ORDER_NOT_EXIST", e.Code, op)
	}
	status, _ = b.v3("GET", "/v3/payscore/permissions/authorization-code/AUTHoShared?service_id="+b.serviceID(), nil, nil)
	assert.Equal(t, 404, status)
	status, _ = b.v3("GET", "/v3/payscore/permissions/openid/oShared?"+url.Values{"service_id": {b.serviceID()}, "appid": {b.appid()}}.Encode(), nil, nil)
	assert.Equal(t, 404, status)
	status, _ = b.v3("POST", "/v3/payscore/permissions/openid/oShared/terminate", map[string]any{"service_id": b.serviceID(), "appid": b.appid(), "reason": "x"}, nil)
	assert.Equal(t, 404, status)
	var st map[string]any
	status, _ = b.v3("GET", "/v3/payscore/user-service-state?"+url.Values{"service_id": {b.serviceID()}, "appid": {b.appid()}, "openid": {"oShared"}}.Encode(), nil, &st)
	assert.Equal(t, 200, status)
	assert.Equal(t, "UNAVAILABLE", st["use_service_state"], "A's authorization does not authorize B")
	assert.Equal(t, before, a.snapshot())
}

func TestNotifyURL(t *testing.T) {
	f := newFixture(t)
	body := f.createBody("N1", true, "")
	body["notify_url"] = "https://merchant.example.com/payscore/notify?env=test"
	status, e := f.v3("POST", "/v3/payscore/serviceorder", body, nil)
	assert.Equal(t, 400, status, "WeChat Pay refuses a notify_url with a query string")
	assert.Equal(t, "/notify_url", e.Detail["field"])
	body["notify_url"] = "http://127.0.0.1:9000/notify"
	status, _ = f.v3("POST", "/v3/payscore/serviceorder", body, nil)
	assert.Equal(t, 200, status, "plain http:// is accepted for local receivers (docs/fidelity.md)")
}

// TestCallback_Retries: an endpoint that fails three times gets the fourth
// attempt at the scheduled offsets 0, 15 s, 30 s and 60 s.
func TestCallback_Retries(t *testing.T) {
	f := newFixture(t, 500, 503, 404)
	f.mustCreate("R1", true, "")
	_, err := f.srv.ConfirmOrder(f.me.mchid, "", "R1", mock.ConfirmRequest{})
	require.NoError(t, err)
	start := f.now()
	f.settle()
	f.advance(14 * time.Second)
	assert.Empty(t, f.rc.events())
	f.advance(time.Second) // 15 s
	f.advance(15 * time.Second)
	assert.Empty(t, f.rc.events(), "three failures so far")
	f.advance(29 * time.Second)
	assert.Empty(t, f.rc.events())
	f.advance(time.Second) // 60 s
	require.Equal(t, []string{"PAYSCORE.USER_CONFIRM"}, f.rc.events())

	ns, err := f.srv.Notifications(mock.NotificationFilter{OutOrderNo: "R1"})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	n := ns[0]
	assert.Equal(t, "delivered", n.State)
	require.Len(t, n.Attempts, 4)
	offsets := []time.Duration{0, 15 * time.Second, 30 * time.Second, 60 * time.Second}
	statuses := []int{500, 503, 404, 204}
	for i, a := range n.Attempts {
		at, err := time.Parse(time.RFC3339, a.At)
		require.NoError(t, err)
		assert.Equal(t, offsets[i], at.Sub(start), "attempt %d", i+1)
		assert.Equal(t, statuses[i], a.Status)
	}
	var res map[string]any
	require.NoError(t, json.Unmarshal(n.Resource, &res))
	assert.Equal(t, "DOING", res["state"], "the sandbox shows the plaintext resource")
	assert.Equal(t, f.rc.callbacks()[0].ID, n.ID, "the envelope id is kept across retries")
}

func TestCallback_GivesUpAfterSchedule(t *testing.T) {
	script := make([]int, 20)
	for i := range script {
		script[i] = 500
	}
	f := newFixture(t, script...)
	f.mustCreate("G1", true, "")
	_, err := f.srv.ConfirmOrder(f.me.mchid, "", "G1", mock.ConfirmRequest{})
	require.NoError(t, err)
	f.advance(3*time.Hour + 4*time.Minute - time.Second)
	ns, _ := f.srv.Notifications(mock.NotificationFilter{OutOrderNo: "G1"})
	require.Len(t, ns, 1)
	assert.Equal(t, "pending", ns[0].State)
	assert.Len(t, ns[0].Attempts, 9)
	f.advance(time.Second)
	ns, _ = f.srv.Notifications(mock.NotificationFilter{OutOrderNo: "G1"})
	assert.Equal(t, "failed", ns[0].State, "ten attempts over 3 h 4 min, then WeChat Pay gives up")
	assert.Len(t, ns[0].Attempts, 10)
	f.advance(24 * time.Hour)
	ns, _ = f.srv.Notifications(mock.NotificationFilter{OutOrderNo: "G1"})
	assert.Len(t, ns[0].Attempts, 10)

	rec, err := f.srv.Redeliver(ns[0].ID)
	require.NoError(t, err)
	assert.Len(t, rec.Attempts, 11)
	assert.Equal(t, "redelivery", rec.Attempts[10].Kind)
	assert.Equal(t, "failed", rec.State, "the receiver still fails")
}
