package store

import "slices"

// Account is whose orders, authorizations, charges and refunds a row holds:
// a direct merchant's own (SubMchID empty), or those of one sub-merchant
// of a service provider (服务商), MchID being the service provider's. Every
// lookup the API makes names the account, so that one sub-merchant's rows
// are never found for another's.
type Account struct {
	MchID    string
	SubMchID string
}

// String names the account in logs and timer labels: mchid, or
// mchid/sub_mchid.
func (a Account) String() string {
	if a.SubMchID == "" {
		return a.MchID
	}
	return a.MchID + "/" + a.SubMchID
}

// key is the account's leading parts of an index key. SubMchID is empty for
// a direct merchant, so indexes that hold it declare the part optional.
func (a Account) key(rest ...string) []string {
	return append([]string{a.MchID, a.SubMchID}, rest...)
}

// accountPart is where key puts SubMchID.
const accountPart = 1

// Account is whose order o is.
func (o *Order) Account() Account { return Account{o.MchID, o.SubMchID} }

// Account is whose authorization p is.
func (p *Permission) Account() Account { return Account{p.MchID, p.SubMchID} }

// Account is whose charge t is.
func (t *Transaction) Account() Account { return Account{t.MchID, t.SubMchID} }

// Account is whose refund r is.
func (r *Refund) Account() Account { return Account{r.MchID, r.SubMchID} }

// Account is whose order or authorization n is about.
func (n *Notification) Account() Account { return Account{n.MchID, n.SubMchID} }

// UserRef names a user as a call does: by openid under the (service
// provider's) appid, or, in a partner's call, by sub_openid under one of
// the sub-merchant's sub_appids. At most one is set.
type UserRef struct {
	OpenID    string
	SubOpenID string
}

// ID is the user's id, whichever names it.
func (u UserRef) ID() string {
	if u.OpenID != "" {
		return u.OpenID
	}
	return u.SubOpenID
}

// Caller is who a v3 call acts for: a merchant for itself, or a service
// provider for one of its bound sub-merchants.
type Caller struct {
	*Merchant
	// Sub is the bound sub-merchant a service provider's call acts for;
	// nil for a direct merchant's call (and for a service provider's
	// user-service-state that names none).
	Sub *SubMerchant
}

// Account is whose records the call reaches.
func (c Caller) Account() Account {
	a := Account{MchID: c.MchID}
	if c.Sub != nil {
		a.SubMchID = c.Sub.SubMchID
	}
	return a
}

// HasSubAppID reports whether appid is bound to the call's sub-merchant; a
// direct merchant's call has none.
func (c Caller) HasSubAppID(appid string) bool {
	return c.Sub != nil && slices.Contains(c.Sub.SubAppIDs, appid)
}
