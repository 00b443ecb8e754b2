// Package wire is the JSON of the Pay Score API as the mock reads and
// writes it (protocol.md §2–5): the requests the HTTP layer decodes, the
// answers and callback resources, and the views that render stored orders
// and authorizations as those answers. These are mockpay's own wire types,
// written from the API documentation and never shared with the client, so
// that a wrong JSON name on either side is caught by the other. The rules
// the fields follow are package rules'; what the requests do is package
// payscore's.
package wire

import "github.com/mockpay/mockpay/mock/internal/store"

// Payment is a post_payments item.
type Payment struct {
	Name        string `json:"name,omitempty"`
	Amount      *int64 `json:"amount,omitempty"`
	Description string `json:"description,omitempty"`
	Count       *int64 `json:"count,omitempty"`
}

// PaymentAmount is a post_payments item's amount, for sums.
func PaymentAmount(p Payment) *int64 { return p.Amount }

// Discount is a post_discounts item.
type Discount struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Amount      *int64 `json:"amount,omitempty"`
	Count       *int64 `json:"count,omitempty"`
}

// DiscountAmount is a post_discounts item's amount, for sums.
func DiscountAmount(d Discount) *int64 { return d.Amount }

// RiskFund is risk_fund.
type RiskFund struct {
	Name        string `json:"name"`
	Amount      *int64 `json:"amount"`
	Description string `json:"description,omitempty"`
}

// TimeRange is time_range.
type TimeRange struct {
	StartTime       string `json:"start_time,omitempty"`
	StartTimeRemark string `json:"start_time_remark,omitempty"`
	EndTime         string `json:"end_time,omitempty"`
	EndTimeRemark   string `json:"end_time_remark,omitempty"`
}

// Location is location.
type Location struct {
	StartLocation string `json:"start_location,omitempty"`
	EndLocation   string `json:"end_location,omitempty"`
}

// Device is device.
type Device struct {
	StartDeviceID string `json:"start_device_id,omitempty"`
	EndDeviceID   string `json:"end_device_id,omitempty"`
	MaterielNo    string `json:"materiel_no,omitempty"`
}

// The request bodies below are those of the direct merchant's API and of
// the service provider's (/v3/payscore/partner/..., protocol-partner.md
// §4), which differ only in the sub-merchant's fields: sub_mchid, which
// the HTTP layer resolves to the caller's bound sub-merchant before the
// domain sees the request, and on creates sub_appid and sub_openid. The
// rules say which fields each caller's call must, may or may not carry.

// CreateOrderRequest is the body of POST /v3/payscore/serviceorder and of
// POST /v3/payscore/partner/serviceorder.
type CreateOrderRequest struct {
	SubMchID            string     `json:"sub_mchid"`
	OutOrderNo          string     `json:"out_order_no"`
	AppID               string     `json:"appid"`
	ServiceID           string     `json:"service_id"`
	ServiceIntroduction string     `json:"service_introduction"`
	PostPayments        []Payment  `json:"post_payments"`
	PostDiscounts       []Discount `json:"post_discounts"`
	TimeRange           *TimeRange `json:"time_range"`
	Location            *Location  `json:"location"`
	RiskFund            *RiskFund  `json:"risk_fund"`
	Attach              string     `json:"attach"`
	NotifyURL           string     `json:"notify_url"`
	OpenID              string     `json:"openid"`
	NeedUserConfirm     *bool      `json:"need_user_confirm"`
	Device              *Device    `json:"device"`
	SubAppID            string     `json:"sub_appid"`
	SubOpenID           string     `json:"sub_openid"`
}

// User is the user a create names: by openid, or by sub_openid.
func (r *CreateOrderRequest) User() store.UserRef {
	return store.UserRef{OpenID: r.OpenID, SubOpenID: r.SubOpenID}
}

// NeedsConfirmation reports whether the user must confirm the order
// (需确认), the default; false is 免确认.
func (r *CreateOrderRequest) NeedsConfirmation() bool {
	return r.NeedUserConfirm == nil || *r.NeedUserConfirm
}

// CancelRequest is the body of .../{out_order_no}/cancel, of either order
// API. A partner's has no appid.
type CancelRequest struct {
	SubMchID  string `json:"sub_mchid"`
	AppID     string `json:"appid"`
	ServiceID string `json:"service_id"`
	Reason    string `json:"reason"`
}

// CompleteRequest is the body of .../{out_order_no}/complete. A partner's
// has no appid, and may say when the service was completed.
type CompleteRequest struct {
	SubMchID      string     `json:"sub_mchid"`
	AppID         string     `json:"appid"`
	ServiceID     string     `json:"service_id"`
	PostPayments  []Payment  `json:"post_payments"`
	PostDiscounts []Discount `json:"post_discounts"`
	TotalAmount   *int64     `json:"total_amount"`
	TimeRange     *TimeRange `json:"time_range"`
	Location      *Location  `json:"location"`
	ProfitSharing *bool      `json:"profit_sharing"`
	GoodsTag      string     `json:"goods_tag"`
	Device        *Device    `json:"device"`
	CompleteTime  string     `json:"complete_time"`
}

