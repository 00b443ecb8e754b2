package sandbox

import (
	"context"
	"net/http"

	"github.com/mockpay/mockpay/client"
)

// Authorization is a user's authorization record after AuthorizeUser or
// RevokeUser, as the v3 API's permission queries return it.
type Authorization struct {
	client.Permission
	answer
}

// AuthorizeUserRequest is POST /sandbox/users/{openid}/authorize: the user
// opens the merchant's service in WeChat.
type AuthorizeUserRequest struct {
	OpenID string `json:"-"`     // in the path: the user (their sub_openid under SubAppID)
	MchID  string `json:"mchid"` // required
	// SubMchID is the sub-merchant of a service provider (MchID) the user
	// authorises: its first when empty.
	SubMchID  string `json:"sub_mchid,omitempty"`
	ServiceID string `json:"service_id,omitempty"` // default: the merchant's first
	AppID     string `json:"appid,omitempty"`      // default: the merchant's first
	// AuthorizationCode completes that pre-authorization (CreatePermission);
	// without it, the merchant's latest unfinished one, if any.
	AuthorizationCode string `json:"authorization_code,omitempty"`
	// SubAppID is the sub-merchant's app the user authorises in: OpenID is
	// then their sub_openid. A pre-authorization with a sub_appid implies it.
	SubAppID string `json:"sub_appid,omitempty"`
}

// AuthorizeUser plays the user who opens the service: the authorization
// becomes AVAILABLE and PAYSCORE.USER_OPEN_SERVICE goes to the
// pre-authorization's notify_url, else to the merchant's registered one.
func (c *Client) AuthorizeUser(ctx context.Context, req AuthorizeUserRequest) (*Authorization, error) {
	return call[Authorization](ctx, c, endpoint("AuthorizeUser", http.MethodPost, "/sandbox/users/%s/authorize", "OpenID", req.OpenID).with(nil, req))
}

// RevokeUserRequest is POST /sandbox/users/{openid}/revoke: the user
// closes the merchant's service in WeChat.
type RevokeUserRequest struct {
	OpenID    string `json:"-"`                    // in the path: the user
	MchID     string `json:"mchid"`                // required
	SubMchID  string `json:"sub_mchid,omitempty"`  // a service provider's sub-merchant: its first when empty
	ServiceID string `json:"service_id,omitempty"` // default: the merchant's first
}

// RevokeUser plays the user who closes the service: the authorization
// becomes UNAVAILABLE and PAYSCORE.USER_CLOSE_SERVICE is sent.
func (c *Client) RevokeUser(ctx context.Context, req RevokeUserRequest) (*Authorization, error) {
	return call[Authorization](ctx, c, endpoint("RevokeUser", http.MethodPost, "/sandbox/users/%s/revoke", "OpenID", req.OpenID).with(nil, req))
}

// Wallet is what a user's deductions may take and how their refunds end.
type Wallet struct {
	// Balance in fen; nil is unlimited (every user's default). A
	// deduction larger than the balance fails and the order stays unpaid.
	Balance *int64 `json:"balance"`
	// RefundOutcome is how refunds to the user end: client.RefundSuccess
	// (empty is the same), client.RefundAbnormal or client.RefundClosed.
	RefundOutcome client.RefundStatus `json:"refund_outcome,omitempty"`
}

// User is a sandbox user: their wallet and their authorizations with every
// merchant.
type User struct {
	OpenID         string              `json:"openid"`
	Wallet         Wallet              `json:"wallet"`
	Authorizations []client.Permission `json:"authorizations"`
	answer
}

// SetWalletRequest is PUT /sandbox/users/{openid}/wallet.
type SetWalletRequest struct {
	OpenID string `json:"-"` // in the path: the user
	Wallet
}

// SetWallet sets what the user's deductions may take and how their refunds
// end, and returns the user: PUT /sandbox/users/{openid}/wallet.
func (c *Client) SetWallet(ctx context.Context, req SetWalletRequest) (*User, error) {
	return call[User](ctx, c, endpoint("SetWallet", http.MethodPut, "/sandbox/users/%s/wallet", "OpenID", req.OpenID).with(nil, req.Wallet))
}

// GetUserRequest names a user for GetUser.
type GetUserRequest struct {
	OpenID string
}

// GetUser returns a user's wallet and authorizations: GET
// /sandbox/users/{openid}.
func (c *Client) GetUser(ctx context.Context, req GetUserRequest) (*User, error) {
	return call[User](ctx, c, endpoint("GetUser", http.MethodGet, "/sandbox/users/%s", "OpenID", req.OpenID))
}
