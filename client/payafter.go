package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/mockpay/mockpay/client/protocol"
)

// Legacy 先享后付 orders (/v3/payscore/payafter-orders, protocol.md §5), the
// 2019 predecessor of the service-order API that many merchants still run.
// An order is CREATED, accepted by the user (USER_ACCEPTED, or at once in
// 免确认 mode), completed with the finish_ticket a query or the
// PAYSCORE.USER_ACCEPTED callback hands over (FINISHED), and paid
// (USER_PAID, PAYSCORE.USER_PAID). Its callbacks go to the merchant's
// notify_url registered with WeChat Pay: the API has no notify_url field.
//
// Each method validates its request locally (returning a *ValidationError
// without sending anything), then signs, sends and verifies it through
// Client.do.
//
// The 2019 documentation (payscore.php?chapter=17_*) is no longer online;
// protocol.md §5 reconstructs it from SDKs and integrators' code.

const pathPayAfter = "/v3/payscore/payafter-orders"

// payAfterPath is the path of an action on one legacy order.
func payAfterPath(outOrderNo, action string) string {
	return pathPayAfter + "/" + url.PathEscape(outOrderNo) + "/" + action
}

// CreatePayAfterOrderRequest is the body of POST
// /v3/payscore/payafter-orders (创建先享后付订单, protocol.md §5.1).
type CreatePayAfterOrderRequest struct {
	AppID string `json:"appid"` // bound to the merchant; later calls use the same
	// OutOrderNo is the merchant's order number: 1–32 digits, letters,
	// '_', '-', '|' or '*', unique per merchant.
	OutOrderNo string `json:"out_order_no"`
	ServiceID  string `json:"service_id"` // the pay-score service
	// ServiceStartTime is yyyyMMddHHmmss or yyyyMMdd (Beijing time; see
	// Time14), or StartOnAccept for the moment the user accepts.
	ServiceStartTime string `json:"service_start_time"`
	// ServiceEndTime is the planned end, yyyyMMddHHmmss or yyyyMMdd.
	ServiceEndTime       string `json:"service_end_time,omitempty"`
	ServiceStartLocation string `json:"service_start_location,omitempty"` // at most 20 characters
	ServiceEndLocation   string `json:"service_end_location,omitempty"`   // at most 20 characters
	// ServiceIntroduction is shown to the user; at most 20 characters.
	ServiceIntroduction string `json:"service_introduction"`
	// Fees are the estimated charges, at least one.
	Fees []PayAfterFee `json:"fees"`
	// Discounts (at most 5) take a name and description, no amount.
	Discounts []PayAfterDiscount `json:"discounts,omitempty"`
	// RiskAmount (fen, > 0) is the most the order may charge, within the
	// service's cap.
	RiskAmount int64 `json:"risk_amount"`
	// Attach is echoed in queries and callbacks; URL-encode it first; at
	// most 200 characters.
	Attach string `json:"attach,omitempty"`
	// NeedUserConfirm nil leaves the field out, which WeChat Pay treats as
	// true (the user accepts the order in WeChat). Bool(false) is 免确认:
	// the user must have authorised the service, and the order is
	// USER_ACCEPTED at once.
	NeedUserConfirm *bool `json:"need_user_confirm,omitempty"`
	// OpenID is the user; required when NeedUserConfirm is false.
	OpenID string `json:"openid,omitempty"`

	// Name, Phone, UserID (ID-card number) and Address are the user's
	// details in plain text. The client encrypts each one that is set
	// with the key of WithEncryptionKey and names that key in
	// Wechatpay-Serial; without the option, setting one is a
	// *ValidationError.
	Name    string `json:"-"`
	Phone   string `json:"-"`
	UserID  string `json:"-"`
	Address string `json:"-"`
}

// createPayAfterOrderBody is the request as sent: the sensitive fields
// replaced by their ciphertexts (the request's own are never marshalled).
type createPayAfterOrderBody struct {
	CreatePayAfterOrderRequest
	Name    string `json:"name,omitempty"`
	Phone   string `json:"phone,omitempty"`
	UserID  string `json:"userid,omitempty"`
	Address string `json:"address,omitempty"`
}

