package mock_test

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// newPayAfterFixture is a fixture whose merchant has a configured callback
// address: legacy payafter callbacks carry no notify_url of their own.
func newPayAfterFixture(t *testing.T, script ...int) *fixture {
	t.Helper()
	srv, ts := mock.NewTestServer(t, mock.Options{})
	m, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	rc := newReceiver(t, srv, m.APIv3Key, script...)
	url := rc.url()
	m, err = srv.UpdateMerchant(m.MchID, mock.MerchantPatch{NotifyURL: &url})
	require.NoError(t, err)
	return &fixture{t: t, srv: srv, ts: ts, me: keyOf(t, m), m: m, rc: rc}
}

func (f *fixture) payAfterBody(no string, needConfirm bool, openid string) map[string]any {
	b := map[string]any{
		"appid": f.appid(), "out_order_no": no, "service_id": f.serviceID(),
		"service_start_time": protocol.Format14(f.now()), "service_start_location": "北京南站",
		"service_introduction": "网约车", "risk_amount": 20000, "need_user_confirm": needConfirm,
		"fees": []map[string]any{{"fee_name": "车费", "fee_amount": 3000, "fee_desc": "预估车费"}},
	}
	if openid != "" {
		b["openid"] = openid
	}
	return b
}

func (f *fixture) queryPayAfter(no string) map[string]any {
	f.t.Helper()
	out := map[string]any{}
	status, e := f.v3("GET", "/v3/payscore/payafter-orders?"+url.Values{"out_order_no": {no}, "service_id": {f.serviceID()}, "appid": {f.appid()}}.Encode(), nil, &out)
	require.Equal(f.t, http.StatusOK, status, "%+v", e)
	return out
}

func (f *fixture) completePayAfterBody(ticket string, amount int64) map[string]any {
	return map[string]any{
		"appid": f.appid(), "service_id": f.serviceID(), "finish_type": 2, "finish_ticket": ticket,
		"real_service_end_time":     protocol.Format14(f.now()),
		"real_service_end_location": "北京西站",
		"fees":                      []map[string]any{{"fee_name": "车费", "fee_amount": amount}},
		"total_amount":              amount,
	}
}

// TestPayAfter_ReferenceFlow is the reference ride-hailing integration's
// legacy flow: a 免确认 order, its finish_ticket read right after create,
// completion, the deduction and the paid callback its handler expects.
func TestPayAfter_ReferenceFlow(t *testing.T) {
	f := newPayAfterFixture(t)
	const openid = "oRider"
	f.authorize(openid)

	var created map[string]any
	status, e := f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody("TRIP-1", false, openid), &created)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "wxpayScoreUse", created["miniprogram_businesstype"])
	assert.NotEmpty(t, created["package"])
	assert.Regexp(t, `^\d{31}$`, created["order_id"])

	q := f.queryPayAfter("TRIP-1")
	assert.Equal(t, "USER_ACCEPTED", q["state"], "a 免确认 order is accepted at once")
	ticket, _ := q["finish_ticket"].(string)
	require.NotEmpty(t, ticket, "the ticket is readable right after create")
	assert.Nil(t, q["finish_transaction_id"])

	f.settle()
	require.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_ACCEPTED"}, f.rc.events())
	accepted := f.rc.callbacks()[1].Resource
	assert.Equal(t, "USER_ACCEPTED", accepted["state"])
	assert.Equal(t, ticket, accepted["finish_ticket"], "the callback carries the ticket too")

	f.advance(25 * time.Minute)
	var done map[string]any
	status, e = f.v3("POST", "/v3/payscore/payafter-orders/TRIP-1/complete", f.completePayAfterBody(ticket, 2800), &done)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "TRIP-1", done["out_order_no"])
	q = f.queryPayAfter("TRIP-1")
	assert.Equal(t, "FINISHED", q["state"])
	assert.Nil(t, q["finish_ticket"], "the ticket is shown only while USER_ACCEPTED")
	assert.Equal(t, float64(2), q["finish_type"])

	f.advance(5 * time.Second)
	q = f.queryPayAfter("TRIP-1")
	assert.Equal(t, "USER_PAID", q["state"])
	assert.Regexp(t, `^\d{28}$`, q["finish_transaction_id"])
	assert.Equal(t, protocol.Format14(f.now()), q["pay_succ_time"])
	assert.Equal(t, float64(2800), q["total_amount"])

	require.Len(t, f.rc.events(), 3)
	paid := f.rc.callbacks()[2]
	assert.Equal(t, "PAYSCORE.USER_PAID", paid.EventType)
	assert.Equal(t, "支付成功", paid.Summary)
	// What the reference handler reads: out_request_no, state and pay_succ_time.
	for _, key := range []string{"out_request_no", "state", "pay_succ_time", "out_order_no", "finish_transaction_id"} {
		assert.Contains(t, paid.Resource, key)
	}
	assert.Equal(t, "USER_PAID", paid.Resource["state"])
	assert.Equal(t, "TRIP-1", paid.Resource["out_request_no"])
}

