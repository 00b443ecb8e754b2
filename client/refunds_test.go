package client_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/mock"
)

// paidServiceOrder runs a 免确认 service order of amount to DONE and
// returns the transaction its collection made.
func (e *payscoreEnv) paidServiceOrder(t *testing.T, outOrderNo, openid string, amount int64) string {
	t.Helper()
	e.createAndComplete(t, outOrderNo, openid, amount)
	e.advance(t, 5*time.Second)
	o := e.query(t, outOrderNo)
	require.Equal(t, client.StateDone, o.State)
	require.NotNil(t, o.Collection)
	require.Len(t, o.Collection.Details, 1)
	txn := o.Collection.Details[0].TransactionID
	require.NotEmpty(t, txn)
	return txn
}

// refundRequest refunds part of a transaction of total.
func refundRequest(transactionID, outRefundNo string, refund, total int64) client.CreateRefundRequest {
	return client.CreateRefundRequest{
		TransactionID: transactionID,
		OutRefundNo:   outRefundNo,
		Reason:        "行程取消退款",
		Amount:        client.CreateRefundAmount{Refund: refund, Total: total, Currency: client.CurrencyCNY},
	}
}

// TestRefund_PayScoreCharges refunds the charge of a service order and of
// a legacy order: PROCESSING at once, then REFUND.SUCCESS, decrypted as a
// RefundEvent, and SUCCESS in a query.
func TestRefund_PayScoreCharges(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// charge makes a paid order of amount and returns its transaction.
		charge func(t *testing.T, e *payscoreEnv, openid string, amount int64) string
		// refundNotifyURL sets the refund's own notify_url (else the
		// merchant's registered one is used).
		refundNotifyURL bool
	}{
		{"service order collection", func(t *testing.T, e *payscoreEnv, openid string, amount int64) string {
			return e.paidServiceOrder(t, "RIDE-REFUND-001", openid, amount)
		}, true},
		{"payafter finish_transaction_id", func(t *testing.T, e *payscoreEnv, openid string, amount int64) string {
			return e.payAfterPaid(t, "OLA-REFUND-001", openid, amount).FinishTransactionID
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newPayscoreEnv(t)
			const openid, refundNo = "oRefunded", "RF-20261201_0001"
			e.authorize(t, openid, "AUTH_refund")
			txn := tc.charge(t, e, openid, 4200)

			req := refundRequest(txn, refundNo, 4200, 4200)
			if tc.refundNotifyURL {
				req.NotifyURL = e.notifyURL
			}
			r, err := e.c.CreateRefund(ctx, req)
			require.NoError(t, err)
			assert.Equal(t, client.RefundProcessing, r.Status)
			assert.Equal(t, refundNo, r.OutRefundNo)
			assert.Equal(t, txn, r.TransactionID)
			assert.NotEmpty(t, r.RefundID)
			assert.NotEmpty(t, r.CreateTime)
			assert.Empty(t, r.SuccessTime, "only a successful refund has a success_time")
			assert.Equal(t, int64(4200), r.Amount.Refund)
			assert.Equal(t, int64(4200), r.Amount.Total)
			assert.Equal(t, client.CurrencyCNY, r.Amount.Currency)
			assert.Empty(t, e.inbox.ofType(client.EventRefundSuccess))

			e.advance(t, 5*time.Second)
			n := e.inbox.only(t, client.EventRefundSuccess)
			assert.Equal(t, "refund", n.Resource.OriginalType)
			assert.Equal(t, "refund", n.Resource.AssociatedData, "decrypted under associated data other than payscore")
			ev, err := n.RefundEvent()
			require.NoError(t, err)
			assert.Equal(t, e.mchID, ev.MchID)
			assert.Equal(t, client.RefundSuccess, ev.RefundStatus)
			assert.Equal(t, refundNo, ev.OutRefundNo)
			assert.Equal(t, r.RefundID, ev.RefundID)
			assert.Equal(t, txn, ev.TransactionID)
			assert.NotEmpty(t, ev.OutTradeNo, "the deduction's own trade number")
			assert.NotEmpty(t, ev.UserReceivedAccount)
			assert.Equal(t, client.RefundEventAmount{Total: 4200, Refund: 4200, PayerTotal: 4200, PayerRefund: 4200}, ev.Amount)
			_, err = time.Parse(time.RFC3339, ev.SuccessTime)
			require.NoError(t, err)

			got, err := e.c.QueryRefund(ctx, client.QueryRefundRequest{OutRefundNo: refundNo})
			require.NoError(t, err)
			assert.Equal(t, client.RefundSuccess, got.Status)
			assert.Equal(t, r.RefundID, got.RefundID)
			assert.Equal(t, ev.OutTradeNo, got.OutTradeNo)
			assert.Equal(t, ev.SuccessTime, got.SuccessTime)
			at, err := got.SucceededAt()
			require.NoError(t, err)
			assert.WithinDuration(t, e.now(), at, 5*time.Second)
		})
	}
}

