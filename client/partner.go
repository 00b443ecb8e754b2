package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Service providers (服务商, protocol-partner.md): a service provider signs
// with its own key and calls /v3/payscore/partner/... for one of its
// sub-merchants (特约商户), named by SubMchID in every request. Its appid
// and service_id are its own; the sub-merchant may have apps of its own
// (SubAppID), under which a user has a sub_openid. Calls on an order are
// answered 204 with no body, so they return only an error: query the order
// to see it.
//
// The callbacks are the direct merchant's (ServiceOrderEvent,
// PermissionEvent, RefundEvent), encrypted with the service provider's
// APIv3 key, with the sub-merchant in SubMchID. Refunds of a
// sub-merchant's charges are CreateRefund and QueryRefund with SubMchID.
//
// Reference: https://pay.weixin.qq.com/docs/partner/apis/partner-weixin-pay-score/partner-service-order/create-partner-service-order.html

const pathPartnerServiceOrder = "/v3/payscore/partner/serviceorder"

// partnerOrderPath is the path of an action on one of a sub-merchant's orders.
func partnerOrderPath(outOrderNo, action string) string {
	return pathPartnerServiceOrder + "/" + url.PathEscape(outOrderNo) + "/" + action
}

// subMerchant checks the sub-merchant every partner request names, where
// its field is a body's (/sub_mchid) or a query's (sub_mchid).
func (v *validator) subMerchant(field, subMchID string) {
	v.required(field, subMchID, 32)
}

// partnerOrder checks what every call on one of a sub-merchant's orders
// names: the order, in the path, and the sub-merchant, in the body.
func (v *validator) partnerOrder(outOrderNo, subMchID string) {
	v.outOrderNo("out_order_no", outOrderNo)
	v.subMerchant("/sub_mchid", subMchID)
}

