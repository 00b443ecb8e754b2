package payscore

import (
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The JSON of the service-order API (protocol.md §4), as the mock reads and
// writes it. These are mockpay's own wire types, written from the API
// documentation and never shared with the client, so that a wrong JSON name
// on either side is caught by the other.

// Payment is a post_payments item.
type Payment struct {
	Name        string `json:"name,omitempty"`
	Amount      *int64 `json:"amount,omitempty"`
	Description string `json:"description,omitempty"`
	Count       *int64 `json:"count,omitempty"`
}

// Discount is a post_discounts item.
type Discount struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Amount      *int64 `json:"amount,omitempty"`
	Count       *int64 `json:"count,omitempty"`
}

// RiskFundJSON is risk_fund.
type RiskFundJSON struct {
	Name        string `json:"name"`
	Amount      *int64 `json:"amount"`
	Description string `json:"description,omitempty"`
}

// TimeRangeJSON is time_range.
type TimeRangeJSON struct {
	StartTime       string `json:"start_time,omitempty"`
	StartTimeRemark string `json:"start_time_remark,omitempty"`
	EndTime         string `json:"end_time,omitempty"`
	EndTimeRemark   string `json:"end_time_remark,omitempty"`
}

// LocationJSON is location.
type LocationJSON struct {
	StartLocation string `json:"start_location,omitempty"`
	EndLocation   string `json:"end_location,omitempty"`
}

// DeviceJSON is device.
type DeviceJSON struct {
	StartDeviceID string `json:"start_device_id,omitempty"`
	EndDeviceID   string `json:"end_device_id,omitempty"`
	MaterielNo    string `json:"materiel_no,omitempty"`
}

// CreateOrderRequest is the body of POST /v3/payscore/serviceorder.
type CreateOrderRequest struct {
	OutOrderNo          string         `json:"out_order_no"`
	AppID               string         `json:"appid"`
	ServiceID           string         `json:"service_id"`
	ServiceIntroduction string         `json:"service_introduction"`
	PostPayments        []Payment      `json:"post_payments"`
	PostDiscounts       []Discount     `json:"post_discounts"`
	TimeRange           *TimeRangeJSON `json:"time_range"`
	Location            *LocationJSON  `json:"location"`
	RiskFund            *RiskFundJSON  `json:"risk_fund"`
	Attach              string         `json:"attach"`
	NotifyURL           string         `json:"notify_url"`
	OpenID              string         `json:"openid"`
	NeedUserConfirm     *bool          `json:"need_user_confirm"`
	Device              *DeviceJSON    `json:"device"`
}

// CancelRequest is the body of .../{out_order_no}/cancel.
type CancelRequest struct {
	AppID     string `json:"appid"`
	ServiceID string `json:"service_id"`
	Reason    string `json:"reason"`
}

// CompleteRequest is the body of .../{out_order_no}/complete.
type CompleteRequest struct {
	AppID         string         `json:"appid"`
	ServiceID     string         `json:"service_id"`
	PostPayments  []Payment      `json:"post_payments"`
	PostDiscounts []Discount     `json:"post_discounts"`
	TotalAmount   *int64         `json:"total_amount"`
	TimeRange     *TimeRangeJSON `json:"time_range"`
	Location      *LocationJSON  `json:"location"`
	ProfitSharing *bool          `json:"profit_sharing"`
	GoodsTag      string         `json:"goods_tag"`
	Device        *DeviceJSON    `json:"device"`
}

// ModifyRequest is the body of .../{out_order_no}/modify.
type ModifyRequest struct {
	AppID         string      `json:"appid"`
	ServiceID     string      `json:"service_id"`
	PostPayments  []Payment   `json:"post_payments"`
	PostDiscounts []Discount  `json:"post_discounts"`
	TotalAmount   *int64      `json:"total_amount"`
	Reason        string      `json:"reason"`
	Device        *DeviceJSON `json:"device"`
}

// PayRequest is the body of .../{out_order_no}/pay.
type PayRequest struct {
	AppID     string `json:"appid"`
	ServiceID string `json:"service_id"`
}

// SyncRequest is the body of .../{out_order_no}/sync.
type SyncRequest struct {
	AppID     string      `json:"appid"`
	ServiceID string      `json:"service_id"`
	Type      string      `json:"type"`
	Detail    *SyncDetail `json:"detail"`
}

// SyncDetail is sync's detail.
type SyncDetail struct {
	PaidTime string `json:"paid_time"`
}

// DirectCompleteRequest is the body of POST /v3/payscore/serviceorder/direct-complete.
type DirectCompleteRequest struct {
	OutOrderNo          string         `json:"out_order_no"`
	AppID               string         `json:"appid"`
	ServiceID           string         `json:"service_id"`
	OpenID              string         `json:"openid"`
	ServiceIntroduction string         `json:"service_introduction"`
	PostPayments        []Payment      `json:"post_payments"`
	PostDiscounts       []Discount     `json:"post_discounts"`
	TimeRange           *TimeRangeJSON `json:"time_range"`
	Location            *LocationJSON  `json:"location"`
	TotalAmount         *int64         `json:"total_amount"`
	ProfitSharing       *bool          `json:"profit_sharing"`
	GoodsTag            string         `json:"goods_tag"`
	Attach              string         `json:"attach"`
	NotifyURL           string         `json:"notify_url"`
}