func TestPayAfter_ConfirmVariant(t *testing.T) {
	f := newPayAfterFixture(t)
	var created map[string]any
	status, e := f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody("TRIP-C", true, ""), &created)
	require.Equal(t, 200, status, "%+v", e)
	q := f.queryPayAfter("TRIP-C")
	assert.Equal(t, "CREATED", q["state"])
	assert.Nil(t, q["finish_ticket"], "no ticket before the user accepts")

	status, e = f.v3("POST", "/v3/payscore/payafter-orders/TRIP-C/complete", f.completePayAfterBody("x", 100), nil)
	assert.Equal(t, 400, status)
	assert.Equal(t, "INVALID_ORDER_STATE", e.Code, "completion needs the user to have accepted")

	so, err := f.srv.ConfirmOrder(f.me.mchid, "", "TRIP-C", mock.ConfirmRequest{OpenID: "oLegacy"})
	require.NoError(t, err)
	assert.Equal(t, "payafter-order", so.Kind)
	assert.Equal(t, "USER_ACCEPTED", so.State)
	f.settle()
	require.Equal(t, []string{"PAYSCORE.USER_ACCEPTED"}, f.rc.events())
	ticket := f.rc.callbacks()[0].Resource["finish_ticket"].(string)

	f.advance(time.Hour)
	status, e = f.v3("POST", "/v3/payscore/payafter-orders/TRIP-C/complete", f.completePayAfterBody(ticket, 1500), nil)
	require.Equal(t, 200, status, "%+v", e)
	f.advance(time.Minute)
	assert.Equal(t, "USER_PAID", f.queryPayAfter("TRIP-C")["state"])
	assert.Equal(t, []string{"PAYSCORE.USER_ACCEPTED", "PAYSCORE.USER_PAID"}, f.rc.events())
	assert.Equal(t, "oLegacy", f.rc.callbacks()[1].Resource["openid"])
}

// TestPayAfter_FinishTicket: a later query may return a new ticket and every
// ticket issued before stays valid; a missing, bogus or other order's
// ticket is refused and changes nothing.
func TestPayAfter_FinishTicket(t *testing.T) {
	f := newPayAfterFixture(t)
	f.authorize("oTicket")
	for _, no := range []string{"TK-1", "TK-2"} {
		status, e := f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody(no, false, "oTicket"), nil)
		require.Equal(t, 200, status, "%+v", e)
	}
	first := f.queryPayAfter("TK-1")["finish_ticket"].(string)
	other := f.queryPayAfter("TK-2")["finish_ticket"].(string)
	assert.NotEqual(t, first, other)
	f.advance(10 * time.Minute)
	second := f.queryPayAfter("TK-1")["finish_ticket"].(string)
	assert.NotEqual(t, first, second, "a later query returns a new ticket")

	for name, ticket := range map[string]string{
		"bogus ticket":          strings.Repeat("A", 32),
		"other order's ticket":  other,
		"a ticket not yet made": second[:28] + "0009",
		"truncated ticket":      first[:20],
	} {
		t.Run(name, func(t *testing.T) {
			f.t = t
			before := f.snapshot()
			status, e := f.v3("POST", "/v3/payscore/payafter-orders/TK-1/complete", f.completePayAfterBody(ticket, 1000), nil)
			assert.Equal(t, 400, status)
			assert.Equal(t, "PARAM_ERROR", e.Code)
			assert.Equal(t, "/finish_ticket", e.Detail["field"])
			assert.Equal(t, before, f.snapshot())
		})
	}
	f.t = t
	status, e := f.v3("POST", "/v3/payscore/payafter-orders/TK-1/complete", f.completePayAfterBody(first, 1000), nil)
	require.Equal(t, 200, status, "an earlier ticket stays valid: %+v", e)
	status, e = f.v3("POST", "/v3/payscore/payafter-orders/TK-1/complete", f.completePayAfterBody(second, 1000), nil)
	assert.Equal(t, 400, status, "a ticket finishes an order once")
	assert.Equal(t, "INVALID_ORDER_STATE", e.Code)
}