// ModifyRequest is the body of .../{out_order_no}/modify. A partner's has
// no appid.
type ModifyRequest struct {
	SubMchID      string     `json:"sub_mchid"`
	AppID         string     `json:"appid"`
	ServiceID     string     `json:"service_id"`
	PostPayments  []Payment  `json:"post_payments"`
	PostDiscounts []Discount `json:"post_discounts"`
	TotalAmount   *int64     `json:"total_amount"`
	Reason        string     `json:"reason"`
	Device        *Device    `json:"device"`
}

// PayRequest is the body of .../{out_order_no}/pay. A partner's has no
// appid.
type PayRequest struct {
	SubMchID  string `json:"sub_mchid"`
	AppID     string `json:"appid"`
	ServiceID string `json:"service_id"`
}

// SyncRequest is the body of .../{out_order_no}/sync, of either order
// API. A partner's has no appid.
type SyncRequest struct {
	SubMchID  string      `json:"sub_mchid"`
	AppID     string      `json:"appid"`
	ServiceID string      `json:"service_id"`
	Type      string      `json:"type"`
	Detail    *SyncDetail `json:"detail"`
}

// SyncDetail is sync's detail.
type SyncDetail struct {
	PaidTime string `json:"paid_time"`
}

// DirectCompleteRequest is the body of POST
// /v3/payscore/serviceorder/direct-complete and of its partner twin.
type DirectCompleteRequest struct {
	SubMchID            string     `json:"sub_mchid"`
	SubAppID            string     `json:"sub_appid"`
	OutOrderNo          string     `json:"out_order_no"`
	AppID               string     `json:"appid"`
	ServiceID           string     `json:"service_id"`
	OpenID              string     `json:"openid"`
	ServiceIntroduction string     `json:"service_introduction"`
	PostPayments        []Payment  `json:"post_payments"`
	PostDiscounts       []Discount `json:"post_discounts"`
	TimeRange           *TimeRange `json:"time_range"`
	Location            *Location  `json:"location"`
	TotalAmount         *int64     `json:"total_amount"`
	ProfitSharing       *bool      `json:"profit_sharing"`
	GoodsTag            string     `json:"goods_tag"`
	Attach              string     `json:"attach"`
	NotifyURL           string     `json:"notify_url"`
}

// OrderQuery is the query of GET /v3/payscore/serviceorder, of its partner
// twin (which has no appid) and of GET /v3/payscore/payafter-orders.
type OrderQuery struct {
	OutOrderNo string
	QueryID    string
	ServiceID  string
	AppID      string
}

// Collection is collection.
type Collection struct {
	State        string             `json:"state"`
	TotalAmount  int64              `json:"total_amount"`
	PayingAmount int64              `json:"paying_amount"`
	PaidAmount   int64              `json:"paid_amount"`
	Details      []CollectionDetail `json:"details,omitempty"`
}

// CollectionDetail is collection.details[].
type CollectionDetail struct {
	Seq           int64  `json:"seq"`
	Amount        int64  `json:"amount"`
	PaidType      string `json:"paid_type"`
	PaidTime      string `json:"paid_time"`
	TransactionID string `json:"transaction_id,omitempty"`
}

// Order is a service order as the API returns it (query, callbacks) and,
// trimmed, as create, complete and modify return it.
type Order struct {
	AppID               string      `json:"appid"`
	MchID               string      `json:"mchid"`
	SubAppID            string      `json:"sub_appid,omitempty"` // a partner order's
	SubMchID            string      `json:"sub_mchid,omitempty"` // a partner order's
	OutOrderNo          string      `json:"out_order_no"`
	ServiceID           string      `json:"service_id"`
	ServiceIntroduction string      `json:"service_introduction,omitempty"`
	State               string      `json:"state"`
	StateDescription    string      `json:"state_description,omitempty"`
	TotalAmount         *int64      `json:"total_amount,omitempty"`
	PostPayments        []Payment   `json:"post_payments,omitempty"`
	PostDiscounts       []Discount  `json:"post_discounts,omitempty"`
	RiskFund            *RiskFund   `json:"risk_fund,omitempty"`
	TimeRange           *TimeRange  `json:"time_range,omitempty"`
	Location            *Location   `json:"location,omitempty"`
	Attach              string      `json:"attach,omitempty"`
	NotifyURL           string      `json:"notify_url,omitempty"`
	OpenID              string      `json:"openid,omitempty"`
	SubOpenID           string      `json:"sub_openid,omitempty"` // a partner order's user under sub_appid
	OrderID             string      `json:"order_id"`
	Package             string      `json:"package,omitempty"`
	NeedCollection      *bool       `json:"need_collection,omitempty"`
	Collection          *Collection `json:"collection,omitempty"`
}

// OrderIDs is what cancel and pay return.
type OrderIDs struct {
	AppID      string `json:"appid"`
	MchID      string `json:"mchid"`
	OutOrderNo string `json:"out_order_no"`
	ServiceID  string `json:"service_id"`
	OrderID    string `json:"order_id"`
}