func (r CreatePayAfterOrderRequest) validate() error {
	var v validator
	v.required("/appid", r.AppID, 32)
	v.outOrderNo("/out_order_no", r.OutOrderNo)
	v.required("/service_id", r.ServiceID, 32)
	if r.ServiceStartTime == "" {
		v.failf("/service_start_time", "is required (a time or %s)", StartOnAccept)
	}
	v.serviceTime("/service_start_time", r.ServiceStartTime, true)
	v.serviceTime("/service_end_time", r.ServiceEndTime, false)
	v.period("/service_end_time", "service_start_time", r.ServiceStartTime, r.ServiceEndTime)
	v.optional("/service_start_location", r.ServiceStartLocation, 20)
	v.optional("/service_end_location", r.ServiceEndLocation, 20)
	v.required("/service_introduction", r.ServiceIntroduction, 20)
	v.fees(r.Fees, 1)
	v.payAfterDiscounts(r.Discounts, discountsAtCreation)
	if r.RiskAmount <= 0 {
		v.failf("/risk_amount", "must be positive, is %d", r.RiskAmount)
	}
	v.optional("/attach", r.Attach, 200)
	v.optional("/openid", r.OpenID, 128)
	if r.NeedUserConfirm != nil && !*r.NeedUserConfirm && r.OpenID == "" {
		v.failf("/openid", "is required when need_user_confirm is false (免确认)")
	}
	return v.err()
}

// seal returns the body to send, with the sensitive fields encrypted for k,
// and whether there were any.
func (r CreatePayAfterOrderRequest) seal(k *encryptionKey) (createPayAfterOrderBody, bool, error) {
	b := createPayAfterOrderBody{CreatePayAfterOrderRequest: r}
	sealed, err := k.seal(
		sensitiveField{"/name", r.Name, &b.Name},
		sensitiveField{"/phone", r.Phone, &b.Phone},
		sensitiveField{"/userid", r.UserID, &b.UserID},
		sensitiveField{"/address", r.Address, &b.Address},
	)
	return b, sealed, err
}

// CreatePayAfterOrder creates a legacy 先享后付 order: POST
// /v3/payscore/payafter-orders. It is CREATED, and the user accepts it in
// WeChat (PAYSCORE.USER_ACCEPTED to the merchant's notify_url); in 免确认
// mode it is USER_ACCEPTED at once, and its finish_ticket comes from
// QueryPayAfterOrder.
//
// Sensitive user fields are encrypted with the WithEncryptionKey key, and
// the request then carries that key's serial in Wechatpay-Serial.
func (c *Client) CreatePayAfterOrder(ctx context.Context, req CreatePayAfterOrderRequest) (*CreatePayAfterOrderResponse, error) {
	const method, path = http.MethodPost, pathPayAfter
	invalid := req.validate()
	var body createPayAfterOrderBody
	var sealed bool
	if invalid == nil {
		body, sealed, invalid = req.seal(c.encryption)
	}
	if invalid != nil || !sealed {
		return send[CreatePayAfterOrderResponse](ctx, c, method, path, nil, invalid, body)
	}
	out := new(CreatePayAfterOrderResponse)
	if _, err := c.doWithSerial(ctx, method, path, nil, body, out, c.encryption.serial); err != nil {
		return nil, err
	}
	return out, nil
}

// QueryPayAfterOrderRequest selects a legacy order for GET
// /v3/payscore/payafter-orders (查询先享后付订单, protocol.md §5.2): by
// OutOrderNo or by QueryID, exactly one.
type QueryPayAfterOrderRequest struct {
	OutOrderNo string // the merchant's order number, or
	// QueryID is what WeChat hands the merchant's front end when the user
	// leaves the mini-program.
	QueryID   string
	ServiceID string // required: the order's service id
	AppID     string // required: the order's appid
}

// QueryPayAfterOrder returns a legacy order in full: GET
// /v3/payscore/payafter-orders. While the order is USER_ACCEPTED the answer
// carries the FinishTicket that CompletePayAfterOrder needs; once it is
// USER_PAID, the FinishTransactionID to refund against. An unknown order is
// an *APIError with CodeOrderNotExist.
func (c *Client) QueryPayAfterOrder(ctx context.Context, req QueryPayAfterOrderRequest) (*PayAfterOrder, error) {
	q := QueryServiceOrderRequest(req) // the same selection rules and parameters
	return send[PayAfterOrder](ctx, c, http.MethodGet, pathPayAfter, q.query(), q.validate(), nil)
}

// CancelPayAfterOrderRequest is the body of POST
// /v3/payscore/payafter-orders/{out_order_no}/cancel (撤销先享后付订单,
// protocol.md §5.4).
type CancelPayAfterOrderRequest struct {
	OutOrderNo string `json:"-"`          // in the path
	AppID      string `json:"appid"`      // the appid the order was created with
	ServiceID  string `json:"service_id"` // the order's service id
	// Reason is required; the legacy documentation gives no length limit.
	Reason string `json:"reason"`
}

func (r CancelPayAfterOrderRequest) validate() error {
	var v validator
	v.outOrderNo("out_order_no", r.OutOrderNo)
	v.required("/appid", r.AppID, 32)
	v.required("/service_id", r.ServiceID, 32)
	v.required("/reason", r.Reason, 0)
	return v.err()
}

