package client

import (
	"fmt"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// This file holds the objects of the legacy 先享后付 API
// (/v3/payscore/payafter-orders, protocol.md §5), written from the
// documentation like payscore_types.go. Its field names differ from the
// service-order API's (fees, discounts, risk_amount, service_start_time,
// finish_ticket, finish_type), so it has types of its own.

// PayAfterState is the state of a legacy 先享后付 order (protocol.md §5.6).
// It is a type of its own because the legacy states differ from State.
type PayAfterState string

// Legacy order states.
const (
	// PayAfterCreated: created (商户下单已受理), waiting for the user to
	// accept; it expires after one hour.
	PayAfterCreated PayAfterState = "CREATED"
	// PayAfterUserAccepted: the user accepted (用户成功使用服务), or the order
	// was created 免确认; only now does a query return the FinishTicket that
	// completion needs.
	PayAfterUserAccepted PayAfterState = "USER_ACCEPTED"
	// PayAfterFinished: the merchant completed it (商户完结订单) and WeChat
	// Pay is collecting the money.
	PayAfterFinished PayAfterState = "FINISHED"
	// PayAfterUserPaid: the money was collected (用户支付成功); the order's
	// FinishTransactionID is the transaction to refund against. Terminal.
	PayAfterUserPaid PayAfterState = "USER_PAID"
	// PayAfterRevoked: cancelled by the merchant (商户撤销). Terminal.
	PayAfterRevoked PayAfterState = "REVOKED"
	// PayAfterExpired: CREATED and unchanged for more than an hour. Terminal.
	PayAfterExpired PayAfterState = "EXPIRED"
)

// FinishType says how a legacy order was completed (finish_type).
type FinishType int

// Finish types of CompletePayAfterOrderRequest and PayAfterOrder.
const (
	// FinishTypeCancelled (1): the service was not used; the order is
	// cancelled, total_amount must be 0 and a cancel_reason is required.
	FinishTypeCancelled FinishType = 1
	// FinishTypeFinished (2): the service was used; the user owes
	// total_amount = Σfee_amount − Σdiscount_amount.
	FinishTypeFinished FinishType = 2
)

// PayAfterPayType says how a legacy order was paid (pay_type).
type PayAfterPayType string

// PayTypeMchChannel: the user paid through the merchant's own channel,
// reported with SyncPayAfterOrder.
const PayTypeMchChannel PayAfterPayType = "MchChannelPayType"

// PayAfterFee is one fees item (付费项目) of a legacy order. The legacy
// documentation gives no length limits; the client applies those of the
// service-order API's post_payments (name 20, description 30 characters).
type PayAfterFee struct {
	Name        string `json:"fee_name"`            // required
	Count       int    `json:"fee_count,omitempty"` // 0 leaves it out (1)
	Amount      int64  `json:"fee_amount"`          // fen, ≥ 0
	Description string `json:"fee_desc,omitempty"`  // e.g. 起步价+里程费
}

// PayAfterDiscount is one discounts item (商户优惠) of a legacy order: at
// most 5. Creation takes a name and description but no amount; completion
// needs the amount, which queries and callbacks then return.
type PayAfterDiscount struct {
	Name        string `json:"discount_name"`           // at most 20 characters
	Description string `json:"discount_desc,omitempty"` // at most 30 characters
	// Amount in fen: nil at creation, required at completion; see Fen.
	Amount *int64 `json:"discount_amount,omitempty"`
}

// CreatePayAfterOrderResponse is the answer of POST
// /v3/payscore/payafter-orders: the order's ids and what the front end
// needs to open the pay-score mini-program, where the user accepts the
// order.
type CreatePayAfterOrderResponse struct {
	AppID      string `json:"appid"`
	MchID      string `json:"mchid"`
	OutOrderNo string `json:"out_order_no"` // the merchant's order number
	ServiceID  string `json:"service_id"`
	OrderID    string `json:"order_id"` // WeChat Pay's id of the order
	// MiniprogramBusinessType is the businessType for
	// wx.openBusinessView, e.g. wxpayScoreUse.
	MiniprogramBusinessType string `json:"miniprogram_businesstype,omitempty"`
	// MiniprogramAppID, MiniprogramPath and MiniprogramUsername locate
	// the pay-score mini-program for navigateToMiniProgram.
	MiniprogramAppID    string `json:"miniprogram_appid,omitempty"`
	MiniprogramPath     string `json:"miniprogram_path,omitempty"`
	MiniprogramUsername string `json:"miniprogram_username,omitempty"`
	// Package is the extraData.package for the front end; valid one hour.
	Package string `json:"package,omitempty"`
}

// PayAfterOrder is a legacy 先享后付 order as GET
// /v3/payscore/payafter-orders returns it (protocol.md §5.2). Fields that
// do not apply in the order's state stay zero.
type PayAfterOrder struct {
	AppID      string        `json:"appid"`
	MchID      string        `json:"mchid"`
	OutOrderNo string        `json:"out_order_no"` // the merchant's order number
	ServiceID  string        `json:"service_id"`
	State      PayAfterState `json:"state"`
	// FinishType is set once the order is completed.
	FinishType FinishType `json:"finish_type,omitempty"`
	// ServiceStartTime and ServiceEndTime are the planned times as given
	// at creation: yyyyMMddHHmmss, yyyyMMdd (Beijing time) or OnAccept.
	ServiceStartTime string `json:"service_start_time,omitempty"`
	ServiceEndTime   string `json:"service_end_time,omitempty"`
	// RealServiceStartTime and RealServiceEndTime are the actual times
	// given at completion.
	RealServiceStartTime     string             `json:"real_service_start_time,omitempty"`
	RealServiceEndTime       string             `json:"real_service_end_time,omitempty"`
	ServiceStartLocation     string             `json:"service_start_location,omitempty"`
	ServiceEndLocation       string             `json:"service_end_location,omitempty"`
	RealServiceStartLocation string             `json:"real_service_start_location,omitempty"`
	RealServiceEndLocation   string             `json:"real_service_end_location,omitempty"`
	ServiceIntroduction      string             `json:"service_introduction,omitempty"`
	Fees                     []PayAfterFee      `json:"fees,omitempty"`      // the latest list (creation or completion)
	Discounts                []PayAfterDiscount `json:"discounts,omitempty"` // with amounts after completion
	RiskAmount               int64              `json:"risk_amount,omitempty"`
	// TotalAmount (fen) is set by completion; 0 before.
	TotalAmount int64  `json:"total_amount,omitempty"`
	Attach      string `json:"attach,omitempty"` // echoed from creation
	// FinishTicket is the completion voucher, returned only while the
	// order is USER_ACCEPTED. The value may change from one query to the
	// next, and every ticket obtained stays valid.
	FinishTicket string `json:"finish_ticket,omitempty"`
	// FinishTransactionID is the WeChat Pay transaction of the final
	// charge, only once USER_PAID: refunds are made against it.
	FinishTransactionID string `json:"finish_transaction_id,omitempty"`
	// PaySuccTime is when the user paid (yyyyMMddHHmmss, Beijing time);
	// see PaidAt.
	PaySuccTime string          `json:"pay_succ_time,omitempty"`
	PayType     PayAfterPayType `json:"pay_type,omitempty"` // set when paid through the merchant's channel
	OrderID     string          `json:"order_id,omitempty"` // WeChat Pay's id of the order
	OpenID      string          `json:"openid,omitempty"`   // once the user is known
}

// PaidAt parses PaySuccTime; a date-only value is midnight Beijing time.
func (o PayAfterOrder) PaidAt() (time.Time, error) {
	t, _, err := protocol.ParseServiceTime(o.PaySuccTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("payafter order %s pay_succ_time: %w", o.OutOrderNo, err)
	}
	return t, nil
}

// PayAfterOrderRef identifies a legacy order; it is what cancel, complete
// and sync answer with (sync leaves ServiceID out).
type PayAfterOrderRef struct {
	AppID      string `json:"appid"`
	MchID      string `json:"mchid"`
	OutOrderNo string `json:"out_order_no"`         // the merchant's order number
	ServiceID  string `json:"service_id,omitempty"` // not returned by sync
	OrderID    string `json:"order_id"`             // WeChat Pay's id of the order
}