func TestPayAfter_ConcurrentCompletesWithOneTicket(t *testing.T) {
	f := newPayAfterFixture(t)
	f.authorize("oRace")
	status, _ := f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody("RACE", false, "oRace"), nil)
	require.Equal(t, 200, status)
	ticket := f.queryPayAfter("RACE")["finish_ticket"].(string)
	f.advance(time.Minute)
	body := f.completePayAfterBody(ticket, 1200)
	var wg sync.WaitGroup
	var mu sync.Mutex
	okCount := 0
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := f.me.call(t, f.ts, "POST", "/v3/payscore/payafter-orders/RACE/complete", body)
			if resp.StatusCode == 200 {
				mu.Lock()
				okCount++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, okCount, "one complete succeeds")
	f.advance(time.Hour)
	paid := 0
	for _, e := range f.rc.events() {
		if e == "PAYSCORE.USER_PAID" {
			paid++
		}
	}
	assert.Equal(t, 1, paid, "one charge, one paid callback")
}

func TestPayAfter_ExpiresAfterAnHour(t *testing.T) {
	f := newPayAfterFixture(t)
	status, _ := f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody("EXP", true, ""), nil)
	require.Equal(t, 200, status)
	f.advance(time.Hour - time.Second)
	assert.Equal(t, "CREATED", f.queryPayAfter("EXP")["state"])
	f.advance(time.Second)
	assert.Equal(t, "EXPIRED", f.queryPayAfter("EXP")["state"])
	_, err := f.srv.ConfirmOrder(f.me.mchid, "", "EXP", mock.ConfirmRequest{})
	assert.ErrorContains(t, err, "CONFLICT")
}

func TestPayAfter_FinishTypeCancelAndSync(t *testing.T) {
	f := newPayAfterFixture(t)
	f.authorize("oLeg")
	for _, no := range []string{"NOTUSED", "SYNCED", "FAILED"} {
		status, e := f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody(no, false, "oLeg"), nil)
		require.Equal(t, 200, status, "%+v", e)
	}
	f.advance(time.Minute)
	ticket := f.queryPayAfter("NOTUSED")["finish_ticket"].(string)
	status, e := f.v3("POST", "/v3/payscore/payafter-orders/NOTUSED/complete", map[string]any{
		"appid": f.appid(), "service_id": f.serviceID(), "finish_type": 1, "finish_ticket": ticket, "total_amount": 100, "cancel_reason": "未上车",
	}, nil)
	assert.Equal(t, 400, status, "finish_type 1 charges nothing")
	assert.Equal(t, "/total_amount", e.Detail["field"])
	status, e = f.v3("POST", "/v3/payscore/payafter-orders/NOTUSED/complete", map[string]any{
		"appid": f.appid(), "service_id": f.serviceID(), "finish_type": 1, "finish_ticket": ticket, "total_amount": 0,
	}, nil)
	assert.Equal(t, 400, status, "finish_type 1 needs a cancel_reason")
	assert.Equal(t, "/cancel_reason", e.Detail["field"])
	status, e = f.v3("POST", "/v3/payscore/payafter-orders/NOTUSED/complete", map[string]any{
		"appid": f.appid(), "service_id": f.serviceID(), "finish_type": 1, "finish_ticket": ticket, "total_amount": 0, "cancel_reason": "未上车",
	}, nil)
	require.Equal(t, 200, status, "%+v", e)
	q := f.queryPayAfter("NOTUSED")
	assert.Equal(t, "REVOKED", q["state"])
	assert.Equal(t, float64(1), q["finish_type"])

	require.NoError(t, f.srv.SetWallet("oLeg", mock.Wallet{Balance: ptr(int64(10))}))
	for _, no := range []string{"SYNCED", "FAILED"} {
		tk := f.queryPayAfter(no)["finish_ticket"].(string)
		status, e := f.v3("POST", "/v3/payscore/payafter-orders/"+no+"/complete", f.completePayAfterBody(tk, 900), nil)
		require.Equal(t, 200, status, "%+v", e)
	}
	f.advance(time.Hour)
	assert.Equal(t, "FINISHED", f.queryPayAfter("FAILED")["state"], "the deduction failed: the wallet holds 10")
	paidTime := protocol.Format14(f.now().Add(-time.Minute))
	var synced map[string]any
	status, e = f.v3("POST", "/v3/payscore/payafter-orders/SYNCED/sync", map[string]any{
		"appid": f.appid(), "service_id": f.serviceID(), "type": "Order_Paid", "detail": map[string]any{"paid_time": paidTime},
	}, &synced)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "SYNCED", synced["out_order_no"])
	q = f.queryPayAfter("SYNCED")
	assert.Equal(t, "USER_PAID", q["state"])
	assert.Equal(t, "MchChannelPayType", q["pay_type"])
	assert.Equal(t, paidTime, q["pay_succ_time"])
	assert.Nil(t, q["finish_transaction_id"], "paid outside WeChat Pay: no transaction")

	_, err := f.srv.UserPay(f.me.mchid, "", "FAILED")
	require.NoError(t, err)
	f.settle()
	assert.Equal(t, "USER_PAID", f.queryPayAfter("FAILED")["state"])
	assert.NotEmpty(t, f.queryPayAfter("FAILED")["finish_transaction_id"])
}

