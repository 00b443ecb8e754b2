package refund

import (
	"fmt"

	"github.com/mockpay/mockpay/mock/internal/field"
)

// check checks a refund request's own fields (protocol.md §7.1), in the
// vocabulary of package field; the rules against the charge are Create's.
func check(req *Request) error {
	c := field.Body()
	if req.TransactionID == "" && req.OutTradeNo == "" {
		c.Rule("/transaction_id", "transaction_id和out_trade_no必须填写其中一个",
			"give transaction_id (collection.details[].transaction_id or finish_transaction_id) or out_trade_no", nil)
	}
	c.String("/transaction_id", req.TransactionID, 32)
	c.String("/out_trade_no", req.OutTradeNo, 32)
	c.Required("/out_refund_no", req.OutRefundNo != "")
	c.Pattern("/out_refund_no", req.OutRefundNo, field.OutRefundNo)
	c.Bytes("/reason", req.Reason, 80)
	if req.FundsAccount != "" {
		c.Enum("/funds_account", req.FundsAccount, "AVAILABLE", "UNSETTLED")
	}
	if c.Required("/amount", req.Amount != nil) {
		amount(c, req.Amount)
	}
	for i, g := range req.GoodsDetail {
		p := field.Item("/goods_detail", i)
		c.Required(p+"/merchant_goods_id", g.MerchantGoodsID != "")
		c.Required(p+"/unit_price", g.UnitPrice != nil)
		c.Required(p+"/refund_amount", g.RefundAmount != nil)
		if c.Required(p+"/refund_quantity", g.RefundQuantity != nil) {
			c.Positive(p+"/refund_quantity", *g.RefundQuantity)
		}
	}
	c.NotifyURL("/notify_url", req.NotifyURL)
	return c.Err()
}

// amount checks the request's amounts: a positive refund of a positive
// total, in CNY, taken from accounts that together give at most the refund.
func amount(c *field.Check, a *AmountReq) {
	if c.Required("/amount/refund", a.Refund != nil) {
		c.Positive("/amount/refund", *a.Refund)
	}
	if c.Required("/amount/total", a.Total != nil) {
		c.Positive("/amount/total", *a.Total)
	}
	if !c.Failed() && *a.Refund > *a.Total {
		c.Rule("/amount/refund", "退款金额不能大于原订单金额", "amount.refund must not exceed amount.total", *a.Refund)
	}
	if c.Required("/amount/currency", a.Currency != "") {
		c.Enum("/amount/currency", a.Currency, "CNY")
	}
	for i, f := range a.From {
		p := field.Item("/amount/from", i)
		c.Enum(p+"/account", f.Account, "AVAILABLE", "UNAVAILABLE")
		if c.Required(p+"/amount", f.Amount != nil) {
			c.Positive(p+"/amount", *f.Amount)
		}
	}
	from := field.Sum(c, "/amount/from", a.From, func(f From) *int64 { return f.Amount })
	if !c.Failed() && from > *a.Refund {
		c.Rule("/amount/from", "出资金额之和不能大于退款金额", fmt.Sprintf("Σamount.from[].amount %d must not exceed amount.refund %d", from, *a.Refund), from)
	}
}
