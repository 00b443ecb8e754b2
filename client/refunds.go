package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Refunds (退款, protocol.md §7). A pay-score order's money is an ordinary
// WeChat Pay transaction per collection, refunded with the generic domestic
// refund API: against a service order's collection.details[].transaction_id
// or a legacy order's finish_transaction_id, never against out_order_no
// (that is not an out_trade_no, and WeChat Pay answers 404
// RESOURCE_NOT_EXISTS).
//
// Reference: https://pay.weixin.qq.com/docs/merchant/apis/weixin-pay-score/refunds/create.html

const pathRefunds = "/v3/refund/domestic/refunds"

// CurrencyCNY is the currency of every domestic refund.
const CurrencyCNY = "CNY"

// RefundStatus is the state of a refund (protocol.md §7.3).
type RefundStatus string

// Refund states: PROCESSING, then one of the other three, each announced
// by its REFUND.* callback.
const (
	RefundProcessing RefundStatus = "PROCESSING" // accepted, not yet done
	RefundSuccess    RefundStatus = "SUCCESS"    // the money is back with the user (REFUND.SUCCESS)
	// RefundAbnormal: the refund failed, e.g. the user's card is frozen;
	// the merchant settles it by hand in the console (REFUND.ABNORMAL).
	RefundAbnormal RefundStatus = "ABNORMAL"
	RefundClosed   RefundStatus = "CLOSED" // closed without refunding (REFUND.CLOSED)
)

// RefundChannel is where a refund's money goes.
type RefundChannel string

// Refund channels.
const (
	RefundChannelOriginal      RefundChannel = "ORIGINAL"       // back the way it was paid
	RefundChannelBalance       RefundChannel = "BALANCE"        // to the user's WeChat balance
	RefundChannelOtherBalance  RefundChannel = "OTHER_BALANCE"  // to the balance, as the original card failed
	RefundChannelOtherBankcard RefundChannel = "OTHER_BANKCARD" // to another bank card, as the original failed
)

// FundsAccount is a merchant account a refund is funded from.
type FundsAccount string

// Funds accounts. A refund request may name only FundsAvailable (or
// FundsUnsettled); answers may report any.
const (
	FundsUnsettled   FundsAccount = "UNSETTLED"   // 未结算资金
	FundsAvailable   FundsAccount = "AVAILABLE"   // 可用余额
	FundsUnavailable FundsAccount = "UNAVAILABLE" // 不可用余额
	FundsOperation   FundsAccount = "OPERATION"   // 运营户
	FundsBasic       FundsAccount = "BASIC"       // 基本账户（含可用余额和不可用余额）
)

// RefundFrom is a part of a refund funded from one account.
type RefundFrom struct {
	Account FundsAccount `json:"account"` // FundsAvailable or FundsUnavailable
	Amount  int64        `json:"amount"`  // fen
}

// CreateRefundAmount is the amount of a refund request.
type CreateRefundAmount struct {
	// Refund is the amount to refund (fen, > 0), at most Total minus what
	// earlier refunds of the transaction returned.
	Refund int64 `json:"refund"`
	// From splits Refund across funding accounts; its amounts must add up
	// to Refund. Leave it empty unless WeChat Pay told you otherwise.
	From []RefundFrom `json:"from,omitempty"`
	// Total is the original transaction's amount (fen): for pay score,
	// what that collection took.
	Total    int64  `json:"total"`
	Currency string `json:"currency"` // CurrencyCNY
}

// RefundGoods is one item of a refund's goods_detail (单品退款).
type RefundGoods struct {
	MerchantGoodsID  string `json:"merchant_goods_id"`            // required: the merchant's item id
	WechatpayGoodsID string `json:"wechatpay_goods_id,omitempty"` // WeChat Pay's item id
	GoodsName        string `json:"goods_name,omitempty"`
	UnitPrice        int64  `json:"unit_price"`      // fen
	RefundAmount     int64  `json:"refund_amount"`   // fen
	RefundQuantity   int    `json:"refund_quantity"` // units, > 0
}

