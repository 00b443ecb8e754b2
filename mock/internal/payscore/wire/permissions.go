package wire

// The authorization ("permissions") API of 免确认模式 (protocol.md §2, §3).

// PreAuthorizeRequest is the body of POST /v3/payscore/permissions.
type PreAuthorizeRequest struct {
	ServiceID         string `json:"service_id"`
	AppID             string `json:"appid"`
	AuthorizationCode string `json:"authorization_code"`
	NotifyURL         string `json:"notify_url"`
}

// PreAuthorizeResponse is its answer.
type PreAuthorizeResponse struct {
	ApplyPermissionsToken string `json:"apply_permissions_token"`
}

// TerminateRequest is the body of the three terminate endpoints; each
// needs a different subset.
type TerminateRequest struct {
	ServiceID string `json:"service_id"`
	AppID     string `json:"appid"`
	Reason    string `json:"reason"`
}

// Permission is an authorization record as the query endpoints return it.
type Permission struct {
	ServiceID                string `json:"service_id"`
	AppID                    string `json:"appid"`
	MchID                    string `json:"mchid"`
	OpenID                   string `json:"openid,omitempty"`
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
	ServiceID         string `json:"service_id"`
	OpenID            string `json:"openid"`
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
