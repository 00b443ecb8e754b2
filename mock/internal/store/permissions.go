package store

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"
)

const tablePermissions = "permissions"

// Authorization states (authorization_state).
const (
	PermissionUnbound     = "UNBINDUSER"  // pre-authorised, the user has not authorised yet
	PermissionAvailable   = "AVAILABLE"   // the user has authorised the service
	PermissionUnavailable = "UNAVAILABLE" // authorised before, then terminated
)

// Permission is a user's authorization of a merchant's Pay Score service
// (免确认模式): a pre-authorization the merchant made with its own
// authorization_code, or an authorization the user made without one.
type Permission struct {
	ID                string `json:",omitzero"` // internal key
	MchID             string `json:",omitzero"` // the merchant, or the service provider of a partner's
	SubMchID          string `json:",omitzero"` // the sub-merchant of a partner's; "" for a direct merchant's
	ServiceID         string `json:",omitzero"`
	AppID             string `json:",omitzero"`
	SubAppID          string `json:",omitzero"` // a partner's sub_appid: the user is then known by SubOpenID
	AuthorizationCode string `json:",omitzero"` // empty for authorizations made without pre-authorization
	OpenID            string `json:",omitzero"` // empty until the user is bound
	// SubOpenID is the user under SubAppID, for an authorization made in
	// the sub-merchant's app; such a record has no OpenID.
	SubOpenID  string `json:",omitzero"`
	State      string `json:",omitzero"`
	NotifyURL  string `json:",omitzero"`
	ApplyToken string `json:",omitzero"` // apply_permissions_token of the pre-authorization
	// PreAuthDigest identifies the pre-authorization's parameters, so that
	// an identical retry is answered as the first call was.
	PreAuthDigest Digest    `json:",omitzero"`
	SuccessTime   time.Time `json:",omitzero"` // authorization_success_time
	CancelTime    time.Time `json:",omitzero"` // cancel_authorization_time
	// UserRiskLevel and RiskLevelVersion are the user's 用户分层 as WeChat
	// Pay assessed it when the user authorised; 0 before that, or for a
	// record saved before the mock assessed users.
	UserRiskLevel    int64     `json:",omitzero"`
	RiskLevelVersion int64     `json:",omitzero"`
	CreatedAt        time.Time `json:",omitzero"`
	UpdatedAt        time.Time `json:",omitzero"`
}

// User is the sandbox user the authorization is of: OpenID, else
// SubOpenID; "" until the user is bound.
func (p *Permission) User() string {
	if p.OpenID != "" {
		return p.OpenID
	}
	return p.SubOpenID
}

// Copy returns a copy to change and insert again.
func (p *Permission) Copy() *Permission {
	c := *p
	return &c
}

func permissionsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tablePermissions,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*Permission]{parts: 3, account: true, key: func(p *Permission) []string {
				return p.Account().key(p.ID)
			}}},
			"code": {Name: "code", Unique: true, AllowMissing: true, Indexer: keyIndex[*Permission]{parts: 4, account: true, key: func(p *Permission) []string {
				if p.AuthorizationCode == "" {
					return nil
				}
				return p.Account().key(p.ServiceID, p.AuthorizationCode)
			}}},
			"openid": {Name: "openid", AllowMissing: true, Indexer: keyIndex[*Permission]{parts: 4, account: true, key: func(p *Permission) []string {
				if p.OpenID == "" {
					return nil
				}
				return p.Account().key(p.ServiceID, p.OpenID)
			}}},
			"sub_openid": {Name: "sub_openid", AllowMissing: true, Indexer: keyIndex[*Permission]{parts: 4, account: true, key: func(p *Permission) []string {
				if p.SubOpenID == "" {
					return nil
				}
				return p.Account().key(p.ServiceID, p.SubOpenID)
			}}},
			"user": {Name: "user", AllowMissing: true, Indexer: keyIndex[*Permission]{parts: 1, key: func(p *Permission) []string {
				if p.User() == "" {
					return nil
				}
				return []string{p.User()}
			}}},
		},
	}
}

// PermissionByCode returns the authorization with an account's
// authorization_code for a service, or ErrNotFound.
func (tx ReadTxn) PermissionByCode(a Account, serviceID, code string) (*Permission, error) {
	return first[*Permission](tx, tablePermissions, "code", a.MchID, a.SubMchID, serviceID, code)
}

// PermissionOfUser returns the user's authorization of an account's
// service: the one in force if any, else the most recently changed; or
// ErrNotFound if the user never had one. A user named by sub_openid is
// found among the records made under a sub_appid, one named by openid
// among the others.
func (tx ReadTxn) PermissionOfUser(a Account, serviceID string, u UserRef) (*Permission, error) {
	index, id := "openid", u.OpenID
	if id == "" {
		index, id = "sub_openid", u.SubOpenID
	}
	ps, err := all[*Permission](tx, tablePermissions, index, a.MchID, a.SubMchID, serviceID, id)
	if err != nil {
		return nil, err
	}
	var latest *Permission
	for _, p := range ps {
		switch {
		case latest == nil:
			latest = p
		case (p.State == PermissionAvailable) != (latest.State == PermissionAvailable):
			if p.State == PermissionAvailable {
				latest = p
			}
		case !p.UpdatedAt.Before(latest.UpdatedAt):
			latest = p
		}
	}
	if latest == nil {
		return nil, ErrNotFound
	}
	return latest, nil
}

// PermissionsOfMerchant returns a merchant's authorization records, a
// service provider's of all its sub-merchants.
func (tx ReadTxn) PermissionsOfMerchant(mchid string) ([]*Permission, error) {
	return all[*Permission](tx, tablePermissions, "id_prefix", mchid)
}

// PermissionsOf returns an account's authorization records.
func (tx ReadTxn) PermissionsOf(a Account) ([]*Permission, error) {
	return all[*Permission](tx, tablePermissions, "id_prefix", a.MchID, a.SubMchID)
}

// PermissionsOfUser returns every authorization a user holds or held, by
// openid or sub_openid.
func (tx ReadTxn) PermissionsOfUser(openid string) ([]*Permission, error) {
	return all[*Permission](tx, tablePermissions, "user", openid)
}

// PutPermission inserts or replaces an authorization record.
func (tx WriteTxn) PutPermission(p *Permission) error {
	if err := tx.tx.Insert(tablePermissions, p); err != nil {
		return fmt.Errorf("put permission %s/%s: %w", p.MchID, p.ID, err)
	}
	return nil
}