func TestRefund_Partial(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const openid = "oPartial"
	e.authorize(t, openid, "AUTH_partial")
	txn := e.paidServiceOrder(t, "RIDE-PARTIAL-001", openid, 4200)

	first, err := e.c.CreateRefund(ctx, refundRequest(txn, "RF-PARTIAL-1", 1000, 4200))
	require.NoError(t, err)
	assert.Equal(t, client.RefundProcessing, first.Status)

	again, err := e.c.CreateRefund(ctx, refundRequest(txn, "RF-PARTIAL-1", 1000, 4200))
	require.NoError(t, err, "a retry with the same out_refund_no is the same refund")
	assert.Equal(t, first.RefundID, again.RefundID)
	_, err = e.c.CreateRefund(ctx, refundRequest(txn, "RF-PARTIAL-1", 999, 4200))
	assert.True(t, client.IsCode(err, client.CodeInvalidRequest), "same out_refund_no, other parameters: %v", err)

	e.advance(t, 5*time.Second)
	assert.Len(t, e.inbox.ofType(client.EventRefundSuccess), 1, "refunded once")

	_, err = e.c.CreateRefund(ctx, refundRequest(txn, "RF-PARTIAL-2", 3300, 4200))
	var ae *client.APIError
	require.ErrorAs(t, err, &ae, "only 3200 fen are left to refund")
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.NotEmpty(t, ae.Code)
	_, err = e.c.QueryRefund(ctx, client.QueryRefundRequest{OutRefundNo: "RF-PARTIAL-2"})
	assert.True(t, client.IsCode(err, client.CodeResourceNotExists), "a refused refund does not exist: %v", err)

	// The deduction's own out_trade_no (not the order's out_order_no)
	// names the transaction as well, a minute after the first refund.
	e.advance(t, time.Minute)
	require.NotEmpty(t, first.OutTradeNo)
	byTradeNo := refundRequest("", "RF-PARTIAL-2", 3200, 4200)
	byTradeNo.OutTradeNo = first.OutTradeNo
	rest, err := e.c.CreateRefund(ctx, byTradeNo)
	require.NoError(t, err, "the remainder can be refunded")
	assert.Equal(t, int64(3200), rest.Amount.Refund)
	assert.Equal(t, txn, rest.TransactionID)
}

