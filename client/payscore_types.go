package client

import (
	"fmt"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// This file holds the objects of the Pay Score (微信支付分) API as protocol.md
// §2–§4 and §6.3 describe them. They are written from the documentation, not
// shared with the mock, so that a wrong JSON name on either side shows up in
// the other's tests. Amounts are int64 fen (分, 1/100 CNY); times stay the
// strings WeChat Pay sends (yyyyMMddHHmmss / yyyyMMdd in Beijing time, or RFC
// 3339), with parse helpers where a caller needs a time.Time.

// State is the state of a service order (protocol.md §4.11).
type State string

// Service-order states.
const (
	// StateCreated: created in 需确认 mode, waiting for the user to confirm.
	StateCreated State = "CREATED"
	// StateDoing: the service is running; see StateDescription for whether
	// the merchant has completed it yet.
	StateDoing State = "DOING"
	// StateDone: paid (or nothing to pay). Terminal.
	StateDone State = "DONE"
	// StateRevoked: cancelled by the merchant. Terminal.
	StateRevoked State = "REVOKED"
	// StateExpired: CREATED and unchanged for 30 days. Terminal.
	StateExpired State = "EXPIRED"
)

// StateDescription refines StateDoing; WeChat Pay sends it only while an
// order is DOING.
type StateDescription string

// State descriptions of a DOING order.
const (
	// DescriptionUserConfirm: the user confirmed (or the order was created
	// in 免确认 mode); the merchant may now complete it.
	DescriptionUserConfirm StateDescription = "USER_CONFIRM"
	// DescriptionMchComplete: the merchant completed it and WeChat Pay is
	// collecting the money; see ServiceOrder.Collection.
	DescriptionMchComplete StateDescription = "MCH_COMPLETE"
)

// CollectionState is the state of collecting a completed order's money.
type CollectionState string

// Collection states.
const (
	CollectionUserPaying CollectionState = "USER_PAYING" // 待支付: money still owed
	CollectionUserPaid   CollectionState = "USER_PAID"   // 已支付: fully collected
)

// PaidType says how one collection was made.
type PaidType string

// Paid types of a CollectionDetail.
const (
	// PaidTypeNewton: collected by WeChat Pay (deduction or user payment);
	// the detail then carries the transaction_id to refund against.
	PaidTypeNewton PaidType = "NEWTON"
	// PaidTypeMch: paid through the merchant's own channel and reported
	// with SyncServiceOrder.
	PaidTypeMch PaidType = "MCH"
)

// RiskFundName is the kind of risk fund (订单风险金) an order declares. It
// decides what happens when the user fails the pay-score risk check and
// caps the completion amount (protocol.md §4.1.5).
type RiskFundName string

// Risk fund names. The first three are 先免 mode (the user may pay a deposit
// instead, and total_amount may not exceed risk_fund.amount); the last is
// 先享 mode (the user is refused, and total_amount may exceed it up to the
// service cap).
const (
	RiskFundDeposit           RiskFundName = "DEPOSIT"             // 押金
	RiskFundAdvance           RiskFundName = "ADVANCE"             // 预付款
	RiskFundCashDeposit       RiskFundName = "CASH_DEPOSIT"        // 保证金
	RiskFundEstimateOrderCost RiskFundName = "ESTIMATE_ORDER_COST" // 预估订单费用
)

// StartOnAccept is the time_range.start_time that means "when the user
// confirms the order".
const StartOnAccept = "OnAccept"

// GoodsInfoName is the one post_payments item name that may repeat within
// an order (商品信息); every other name must be unique.
const GoodsInfoName = "商品信息"

// Payment is one post_payments item (后付费项目, protocol.md §4.1.1).
type Payment struct {
	// Name is required, at most 20 characters and unique within the order
	// unless it is GoodsInfoName.
	Name string `json:"name"`
	// Amount in fen, nil to leave it out. An item needs Amount or
	// Description; 0 is a real amount (nothing charged for this item),
	// which is why it is a pointer. See Fen.
	Amount *int64 `json:"amount,omitempty"`
	// Description is at most 30 characters.
	Description string `json:"description,omitempty"`
	// Count is 1–100; 0 leaves it out, which WeChat Pay reads as 1.
	Count int `json:"count,omitempty"`
}

// Discount is one post_discounts item (商户优惠, protocol.md §4.1.2). At
// creation Name and Description are required; at completion, modification
// and direct completion Name and Amount.
type Discount struct {
	Name        string `json:"name"`                  // at most 20 characters, unique within the order
	Description string `json:"description,omitempty"` // at most 30 characters
	Amount      *int64 `json:"amount,omitempty"`      // fen; see Fen
	Count       int    `json:"count,omitempty"`       // at most 100; 0 leaves it out (1)
}

// Fen returns a pointer to an amount in fen, for the optional amounts of
// Payment and Discount: Payment{Name: "里程费", Amount: client.Fen(4000)}.
func Fen(amount int64) *int64 { return &amount }

// Bool returns a pointer to b, for optional booleans whose absence means
// something else than false, such as
// CreateServiceOrderRequest.NeedUserConfirm.
func Bool(b bool) *bool { return &b }

// RiskFund is an order's risk fund (订单风险金, protocol.md §4.1.5).
type RiskFund struct {
	Name        RiskFundName `json:"name"`                  // decides the 先免/先享 rules
	Amount      int64        `json:"amount"`                // fen, > 0
	Description string       `json:"description,omitempty"` // at most 30 characters
}

// TimeRange is the service period (服务时间段, protocol.md §4.1.3). Times are
// yyyyMMddHHmmss or yyyyMMdd in Beijing time (see Time14); StartTime may be
// StartOnAccept at creation.
type TimeRange struct {
	StartTime       string `json:"start_time,omitempty"`        // 14 or 8 digits, or StartOnAccept
	StartTimeRemark string `json:"start_time_remark,omitempty"` // at most 20 characters
	EndTime         string `json:"end_time,omitempty"`          // 14 or 8 digits
	EndTimeRemark   string `json:"end_time_remark,omitempty"`   // at most 20 characters
}

// Location is where the service starts and ends (服务位置, protocol.md
// §4.1.4), each at most 50 characters. EndLocation is accepted only if
// the order was created with a StartLocation.
type Location struct {
	StartLocation string `json:"start_location,omitempty"` // e.g. the pick-up point
	EndLocation   string `json:"end_location,omitempty"`   // e.g. the drop-off point
}

// Device identifies the devices involved (设备信息, protocol.md §4.1.6),
// required by WeChat Pay for some industries (vending machines, power
// banks, chargers).
type Device struct {
	StartDeviceID string `json:"start_device_id,omitempty"` // merchant-defined, e.g. a serial number
	EndDeviceID   string `json:"end_device_id,omitempty"`   // the device where the service ended
	MaterielNo    string `json:"materiel_no,omitempty"`     // 物料编码
}

// Collection is how much of a completed order has been collected (收款信息,
// protocol.md §4.1.7). WeChat Pay returns it only after a non-zero
// completion.
type Collection struct {
	State        CollectionState    `json:"state"`
	TotalAmount  int64              `json:"total_amount"`      // fen, the order's total_amount
	PayingAmount int64              `json:"paying_amount"`     // fen still owed
	PaidAmount   int64              `json:"paid_amount"`       // fen collected
	Details      []CollectionDetail `json:"details,omitempty"` // one per successful collection
	// BankType is listed by one source only (protocol.md §4.1.7); expect
	// it to be empty.
	BankType string `json:"bank_type,omitempty"`
}

// CollectionDetail is one successful collection.
type CollectionDetail struct {
	Seq      int      `json:"seq"`       // 1, 2, 3, …
	Amount   int64    `json:"amount"`    // fen
	PaidType PaidType `json:"paid_type"` // NEWTON (WeChat Pay) or MCH (merchant, via sync)
	// PaidTime is yyyyMMddHHmmss or yyyyMMdd (Beijing time); see PaidAt.
	PaidTime string `json:"paid_time"`
	// TransactionID is the WeChat Pay transaction of a NEWTON collection of
	// a positive amount: refunds of pay-score orders are made against it,
	// never against out_order_no.
	TransactionID   string            `json:"transaction_id,omitempty"`
	PromotionDetail []PromotionDetail `json:"promotion_detail,omitempty"` // coupons applied
}

// PaidAt parses PaidTime. A date-only value is midnight Beijing time of that
// day, as WeChat Pay documents for collection details.
func (d CollectionDetail) PaidAt() (time.Time, error) {
	t, _, err := protocol.ParseServiceTime(d.PaidTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("collection detail %d paid_time: %w", d.Seq, err)
	}
	return t, nil
}

// PromotionDetail is a coupon applied to a collection (orders completed
// after 2020-05-27).
type PromotionDetail struct {
	CouponID            string           `json:"coupon_id"`                      // 券ID
	Name                string           `json:"name,omitempty"`                 // coupon name
	Scope               string           `json:"scope,omitempty"`                // GLOBAL or SINGLE
	Type                string           `json:"type,omitempty"`                 // CASH or NOCASH
	Amount              int64            `json:"amount"`                         // fen
	StockID             string           `json:"stock_id,omitempty"`             // 批次ID
	WechatpayContribute int64            `json:"wechatpay_contribute,omitempty"` // fen paid by WeChat Pay
	MerchantContribute  int64            `json:"merchant_contribute,omitempty"`  // fen paid by the merchant
	OtherContribute     int64            `json:"other_contribute,omitempty"`     // fen paid by others
	Currency            string           `json:"currency,omitempty"`             // CNY
	GoodsDetail         []PromotionGoods `json:"goods_detail,omitempty"`         // items of a SINGLE coupon
}

// PromotionGoods is one item a coupon applied to.
type PromotionGoods struct {
	GoodsID        string `json:"goods_id"`                  // the merchant's item id
	Quantity       int    `json:"quantity,omitempty"`        // units
	UnitPrice      int64  `json:"unit_price,omitempty"`      // fen
	DiscountAmount int64  `json:"discount_amount,omitempty"` // fen
	GoodsRemark    string `json:"goods_remark,omitempty"`    // 商品备注
}

// ServiceOrder is a pay-score service order (支付分服务订单) as WeChat Pay
// returns it (protocol.md §4.1.8). Create, query, complete, modify, sync
// and direct-complete all answer with (a subset of) this object; fields an
// endpoint does not return stay zero.
type ServiceOrder struct {
	// AppID and MchID are the merchant's, or, for a service provider's
	// order (protocol-partner.md §4), the service provider's.
	AppID string `json:"appid"`
	MchID string `json:"mchid"`
	// SubMchID is the sub-merchant of a service provider's order, and
	// SubAppID its app when the order named one; both empty otherwise.
	SubMchID            string `json:"sub_mchid,omitempty"`
	SubAppID            string `json:"sub_appid,omitempty"`
	OutOrderNo          string `json:"out_order_no"`         // the merchant's order number
	ServiceID           string `json:"service_id"`           // the pay-score service
	ServiceIntroduction string `json:"service_introduction"` // shown to the user
	State               State  `json:"state"`
	// StateDescription is set only while State is StateDoing.
	StateDescription StateDescription `json:"state_description,omitempty"`
	// TotalAmount (fen) is set by completion or modification; 0 before.
	TotalAmount   int64      `json:"total_amount,omitempty"`
	PostPayments  []Payment  `json:"post_payments,omitempty"`  // the latest list (creation, completion or modification)
	PostDiscounts []Discount `json:"post_discounts,omitempty"` // likewise
	RiskFund      RiskFund   `json:"risk_fund,omitzero"`       // as declared at creation
	TimeRange     TimeRange  `json:"time_range,omitzero"`      // planned, then actual times
	Location      Location   `json:"location,omitzero"`
	Attach        string     `json:"attach,omitempty"`     // echoed from creation
	NotifyURL     string     `json:"notify_url,omitempty"` // where order callbacks go
	// OpenID is set once the user is known: at creation in 免确认 mode,
	// after confirmation in 需确认 mode.
	OpenID string `json:"openid,omitempty"`
	// SubOpenID is the user of a service provider's order made under
	// SubAppID, instead of OpenID.
	SubOpenID string `json:"sub_openid,omitempty"`
	// OrderID is WeChat Pay's id of the order.
	OrderID string `json:"order_id"`
	// Package is returned by creation only: the extraData.package the
	// front end passes to wx.openBusinessView (businessType wxpayScoreUse)
	// so the user can confirm. It is valid for one hour.
	Package string `json:"package,omitempty"`
	// NeedCollection is absent before completion; then true when WeChat
	// Pay collects money, false when there is nothing to collect.
	NeedCollection *bool `json:"need_collection,omitempty"`
	// Collection is absent before a non-zero completion.
	Collection *Collection `json:"collection,omitempty"`
}

// ServiceOrderRef identifies an order; it is what cancel and pay answer
// with.
type ServiceOrderRef struct {
	AppID      string `json:"appid"`
	MchID      string `json:"mchid"`
	OutOrderNo string `json:"out_order_no"` // the merchant's order number
	ServiceID  string `json:"service_id"`
	OrderID    string `json:"order_id"` // WeChat Pay's id of the order
}

// UseServiceState says whether a user has enabled the merchant's service
// (protocol.md §2).
type UseServiceState string

// Values of UserServiceState.UseServiceState.
const (
	UseServiceAvailable   UseServiceState = "AVAILABLE"   // the user authorised the service
	UseServiceUnavailable UseServiceState = "UNAVAILABLE" // never authorised, or terminated
)

// UserServiceState is the answer of GET /v3/payscore/user-service-state.
type UserServiceState struct {
	AppID           string          `json:"appid"`
	ServiceID       string          `json:"service_id"`
	OpenID          string          `json:"openid,omitempty"`
	UseServiceState UseServiceState `json:"use_service_state"` // AVAILABLE or UNAVAILABLE
}

// AuthorizationState is the state of an authorization record (protocol.md
// §3.7).
type AuthorizationState string

// Authorization states.
const (
	// AuthorizationUnbindUser: pre-authorised by the merchant, the user has
	// not authorised yet. Never returned by a lookup by openid.
	AuthorizationUnbindUser AuthorizationState = "UNBINDUSER"
	// AuthorizationAvailable: the user authorised; 免确认 orders may be
	// created for them.
	AuthorizationAvailable AuthorizationState = "AVAILABLE"
	// AuthorizationUnavailable: authorised before, then terminated.
	AuthorizationUnavailable AuthorizationState = "UNAVAILABLE"
)

// Permission is a user's authorization record (授权记录, protocol.md §3.2,
// §3.4). Its times are RFC 3339 with milliseconds, e.g.
// 2015-05-20T13:29:35.120+08:00, as sent.
type Permission struct {
	ServiceID string `json:"service_id"` // the pay-score service authorised
	// AppID and MchID are those of the user's most recent successful
	// authorization, not necessarily the request's: a service provider's
	// for a partner's record.
	AppID string `json:"appid"`
	MchID string `json:"mchid"`
	// SubMchID is the sub-merchant of a service provider's record; SubAppID
	// its app, when the user authorised there.
	SubMchID string `json:"sub_mchid,omitempty"`
	SubAppID string `json:"sub_appid,omitempty"`
	OpenID   string `json:"openid,omitempty"` // absent until the user is bound
	// SubOpenID is the user under SubAppID, instead of OpenID.
	SubOpenID string `json:"sub_openid,omitempty"`
	// AuthorizationCode is the merchant's pre-authorization code; a lookup
	// by openid may leave it out.
	AuthorizationCode        string             `json:"authorization_code,omitempty"`
	AuthorizationState       AuthorizationState `json:"authorization_state"`
	NotifyURL                string             `json:"notify_url,omitempty"`                 // lookups by code only
	CancelAuthorizationTime  string             `json:"cancel_authorization_time,omitempty"`  // last termination
	AuthorizationSuccessTime string             `json:"authorization_success_time,omitempty"` // last authorization
	// UserRiskLevel (用户分层) and RiskLevelVersion are newer optional
	// fields; nil when absent.
	UserRiskLevel    *int `json:"user_risk_level,omitempty"`
	RiskLevelVersion *int `json:"risk_level_version,omitempty"`
}

// Time14 renders t as yyyyMMddHHmmss in Beijing time, the form of every
// TimeRange and paid_time. Servers run in UTC, and a UTC end_time is the
// classic cause of "实际结束时间不能晚于使用完结接口的时间".
func Time14(t time.Time) string { return protocol.Format14(t) }