// CreateRefundRequest is the body of POST /v3/refund/domestic/refunds
// (申请退款, protocol.md §7.1). Give exactly one of TransactionID and
// OutTradeNo.
type CreateRefundRequest struct {
	// SubMchID is the sub-merchant whose charge a service provider refunds;
	// required from a service provider, empty for a direct merchant.
	SubMchID string `json:"sub_mchid,omitempty"`
	// TransactionID is the WeChat Pay transaction to refund: a service
	// order's collection.details[].transaction_id or a legacy order's
	// finish_transaction_id.
	TransactionID string `json:"transaction_id,omitempty"`
	// OutTradeNo is the deduction's own merchant trade number, which pay
	// score generates. It is NOT the order's out_order_no; prefer
	// TransactionID.
	OutTradeNo string `json:"out_trade_no,omitempty"`
	// OutRefundNo is the merchant's refund number: 1–64 digits, letters
	// and '_', '-', '*', '@', '|', unique per merchant. A number is
	// refunded once only, which is what makes retries safe.
	OutRefundNo string `json:"out_refund_no"`
	// Reason is shown to the user (except on partial refunds of ≤ 1 CNY);
	// at most 80 bytes.
	Reason string `json:"reason,omitempty"`
	// NotifyURL receives the REFUND.* callback instead of the URL
	// configured in the merchant console; no query string.
	NotifyURL string `json:"notify_url,omitempty"`
	// FundsAccount: FundsAvailable funds the refund from the available
	// balance (merchants on the old fund flow only); leave it empty
	// otherwise.
	FundsAccount FundsAccount       `json:"funds_account,omitempty"`
	Amount       CreateRefundAmount `json:"amount"`
	GoodsDetail  []RefundGoods      `json:"goods_detail,omitempty"` // 单品退款 only
}

func (r CreateRefundRequest) validate() error {
	var v validator
	switch {
	case r.TransactionID == "" && r.OutTradeNo == "":
		v.failf("/transaction_id", "is required (or out_trade_no)")
	case r.TransactionID != "" && r.OutTradeNo != "":
		v.failf("/out_trade_no", "cannot be combined with transaction_id; give exactly one")
	}
	v.optional("/sub_mchid", r.SubMchID, 32)
	v.optional("/transaction_id", r.TransactionID, 32)
	v.optional("/out_trade_no", r.OutTradeNo, 32)
	v.outRefundNo("/out_refund_no", r.OutRefundNo)
	v.optional("/reason", r.Reason, 0)
	if n := len(r.Reason); n > 80 {
		v.failf("/reason", "is %d bytes long, at most 80 allowed (a Chinese character takes 3)", n)
	}
	v.optional("/notify_url", r.NotifyURL, 256)
	v.notifyURL("/notify_url", r.NotifyURL)
	switch r.FundsAccount {
	case "", FundsAvailable, FundsUnsettled:
	default:
		v.failf("/funds_account", "is %q; a refund may name only %s or %s", r.FundsAccount, FundsAvailable, FundsUnsettled)
	}
	a := r.Amount
	switch {
	case a.Total <= 0:
		v.failf("/amount/total", "must be positive, is %d", a.Total)
	case a.Refund <= 0:
		v.failf("/amount/refund", "must be positive, is %d", a.Refund)
	case a.Refund > a.Total:
		v.failf("/amount/refund", "is %d, more than the transaction's total %d", a.Refund, a.Total)
	}
	switch a.Currency {
	case CurrencyCNY:
	case "":
		v.failf("/amount/currency", "is required (%s)", CurrencyCNY)
	default:
		v.failf("/amount/currency", "is %q; domestic refunds are in %s", a.Currency, CurrencyCNY)
	}
	var from int64
	for i, f := range a.From {
		field := fmt.Sprintf("/amount/from/%d", i)
		switch f.Account {
		case FundsAvailable, FundsUnavailable:
		default:
			v.failf(field+"/account", "is %q; want %s or %s", f.Account, FundsAvailable, FundsUnavailable)
		}
		if f.Amount <= 0 {
			v.failf(field+"/amount", "must be positive, is %d", f.Amount)
		}
		from += f.Amount
	}
	if len(a.From) > 0 && from != a.Refund {
		v.failf("/amount/from", "adds up to %d, but refund is %d", from, a.Refund)
	}
	for i, g := range r.GoodsDetail {
		field := fmt.Sprintf("/goods_detail/%d", i)
		v.required(field+"/merchant_goods_id", g.MerchantGoodsID, 32)
		v.optional(field+"/wechatpay_goods_id", g.WechatpayGoodsID, 32)
		v.optional(field+"/goods_name", g.GoodsName, 256)
		if g.UnitPrice < 0 {
			v.failf(field+"/unit_price", "is negative (%d)", g.UnitPrice)
		}
		if g.RefundAmount < 0 {
			v.failf(field+"/refund_amount", "is negative (%d)", g.RefundAmount)
		}
		if g.RefundQuantity <= 0 {
			v.failf(field+"/refund_quantity", "must be positive, is %d", g.RefundQuantity)
		}
	}
	return v.err()
}

// outRefundNo checks a merchant refund number: 1–64 characters of digits,
// letters, '_', '-', '*', '@' and '|'.
func (v *validator) outRefundNo(field, s string) {
	v.required(field, s, 64)
	v.charset(field, s, "_-*@|")
}

