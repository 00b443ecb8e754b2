package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Service orders (支付分服务订单), protocol.md §4. Each method validates its
// request locally (returning a *ValidationError without sending anything),
// then signs, sends and verifies it through Client.do.
//
// Reference: https://pay.weixin.qq.com/docs/merchant/products/weixin-pay-score/apilist.html

const pathServiceOrder = "/v3/payscore/serviceorder"

// serviceOrderPath is the path of an action on one order, with out_order_no
// escaped as a path segment ('|' and '*' are allowed in it).
func serviceOrderPath(outOrderNo, action string) string {
	return pathServiceOrder + "/" + url.PathEscape(outOrderNo) + "/" + action
}

// send is the shape of every typed call that answers with a body: report
// the validation failure, if any, without sending; otherwise call do and
// decode the verified answer into a new T.
func send[T any](ctx context.Context, c *Client, method, path string, query url.Values, invalid error, body any) (*T, error) {
	if invalid != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, invalid)
	}
	out := new(T)
	if _, err := c.do(ctx, method, path, query, body, out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateServiceOrderRequest is the body of POST /v3/payscore/serviceorder
// (创建支付分订单, protocol.md §4.2).
type CreateServiceOrderRequest struct {
	// OutOrderNo is the merchant's order number: 1–32 digits, letters, '_',
	// '-', '|' or '*', unique per merchant. Creation is idempotent on it:
	// repeating identical parameters returns the order, different ones are
	// refused with INVALID_REQUEST.
	OutOrderNo string `json:"out_order_no"`
	// AppID must be bound to the merchant and enabled for ServiceID; the
	// order's later calls must use the same AppID.
	AppID     string `json:"appid"`
	ServiceID string `json:"service_id"` // the pay-score service (服务ID)
	// ServiceIntroduction is shown to the user; at most 20 characters.
	ServiceIntroduction string     `json:"service_introduction"`
	PostPayments        []Payment  `json:"post_payments,omitempty"`  // at most 100
	PostDiscounts       []Discount `json:"post_discounts,omitempty"` // at most 30, each with name and description
	// TimeRange needs StartTime (or StartOnAccept); an EndTime left out
	// here is required at completion.
	TimeRange TimeRange `json:"time_range"`
	Location  Location  `json:"location,omitzero"` // optional; EndLocation needs StartLocation
	RiskFund  RiskFund  `json:"risk_fund"`         // required
	// Attach is echoed in queries and callbacks; URL-encode it first; at
	// most 256 characters.
	Attach string `json:"attach,omitempty"`
	// NotifyURL receives PAYSCORE.USER_CONFIRM and PAYSCORE.USER_PAID: an
	// https URL without query string, at most 255 characters.
	NotifyURL string `json:"notify_url"`
	// OpenID is the user; required when NeedUserConfirm is false.
	OpenID string `json:"openid,omitempty"`
	// NeedUserConfirm nil leaves the field out, which WeChat Pay treats as
	// true (需确认: the order is CREATED and the user confirms it in WeChat).
	// Bool(false) is 免确认: the user must hold an AVAILABLE authorization
	// and the order is DOING/USER_CONFIRM at once.
	NeedUserConfirm *bool  `json:"need_user_confirm,omitempty"`
	Device          Device `json:"device,omitzero"` // required by some industries
}

func (r CreateServiceOrderRequest) validate() error {
	var v validator
	r.check(&v)
	if r.freeOfConfirmation() && r.OpenID == "" {
		v.failf("/openid", "is required when need_user_confirm is false (免确认)")
	}
	return v.err()
}

// freeOfConfirmation reports whether the order is 免确认.
func (r CreateServiceOrderRequest) freeOfConfirmation() bool {
	return r.NeedUserConfirm != nil && !*r.NeedUserConfirm
}

// check is what a create is checked for, a direct merchant's or a service
// provider's, but for who its user is.
func (r CreateServiceOrderRequest) check(v *validator) {
	v.outOrderNo("/out_order_no", r.OutOrderNo)
	v.required("/appid", r.AppID, 32)
	v.required("/service_id", r.ServiceID, 32)
	v.required("/service_introduction", r.ServiceIntroduction, 20)
	v.payments(r.PostPayments, 0)
	v.discounts(r.PostDiscounts, discountsAtCreation)
	v.timeRange(r.TimeRange, timesAtCreation)
	v.location(r.Location)
	v.riskFund(r.RiskFund)
	v.optional("/attach", r.Attach, 256)
	v.required("/notify_url", r.NotifyURL, 255)
	v.notifyURL("/notify_url", r.NotifyURL)
	v.optional("/openid", r.OpenID, 128)
}

// CreateServiceOrder creates a service order: POST /v3/payscore/serviceorder.
// In 需确认 mode the answer is CREATED with a Package for the front end; in
// 免确认 mode it is DOING/USER_CONFIRM.
func (c *Client) CreateServiceOrder(ctx context.Context, req CreateServiceOrderRequest) (*ServiceOrder, error) {
	return send[ServiceOrder](ctx, c, http.MethodPost, pathServiceOrder, nil, req.validate(), req)
}

// QueryServiceOrderRequest selects an order for GET /v3/payscore/serviceorder
// (查询支付分订单, protocol.md §4.3): by OutOrderNo or by QueryID, exactly one.
type QueryServiceOrderRequest struct {
	OutOrderNo string // the merchant's order number, or
	// QueryID is what WeChat hands the merchant's front end when the user
	// leaves the confirm page.
	QueryID   string
	ServiceID string // required: the order's service id
	AppID     string // required: the order's appid
}

func (r QueryServiceOrderRequest) validate() error {
	var v validator
	v.orderSelector(r.OutOrderNo, r.QueryID)
	v.required("service_id", r.ServiceID, 32)
	v.required("appid", r.AppID, 32)
	return v.err()
}

func (r QueryServiceOrderRequest) query() url.Values {
	return selectOrder(url.Values{"service_id": {r.ServiceID}, "appid": {r.AppID}}, r.OutOrderNo, r.QueryID)
}

// orderSelector checks how a query names its order: by out_order_no or by
// query_id, exactly one.
func (v *validator) orderSelector(outOrderNo, queryID string) {
	switch {
	case outOrderNo == "" && queryID == "":
		v.failf("out_order_no", "is required (or query_id)")
	case outOrderNo != "" && queryID != "":
		v.failf("query_id", "cannot be combined with out_order_no; give exactly one")
	case outOrderNo != "":
		v.outOrderNo("out_order_no", outOrderNo)
	default:
		v.required("query_id", queryID, 512)
	}
}

// selectOrder adds to q how a query names its order.
func selectOrder(q url.Values, outOrderNo, queryID string) url.Values {
	if outOrderNo != "" {
		q.Set("out_order_no", outOrderNo)
	} else {
		q.Set("query_id", queryID)
	}
	return q
}

// QueryServiceOrder returns an order in full: GET /v3/payscore/serviceorder.
// An unknown order is an *APIError with CodeOrderNotExist.
func (c *Client) QueryServiceOrder(ctx context.Context, req QueryServiceOrderRequest) (*ServiceOrder, error) {
	return send[ServiceOrder](ctx, c, http.MethodGet, pathServiceOrder, req.query(), req.validate(), nil)
}

// CancelServiceOrderRequest is the body of POST
// /v3/payscore/serviceorder/{out_order_no}/cancel (取消支付分订单,
// protocol.md §4.4).
type CancelServiceOrderRequest struct {
	OutOrderNo string `json:"-"`          // in the path
	AppID      string `json:"appid"`      // the appid the order was created with
	ServiceID  string `json:"service_id"` // required: without it WeChat Pay answers NO_AUTH
	// Reason is shown to the user; at most 50 characters. Cancellation is
	// idempotent only when retried with the same reason.
	Reason string `json:"reason"`
}

func (r CancelServiceOrderRequest) validate() error {
	var v validator
	v.outOrderNo("out_order_no", r.OutOrderNo)
	v.required("/appid", r.AppID, 32)
	v.required("/service_id", r.ServiceID, 32)
	v.required("/reason", r.Reason, 50)
	return v.err()
}

// CancelServiceOrder revokes an order that is not yet paid: POST
// /v3/payscore/serviceorder/{out_order_no}/cancel. It fails while a
// deduction is running; retry a few minutes later.
func (c *Client) CancelServiceOrder(ctx context.Context, req CancelServiceOrderRequest) (*ServiceOrderRef, error) {
	return send[ServiceOrderRef](ctx, c, http.MethodPost, serviceOrderPath(req.OutOrderNo, "cancel"), nil, req.validate(), req)
}

// CompleteServiceOrderRequest is the body of POST
// /v3/payscore/serviceorder/{out_order_no}/complete (完结支付分订单,
// protocol.md §4.6).
type CompleteServiceOrderRequest struct {
	OutOrderNo string `json:"-"`          // in the path
	AppID      string `json:"appid"`      // the appid the order was created with
	ServiceID  string `json:"service_id"` // required: without it WeChat Pay answers NO_AUTH
	// PostPayments (1–100 items) and PostDiscounts (each with name and
	// amount) replace the lists given at creation.
	PostPayments  []Payment  `json:"post_payments"`
	PostDiscounts []Discount `json:"post_discounts,omitempty"` // see PostPayments
	// TotalAmount in fen must equal Σpost_payments.amount −
	// Σpost_discounts.amount; 0 is sent (nothing to collect).
	TotalAmount int64 `json:"total_amount"`
	// TimeRange holds the actual times: EndTime is required if creation
	// left it out, and must not be after the call (Beijing time; see Time14).
	TimeRange TimeRange `json:"time_range,omitzero"`
	// Location may only set EndLocation, and only if the order has a start
	// location.
	Location Location `json:"location,omitzero"`
	// ProfitSharing marks the deduction for profit sharing (分账).
	ProfitSharing bool `json:"profit_sharing,omitempty"`
	// GoodsTag (订单优惠标记) lets coupons configured for the tag apply.
	GoodsTag string `json:"goods_tag,omitempty"`
	Device   Device `json:"device,omitzero"` // optional
}

func (r CompleteServiceOrderRequest) validate() error {
	var v validator
	v.outOrderNo("out_order_no", r.OutOrderNo)
	v.required("/appid", r.AppID, 32)
	v.required("/service_id", r.ServiceID, 32)
	v.completion(r.PostPayments, r.PostDiscounts, r.TotalAmount, r.TimeRange, r.Location)
	return v.err()
}

// completion checks what a completion says, a direct merchant's or a
// service provider's: the final items and the total they make, the actual
// times, and the end location.
func (v *validator) completion(ps []Payment, ds []Discount, total int64, tr TimeRange, loc Location) {
	v.settlement(ps, ds, total)
	v.timeRange(tr, timesAtCompletion)
	v.location(loc)
	if loc.StartLocation != "" {
		v.failf("/location/start_location", "cannot be changed at completion; only end_location is accepted")
	}
}

// settlement checks the items of a completion, modification or direct
// completion, and that total_amount is what they make.
func (v *validator) settlement(ps []Payment, ds []Discount, total int64) {
	payments := v.payments(ps, 1)
	discounts := v.discounts(ds, discountsAtSettlement)
	v.totalAmount(total, payments, discounts)
}

// CompleteServiceOrder ends the service and sets what the user owes: POST
// /v3/payscore/serviceorder/{out_order_no}/complete. The order must be
// DOING/USER_CONFIRM. A positive total makes it DOING/MCH_COMPLETE with
// collection USER_PAYING, and WeChat Pay then deducts on its own and sends
// PAYSCORE.USER_PAID.
func (c *Client) CompleteServiceOrder(ctx context.Context, req CompleteServiceOrderRequest) (*ServiceOrder, error) {
	return send[ServiceOrder](ctx, c, http.MethodPost, serviceOrderPath(req.OutOrderNo, "complete"), nil, req.validate(), req)
}

// ModifyServiceOrderRequest is the body of POST
// /v3/payscore/serviceorder/{out_order_no}/modify (修改订单金额,
// protocol.md §4.5).
type ModifyServiceOrderRequest struct {
	OutOrderNo    string     `json:"-"`                        // in the path
	AppID         string     `json:"appid"`                    // the appid the order was created with
	ServiceID     string     `json:"service_id"`               // required: without it WeChat Pay answers NO_AUTH
	PostPayments  []Payment  `json:"post_payments"`            // required; replaces the previous list
	PostDiscounts []Discount `json:"post_discounts,omitempty"` // each with name and amount; replaces the previous list
	// TotalAmount must equal Σpost_payments.amount −
	// Σpost_discounts.amount and must not exceed the amount set at
	// completion: modification can only lower what the user owes.
	TotalAmount int64  `json:"total_amount"`
	Reason      string `json:"reason"`          // required
	Device      Device `json:"device,omitzero"` // optional
}

func (r ModifyServiceOrderRequest) validate() error {
	var v validator
	v.outOrderNo("out_order_no", r.OutOrderNo)
	v.required("/appid", r.AppID, 32)
	v.required("/service_id", r.ServiceID, 32)
	v.settlement(r.PostPayments, r.PostDiscounts, r.TotalAmount)
	// The length limit of reason is not documented; WeChat Pay checks it.
	v.required("/reason", r.Reason, 0)
	return v.err()
}

// ModifyServiceOrder lowers the amount of a completed, unpaid order
// (DOING/MCH_COMPLETE, USER_PAYING): POST
// /v3/payscore/serviceorder/{out_order_no}/modify.
func (c *Client) ModifyServiceOrder(ctx context.Context, req ModifyServiceOrderRequest) (*ServiceOrder, error) {
	return send[ServiceOrder](ctx, c, http.MethodPost, serviceOrderPath(req.OutOrderNo, "modify"), nil, req.validate(), req)
}

// PayServiceOrderRequest is the body of POST
// /v3/payscore/serviceorder/{out_order_no}/pay (商户发起催收扣款,
// protocol.md §4.7).
type PayServiceOrderRequest struct {
	OutOrderNo string `json:"-"`          // in the path
	AppID      string `json:"appid"`      // the appid the order was created with
	ServiceID  string `json:"service_id"` // required: without it WeChat Pay answers NO_AUTH
}

func (r PayServiceOrderRequest) validate() error {
	var v validator
	v.outOrderNo("out_order_no", r.OutOrderNo)
	v.required("/appid", r.AppID, 32)
	v.required("/service_id", r.ServiceID, 32)
	return v.err()
}

// PayServiceOrder asks WeChat Pay to try the deduction of an unpaid order
// now (催收): POST /v3/payscore/serviceorder/{out_order_no}/pay. The result
// is asynchronous: PAYSCORE.USER_PAID, or a query.
func (c *Client) PayServiceOrder(ctx context.Context, req PayServiceOrderRequest) (*ServiceOrderRef, error) {
	return send[ServiceOrderRef](ctx, c, http.MethodPost, serviceOrderPath(req.OutOrderNo, "pay"), nil, req.validate(), req)
}

// SyncType is what SyncServiceOrder reports.
type SyncType string

// SyncOrderPaid reports that the user paid through the merchant's own
// channel; it is the only sync type.
const SyncOrderPaid SyncType = "Order_Paid"

// SyncDetail is the detail of a sync.
type SyncDetail struct {
	// PaidTime is when the user paid, yyyyMMddHHmmss (Beijing time) after
	// the completion and not after the call. Prefer 14 digits: WeChat
	// Pay's documents disagree on what a date-only value means.
	PaidTime string `json:"paid_time"`
}

// SyncServiceOrderRequest is the body of POST
// /v3/payscore/serviceorder/{out_order_no}/sync (同步服务订单信息,
// protocol.md §4.8).
type SyncServiceOrderRequest struct {
	OutOrderNo string     `json:"-"`          // in the path
	AppID      string     `json:"appid"`      // the appid the order was created with
	ServiceID  string     `json:"service_id"` // required: without it WeChat Pay answers NO_AUTH
	Type       SyncType   `json:"type"`       // SyncOrderPaid
	Detail     SyncDetail `json:"detail"`     // required with SyncOrderPaid
}

func (r SyncServiceOrderRequest) validate() error {
	var v validator
	v.outOrderNo("out_order_no", r.OutOrderNo)
	v.required("/appid", r.AppID, 32)
	v.required("/service_id", r.ServiceID, 32)
	v.sync(r.Type, r.Detail)
	return v.err()
}

// sync checks what a sync reports, a direct merchant's or a service
// provider's.
func (v *validator) sync(typ SyncType, d SyncDetail) {
	switch typ {
	case SyncOrderPaid:
		if d.PaidTime == "" {
			v.failf("/detail/paid_time", "is required with type %s", SyncOrderPaid)
		}
		v.serviceTime("/detail/paid_time", d.PaidTime, false)
	case "":
		v.failf("/type", "is required")
	default:
		v.failf("/type", "is %q; the only sync type is %s", typ, SyncOrderPaid)
	}
}

// SyncServiceOrder reports that the user of a completed, unpaid order paid
// off-platform: POST /v3/payscore/serviceorder/{out_order_no}/sync. The
// order becomes DONE with a collection detail of paid type MCH.
func (c *Client) SyncServiceOrder(ctx context.Context, req SyncServiceOrderRequest) (*ServiceOrder, error) {
	return send[ServiceOrder](ctx, c, http.MethodPost, serviceOrderPath(req.OutOrderNo, "sync"), nil, req.validate(), req)
}

// DirectCompleteServiceOrderRequest is the body of POST
// /v3/payscore/serviceorder/direct-complete (创单结单合并, protocol.md §4.9).
type DirectCompleteServiceOrderRequest struct {
	OutOrderNo          string     `json:"out_order_no"`             // as in CreateServiceOrderRequest
	AppID               string     `json:"appid"`                    // bound to the merchant
	ServiceID           string     `json:"service_id"`               // the pay-score service
	OpenID              string     `json:"openid"`                   // the user, who must hold an AVAILABLE authorization
	ServiceIntroduction string     `json:"service_introduction"`     // at most 20 characters
	PostPayments        []Payment  `json:"post_payments"`            // 1–100 items
	PostDiscounts       []Discount `json:"post_discounts,omitempty"` // each with name and amount
	// TimeRange needs StartTime and EndTime, both in the past of the call.
	TimeRange TimeRange `json:"time_range"`
	Location  Location  `json:"location,omitzero"` // optional
	// TotalAmount must equal Σpost_payments.amount − Σpost_discounts.amount.
	TotalAmount   int64  `json:"total_amount"`
	ProfitSharing bool   `json:"profit_sharing,omitempty"` // see CompleteServiceOrderRequest
	GoodsTag      string `json:"goods_tag,omitempty"`      // see CompleteServiceOrderRequest
	Attach        string `json:"attach,omitempty"`         // echoed; at most 256 characters
	// NotifyURL receives PAYSCORE.USER_PAID; required when TotalAmount is
	// positive.
	NotifyURL string `json:"notify_url,omitempty"`
}

func (r DirectCompleteServiceOrderRequest) validate() error {
	var v validator
	v.outOrderNo("/out_order_no", r.OutOrderNo)
	v.required("/appid", r.AppID, 32)
	v.required("/service_id", r.ServiceID, 32)
	v.required("/openid", r.OpenID, 128)
	v.required("/service_introduction", r.ServiceIntroduction, 20)
	v.settlement(r.PostPayments, r.PostDiscounts, r.TotalAmount)
	v.timeRange(r.TimeRange, timesAtDirectCompletion)
	v.location(r.Location)
	v.optional("/attach", r.Attach, 256)
	if r.TotalAmount > 0 {
		v.required("/notify_url", r.NotifyURL, 255) // money to collect: USER_PAID must go somewhere
	}
	v.optional("/notify_url", r.NotifyURL, 255)
	v.notifyURL("/notify_url", r.NotifyURL)
	return v.err()
}

// DirectCompleteServiceOrder creates and completes an order in one call,
// for services that need no pay-score risk check: POST
// /v3/payscore/serviceorder/direct-complete. A positive total is then
// collected like a completed order (PAYSCORE.USER_PAID).
func (c *Client) DirectCompleteServiceOrder(ctx context.Context, req DirectCompleteServiceOrderRequest) (*ServiceOrder, error) {
	return send[ServiceOrder](ctx, c, http.MethodPost, pathServiceOrder+"/direct-complete", nil, req.validate(), req)
}
