package refund

import (
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The JSON of the refund API (protocol.md §7), as the mock reads and writes
// it, and how a stored refund reads as an answer.

// Request is the body of POST /v3/refund/domestic/refunds.
type Request struct {
	SubMchID      string        `json:"sub_mchid"` // a service provider's: the sub-merchant whose charge it is
	TransactionID string        `json:"transaction_id"`
	OutTradeNo    string        `json:"out_trade_no"`
	OutRefundNo   string        `json:"out_refund_no"`
	Reason        string        `json:"reason"`
	NotifyURL     string        `json:"notify_url"`
	FundsAccount  string        `json:"funds_account"`
	Amount        *AmountReq    `json:"amount"`
	GoodsDetail   []GoodsDetail `json:"goods_detail"`
}

// AmountReq is the request's amount.
type AmountReq struct {
	Refund   *int64 `json:"refund"`
	From     []From `json:"from"`
	Total    *int64 `json:"total"`
	Currency string `json:"currency"`
}

// From is one account a refund is taken from.
type From struct {
	Account string `json:"account"`
	Amount  *int64 `json:"amount"`
}

// GoodsDetail is a refunded item.
type GoodsDetail struct {
	MerchantGoodsID  string `json:"merchant_goods_id"`
	WechatpayGoodsID string `json:"wechatpay_goods_id,omitempty"`
	GoodsName        string `json:"goods_name,omitempty"`
	UnitPrice        *int64 `json:"unit_price"`
	RefundAmount     *int64 `json:"refund_amount"`
	RefundQuantity   *int64 `json:"refund_quantity"`
}

// Refund is a refund as the API returns it.
type Refund struct {
	RefundID            string   `json:"refund_id"`
	OutRefundNo         string   `json:"out_refund_no"`
	TransactionID       string   `json:"transaction_id"`
	OutTradeNo          string   `json:"out_trade_no"`
	Channel             string   `json:"channel"`
	UserReceivedAccount string   `json:"user_received_account"`
	SuccessTime         string   `json:"success_time,omitempty"`
	CreateTime          string   `json:"create_time"`
	Status              string   `json:"status"`
	FundsAccount        string   `json:"funds_account"`
	Amount              Amount   `json:"amount"`
	PromotionDetail     []string `json:"promotion_detail"`
}

// Amount is a refund's amounts.
type Amount struct {
	Total            int64  `json:"total"`
	Refund           int64  `json:"refund"`
	From             []From `json:"from"`
	PayerTotal       int64  `json:"payer_total"`
	PayerRefund      int64  `json:"payer_refund"`
	SettlementRefund int64  `json:"settlement_refund"`
	SettlementTotal  int64  `json:"settlement_total"`
	DiscountRefund   int64  `json:"discount_refund"`
	Currency         string `json:"currency"`
}

// Event is the resource of REFUND.SUCCESS, REFUND.ABNORMAL and
// REFUND.CLOSED: a direct merchant's names it mchid, a service provider's
// sp_mchid with the sub-merchant's sub_mchid.
type Event struct {
	MchID               string      `json:"mchid,omitempty"`
	SpMchID             string      `json:"sp_mchid,omitempty"`
	SubMchID            string      `json:"sub_mchid,omitempty"`
	OutTradeNo          string      `json:"out_trade_no"`
	TransactionID       string      `json:"transaction_id"`
	OutRefundNo         string      `json:"out_refund_no"`
	RefundID            string      `json:"refund_id"`
	RefundStatus        string      `json:"refund_status"`
	SuccessTime         string      `json:"success_time,omitempty"`
	UserReceivedAccount string      `json:"user_received_account"`
	Amount              EventAmount `json:"amount"`
}

// EventAmount is a refund callback's amounts.
type EventAmount struct {
	Total       int64 `json:"total"`
	Refund      int64 `json:"refund"`
	PayerTotal  int64 `json:"payer_total"`
	PayerRefund int64 `json:"payer_refund"`
}

// View renders a stored refund.
func View(r *store.Refund) Refund {
	v := Refund{
		RefundID: r.RefundID, OutRefundNo: r.OutRefundNo, TransactionID: r.TransactionID, OutTradeNo: r.OutTradeNo,
		Channel: "ORIGINAL", UserReceivedAccount: userReceivedAccount, CreateTime: protocol.FormatRFC3339(r.CreatedAt),
		Status: r.Status, FundsAccount: "AVAILABLE", PromotionDetail: []string{},
		Amount: Amount{
			Total: r.Total, Refund: r.Amount, From: []From{}, PayerTotal: r.Total, PayerRefund: r.Amount,
			SettlementRefund: r.Amount, SettlementTotal: r.Total, Currency: "CNY",
		},
	}
	if r.FundsAccount != "" {
		v.FundsAccount = r.FundsAccount
	}
	if r.Status == store.RefundSuccess {
		v.SuccessTime = protocol.FormatRFC3339(r.SuccessAt)
	}
	return v
}