// RefundAmount is the amount of a Refund.
type RefundAmount struct {
	Total            int64        `json:"total"`                       // the transaction's amount (fen)
	Refund           int64        `json:"refund"`                      // this refund (fen)
	From             []RefundFrom `json:"from,omitempty"`              // funding accounts, if split
	PayerTotal       int64        `json:"payer_total"`                 // what the user paid of Total
	PayerRefund      int64        `json:"payer_refund"`                // what the user gets back
	SettlementRefund int64        `json:"settlement_refund,omitempty"` // refund minus non-settled coupons
	SettlementTotal  int64        `json:"settlement_total,omitempty"`  // total minus non-settled coupons
	DiscountRefund   int64        `json:"discount_refund,omitempty"`   // coupon share of the refund
	Currency         string       `json:"currency,omitempty"`          // CNY
	// RefundFee is the fee refunded to the merchant; only some answers
	// carry it.
	RefundFee int64 `json:"refund_fee,omitempty"`
}

// RefundPromotion is a coupon involved in a refund.
type RefundPromotion struct {
	PromotionID  string        `json:"promotion_id"`
	Scope        string        `json:"scope,omitempty"`        // GLOBAL or SINGLE
	Type         string        `json:"type,omitempty"`         // COUPON or DISCOUNT
	Amount       int64         `json:"amount"`                 // the coupon's amount (fen)
	RefundAmount int64         `json:"refund_amount"`          // its share of the refund (fen)
	GoodsDetail  []RefundGoods `json:"goods_detail,omitempty"` // items of a SINGLE coupon
}

// Refund is a refund as WeChat Pay returns it (protocol.md §7.1).
type Refund struct {
	RefundID      string        `json:"refund_id"`     // WeChat Pay's id of the refund
	OutRefundNo   string        `json:"out_refund_no"` // the merchant's refund number
	TransactionID string        `json:"transaction_id"`
	OutTradeNo    string        `json:"out_trade_no"`
	Channel       RefundChannel `json:"channel,omitempty"`
	// UserReceivedAccount names where the money went, e.g. 招商银行信用卡0403
	// or 支付用户零钱.
	UserReceivedAccount string `json:"user_received_account,omitempty"`
	// SuccessTime (RFC 3339) is set only once the refund is SUCCESS; see
	// SucceededAt.
	SuccessTime     string            `json:"success_time,omitempty"`
	CreateTime      string            `json:"create_time,omitempty"` // RFC 3339
	Status          RefundStatus      `json:"status"`
	FundsAccount    FundsAccount      `json:"funds_account,omitempty"`
	Amount          RefundAmount      `json:"amount"`
	PromotionDetail []RefundPromotion `json:"promotion_detail,omitempty"`
}

// SucceededAt parses SuccessTime.
func (r Refund) SucceededAt() (time.Time, error) {
	t, err := time.Parse(time.RFC3339, r.SuccessTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("refund %s success_time: %w", r.OutRefundNo, err)
	}
	return t, nil
}

// CreateRefund asks for a refund: POST /v3/refund/domestic/refunds. The
// answer is usually PROCESSING: the outcome comes later as a REFUND.SUCCESS,
// REFUND.ABNORMAL or REFUND.CLOSED callback (see RefundEvent), or from
// QueryRefund.
//
// To retry a refund whose outcome is unknown (a timeout, a 5xx, a 429, for
// which WeChat Pay says acceptance is unknown), send it again with the SAME
// OutRefundNo and parameters, or query it first: a refund number is refunded
// once only, whereas a new number would refund the money a second time.
// Each further partial refund of a transaction needs a new number.
func (c *Client) CreateRefund(ctx context.Context, req CreateRefundRequest) (*Refund, error) {
	return send[Refund](ctx, c, http.MethodPost, pathRefunds, nil, req.validate(), req)
}

// QueryRefundRequest selects a refund for GET
// /v3/refund/domestic/refunds/{out_refund_no} (查询单笔退款, protocol.md
// §7.2).
type QueryRefundRequest struct {
	OutRefundNo string // in the path: the merchant's refund number
	// SubMchID is the sub-merchant whose refund a service provider
	// queries; empty for a direct merchant.
	SubMchID string
}

func (r QueryRefundRequest) validate() error {
	var v validator
	v.outRefundNo("out_refund_no", r.OutRefundNo)
	v.optional("sub_mchid", r.SubMchID, 32)
	return v.err()
}

// QueryRefund returns a refund by the merchant's refund number: GET
// /v3/refund/domestic/refunds/{out_refund_no}. An unknown number is an
// *APIError with CodeResourceNotExists.
func (c *Client) QueryRefund(ctx context.Context, req QueryRefundRequest) (*Refund, error) {
	var q url.Values
	if req.SubMchID != "" {
		q = url.Values{"sub_mchid": {req.SubMchID}}
	}
	return send[Refund](ctx, c, http.MethodGet, pathRefunds+"/"+url.PathEscape(req.OutRefundNo), q, req.validate(), nil)
}
