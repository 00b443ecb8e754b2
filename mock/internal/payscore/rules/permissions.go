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
	c.RequiredString("openid", openid, maxOpenID)
	merchant(c, m, appid, serviceID)
	return c.Err()
}

// PreAuthorize checks POST /v3/payscore/permissions.
func PreAuthorize(req *wire.PreAuthorizeRequest, m *store.Merchant) error {
	c := field.Body()
	c.RequiredString("/service_id", req.ServiceID, maxID)
	c.RequiredString("/appid", req.AppID, maxID)
	c.RequiredString("/authorization_code", req.AuthorizationCode, maxID)
	c.Pattern("/authorization_code", req.AuthorizationCode, field.AuthorizationCode)
	c.NotifyURL("/notify_url", req.NotifyURL)
	merchant(c, m, req.AppID, req.ServiceID)
	return c.Err()
}

// PermissionQuery checks the query of the two authorization queries: the
// query by authorization_code has no appid ("").
func PermissionQuery(m *store.Merchant, serviceID, appid string, needAppID bool) error {
	c := field.Query()
	c.RequiredString("service_id", serviceID, maxID)
	if needAppID {
		c.RequiredString("appid", appid, maxID)
	}
	merchant(c, m, appid, serviceID)
	return c.Err()
}

// Terminate checks a terminate body: the endpoint by authorization_code
// has no appid.
func Terminate(req *wire.TerminateRequest, m *store.Merchant, needAppID bool) error {
	c := field.Body()
	c.RequiredString("/service_id", req.ServiceID, maxID)
	appid := ""
	if needAppID {
		c.RequiredString("/appid", req.AppID, maxID)
		appid = req.AppID
	}
	c.RequiredString("/reason", req.Reason, maxReason)
	merchant(c, m, appid, req.ServiceID)
	return c.Err()
}
