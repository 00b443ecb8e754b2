package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Authorizations (授权, protocol.md §2–§3): whether a user has enabled the
// merchant's service, which 免确认 orders (need_user_confirm=false) and
// direct completion require.
//
// Reference: https://pay.weixin.qq.com/docs/merchant/apis/weixin-pay-score-no-confirm/create.html

// exec is send for the calls that answer 204 No Content.
func exec(ctx context.Context, c *Client, method, path string, invalid error, body any) error {
	if invalid != nil {
		return fmt.Errorf("%s %s: %w", method, path, invalid)
	}
	_, err := c.do(ctx, method, path, nil, body, nil)
	return err
}

// UserServiceStateRequest is the query of GET
// /v3/payscore/user-service-state (protocol.md §2).
type UserServiceStateRequest struct {
	ServiceID string // the pay-score service
	AppID     string // the appid OpenID belongs to
	OpenID    string // the user's openid under AppID
	// SubMchID narrows a service provider's question to one of its
	// sub-merchants; empty asks about any (the mock's reading: the 2019
	// API has no sub_mchid, see protocol-partner.md §2).
	SubMchID string
}

func (r UserServiceStateRequest) validate() error {
	var v validator
	v.required("service_id", r.ServiceID, 32)
	v.required("appid", r.AppID, 32)
	v.required("openid", r.OpenID, 128)
	v.optional("sub_mchid", r.SubMchID, 32)
	return v.err()
}

// UserServiceState reports whether a user has enabled the merchant's
// service: GET /v3/payscore/user-service-state.
func (c *Client) UserServiceState(ctx context.Context, req UserServiceStateRequest) (*UserServiceState, error) {
	q := url.Values{"service_id": {req.ServiceID}, "appid": {req.AppID}, "openid": {req.OpenID}}
	if req.SubMchID != "" {
		q.Set("sub_mchid", req.SubMchID)
	}
	return send[UserServiceState](ctx, c, http.MethodGet, "/v3/payscore/user-service-state", q, req.validate(), nil)
}

// CreatePermissionRequest is the body of POST /v3/payscore/permissions
// (商户预授权, protocol.md §3.1).
type CreatePermissionRequest struct {
	ServiceID string `json:"service_id"` // the pay-score service to authorise
	AppID     string `json:"appid"`      // bound to the merchant
	// AuthorizationCode is the merchant's own id of this authorization:
	// 1–32 of [0-9A-Za-z_-*], unique per merchant. Lookups and termination
	// by code use it.
	AuthorizationCode string `json:"authorization_code"`
	// NotifyURL receives PAYSCORE.USER_OPEN_SERVICE and
	// PAYSCORE.USER_CLOSE_SERVICE for this authorization.
	NotifyURL string `json:"notify_url,omitempty"`
}

func (r CreatePermissionRequest) validate() error {
	var v validator
	v.required("/service_id", r.ServiceID, 32)
	v.required("/appid", r.AppID, 32)
	v.required("/authorization_code", r.AuthorizationCode, 32)
	v.charset("/authorization_code", r.AuthorizationCode, "_-*")
	v.optional("/notify_url", r.NotifyURL, 0) // length limit not documented
	v.notifyURL("/notify_url", r.NotifyURL)
	return v.err()
}

// CreatePermissionResponse is the answer of POST /v3/payscore/permissions.
type CreatePermissionResponse struct {
	// ApplyPermissionsToken is the extraData.apply_permissions_token the
	// front end passes to wx.openBusinessView (businessType
	// wxpayScoreEnable) so the user can authorise. It is valid for one hour.
	ApplyPermissionsToken string `json:"apply_permissions_token"`
}

// CreatePermission pre-authorises a user-to-be (商户预授权): POST
// /v3/payscore/permissions. When the user authorises in WeChat, the record
// becomes AVAILABLE and PAYSCORE.USER_OPEN_SERVICE goes to req.NotifyURL.
func (c *Client) CreatePermission(ctx context.Context, req CreatePermissionRequest) (*CreatePermissionResponse, error) {
	return send[CreatePermissionResponse](ctx, c, http.MethodPost, "/v3/payscore/permissions", nil, req.validate(), req)
}

func permissionByCodePath(code string) string {
	return "/v3/payscore/permissions/authorization-code/" + url.PathEscape(code)
}

func permissionByOpenIDPath(openid string) string {
	return "/v3/payscore/permissions/openid/" + url.PathEscape(openid)
}

// QueryPermissionByCodeRequest selects an authorization record by the
// merchant's authorization code (查询用户授权记录（授权协议号）, protocol.md
// §3.2).
type QueryPermissionByCodeRequest struct {
	AuthorizationCode string // in the path: the code given to CreatePermission
	ServiceID         string // the service authorised
}

func (r QueryPermissionByCodeRequest) validate() error {
	var v validator
	v.required("authorization_code", r.AuthorizationCode, 32)
	v.required("service_id", r.ServiceID, 32)
	return v.err()
}

