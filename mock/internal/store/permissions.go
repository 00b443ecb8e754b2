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
	ID                string // internal key
	MchID             string
	ServiceID         string
	AppID             string
	AuthorizationCode string // empty for authorizations made without pre-authorization
	OpenID            string // empty until the user is bound
	State             string
	NotifyURL         string
	ApplyToken        string // apply_permissions_token of the pre-authorization
	// PreAuthDigest identifies the pre-authorization's parameters, so that
	// an identical retry is answered as the first call was.
	PreAuthDigest Digest
	SuccessTime   time.Time // authorization_success_time
	CancelTime    time.Time // cancel_authorization_time
	// UserRiskLevel and RiskLevelVersion are the user's 用户分层 as WeChat
	// Pay assessed it when the user authorised; 0 before that, or for a
	// record saved before the mock assessed users.
	UserRiskLevel    int64
	RiskLevelVersion int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
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
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*Permission]{parts: 2, key: func(p *Permission) []string {
				return []string{p.MchID, p.ID}
			}}},
			"code": {Name: "code", Unique: true, AllowMissing: true, Indexer: keyIndex[*Permission]{parts: 3, key: func(p *Permission) []string {
				if p.AuthorizationCode == "" {
					return nil
				}
				return []string{p.MchID, p.ServiceID, p.AuthorizationCode}
			}}},
			"openid": {Name: "openid", AllowMissing: true, Indexer: keyIndex[*Permission]{parts: 3, key: func(p *Permission) []string {
				if p.OpenID == "" {
					return nil
				}
				return []string{p.MchID, p.ServiceID, p.OpenID}
			}}},
			"user": {Name: "user", AllowMissing: true, Indexer: keyIndex[*Permission]{parts: 1, key: func(p *Permission) []string {
				if p.OpenID == "" {
					return nil
				}
				return []string{p.OpenID}
			}}},
		},
	}
}

// PermissionByCode returns the authorization with a merchant's
// authorization_code for a service, or ErrNotFound.
func (tx ReadTxn) PermissionByCode(mchid, serviceID, code string) (*Permission, error) {
	return first[*Permission](tx, tablePermissions, "code", mchid, serviceID, code)
}

// PermissionByOpenID returns the user's authorization of a merchant's
// service: the one in force if any, else the most recently changed; or
// ErrNotFound if the user never had one.
func (tx ReadTxn) PermissionByOpenID(mchid, serviceID, openid string) (*Permission, error) {
	ps, err := all[*Permission](tx, tablePermissions, "openid", mchid, serviceID, openid)
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

// PermissionsOfMerchant returns a merchant's authorization records.
func (tx ReadTxn) PermissionsOfMerchant(mchid string) ([]*Permission, error) {
	return all[*Permission](tx, tablePermissions, "id_prefix", mchid)
}

// PermissionsOfUser returns every authorization a user holds or held.
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