// CancelPayAfterOrder revokes a CREATED or USER_ACCEPTED legacy order: POST
// /v3/payscore/payafter-orders/{out_order_no}/cancel. An accepted order can
// also be ended with CompletePayAfterOrder and FinishTypeCancelled.
func (c *Client) CancelPayAfterOrder(ctx context.Context, req CancelPayAfterOrderRequest) (*PayAfterOrderRef, error) {
	return send[PayAfterOrderRef](ctx, c, http.MethodPost, payAfterPath(req.OutOrderNo, "cancel"), nil, req.validate(), req)
}

// CompletePayAfterOrderRequest is the body of POST
// /v3/payscore/payafter-orders/{out_order_no}/complete (完结先享后付订单,
// protocol.md §5.3).
type CompletePayAfterOrderRequest struct {
	OutOrderNo string `json:"-"`          // in the path
	AppID      string `json:"appid"`      // the appid the order was created with
	ServiceID  string `json:"service_id"` // the order's service id
	// FinishType is FinishTypeFinished (the service was used; charge
	// TotalAmount) or FinishTypeCancelled (not used; TotalAmount 0 and a
	// CancelReason).
	FinishType FinishType `json:"finish_type"`
	// CancelReason is required with FinishTypeCancelled.
	CancelReason string `json:"cancel_reason,omitempty"`
	// RealServiceStartTime and RealServiceEndTime are the actual times,
	// yyyyMMddHHmmss or yyyyMMdd in Beijing time (see Time14), not after
	// the call.
	RealServiceStartTime   string `json:"real_service_start_time,omitempty"`
	RealServiceEndTime     string `json:"real_service_end_time,omitempty"`
	RealServiceEndLocation string `json:"real_service_end_location,omitempty"` // at most 20 characters
	// Fees and Discounts (each with an amount) replace the lists given at
	// creation.
	Fees      []PayAfterFee      `json:"fees,omitempty"`
	Discounts []PayAfterDiscount `json:"discounts,omitempty"` // see Fees
	// TotalAmount (fen) must equal Σfee_amount − Σdiscount_amount, within
	// the risk amount; 0 is sent, and is the only value with
	// FinishTypeCancelled.
	TotalAmount int64 `json:"total_amount"`
	// FinishTicket is required: the voucher a query returns while the
	// order is USER_ACCEPTED, or the one PAYSCORE.USER_ACCEPTED carried.
	// Any ticket obtained for the order stays valid.
	FinishTicket string `json:"finish_ticket"`
	// ProfitSharing marks the deduction for profit sharing (分账).
	ProfitSharing bool `json:"profit_sharing,omitempty"`
}

func (r CompletePayAfterOrderRequest) validate() error {
	var v validator
	v.outOrderNo("out_order_no", r.OutOrderNo)
	v.required("/appid", r.AppID, 32)
	v.required("/service_id", r.ServiceID, 32)
	fees := v.fees(r.Fees, 0)
	discounts := v.payAfterDiscounts(r.Discounts, discountsAtSettlement)
	switch r.FinishType {
	case FinishTypeFinished:
		switch {
		case r.TotalAmount < 0:
			v.failf("/total_amount", "is negative (%d)", r.TotalAmount)
		case r.TotalAmount != fees-discounts:
			v.failf("/total_amount", "is %d, but fees minus discounts is %d - %d = %d",
				r.TotalAmount, fees, discounts, fees-discounts)
		}
	case FinishTypeCancelled:
		if r.TotalAmount != 0 {
			v.failf("/total_amount", "is %d; it must be 0 with finish_type %d (service not used)", r.TotalAmount, FinishTypeCancelled)
		}
		if r.CancelReason == "" {
			v.failf("/cancel_reason", "is required with finish_type %d (service not used)", FinishTypeCancelled)
		}
	case 0:
		v.failf("/finish_type", "is required: %d (service used) or %d (not used)", FinishTypeFinished, FinishTypeCancelled)
	default:
		v.failf("/finish_type", "is %d; want %d (service used) or %d (not used)", r.FinishType, FinishTypeFinished, FinishTypeCancelled)
	}
	v.optional("/cancel_reason", r.CancelReason, 0)
	v.serviceTime("/real_service_start_time", r.RealServiceStartTime, false)
	v.serviceTime("/real_service_end_time", r.RealServiceEndTime, false)
	v.period("/real_service_end_time", "real_service_start_time", r.RealServiceStartTime, r.RealServiceEndTime)
	v.optional("/real_service_end_location", r.RealServiceEndLocation, 20)
	v.required("/finish_ticket", r.FinishTicket, 0)
	return v.err()
}