// firstInvalid is the first failure of a partner request's own fields and
// of the direct request it embeds.
func firstInvalid(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// partnerUser checks how a partner request names its user: by openid
// under the service provider's appid, or by sub_openid under sub_appid,
// never both; required says one must be given. prefix is "/" for a body's
// fields (JSON pointers), "" for a query's.
func (v *validator) partnerUser(prefix, openid, subOpenID, subAppID string, required bool) {
	v.optional(prefix+"openid", openid, 128)
	v.optional(prefix+"sub_openid", subOpenID, 128)
	switch {
	case openid != "" && subOpenID != "":
		v.failf(prefix+"sub_openid", "cannot be combined with openid; name the user by one of them")
	case required && openid == "" && subOpenID == "":
		v.failf(prefix+"openid", "is required (or sub_openid with sub_appid)")
	case subOpenID != "" && subAppID == "":
		v.failf(prefix+"sub_appid", "is required with sub_openid, the user's id under it")
	}
}

// CreatePartnerServiceOrderRequest is the body of POST
// /v3/payscore/partner/serviceorder (服务商创建支付分订单,
// protocol-partner.md §4.1): a direct create, with AppID the service
// provider's, for the sub-merchant SubMchID. In 免确认 mode the user is
// OpenID or, under SubAppID, SubOpenID (exactly one).
type CreatePartnerServiceOrderRequest struct {
	SubMchID string `json:"sub_mchid"`           // required: the sub-merchant
	SubAppID string `json:"sub_appid,omitempty"` // one of the sub-merchant's apps
	CreateServiceOrderRequest
	SubOpenID string `json:"sub_openid,omitempty"` // the user under SubAppID
}

func (r CreatePartnerServiceOrderRequest) validate() error {
	var v validator
	v.subMerchant("/sub_mchid", r.SubMchID)
	v.optional("/sub_appid", r.SubAppID, 32)
	r.CreateServiceOrderRequest.check(&v)
	v.partnerUser("/", r.OpenID, r.SubOpenID, r.SubAppID, r.freeOfConfirmation())
	return v.err()
}

// CreatePartnerServiceOrder creates a sub-merchant's service order: POST
// /v3/payscore/partner/serviceorder. The answer is the direct create's,
// with SubMchID (and SubAppID).
func (c *Client) CreatePartnerServiceOrder(ctx context.Context, req CreatePartnerServiceOrderRequest) (*ServiceOrder, error) {
	return send[ServiceOrder](ctx, c, http.MethodPost, pathPartnerServiceOrder, nil, req.validate(), req)
}

// QueryPartnerServiceOrderRequest selects a sub-merchant's order for GET
// /v3/payscore/partner/serviceorder (protocol-partner.md §4.2): by
// OutOrderNo or by QueryID, exactly one. There is no appid.
type QueryPartnerServiceOrderRequest struct {
	OutOrderNo string // the order number, or
	QueryID    string // what WeChat handed the front end
	ServiceID  string // required
	SubMchID   string // required: the sub-merchant
}

func (r QueryPartnerServiceOrderRequest) validate() error {
	var v validator
	v.orderSelector(r.OutOrderNo, r.QueryID)
	v.required("service_id", r.ServiceID, 32)
	v.subMerchant("sub_mchid", r.SubMchID)
	return v.err()
}

// QueryPartnerServiceOrder returns a sub-merchant's order in full: GET
// /v3/payscore/partner/serviceorder. Another sub-merchant's order is
// CodeOrderNotExist.
func (c *Client) QueryPartnerServiceOrder(ctx context.Context, req QueryPartnerServiceOrderRequest) (*ServiceOrder, error) {
	q := selectOrder(url.Values{"service_id": {req.ServiceID}, "sub_mchid": {req.SubMchID}}, req.OutOrderNo, req.QueryID)
	return send[ServiceOrder](ctx, c, http.MethodGet, pathPartnerServiceOrder, q, req.validate(), nil)
}

// CancelPartnerServiceOrderRequest is the body of POST
// /v3/payscore/partner/serviceorder/{out_order_no}/cancel
// (protocol-partner.md §4.3).
type CancelPartnerServiceOrderRequest struct {
	OutOrderNo string `json:"-"`                    // in the path
	SubMchID   string `json:"sub_mchid"`            // required
	ServiceID  string `json:"service_id,omitempty"` // the order's; optional
	Reason     string `json:"reason"`               // shown to the user; at most 50 characters
}

func (r CancelPartnerServiceOrderRequest) validate() error {
	var v validator
	v.partnerOrder(r.OutOrderNo, r.SubMchID)
	v.optional("/service_id", r.ServiceID, 32)
	v.required("/reason", r.Reason, 50)
	return v.err()
}

// CancelPartnerServiceOrder revokes a sub-merchant's order that is not yet
// paid: POST /v3/payscore/partner/serviceorder/{out_order_no}/cancel,
// answered 204.
func (c *Client) CancelPartnerServiceOrder(ctx context.Context, req CancelPartnerServiceOrderRequest) error {
	return exec(ctx, c, http.MethodPost, partnerOrderPath(req.OutOrderNo, "cancel"), req.validate(), req)
}

// CompletePartnerServiceOrderRequest is the body of POST
// /v3/payscore/partner/serviceorder/{out_order_no}/complete
// (protocol-partner.md §4.6): the direct completion's fields without
// appid, for the sub-merchant, and when the service was completed.
type CompletePartnerServiceOrderRequest struct {
	OutOrderNo    string     `json:"-"`                        // in the path
	SubMchID      string     `json:"sub_mchid"`                // required
	ServiceID     string     `json:"service_id"`               // required
	PostPayments  []Payment  `json:"post_payments"`            // 1–100 items
	PostDiscounts []Discount `json:"post_discounts,omitempty"` // each with name and amount
	TotalAmount   int64      `json:"total_amount"`             // Σpost_payments − Σpost_discounts
	TimeRange     TimeRange  `json:"time_range,omitzero"`      // as in CompleteServiceOrderRequest
	Location      Location   `json:"location,omitzero"`        // EndLocation only
	ProfitSharing bool       `json:"profit_sharing,omitempty"`
	GoodsTag      string     `json:"goods_tag,omitempty"`
	Device        Device     `json:"device,omitzero"`
	// CompleteTime (完结服务时间) is when the service was completed, RFC
	// 3339 (e.g. 2019-11-11T16:24:05+08:00); optional.
	CompleteTime string `json:"complete_time,omitempty"`
}

func (r CompletePartnerServiceOrderRequest) validate() error {
	var v validator
	v.partnerOrder(r.OutOrderNo, r.SubMchID)
	v.required("/service_id", r.ServiceID, 32)
	v.completion(r.PostPayments, r.PostDiscounts, r.TotalAmount, r.TimeRange, r.Location)
	if r.CompleteTime != "" {
		if _, err := time.Parse(time.RFC3339, r.CompleteTime); err != nil {
			v.failf("/complete_time", "is not an RFC 3339 time such as 2019-11-11T16:24:05+08:00")
		}
	}
	return v.err()
}

// CompletePartnerServiceOrder ends a sub-merchant's service and sets what
// the user owes: POST .../partner/serviceorder/{out_order_no}/complete,
// answered 204. WeChat Pay then deducts and sends PAYSCORE.USER_PAID.
func (c *Client) CompletePartnerServiceOrder(ctx context.Context, req CompletePartnerServiceOrderRequest) error {
	return exec(ctx, c, http.MethodPost, partnerOrderPath(req.OutOrderNo, "complete"), req.validate(), req)
}

// ModifyPartnerServiceOrderRequest is the body of POST
// .../partner/serviceorder/{out_order_no}/modify (protocol-partner.md
// §4.5).
type ModifyPartnerServiceOrderRequest struct {
	OutOrderNo    string     `json:"-"`                        // in the path
	SubMchID      string     `json:"sub_mchid"`                // required
	ServiceID     string     `json:"service_id,omitempty"`     // the order's; optional
	PostPayments  []Payment  `json:"post_payments"`            // required; replaces the previous list
	PostDiscounts []Discount `json:"post_discounts,omitempty"` // each with name and amount
	TotalAmount   int64      `json:"total_amount"`             // at most the amount set at completion
	Reason        string     `json:"reason"`                   // required
	Device        Device     `json:"device,omitzero"`
}

func (r ModifyPartnerServiceOrderRequest) validate() error {
	var v validator
	v.partnerOrder(r.OutOrderNo, r.SubMchID)
	v.optional("/service_id", r.ServiceID, 32)
	v.settlement(r.PostPayments, r.PostDiscounts, r.TotalAmount)
	v.required("/reason", r.Reason, 0)
	return v.err()
}

// ModifyPartnerServiceOrder lowers the amount of a sub-merchant's
// completed, unpaid order: POST .../partner/serviceorder/{out_order_no}/modify,
// answered 204.
func (c *Client) ModifyPartnerServiceOrder(ctx context.Context, req ModifyPartnerServiceOrderRequest) error {
	return exec(ctx, c, http.MethodPost, partnerOrderPath(req.OutOrderNo, "modify"), req.validate(), req)
}

// PayPartnerServiceOrderRequest is the body of POST
// .../partner/serviceorder/{out_order_no}/pay (protocol-partner.md §4.7).
type PayPartnerServiceOrderRequest struct {
	OutOrderNo string `json:"-"`                    // in the path
	SubMchID   string `json:"sub_mchid"`            // required
	ServiceID  string `json:"service_id,omitempty"` // the order's; optional
}

func (r PayPartnerServiceOrderRequest) validate() error {
	var v validator
	v.partnerOrder(r.OutOrderNo, r.SubMchID)
	v.optional("/service_id", r.ServiceID, 32)
	return v.err()
}

// PayPartnerServiceOrder asks WeChat Pay to try the deduction of a
// sub-merchant's unpaid order now (催收), answered 204; the result comes as
// PAYSCORE.USER_PAID.
func (c *Client) PayPartnerServiceOrder(ctx context.Context, req PayPartnerServiceOrderRequest) error {
	return exec(ctx, c, http.MethodPost, partnerOrderPath(req.OutOrderNo, "pay"), req.validate(), req)
}

// SyncPartnerServiceOrderRequest is the body of POST
// .../partner/serviceorder/{out_order_no}/sync (protocol-partner.md §4.8).
type SyncPartnerServiceOrderRequest struct {
	OutOrderNo string     `json:"-"`          // in the path
	SubMchID   string     `json:"sub_mchid"`  // required
	ServiceID  string     `json:"service_id"` // required
	Type       SyncType   `json:"type"`       // SyncOrderPaid
	Detail     SyncDetail `json:"detail"`
}

func (r SyncPartnerServiceOrderRequest) validate() error {
	var v validator
	v.partnerOrder(r.OutOrderNo, r.SubMchID)
	v.required("/service_id", r.ServiceID, 32)
	v.sync(r.Type, r.Detail)
	return v.err()
}

// SyncPartnerServiceOrder reports that the user of a sub-merchant's
// completed, unpaid order paid off-platform, answered 204.
func (c *Client) SyncPartnerServiceOrder(ctx context.Context, req SyncPartnerServiceOrderRequest) error {
	return exec(ctx, c, http.MethodPost, partnerOrderPath(req.OutOrderNo, "sync"), req.validate(), req)
}

// DirectCompletePartnerServiceOrderRequest is the body of POST
// /v3/payscore/partner/serviceorder/direct-complete (protocol-partner.md
// §4.9): a direct-complete, with AppID the service provider's, for the
// sub-merchant.
type DirectCompletePartnerServiceOrderRequest struct {
	SubMchID string `json:"sub_mchid"`           // required
	SubAppID string `json:"sub_appid,omitempty"` // one of the sub-merchant's apps
	DirectCompleteServiceOrderRequest
}

func (r DirectCompletePartnerServiceOrderRequest) validate() error {
	var v validator
	v.subMerchant("/sub_mchid", r.SubMchID)
	v.optional("/sub_appid", r.SubAppID, 32)
	return firstInvalid(v.err(), r.DirectCompleteServiceOrderRequest.validate())
}

// DirectCompletePartnerServiceOrder creates and completes a sub-merchant's
// order in one call, answered 204; a positive total is then collected
// (PAYSCORE.USER_PAID).
func (c *Client) DirectCompletePartnerServiceOrder(ctx context.Context, req DirectCompletePartnerServiceOrderRequest) error {
	return exec(ctx, c, http.MethodPost, pathPartnerServiceOrder+"/direct-complete", req.validate(), req)
}

// CreatePartnerPermissionRequest is the body of POST
// /v3/payscore/partner/permissions (protocol-partner.md §3.1): a
// pre-authorization for the sub-merchant; the user authorises in the
// sub-merchant's app when SubAppID is given.
type CreatePartnerPermissionRequest struct {
	SubMchID string `json:"sub_mchid"`           // required
	SubAppID string `json:"sub_appid,omitempty"` // one of the sub-merchant's apps
	CreatePermissionRequest
}

func (r CreatePartnerPermissionRequest) validate() error {
	var v validator
	v.subMerchant("/sub_mchid", r.SubMchID)
	v.optional("/sub_appid", r.SubAppID, 32)
	return firstInvalid(v.err(), r.CreatePermissionRequest.validate())
}

// CreatePartnerPermission pre-authorises a user-to-be of the sub-merchant:
// POST /v3/payscore/partner/permissions. PAYSCORE.USER_OPEN_SERVICE follows
// when the user authorises.
func (c *Client) CreatePartnerPermission(ctx context.Context, req CreatePartnerPermissionRequest) (*CreatePermissionResponse, error) {
	return send[CreatePermissionResponse](ctx, c, http.MethodPost, "/v3/payscore/partner/permissions", nil, req.validate(), req)
}

func partnerPermissionByCodePath(code string) string {
	return "/v3/payscore/partner/permissions/authorization-code/" + url.PathEscape(code)
}

// QueryPartnerPermissionByCodeRequest selects a sub-merchant's
// authorization by its code (protocol-partner.md §3.2).
type QueryPartnerPermissionByCodeRequest struct {
	QueryPermissionByCodeRequest
	SubMchID string // required
}

func (r QueryPartnerPermissionByCodeRequest) validate() error {
	var v validator
	v.subMerchant("sub_mchid", r.SubMchID)
	return firstInvalid(r.QueryPermissionByCodeRequest.validate(), v.err())
}

// QueryPartnerPermissionByCode returns a sub-merchant's authorization
// record: GET /v3/payscore/partner/permissions/authorization-code/{authorization_code}.
func (c *Client) QueryPartnerPermissionByCode(ctx context.Context, req QueryPartnerPermissionByCodeRequest) (*Permission, error) {
	q := url.Values{"service_id": {req.ServiceID}, "sub_mchid": {req.SubMchID}}
	return send[Permission](ctx, c, http.MethodGet, partnerPermissionByCodePath(req.AuthorizationCode), q, req.validate(), nil)
}

// TerminatePartnerPermissionByCodeRequest ends a sub-merchant's
// authorization found by its code (protocol-partner.md §3.3).
type TerminatePartnerPermissionByCodeRequest struct {
	SubMchID string `json:"sub_mchid"` // required
	TerminatePermissionByCodeRequest
}

// TerminatePartnerPermissionByCode ends a sub-merchant's authorization,
// found by its code: POST .../partner/permissions/authorization-code/{authorization_code}/terminate,
// answered 204.
func (c *Client) TerminatePartnerPermissionByCode(ctx context.Context, req TerminatePartnerPermissionByCodeRequest) error {
	return exec(ctx, c, http.MethodPost, partnerPermissionByCodePath(req.AuthorizationCode)+"/terminate", req.validate(), req)
}

func (r TerminatePartnerPermissionByCodeRequest) validate() error {
	var v validator
	v.subMerchant("/sub_mchid", r.SubMchID)
	return firstInvalid(r.TerminatePermissionByCodeRequest.validate(), v.err())
}

// QueryPartnerPermissionRequest selects a user's authorization of a
// sub-merchant's service for GET /v3/payscore/partner/permissions/search
// (protocol-partner.md §3.4): the user is OpenID, or SubOpenID under
// SubAppID, exactly one.
type QueryPartnerPermissionRequest struct {
	ServiceID string // required
	AppID     string // required: the service provider's
	SubMchID  string // required
	SubAppID  string // with SubOpenID
	OpenID    string // the user under AppID, or
	SubOpenID string // the user under SubAppID
}

func (r QueryPartnerPermissionRequest) validate() error {
	var v validator
	v.required("service_id", r.ServiceID, 32)
	v.required("appid", r.AppID, 32)
	v.subMerchant("sub_mchid", r.SubMchID)
	v.optional("sub_appid", r.SubAppID, 32)
	v.partnerUser("", r.OpenID, r.SubOpenID, r.SubAppID, true)
	return v.err()
}

func (r QueryPartnerPermissionRequest) query() url.Values {
	q := url.Values{"service_id": {r.ServiceID}, "appid": {r.AppID}, "sub_mchid": {r.SubMchID}}
	for k, v := range map[string]string{"sub_appid": r.SubAppID, "openid": r.OpenID, "sub_openid": r.SubOpenID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// QueryPartnerPermission returns a user's authorization record with a
// sub-merchant: GET /v3/payscore/partner/permissions/search.
func (c *Client) QueryPartnerPermission(ctx context.Context, req QueryPartnerPermissionRequest) (*Permission, error) {
	return send[Permission](ctx, c, http.MethodGet, "/v3/payscore/partner/permissions/search", req.query(), req.validate(), nil)
}

// TerminatePartnerPermissionRequest is the body of POST
// /v3/payscore/partner/permissions/terminate (protocol-partner.md §3.5):
// the user is OpenID, or SubOpenID under SubAppID, exactly one.
type TerminatePartnerPermissionRequest struct {
	SubMchID  string `json:"sub_mchid"`  // required
	ServiceID string `json:"service_id"` // required
	AppID     string `json:"appid"`      // required: the service provider's
	SubAppID  string `json:"sub_appid,omitempty"`
	OpenID    string `json:"openid,omitempty"`
	SubOpenID string `json:"sub_openid,omitempty"`
	Reason    string `json:"reason"` // required
}

func (r TerminatePartnerPermissionRequest) validate() error {
	var v validator
	v.subMerchant("/sub_mchid", r.SubMchID)
	v.required("/service_id", r.ServiceID, 32)
	v.required("/appid", r.AppID, 32)
	v.optional("/sub_appid", r.SubAppID, 32)
	v.partnerUser("/", r.OpenID, r.SubOpenID, r.SubAppID, true)
	v.required("/reason", r.Reason, 0)
	return v.err()
}

// TerminatePartnerPermission ends a user's authorization with a
// sub-merchant: POST /v3/payscore/partner/permissions/terminate, answered
// 204. PAYSCORE.USER_CLOSE_SERVICE follows.
func (c *Client) TerminatePartnerPermission(ctx context.Context, req TerminatePartnerPermissionRequest) error {
	return exec(ctx, c, http.MethodPost, "/v3/payscore/partner/permissions/terminate", req.validate(), req)
}

// ApplyState is the state of a binding application.
type ApplyState string

// Binding application states.
const (
	ApplyProcessing ApplyState = "PROCESSING" // 处理中
	ApplyApproved   ApplyState = "APPROVED"   // 绑定成功
	ApplyRejected   ApplyState = "REJECTED"   // 绑定失败, with RejectReason
)

// ServiceAccountApplication is a 平台收付通 service provider's application
// to bind a sub-merchant to its Pay Score service (服务账户绑定,
// protocol-partner.md §6), as the API answers it and as
// PAYSCORE.BIND_SERVICE_ACCOUNT carries it.
type ServiceAccountApplication struct {
	ServiceID       string     `json:"service_id"`
	MchID           string     `json:"mchid"` // the service provider
	AppID           string     `json:"appid"`
	SubMchID        string     `json:"sub_mchid"`
	SubAppID        string     `json:"sub_appid,omitempty"`
	OutApplyNo      string     `json:"out_apply_no"`
	ResultNotifyURL string     `json:"result_notify_url,omitempty"`
	ApplyState      ApplyState `json:"apply_state"`
	RejectReason    string     `json:"reject_reason,omitempty"`
}

// ApplyServiceAccountRequest is the body of POST
// /v3/payscore/partner/service-account-applications.
type ApplyServiceAccountRequest struct {
	SubMchID  string `json:"sub_mchid"`  // required
	ServiceID string `json:"service_id"` // required
	AppID     string `json:"appid"`      // required: the service provider's
	SubAppID  string `json:"sub_appid,omitempty"`
	// OutApplyNo is the service provider's number of the application:
	// 1–32 of [0-9A-Za-z_-].
	OutApplyNo string `json:"out_apply_no"`
	// ResultNotifyURL receives PAYSCORE.BIND_SERVICE_ACCOUNT; without it
	// the result is only queried.
	ResultNotifyURL string `json:"result_notify_url,omitempty"`
}

func (r ApplyServiceAccountRequest) validate() error {
	var v validator
	v.subMerchant("/sub_mchid", r.SubMchID)
	v.required("/service_id", r.ServiceID, 32)
	v.required("/appid", r.AppID, 32)
	v.optional("/sub_appid", r.SubAppID, 32)
	v.required("/out_apply_no", r.OutApplyNo, 32)
	v.charset("/out_apply_no", r.OutApplyNo, "_-")
	v.notifyURL("/result_notify_url", r.ResultNotifyURL)
	return v.err()
}

// ApplyServiceAccount applies to bind the sub-merchant to the service
// provider's Pay Score service: POST
// /v3/payscore/partner/service-account-applications. The application is
// PROCESSING until decided.
func (c *Client) ApplyServiceAccount(ctx context.Context, req ApplyServiceAccountRequest) (*ServiceAccountApplication, error) {
	return send[ServiceAccountApplication](ctx, c, http.MethodPost, "/v3/payscore/partner/service-account-applications", nil, req.validate(), req)
}

// QueryServiceAccountApplicationRequest names a binding application.
type QueryServiceAccountApplicationRequest struct {
	OutApplyNo string // in the path
}

func (r QueryServiceAccountApplicationRequest) validate() error {
	var v validator
	v.required("out_apply_no", r.OutApplyNo, 32)
	v.charset("out_apply_no", r.OutApplyNo, "_-")
	return v.err()
}

// QueryServiceAccountApplication returns a binding application: GET
// /v3/payscore/partner/service-account-applications/{out_apply_no}.
func (c *Client) QueryServiceAccountApplication(ctx context.Context, req QueryServiceAccountApplicationRequest) (*ServiceAccountApplication, error) {
	path := "/v3/payscore/partner/service-account-applications/" + url.PathEscape(req.OutApplyNo)
	return send[ServiceAccountApplication](ctx, c, http.MethodGet, path, nil, req.validate(), nil)
}