// TestPayAfter_StateMachine walks every cell of the legacy state machine
// (protocol.md §5.6).
func TestPayAfter_StateMachine(t *testing.T) {
	f := newPayAfterFixture(t)
	f.authorize("oSM")
	n := 0
	toStage := func(stage string) string {
		n++
		no := fmt.Sprintf("PSM%03d", n)
		needConfirm := stage == "CREATED" || stage == "EXPIRED"
		status, e := f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody(no, needConfirm, map[bool]string{false: "oSM"}[needConfirm]), nil)
		require.Equal(f.t, 200, status, "%+v", e)
		f.advance(time.Minute)
		switch stage {
		case "FINISHED", "USER_PAID":
			require.NoError(f.t, f.srv.SetWallet("oSM", mock.Wallet{Balance: ptr(int64(0))}))
			tk := f.queryPayAfter(no)["finish_ticket"].(string)
			status, e := f.v3("POST", "/v3/payscore/payafter-orders/"+no+"/complete", f.completePayAfterBody(tk, 500), nil)
			require.Equal(f.t, 200, status, "%+v", e)
			f.advance(time.Minute)
			require.NoError(f.t, f.srv.SetWallet("oSM", mock.Wallet{}))
			if stage == "USER_PAID" {
				_, err := f.srv.UserPay(f.me.mchid, "", no)
				require.NoError(f.t, err)
			}
		case "REVOKED":
			status, _ := f.v3("POST", "/v3/payscore/payafter-orders/"+no+"/cancel", map[string]any{"appid": f.appid(), "service_id": f.serviceID(), "reason": "取消"}, nil)
			require.Equal(f.t, 200, status)
		case "EXPIRED":
			f.advance(time.Hour)
		}
		f.advance(time.Minute)
		require.Equal(f.t, stage, f.queryPayAfter(no)["state"])
		return no
	}
	ops := map[string]func(no string) string{
		"cancel": func(no string) string {
			return f.payAfterResult(no, "cancel", map[string]any{"appid": f.appid(), "service_id": f.serviceID(), "reason": "行程取消"})
		},
		"complete": func(no string) string {
			tk, _ := f.queryPayAfter(no)["finish_ticket"].(string)
			if tk == "" {
				tk = strings.Repeat("T", 32) // the state is checked before the ticket
			}
			return f.payAfterResult(no, "complete", f.completePayAfterBody(tk, 400))
		},
		"sync": func(no string) string {
			return f.payAfterResult(no, "sync", map[string]any{"appid": f.appid(), "service_id": f.serviceID(), "type": "Order_Paid",
				"detail": map[string]any{"paid_time": protocol.Format14(f.now())}})
		},
		"user accepts": func(no string) string {
			_, err := f.srv.ConfirmOrder(f.me.mchid, "", no, mock.ConfirmRequest{OpenID: "oSM"})
			return f.sandboxPayAfterResult(no, err)
		},
		"user pays": func(no string) string {
			_, err := f.srv.UserPay(f.me.mchid, "", no)
			return f.sandboxPayAfterResult(no, err)
		},
	}
	cells := []struct{ stage, op, want string }{
		{"CREATED", "cancel", "ok → REVOKED"}, {"CREATED", "complete", "INVALID_ORDER_STATE"}, {"CREATED", "sync", "INVALID_ORDER_STATE"},
		{"CREATED", "user accepts", "ok → USER_ACCEPTED"}, {"CREATED", "user pays", "sandbox CONFLICT"},
		{"USER_ACCEPTED", "cancel", "ok → REVOKED"}, {"USER_ACCEPTED", "complete", "ok → FINISHED"}, {"USER_ACCEPTED", "sync", "INVALID_ORDER_STATE"},
		{"USER_ACCEPTED", "user accepts", "sandbox CONFLICT"}, {"USER_ACCEPTED", "user pays", "sandbox CONFLICT"},
		{"FINISHED", "cancel", "INVALID_ORDER_STATE"}, {"FINISHED", "complete", "INVALID_ORDER_STATE"}, {"FINISHED", "sync", "ok → USER_PAID"},
		{"FINISHED", "user accepts", "sandbox CONFLICT"}, {"FINISHED", "user pays", "ok → USER_PAID"},
		{"USER_PAID", "cancel", "ORDER_DONE"}, {"USER_PAID", "complete", "ORDER_DONE"}, {"USER_PAID", "sync", "ORDER_DONE"},
		{"USER_PAID", "user accepts", "sandbox CONFLICT"}, {"USER_PAID", "user pays", "sandbox CONFLICT"},
		{"REVOKED", "cancel", "ORDER_CANCELED"}, {"REVOKED", "complete", "ORDER_CANCELED"}, {"REVOKED", "sync", "ORDER_CANCELED"},
		{"REVOKED", "user accepts", "sandbox CONFLICT"}, {"REVOKED", "user pays", "sandbox CONFLICT"},
		{"EXPIRED", "cancel", "INVALID_ORDER_STATE"}, {"EXPIRED", "complete", "INVALID_ORDER_STATE"}, {"EXPIRED", "sync", "INVALID_ORDER_STATE"},
		{"EXPIRED", "user accepts", "sandbox CONFLICT"}, {"EXPIRED", "user pays", "sandbox CONFLICT"},
	}
	require.Len(t, cells, 6*len(ops))
	for _, c := range cells {
		t.Run(c.stage+"×"+c.op, func(t *testing.T) {
			f.t = t
			no := toStage(c.stage)
			assert.Equal(t, c.want, ops[c.op](no))
			if !strings.HasPrefix(c.want, "ok") {
				assert.Equal(t, c.stage, f.queryPayAfter(no)["state"], "a refused operation changes nothing")
			}
		})
	}
}

