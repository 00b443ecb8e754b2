package mock_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// paidServiceOrder runs a 免确认 service order to USER_PAID and returns the
// charge's transaction_id.
func (f *fixture) paidServiceOrder(no, openid string, amount int64) string {
	f.t.Helper()
	f.mustCreate(no, false, openid)
	f.advance(time.Minute)
	f.mustComplete(no, amount)
	f.advance(time.Minute)
	q := f.query(no)
	require.Equal(f.t, "DONE", q.State)
	return q.Collection.Details[0].TransactionID
}

func (f *fixture) refundBody(transactionID, outRefundNo string, refund, total int64) map[string]any {
	return map[string]any{
		"transaction_id": transactionID, "out_refund_no": outRefundNo, "reason": "行程取消退款", "notify_url": f.rc.url(),
		"amount": map[string]any{"refund": refund, "total": total, "currency": "CNY"},
	}
}

func TestRefund_ServiceOrderCharge(t *testing.T) {
	f := newFixture(t)
	f.authorize("oRefund")
	require.NoError(t, f.srv.SetWallet("oRefund", mock.Wallet{Balance: ptr(int64(10000))}))
	tid := f.paidServiceOrder("RF-1", "oRefund", 3000)

	var r map[string]any
	status, e := f.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(tid, "REFUND-1", 1000, 3000), &r)
	require.Equal(t, http.StatusOK, status, "%+v", e)
	assert.Equal(t, "PROCESSING", r["status"])
	assert.Equal(t, tid, r["transaction_id"])
	assert.Regexp(t, `^50\d{27}$`, r["refund_id"])
	assert.NotEmpty(t, r["out_trade_no"], "the deduction's own out_trade_no")
	assert.Nil(t, r["success_time"])
	assert.Equal(t, float64(1000), r["amount"].(map[string]any)["refund"])

	f.advance(5 * time.Second)
	var q map[string]any
	status, _ = f.v3("GET", "/v3/refund/domestic/refunds/REFUND-1", nil, &q)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "SUCCESS", q["status"])
	assert.Regexp(t, `\+08:00$`, q["success_time"])

	events := f.rc.events()
	require.Equal(t, "REFUND.SUCCESS", events[len(events)-1])
	cb := f.rc.callbacks()[len(events)-1]
	assert.Equal(t, "退款成功", cb.Summary)
	assert.Equal(t, "SUCCESS", cb.Resource["refund_status"])
	assert.Equal(t, "REFUND-1", cb.Resource["out_refund_no"])
	assert.Equal(t, tid, cb.Resource["transaction_id"])
	assert.Equal(t, map[string]any{"total": float64(3000), "refund": float64(1000), "payer_total": float64(3000), "payer_refund": float64(1000)}, cb.Resource["amount"])
	var env struct {
		Resource struct {
			OriginalType   string `json:"original_type"`
			AssociatedData string `json:"associated_data"`
		} `json:"resource"`
	}
	require.NoError(t, json.Unmarshal(cb.Raw, &env))
	assert.Equal(t, "refund", env.Resource.OriginalType)
	assert.Equal(t, "refund", env.Resource.AssociatedData)

	u, err := f.srv.User("oRefund")
	require.NoError(t, err)
	assert.Equal(t, int64(10000-3000+1000), *u.Wallet.Balance, "the refund went back to the wallet")

	so, err := f.srv.Order(f.me.mchid, "", "RF-1")
	require.NoError(t, err)
	var refunds []string
	for _, e := range so.Timeline {
		if e.Type == "refund" {
			refunds = append(refunds, e.Summary)
		}
	}
	assert.Equal(t, []string{"refund REFUND-1 of 1000 fen requested (PROCESSING)", "refund REFUND-1 of 1000 fen SUCCESS"}, refunds)
}

