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

// User is a sandbox user: their wallet, their authorizations with every
// merchant and their Pay Score parking plates.
type User struct {
	OpenID         string              `json:"openid"`
	Wallet         Wallet              `json:"wallet"`
	Authorizations []client.Permission `json:"authorizations"`
	Plates         []Plate             `json:"plates"`
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

// Plate is a user's Pay Score parking service for a plate, with the
// plate's open entry.
type Plate struct {
	MchID           string                   `json:"mchid"`
	SubMchID        string                   `json:"sub_mchid,omitempty"`
	AppID           string                   `json:"appid"`
	OpenID          string                   `json:"openid"`
	PlateNumber     string                   `json:"plate_number"`
	PlateColor      client.PlateColor        `json:"plate_color"`
	ServiceState    client.PlateServiceState `json:"service_state"`
	ServiceOpenTime string                   `json:"service_open_time,omitempty"` // RFC 3339, while open
	// Entry is the plate's open entry: the latest, until a deduction is
	// accepted for it; nil when there is none.
	Entry *ParkingEntry `json:"entry,omitempty"`
	answer
}

// ParkingEntry is a plate's open parking entry.
type ParkingEntry struct {
	ID           string              `json:"id"` // what a deduction names as parking_info.parking_id
	OutParkingNo string              `json:"out_parking_no"`
	ParkingName  string              `json:"parking_name"`
	StartTime    string              `json:"start_time"`
	State        client.ParkingState `json:"state"`
	BlockReason  client.BlockReason  `json:"block_reason,omitempty"`
	NotifyURL    string              `json:"notify_url"`
}

// SetPlateRequest is PUT /sandbox/users/{openid}/plates/{plate_number}.
type SetPlateRequest struct {
	OpenID      string `json:"-"`     // in the path: the user
	PlateNumber string `json:"-"`     // in the path: 粤B888888
	MchID       string `json:"mchid"` // required
	// SubMchID is a service provider's sub-merchant: its first when empty.
	SubMchID string `json:"sub_mchid,omitempty"`
	// AppID is the appid the openid is under: the merchant's first when
	// empty.
	AppID      string            `json:"appid,omitempty"`
	PlateColor client.PlateColor `json:"plate_color,omitempty"` // client.PlateBlue when empty
	// State is client.PlateServiceNormal (open, or resume),
	// client.PlateServicePause or client.PlateServiceOutService (close).
	State client.PlateServiceState `json:"state"`
}

// SetPlate plays the user who opens, pauses, resumes or closes the parking
// service for a plate in WeChat, and returns the plate with its open
// entry; the entry follows, with VEHICLE.ENTRANCE_STATE_CHANGE to its
// notify_url when its state changes: PUT
// /sandbox/users/{openid}/plates/{plate_number}.
func (c *Client) SetPlate(ctx context.Context, req SetPlateRequest) (*Plate, error) {
	return call[Plate](ctx, c, endpoint("SetPlate", http.MethodPut, "/sandbox/users/%s/plates/%s", "OpenID", req.OpenID, "PlateNumber", req.PlateNumber).with(nil, req))
}