// TestRefund_Outcomes: a refund the user's account cannot take ends
// ABNORMAL (or CLOSED), announced by its own event type.
func TestRefund_Outcomes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		outcome   client.RefundStatus
		eventType string
	}{
		{client.RefundAbnormal, client.EventRefundAbnormal},
		{client.RefundClosed, client.EventRefundClosed},
	}
	for _, tc := range tests {
		t.Run(string(tc.outcome), func(t *testing.T) {
			t.Parallel()
			e := newPayscoreEnv(t)
			const openid, refundNo = "oFrozen", "RF-ODD-001"
			e.authorize(t, openid, "AUTH_frozen")
			txn := e.paidServiceOrder(t, "RIDE-ODD-001", openid, 1500)
			require.NoError(t, e.srv.SetWallet(openid, mock.Wallet{RefundOutcome: string(tc.outcome)}))

			_, err := e.c.CreateRefund(ctx, refundRequest(txn, refundNo, 1500, 1500))
			require.NoError(t, err)
			e.advance(t, 5*time.Second)

			ev, err := e.inbox.only(t, tc.eventType).RefundEvent()
			require.NoError(t, err)
			assert.Equal(t, tc.outcome, ev.RefundStatus)
			assert.Empty(t, ev.SuccessTime)
			assert.Empty(t, e.inbox.ofType(client.EventRefundSuccess))
			got, err := e.c.QueryRefund(ctx, client.QueryRefundRequest{OutRefundNo: refundNo})
			require.NoError(t, err)
			assert.Equal(t, tc.outcome, got.Status)
			assert.Empty(t, got.SuccessTime)
		})
	}
}

func TestRefund_APIErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const openid, no = "oWrongID", "RIDE-WRONGID-001"
	e.authorize(t, openid, "AUTH_wrongid")
	e.paidServiceOrder(t, no, openid, 900)

	tests := []struct {
		name string
		call func() error
	}{
		{"out_order_no as out_trade_no", func() error {
			_, err := e.c.CreateRefund(ctx, client.CreateRefundRequest{
				OutTradeNo: no, OutRefundNo: "RF-WRONGID-1",
				Amount: client.CreateRefundAmount{Refund: 900, Total: 900, Currency: client.CurrencyCNY},
			})
			return err
		}},
		{"unknown transaction", func() error {
			_, err := e.c.CreateRefund(ctx, refundRequest("4200000000202612010000000000", "RF-WRONGID-2", 900, 900))
			return err
		}},
		{"query an unknown refund", func() error {
			_, err := e.c.QueryRefund(ctx, client.QueryRefundRequest{OutRefundNo: "RF-NEVER"})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae *client.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, http.StatusNotFound, ae.StatusCode)
			assert.True(t, client.IsCode(err, client.CodeResourceNotExists), "got %v", err)
		})
	}
}

