package wire

import "github.com/mockpay/mockpay/mock/internal/store"

// The authorization ("permissions") API of 免确认模式 (protocol.md §2, §3).

// PreAuthorizeRequest is the body of POST /v3/payscore/permissions and of
// its partner twin, which adds the sub-merchant and its app.
type PreAuthorizeRequest struct {
	SubMchID          string `json:"sub_mchid"`
	ServiceID         string `json:"service_id"`
	AppID             string `json:"appid"`
	SubAppID          string `json:"sub_appid"`
	AuthorizationCode string `json:"authorization_code"`
	NotifyURL         string `json:"notify_url"`
}

// PreAuthorizeResponse is its answer.
type PreAuthorizeResponse struct {
	ApplyPermissionsToken string `json:"apply_permissions_token"`
}

// TerminateRequest is the body of the terminate endpoints, direct and
// partner; each needs a different subset. The partner's terminate by user
// names the user in the body (openid or sub_openid), the direct one in its
// path.
type TerminateRequest struct {
	SubMchID  string `json:"sub_mchid"`
	ServiceID string `json:"service_id"`
	AppID     string `json:"appid"`
	SubAppID  string `json:"sub_appid"`
	OpenID    string `json:"openid"`
	SubOpenID string `json:"sub_openid"`
	Reason    string `json:"reason"`
}

// UserQuery names a user's authorization of a service: the direct query by
// openid (in its path) and the partner's search (openid or sub_openid in
// its query).
type UserQuery struct {
	ServiceID string
	AppID     string
	SubAppID  string
	User      store.UserRef
}

// Permission is an authorization record as the query endpoints return it.
type Permission struct {
	ServiceID                string `json:"service_id"`
	AppID                    string `json:"appid"`
	MchID                    string `json:"mchid"`
	SubMchID                 string `json:"sub_mchid,omitempty"` // a partner's
	SubAppID                 string `json:"sub_appid,omitempty"` // a partner's, when the user authorised in its app
	OpenID                   string `json:"openid,omitempty"`
	SubOpenID                string `json:"sub_openid,omitempty"` // the user under sub_appid
	AuthorizationCode        string `json:"authorization_code,omitempty"`
	AuthorizationState       string `json:"authorization_state"`
	NotifyURL                string `json:"notify_url,omitempty"`
	CancelAuthorizationTime  string `json:"cancel_authorization_time,omitempty"`
	AuthorizationSuccessTime string `json:"authorization_success_time,omitempty"`
	UserRiskLevel            *int64 `json:"user_risk_level,omitempty"`
	RiskLevelVersion         *int64 `json:"risk_level_version,omitempty"`
}

// PermissionEvent is the resource of PAYSCORE.USER_OPEN_SERVICE and
// PAYSCORE.USER_CLOSE_SERVICE.
type PermissionEvent struct {
	AppID             string `json:"appid"`
	MchID             string `json:"mchid"`
	SubMchID          string `json:"sub_mchid,omitempty"` // a partner's
	SubAppID          string `json:"sub_appid,omitempty"`
	ServiceID         string `json:"service_id"`
	OpenID            string `json:"openid,omitempty"`
	SubOpenID         string `json:"sub_openid,omitempty"`
	UserServiceStatus string `json:"user_service_status"`
	OpenOrCloseTime   string `json:"openorclose_time"`
	AuthorizationCode string `json:"authorization_code,omitempty"`
}

// UserServiceState is the answer of GET /v3/payscore/user-service-state.
type UserServiceState struct {
	AppID           string `json:"appid"`
	ServiceID       string `json:"service_id"`
	OpenID          string `json:"openid,omitempty"`
	UseServiceState string `json:"use_service_state"`
}