func (f *fixture) payAfterResult(no, op string, body map[string]any) string {
	f.t.Helper()
	status, e := f.v3("POST", "/v3/payscore/payafter-orders/"+no+"/"+op, body, nil)
	if status >= 300 {
		return e.Code
	}
	return "ok → " + f.queryPayAfter(no)["state"].(string)
}

func (f *fixture) sandboxPayAfterResult(no string, err error) string {
	if err != nil {
		if strings.Contains(err.Error(), "CONFLICT") {
			return "sandbox CONFLICT"
		}
		return err.Error()
	}
	f.settle()
	return "ok → " + f.queryPayAfter(no)["state"].(string)
}

// Sensitive user fields must be encrypted for the key the request names in
// Wechatpay-Serial.
func TestPayAfter_SensitiveFields(t *testing.T) {
	f := newPayAfterFixture(t)
	p := f.srv.Platform()
	cert, err := protocol.ParseCertificate([]byte(p.CertificatePEM))
	require.NoError(t, err)
	name, err := protocol.EncryptSensitive(cert.PublicKey.(*rsa.PublicKey), "张三")
	require.NoError(t, err)
	pub, err := protocol.ParsePublicKey([]byte(p.PublicKeyPEM))
	require.NoError(t, err)
	phone, err := protocol.EncryptSensitive(pub, "13800138000")
	require.NoError(t, err)
	tests := []struct {
		name   string
		field  string
		value  string
		serial string
		status int
		detail string
	}{
		{"name for the platform certificate", "name", name, p.SerialNo, 200, ""},
		{"phone for the WeChat Pay public key", "phone", phone, p.PublicKeyID, 200, ""},
		{"without Wechatpay-Serial", "name", name, "", 400, "Wechatpay-Serial"},
		{"for another key than the header names", "name", name, p.PublicKeyID, 400, "/name"},
		{"not encrypted", "address", "北京市海淀区", p.SerialNo, 400, "/address"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := f.payAfterBody(fmt.Sprintf("SENS-%d", i), true, "")
			body[tt.field] = tt.value
			raw, err := json.Marshal(body)
			require.NoError(t, err)
			req := f.me.request(t, f.ts, "POST", "/v3/payscore/payafter-orders", raw)
			if tt.serial != "" {
				req.Header.Set("Wechatpay-Serial", tt.serial)
			}
			resp, out := send(t, req)
			require.Equal(t, tt.status, resp.StatusCode, string(out))
			if tt.detail != "" {
				assert.Equal(t, tt.detail, decodeError(t, out).Detail["field"])
			}
		})
	}
}
