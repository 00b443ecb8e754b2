package rules

import (
	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The authorization requests (protocol.md §2, §3).

// UserServiceState checks GET /v3/payscore/user-service-state: all three
// parameters required (docs/fidelity.md).
func UserServiceState(m *store.Merchant, serviceID, appid, openid string) error {
	c := field.Query()
	c.RequiredString("service_id", serviceID, maxID)
	c.RequiredString("appid", appid, maxID)
	if c.Required("openid", openid != "") {
		c.OpenID("openid", openid)
	}
	merchant(c, m, appid, serviceID)
	return c.Err()
}

// PreAuthorize checks POST /v3/payscore/permissions, or the partner's.
func PreAuthorize(req *wire.PreAuthorizeRequest, who store.Caller) error {
	c := field.Body()
	c.RequiredString("/service_id", req.ServiceID, maxID)
	c.RequiredString("/appid", req.AppID, maxID)
	c.RequiredString("/authorization_code", req.AuthorizationCode, maxID)
	c.Pattern("/authorization_code", req.AuthorizationCode, field.AuthorizationCode)
	c.NotifyURL("/notify_url", req.NotifyURL)
	merchant(c, who.Merchant, req.AppID, req.ServiceID)
	subApp(c, who, req.SubAppID)
	return c.Err()
}

// PermissionByCode checks the query of the authorization query by
// authorization_code: the service_id.
func PermissionByCode(m *store.Merchant, serviceID string) error {
	c := field.Query()
	c.RequiredString("service_id", serviceID, maxID)
	merchant(c, m, "", serviceID)
	return c.Err()
}

// PermissionByUser checks the query of the authorization query by user:
// the direct one by openid (in its path), the partner's search by openid
// or sub_openid.
func PermissionByUser(q wire.UserQuery, who store.Caller) error {
	c := field.Query()
	c.RequiredString("service_id", q.ServiceID, maxID)
	c.RequiredString("appid", q.AppID, maxID)
	user(c, q.User, q.SubAppID, true)
	merchant(c, who.Merchant, q.AppID, q.ServiceID)
	subApp(c, who, q.SubAppID)
	return c.Err()
}

// Terminate checks a terminate body: the endpoint by authorization_code
// names no user and has no appid; those by user name the user (the direct
// one in its path) and the appid.
func Terminate(req *wire.TerminateRequest, who store.Caller, byUser bool) error {
	c := field.Body()
	c.RequiredString("/service_id", req.ServiceID, maxID)
	appid := ""
	if byUser {
		c.RequiredString("/appid", req.AppID, maxID)
		appid = req.AppID
		user(c, store.UserRef{OpenID: req.OpenID, SubOpenID: req.SubOpenID}, req.SubAppID, true)
	}
	c.RequiredString("/reason", req.Reason, maxReason)
	merchant(c, who.Merchant, appid, req.ServiceID)
	if byUser {
		subApp(c, who, req.SubAppID)
	}
	return c.Err()
}