// QueryPermissionByCode returns the authorization record of a
// pre-authorization: GET
// /v3/payscore/permissions/authorization-code/{authorization_code}. Its
// state is UNBINDUSER until the user authorises.
func (c *Client) QueryPermissionByCode(ctx context.Context, req QueryPermissionByCodeRequest) (*Permission, error) {
	q := url.Values{"service_id": {req.ServiceID}}
	return send[Permission](ctx, c, http.MethodGet, permissionByCodePath(req.AuthorizationCode), q, req.validate(), nil)
}

// QueryPermissionByOpenIDRequest selects a user's authorization record
// (查询用户授权记录（openid）, protocol.md §3.4).
type QueryPermissionByOpenIDRequest struct {
	OpenID    string // in the path: the user's openid under AppID
	ServiceID string // the service authorised
	AppID     string // the appid OpenID belongs to
}

func (r QueryPermissionByOpenIDRequest) validate() error {
	var v validator
	v.required("openid", r.OpenID, 128)
	v.required("service_id", r.ServiceID, 32)
	v.required("appid", r.AppID, 32)
	return v.err()
}

// QueryPermissionByOpenID returns a user's authorization record: GET
// /v3/payscore/permissions/openid/{openid}.
func (c *Client) QueryPermissionByOpenID(ctx context.Context, req QueryPermissionByOpenIDRequest) (*Permission, error) {
	q := url.Values{"service_id": {req.ServiceID}, "appid": {req.AppID}}
	return send[Permission](ctx, c, http.MethodGet, permissionByOpenIDPath(req.OpenID), q, req.validate(), nil)
}

// TerminatePermissionByCodeRequest ends an authorization found by the
// merchant's authorization code (解除授权（授权协议号）, protocol.md §3.3).
type TerminatePermissionByCodeRequest struct {
	AuthorizationCode string `json:"-"`          // in the path: the code given to CreatePermission
	ServiceID         string `json:"service_id"` // the service whose authorization ends
	// Reason is required; WeChat Pay does not document its length limit.
	Reason string `json:"reason"`
}

func (r TerminatePermissionByCodeRequest) validate() error {
	var v validator
	v.required("authorization_code", r.AuthorizationCode, 32)
	v.required("/service_id", r.ServiceID, 32)
	v.required("/reason", r.Reason, 0)
	return v.err()
}

// TerminatePermissionByCode ends a user's authorization, found by the
// merchant's authorization code: POST
// /v3/payscore/permissions/authorization-code/{authorization_code}/terminate,
// answered 204. The record becomes UNAVAILABLE.
func (c *Client) TerminatePermissionByCode(ctx context.Context, req TerminatePermissionByCodeRequest) error {
	return exec(ctx, c, http.MethodPost, permissionByCodePath(req.AuthorizationCode)+"/terminate", req.validate(), req)
}

// TerminatePermissionByOpenIDRequest ends an authorization found by the
// user's openid (解除授权（openid）, protocol.md §3.5).
type TerminatePermissionByOpenIDRequest struct {
	OpenID    string `json:"-"`          // in the path: the user's openid under AppID
	ServiceID string `json:"service_id"` // the service whose authorization ends
	AppID     string `json:"appid"`      // the appid OpenID belongs to
	// Reason is required; WeChat Pay does not document its length limit.
	Reason string `json:"reason"`
}

func (r TerminatePermissionByOpenIDRequest) validate() error {
	var v validator
	v.required("openid", r.OpenID, 128)
	v.required("/service_id", r.ServiceID, 32)
	v.required("/appid", r.AppID, 32)
	v.required("/reason", r.Reason, 0)
	return v.err()
}

// TerminatePermissionByOpenID ends a user's authorization, found by openid:
// POST /v3/payscore/permissions/openid/{openid}/terminate, answered 204.
// The record becomes UNAVAILABLE.
func (c *Client) TerminatePermissionByOpenID(ctx context.Context, req TerminatePermissionByOpenIDRequest) error {
	return exec(ctx, c, http.MethodPost, permissionByOpenIDPath(req.OpenID)+"/terminate", req.validate(), req)
}

// TerminateUserServiceRequest ends an authorization through the older
// 普通授权 API (商户解除用户授权关系, protocol.md §3.6), whose openid and
// service id are in the path.
type TerminateUserServiceRequest struct {
	OpenID    string `json:"-"`      // in the path: the user's openid under AppID
	ServiceID string `json:"-"`      // in the path: the service whose authorization ends
	AppID     string `json:"appid"`  // the appid OpenID belongs to
	Reason    string `json:"reason"` // required
}

func (r TerminateUserServiceRequest) validate() error {
	var v validator
	v.required("openid", r.OpenID, 128)
	v.required("service_id", r.ServiceID, 32)
	v.required("/appid", r.AppID, 32)
	v.required("/reason", r.Reason, 0)
	return v.err()
}

// TerminateUserService ends a user's authorization through the older
// 普通授权 API: POST
// /v3/payscore/users/{openid}/permissions/{service_id}/terminate, answered
// 204.
func (c *Client) TerminateUserService(ctx context.Context, req TerminateUserServiceRequest) error {
	path := "/v3/payscore/users/" + url.PathEscape(req.OpenID) + "/permissions/" + url.PathEscape(req.ServiceID) + "/terminate"
	return exec(ctx, c, http.MethodPost, path, req.validate(), req)
}