// OrderQuery is the query of GET /v3/payscore/serviceorder.
type OrderQuery struct {
	OutOrderNo string
	QueryID    string
	ServiceID  string
	AppID      string
}

// CollectionJSON is collection.
type CollectionJSON struct {
	State        string       `json:"state"`
	TotalAmount  int64        `json:"total_amount"`
	PayingAmount int64        `json:"paying_amount"`
	PaidAmount   int64        `json:"paid_amount"`
	Details      []DetailJSON `json:"details,omitempty"`
}

// DetailJSON is collection.details[].
type DetailJSON struct {
	Seq           int64  `json:"seq"`
	Amount        int64  `json:"amount"`
	PaidType      string `json:"paid_type"`
	PaidTime      string `json:"paid_time"`
	TransactionID string `json:"transaction_id,omitempty"`
}

// Order is a service order as the API returns it (query, notifications)
// and, trimmed, as create, complete and modify return it.
type Order struct {
	AppID               string          `json:"appid"`
	MchID               string          `json:"mchid"`
	OutOrderNo          string          `json:"out_order_no"`
	ServiceID           string          `json:"service_id"`
	ServiceIntroduction string          `json:"service_introduction,omitempty"`
	State               string          `json:"state"`
	StateDescription    string          `json:"state_description,omitempty"`
	TotalAmount         *int64          `json:"total_amount,omitempty"`
	PostPayments        []Payment       `json:"post_payments,omitempty"`
	PostDiscounts       []Discount      `json:"post_discounts,omitempty"`
	RiskFund            *RiskFundJSON   `json:"risk_fund,omitempty"`
	TimeRange           *TimeRangeJSON  `json:"time_range,omitempty"`
	Location            *LocationJSON   `json:"location,omitempty"`
	Attach              string          `json:"attach,omitempty"`
	NotifyURL           string          `json:"notify_url,omitempty"`
	OpenID              string          `json:"openid,omitempty"`
	OrderID             string          `json:"order_id"`
	Package             string          `json:"package,omitempty"`
	NeedCollection      *bool           `json:"need_collection,omitempty"`
	Collection          *CollectionJSON `json:"collection,omitempty"`
}

// OrderIDs is what cancel and pay return.
type OrderIDs struct {
	AppID      string `json:"appid"`
	MchID      string `json:"mchid"`
	OutOrderNo string `json:"out_order_no"`
	ServiceID  string `json:"service_id"`
	OrderID    string `json:"order_id"`
}

// View renders a stored order as the query API returns it.
func View(o *store.Order) Order {
	total := o.TotalAmount
	v := Order{
		AppID:               o.AppID,
		MchID:               o.MchID,
		OutOrderNo:          o.OutOrderNo,
		ServiceID:           o.ServiceID,
		ServiceIntroduction: o.ServiceIntroduction,
		State:               o.State,
		StateDescription:    o.StateDescription,
		TotalAmount:         &total,
		PostPayments:        paymentsJSON(o.PostPayments),
		PostDiscounts:       discountsJSON(o.PostDiscounts),
		TimeRange:           timeRangeJSON(o),
		Attach:              o.Attach,
		NotifyURL:           o.NotifyURL,
		OpenID:              o.OpenID,
		OrderID:             o.OrderID,
	}
	if o.RiskFund.Name != "" {
		amount := o.RiskFund.Amount
		v.RiskFund = &RiskFundJSON{Name: o.RiskFund.Name, Amount: &amount, Description: o.RiskFund.Description}
	}
	if o.Location != nil {
		v.Location = &LocationJSON{StartLocation: o.Location.StartLocation, EndLocation: o.Location.EndLocation}
	}
	if o.Completed {
		need := o.Collection != nil
		v.NeedCollection = &need
	}
	if c := o.Collection; c != nil {
		cj := &CollectionJSON{State: c.State, TotalAmount: c.TotalAmount, PayingAmount: c.PayingAmount, PaidAmount: c.PaidAmount}
		for _, d := range c.Details {
			cj.Details = append(cj.Details, DetailJSON{Seq: d.Seq, Amount: d.Amount, PaidType: d.PaidType, PaidTime: protocol.Format14(d.PaidTime), TransactionID: d.TransactionID})
		}
		v.Collection = cj
	}
	return v
}

// IDs renders what cancel and pay return.
func IDs(o *store.Order) OrderIDs {
	return OrderIDs{AppID: o.AppID, MchID: o.MchID, OutOrderNo: o.OutOrderNo, ServiceID: o.ServiceID, OrderID: o.OrderID}
}

func timeRangeJSON(o *store.Order) *TimeRangeJSON {
	t := o.TimeRange
	if t == (store.TimeRange{}) {
		return nil
	}
	return &TimeRangeJSON{StartTime: t.StartTime, StartTimeRemark: t.StartTimeRemark, EndTime: t.EndTime, EndTimeRemark: t.EndTimeRemark}
}

func paymentsJSON(ps []store.PostPayment) []Payment {
	var out []Payment
	for _, p := range ps {
		out = append(out, Payment{Name: p.Name, Amount: p.Amount, Description: p.Description, Count: p.Count})
	}
	return out
}

func discountsJSON(ds []store.PostDiscount) []Discount {
	var out []Discount
	for _, d := range ds {
		out = append(out, Discount{Name: d.Name, Description: d.Description, Amount: d.Amount, Count: d.Count})
	}
	return out
}