// CompletePayAfterOrder completes a USER_ACCEPTED legacy order: POST
// /v3/payscore/payafter-orders/{out_order_no}/complete. With
// FinishTypeFinished the order is FINISHED and WeChat Pay then collects
// TotalAmount on its own: the order becomes USER_PAID and
// PAYSCORE.USER_PAID goes to the merchant's notify_url. A CREATED order has
// no finish_ticket yet and cannot be completed.
func (c *Client) CompletePayAfterOrder(ctx context.Context, req CompletePayAfterOrderRequest) (*PayAfterOrderRef, error) {
	return send[PayAfterOrderRef](ctx, c, http.MethodPost, payAfterPath(req.OutOrderNo, "complete"), nil, req.validate(), req)
}

// SyncPayAfterOrderRequest is the body of POST
// /v3/payscore/payafter-orders/{out_order_no}/sync (支付分订单同步,
// protocol.md §5.5).
type SyncPayAfterOrderRequest struct {
	OutOrderNo string   `json:"-"`          // in the path
	AppID      string   `json:"appid"`      // the appid the order was created with
	ServiceID  string   `json:"service_id"` // the order's service id
	Type       SyncType `json:"type"`       // SyncOrderPaid
	// Detail.PaidTime is when the user paid: yyyyMMddHHmmss (Beijing
	// time), the only form the legacy API documents.
	Detail SyncDetail `json:"detail"`
}

func (r SyncPayAfterOrderRequest) validate() error {
	var v validator
	v.outOrderNo("out_order_no", r.OutOrderNo)
	v.required("/appid", r.AppID, 32)
	v.required("/service_id", r.ServiceID, 32)
	switch r.Type {
	case SyncOrderPaid:
		if r.Detail.PaidTime == "" {
			v.failf("/detail/paid_time", "is required with type %s", SyncOrderPaid)
		} else if _, dateOnly, err := protocol.ParseServiceTime(r.Detail.PaidTime); err != nil || dateOnly {
			v.failf("/detail/paid_time", "must be yyyyMMddHHmmss")
		}
	case "":
		v.failf("/type", "is required")
	default:
		v.failf("/type", "is %q; the only sync type is %s", r.Type, SyncOrderPaid)
	}
	return v.err()
}

// SyncPayAfterOrder reports that the user of a FINISHED legacy order paid
// through the merchant's own channel: POST
// /v3/payscore/payafter-orders/{out_order_no}/sync. The order becomes
// USER_PAID with pay type MchChannelPayType.
func (c *Client) SyncPayAfterOrder(ctx context.Context, req SyncPayAfterOrderRequest) (*PayAfterOrderRef, error) {
	return send[PayAfterOrderRef](ctx, c, http.MethodPost, payAfterPath(req.OutOrderNo, "sync"), nil, req.validate(), req)
}

// fees checks a legacy fees list, of which there must be at least minItems,
// and returns the sum of its amounts.
func (v *validator) fees(fs []PayAfterFee, minItems int) int64 {
	if len(fs) < minItems {
		v.failf("/fees", "needs at least one item")
	}
	var sum int64
	for i, f := range fs {
		field := fmt.Sprintf("/fees/%d", i)
		v.required(field+"/fee_name", f.Name, 20)
		v.optional(field+"/fee_desc", f.Description, 30)
		if f.Amount < 0 {
			v.failf(field+"/fee_amount", "is negative (%d)", f.Amount)
		}
		if f.Count < 0 || f.Count > 100 {
			v.failf(field+"/fee_count", "is %d, must be 1–100 (or 0 to leave it out)", f.Count)
		}
		sum += f.Amount
	}
	return sum
}

// payAfterDiscounts checks a legacy discounts list (at most 5): at creation
// without amounts, when money is settled each with one. It returns the sum
// of the amounts.
func (v *validator) payAfterDiscounts(ds []PayAfterDiscount, rule discountRule) int64 {
	if len(ds) > 5 {
		v.failf("/discounts", "has %d items, at most 5 allowed", len(ds))
	}
	var sum int64
	for i, d := range ds {
		field := fmt.Sprintf("/discounts/%d", i)
		v.required(field+"/discount_name", d.Name, 20)
		v.optional(field+"/discount_desc", d.Description, 30)
		switch {
		case rule == discountsAtCreation && d.Amount != nil:
			v.failf(field+"/discount_amount", "is not accepted at creation; give it at completion")
		case rule == discountsAtSettlement && d.Amount == nil:
			v.failf(field+"/discount_amount", "is required")
		case d.Amount != nil && *d.Amount < 0:
			v.failf(field+"/discount_amount", "is negative (%d)", *d.Amount)
		case d.Amount != nil:
			sum += *d.Amount
		}
	}
	return sum
}