func TestRefund_Rules(t *testing.T) {
	f := newFixture(t)
	f.authorize("oRules")
	tid := f.paidServiceOrder("RR-1", "oRules", 2000)

	status, _ := f.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(tid, "PART-1", 1500, 2000), nil)
	require.Equal(t, 200, status)
	var again map[string]any
	status, _ = f.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(tid, "PART-1", 1500, 2000), &again)
	require.Equal(t, 200, status, "the same out_refund_no with the same parameters is the same refund")
	assert.Equal(t, "PART-1", again["out_refund_no"])

	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"beyond what is left", f.refundBody(tid, "PART-2", 501, 2000), 400, "INVALID_REQUEST", "/amount/refund"},
		{"same out_refund_no, other amount", f.refundBody(tid, "PART-1", 100, 2000), 400, "INVALID_REQUEST", "/out_refund_no"},
		{"total is not the charge's", f.refundBody(tid, "PART-3", 100, 2500), 400, "PARAM_ERROR", "/amount/total"},
		{"unknown transaction", f.refundBody("4200000000000000000000000000", "PART-4", 100, 2000), 404, "RESOURCE_NOT_EXISTS", "/transaction_id"},
		{"the pay-score out_order_no as out_trade_no", map[string]any{"out_trade_no": "RR-1", "out_refund_no": "PART-5", "amount": map[string]any{"refund": 100, "total": 2000, "currency": "CNY"}}, 404, "RESOURCE_NOT_EXISTS", "/out_trade_no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			before := f.snapshot()
			status, e := f.v3("POST", "/v3/refund/domestic/refunds", tt.body, nil)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.field, e.Detail["field"])
			assert.Equal(t, before, f.snapshot())
		})
	}
	f.t = t
	f.advance(time.Minute) // refunds of one charge are a minute apart
	status, _ = f.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(tid, "PART-6", 500, 2000), nil)
	assert.Equal(t, 200, status, "exactly the rest can be refunded")

	status, e := f.v3("GET", "/v3/refund/domestic/refunds/NOPE", nil, nil)
	assert.Equal(t, 404, status)
	assert.Equal(t, "RESOURCE_NOT_EXISTS", e.Code)
	assert.Equal(t, "退款单不存在", e.Message)

	// Another merchant cannot refund or see this merchant's charge.
	m, err := f.srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	b := &fixture{t: t, srv: f.srv, ts: f.ts, me: keyOf(t, m), m: m, rc: f.rc}
	status, e = b.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(tid, "B-1", 100, 2000), nil)
	assert.Equal(t, 404, status)
	assert.Equal(t, "RESOURCE_NOT_EXISTS", e.Code)
	status, _ = b.v3("GET", "/v3/refund/domestic/refunds/PART-1", nil, nil)
	assert.Equal(t, 404, status)
}

// TestRefund_Concurrent: 50 concurrent partial refunds on one charge never
// refund more than it: the first is accepted, and the others, a minute
// apart from nothing, are refused.
func TestRefund_Concurrent(t *testing.T) {
	f := newFixture(t)
	f.authorize("oMany")
	tid := f.paidServiceOrder("RC-1", "oMany", 3000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := f.me.call(t, f.ts, "POST", "/v3/refund/domestic/refunds", f.refundBody(tid, fmt.Sprintf("C-%02d", i), 100, 3000))
			if resp.StatusCode == 200 {
				mu.Lock()
				accepted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, accepted, "refunds of one charge are a minute apart")
	f.advance(time.Minute)
	var total float64
	for i := range 50 {
		var r map[string]any
		status, _ := f.v3("GET", fmt.Sprintf("/v3/refund/domestic/refunds/C-%02d", i), nil, &r)
		if status == 200 {
			assert.Equal(t, "SUCCESS", r["status"])
			total += r["amount"].(map[string]any)["refund"].(float64)
		}
	}
	assert.Equal(t, float64(100), total)
}

func TestRefund_OutcomesAndPayAfterCharge(t *testing.T) {
	for _, outcome := range []string{"ABNORMAL", "CLOSED"} {
		t.Run(outcome, func(t *testing.T) {
			f := newFixture(t)
			f.authorize("oOutcome")
			tid := f.paidServiceOrder("RO-1", "oOutcome", 800)
			require.NoError(t, f.srv.SetWallet("oOutcome", mock.Wallet{RefundOutcome: outcome}))
			status, _ := f.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(tid, "RO-R1", 800, 800), nil)
			require.Equal(t, 200, status)
			f.advance(time.Minute)
			var r map[string]any
			f.v3("GET", "/v3/refund/domestic/refunds/RO-R1", nil, &r)
			assert.Equal(t, outcome, r["status"])
			assert.Nil(t, r["success_time"])
			events := f.rc.events()
			assert.Equal(t, "REFUND."+outcome, events[len(events)-1])
			if outcome == "CLOSED" {
				status, _ = f.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(tid, "RO-R2", 800, 800), nil)
				assert.Equal(t, 200, status, "a closed refund gave nothing back: the whole charge is refundable again")
			}
		})
	}

	t.Run("payafter charge", func(t *testing.T) {
		f := newPayAfterFixture(t)
		f.authorize("oLegacyRefund")
		status, e := f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody("LR-1", false, "oLegacyRefund"), nil)
		require.Equal(t, 200, status, "%+v", e)
		f.advance(time.Minute)
		tk := f.queryPayAfter("LR-1")["finish_ticket"].(string)
		status, e = f.v3("POST", "/v3/payscore/payafter-orders/LR-1/complete", f.completePayAfterBody(tk, 1800), nil)
		require.Equal(t, 200, status, "%+v", e)
		f.advance(time.Minute)
		tid := f.queryPayAfter("LR-1")["finish_transaction_id"].(string)
		body := f.refundBody(tid, "LR-R1", 1800, 1800)
		delete(body, "notify_url") // to the merchant's configured address
		status, e = f.v3("POST", "/v3/refund/domestic/refunds", body, nil)
		require.Equal(t, 200, status, "%+v", e)
		f.advance(time.Minute)
		events := f.rc.events()
		assert.Equal(t, "REFUND.SUCCESS", events[len(events)-1])
	})
}