// TestRefund_Validation checks that mistakes a caller can see locally
// come back as a *ValidationError and that nothing is sent.
func TestRefund_Validation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	create := func(mut func(*client.CreateRefundRequest)) func() error {
		return func() error {
			req := refundRequest("4200000000202612010000000001", "RF-VALID-1", 100, 1000)
			mut(&req)
			_, err := e.c.CreateRefund(ctx, req)
			return err
		}
	}
	tests := []struct {
		name  string
		call  func() error
		field string
		issue string
	}{
		{"neither transaction_id nor out_trade_no", create(func(r *client.CreateRefundRequest) { r.TransactionID = "" }), "/transaction_id", "or out_trade_no"},
		{"both transaction_id and out_trade_no", create(func(r *client.CreateRefundRequest) { r.OutTradeNo = "T1" }), "/out_trade_no", "exactly one"},
		{"transaction_id too long", create(func(r *client.CreateRefundRequest) { r.TransactionID = strings.Repeat("4", 33) }), "/transaction_id", "at most 32"},
		{"out_refund_no missing", create(func(r *client.CreateRefundRequest) { r.OutRefundNo = "" }), "/out_refund_no", "is required"},
		{"out_refund_no 65 characters", create(func(r *client.CreateRefundRequest) { r.OutRefundNo = strings.Repeat("R", 65) }), "/out_refund_no", "at most 64"},
		{"out_refund_no bad character", create(func(r *client.CreateRefundRequest) { r.OutRefundNo = "RF#1" }), "/out_refund_no", `'#'`},
		{"reason 81 bytes", create(func(r *client.CreateRefundRequest) { r.Reason = strings.Repeat("退", 27) }), "/reason", "81 bytes"},
		{"notify_url with query", create(func(r *client.CreateRefundRequest) { r.NotifyURL = e.notifyURL + "?refund=1" }), "/notify_url", "query"},
		{"unknown funds_account", create(func(r *client.CreateRefundRequest) { r.FundsAccount = client.FundsBasic }), "/funds_account", "BASIC"},
		{"zero refund", create(func(r *client.CreateRefundRequest) { r.Amount.Refund = 0 }), "/amount/refund", "positive"},
		{"refund above total", create(func(r *client.CreateRefundRequest) { r.Amount.Refund = 1001 }), "/amount/refund", "more than the transaction's total"},
		{"no total", create(func(r *client.CreateRefundRequest) { r.Amount.Total = 0 }), "/amount/total", "positive"},
		{"no currency", create(func(r *client.CreateRefundRequest) { r.Amount.Currency = "" }), "/amount/currency", "is required"},
		{"currency USD", create(func(r *client.CreateRefundRequest) { r.Amount.Currency = "USD" }), "/amount/currency", "CNY"},
		{"from does not add up", create(func(r *client.CreateRefundRequest) {
			r.Amount.From = []client.RefundFrom{{Account: client.FundsAvailable, Amount: 60}, {Account: client.FundsUnavailable, Amount: 30}}
		}), "/amount/from", "adds up to 90"},
		{"from an operation account", create(func(r *client.CreateRefundRequest) {
			r.Amount.From = []client.RefundFrom{{Account: client.FundsOperation, Amount: 100}}
		}), "/amount/from/0/account", "OPERATION"},
		{"goods without id", create(func(r *client.CreateRefundRequest) {
			r.GoodsDetail = []client.RefundGoods{{UnitPrice: 100, RefundAmount: 100, RefundQuantity: 1}}
		}), "/goods_detail/0/merchant_goods_id", "is required"},
		{"goods without quantity", create(func(r *client.CreateRefundRequest) {
			r.GoodsDetail = []client.RefundGoods{{MerchantGoodsID: "G1", UnitPrice: 100, RefundAmount: 100}}
		}), "/goods_detail/0/refund_quantity", "positive"},
		{"query: no out_refund_no", func() error {
			_, err := e.c.QueryRefund(ctx, client.QueryRefundRequest{OutRefundNo: ""})
			return err
		}, "out_refund_no", "is required"},
		{"query: out_refund_no with a slash", func() error {
			_, err := e.c.QueryRefund(ctx, client.QueryRefundRequest{OutRefundNo: "RF/1"})
			return err
		}, "out_refund_no", `'/'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ve *client.ValidationError
			require.ErrorAs(t, err, &ve, "got %v", err)
			assert.Equal(t, tc.field, ve.Field)
			assert.Contains(t, ve.Issue, tc.issue)
		})
	}
	assert.Zero(t, e.rec.count(), "nothing is sent")
	assert.Empty(t, e.srv.Requests(mock.RequestFilter{}), "the mock saw no request")

	t.Run("valid baseline reaches WeChat Pay", func(t *testing.T) {
		err := create(func(r *client.CreateRefundRequest) {
			r.Reason = strings.Repeat("退", 26) // 78 bytes
			r.Amount.From = []client.RefundFrom{{Account: client.FundsAvailable, Amount: 100}}
		})()
		var ve *client.ValidationError
		assert.NotErrorAs(t, err, &ve)
		assert.True(t, client.IsCode(err, client.CodeResourceNotExists), "the transaction is unknown: %v", err)
	})
}

// refundSample has every field of protocol.md §7.1's Refund.
const refundSample = `{"refund_id":"50000000382019052709732678859","out_refund_no":"1217752501201407033233368018",
"transaction_id":"1217752501201407033233368018","out_trade_no":"1217752501201407033233368018","channel":"ORIGINAL",
"user_received_account":"招商银行信用卡0403","success_time":"2020-12-01T16:18:12+08:00","create_time":"2020-12-01T16:18:12+08:00",
"status":"SUCCESS","funds_account":"UNSETTLED",
"amount":{"total":100,"refund":100,"from":[{"account":"AVAILABLE","amount":444}],"payer_total":90,"payer_refund":90,
 "settlement_refund":100,"settlement_total":100,"discount_refund":10,"currency":"CNY","refund_fee":1},
"promotion_detail":[{"promotion_id":"109519","scope":"SINGLE","type":"DISCOUNT","amount":5,"refund_amount":100,
 "goods_detail":[{"merchant_goods_id":"1217752501201407033233368018","wechatpay_goods_id":"1001","goods_name":"iPhone6s 16G","unit_price":528800,"refund_amount":528800,"refund_quantity":1}]}]}`

// refundEventSample follows protocol.md §6.4.
const refundEventSample = `{"mchid":"1900000100","out_trade_no":"1217752501201407033233368018","transaction_id":"1217752501201407033233368018",
"out_refund_no":"1217752501201407033233368018","refund_id":"1217752501201407033233368018","refund_status":"SUCCESS",
"success_time":"2018-06-08T10:34:56+08:00","user_received_account":"招商银行信用卡0403",
"amount":{"total":999,"refund":999,"payer_total":999,"payer_refund":999}}`

func TestJSON_Refund(t *testing.T) {
	r := roundTrip[client.Refund](t, refundSample)
	assert.Equal(t, client.Refund{
		RefundID: "50000000382019052709732678859", OutRefundNo: "1217752501201407033233368018",
		TransactionID: "1217752501201407033233368018", OutTradeNo: "1217752501201407033233368018",
		Channel: client.RefundChannelOriginal, UserReceivedAccount: "招商银行信用卡0403",
		SuccessTime: "2020-12-01T16:18:12+08:00", CreateTime: "2020-12-01T16:18:12+08:00",
		Status: client.RefundSuccess, FundsAccount: client.FundsUnsettled,
		Amount: client.RefundAmount{
			Total: 100, Refund: 100, From: []client.RefundFrom{{Account: client.FundsAvailable, Amount: 444}},
			PayerTotal: 90, PayerRefund: 90, SettlementRefund: 100, SettlementTotal: 100, DiscountRefund: 10,
			Currency: client.CurrencyCNY, RefundFee: 1,
		},
		PromotionDetail: []client.RefundPromotion{{
			PromotionID: "109519", Scope: "SINGLE", Type: "DISCOUNT", Amount: 5, RefundAmount: 100,
			GoodsDetail: []client.RefundGoods{{
				MerchantGoodsID: "1217752501201407033233368018", WechatpayGoodsID: "1001", GoodsName: "iPhone6s 16G",
				UnitPrice: 528800, RefundAmount: 528800, RefundQuantity: 1,
			}},
		}},
	}, r)
	at, err := r.SucceededAt()
	require.NoError(t, err)
	assert.Equal(t, "2020-12-01T08:18:12Z", at.UTC().Format(time.RFC3339))
	_, err = client.Refund{OutRefundNo: "R1"}.SucceededAt()
	assert.ErrorContains(t, err, "refund R1 success_time")
}

func TestJSON_RefundEvent(t *testing.T) {
	ev := roundTrip[client.RefundEvent](t, refundEventSample)
	assert.Equal(t, client.RefundEvent{
		MchID: "1900000100", OutTradeNo: "1217752501201407033233368018", TransactionID: "1217752501201407033233368018",
		OutRefundNo: "1217752501201407033233368018", RefundID: "1217752501201407033233368018",
		RefundStatus: client.RefundSuccess, SuccessTime: "2018-06-08T10:34:56+08:00", UserReceivedAccount: "招商银行信用卡0403",
		Amount: client.RefundEventAmount{Total: 999, Refund: 999, PayerTotal: 999, PayerRefund: 999},
	}, ev)

	n := &client.Notification{ID: "EV-1", EventType: client.EventRefundAbnormal, Plaintext: []byte(refundEventSample)}
	got, err := n.RefundEvent()
	require.NoError(t, err)
	assert.Equal(t, ev, *got)
	n.EventType = client.EventUserPaid
	_, err = n.RefundEvent()
	assert.ErrorContains(t, err, "PAYSCORE.USER_PAID, not REFUND.SUCCESS, REFUND.ABNORMAL or REFUND.CLOSED")
}

// TestWireFormat_Refunds pins what the refund methods send, written from
// protocol.md §7; the answers are a canned 400.
func TestWireFormat_Refunds(t *testing.T) {
	f := loadFixtures(t)
	rec := &recorder{next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return jsonResponse(r, http.StatusBadRequest, `{"code":"PARAM_ERROR","message":"canned"}`, nil), nil
	})}
	c := newClient(t, f.defaultConfig(),
		client.WithBaseURL("https://api.mch.weixin.qq.com"),
		client.WithHTTPClient(&http.Client{Transport: rec}),
		client.WithVerifier(client.NewCertificateVerifier(f.platformCert)),
	)
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func() error
		method   string
		uri      string
		wantBody string // "" for none
	}{
		{"create with every field", func() error {
			_, err := c.CreateRefund(ctx, client.CreateRefundRequest{
				TransactionID: "4200000459201912058437210397", OutRefundNo: "RF_1-*@|x", Reason: "行程取消",
				NotifyURL: "https://m.example/refund", FundsAccount: client.FundsAvailable,
				Amount: client.CreateRefundAmount{
					Refund: 888, Total: 999, Currency: client.CurrencyCNY,
					From: []client.RefundFrom{{Account: client.FundsAvailable, Amount: 444}, {Account: client.FundsUnavailable, Amount: 444}},
				},
				GoodsDetail: []client.RefundGoods{{MerchantGoodsID: "G1", WechatpayGoodsID: "1001", GoodsName: "里程", UnitPrice: 888, RefundAmount: 888, RefundQuantity: 1}},
			})
			return err
		}, "POST", "/v3/refund/domestic/refunds",
			`{"transaction_id":"4200000459201912058437210397","out_refund_no":"RF_1-*@|x","reason":"行程取消",
			"notify_url":"https://m.example/refund","funds_account":"AVAILABLE",
			"amount":{"refund":888,"from":[{"account":"AVAILABLE","amount":444},{"account":"UNAVAILABLE","amount":444}],"total":999,"currency":"CNY"},
			"goods_detail":[{"merchant_goods_id":"G1","wechatpay_goods_id":"1001","goods_name":"里程","unit_price":888,"refund_amount":888,"refund_quantity":1}]}`},
		{"create by out_trade_no leaves optional fields out", func() error {
			_, err := c.CreateRefund(ctx, client.CreateRefundRequest{
				OutTradeNo: "T1", OutRefundNo: "RF1",
				Amount: client.CreateRefundAmount{Refund: 1, Total: 1, Currency: client.CurrencyCNY},
			})
			return err
		}, "POST", "/v3/refund/domestic/refunds",
			`{"out_trade_no":"T1","out_refund_no":"RF1","amount":{"refund":1,"total":1,"currency":"CNY"}}`},
		{"query escapes out_refund_no", func() error {
			_, err := c.QueryRefund(ctx, client.QueryRefundRequest{OutRefundNo: "RF|1*@"})
			return err
		}, "GET", "/v3/refund/domestic/refunds/RF%7C1%2A@", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rec.all())
			err := tc.call()
			require.True(t, client.IsCode(err, client.CodeParamError), "want the canned answer, got %v", err)
			sent := rec.all()[before:]
			require.Len(t, sent, 1)
			assert.Equal(t, tc.method, sent[0].Method)
			assert.Equal(t, tc.uri, sent[0].URI)
			if tc.wantBody == "" {
				assert.Empty(t, sent[0].Body)
				return
			}
			assert.JSONEq(t, tc.wantBody, string(sent[0].Body))
		})
	}
}
