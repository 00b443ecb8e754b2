// Package rules is what the Pay Score requests must be (protocol.md §2–5),
// in the vocabulary of package field: each request's own fields, checked
// before the order is looked at, and what a request must be against the
// order it names. The rules read the store's records and never change
// them; the state changes are package payscore's.
package rules

import (
	"fmt"
	"slices"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// Lengths of the identifiers every request carries.
const (
	maxID     = 32 // appid, service_id, out_order_no
	maxReason = 50 // cancel, modify and terminate reasons (the 2025 docs; 30 in 2020)
)

// merchant checks that an appid and a service_id, where given, are the
// merchant's: an appid not bound to it is PARAM_ERROR, a service it lacks
// NO_AUTH (the v3 pay APIs' usual answers).
func merchant(c *field.Check, m *store.Merchant, appid, serviceID string) {
	switch {
	case c.Failed():
	case appid != "" && !m.HasAppID(appid):
		c.Rule(c.Name("appid"), "appid和mch_id不匹配", fmt.Sprintf("appid %s is not bound to merchant %s", appid, m.MchID), appid)
	case serviceID != "" && !m.HasServiceID(serviceID):
		c.Refuse(apierr.New(apierr.NoAuth, "商户暂无权限使用此服务").WithDetail(apierr.Detail{
			Field: c.Name("service_id"), Value: serviceID, Location: c.Location(),
			Issue: fmt.Sprintf("service_id %s is not a Pay Score service of merchant %s", serviceID, m.MchID),
		}))
	}
}

// newOrder checks what every create names: the new order's out_order_no,
// and the appid and service_id it is made under.
func newOrder(c *field.Check, outOrderNo, appid, serviceID string) {
	c.RequiredString("/out_order_no", outOrderNo, maxID)
	c.Pattern("/out_order_no", outOrderNo, field.OutOrderNo)
	c.RequiredString("/appid", appid, maxID)
	c.RequiredString("/service_id", serviceID, maxID)
}

// callAppID is the appid a call on an order is made with: a direct
// merchant's; none in a partner's call, whose API has no appid there (an
// appid a service provider sends anyway, as some SDKs do, is ignored).
func callAppID(who store.Caller, appid string) string {
	if who.Sub != nil {
		return ""
	}
	return appid
}

// ids checks the appid and service_id every call on an order carries, and
// that they are the merchant's: a direct merchant's call must name the
// appid. A call whose service_id may be left out (the order's is meant)
// says it is not required.
func ids(c *field.Check, who store.Caller, appid, serviceID string, serviceIDRequired bool) {
	if appid = callAppID(who, appid); who.Sub == nil {
		c.RequiredString("/appid", appid, maxID)
	}
	if serviceIDRequired {
		c.Required("/service_id", serviceID != "")
	}
	c.String("/service_id", serviceID, maxID)
	merchant(c, who.Merchant, appid, serviceID)
}

// subApp checks a sub_appid, where given: it must be bound to the call's
// sub-merchant, and a direct merchant's call, which acts for no
// sub-merchant, names none.
func subApp(c *field.Check, who store.Caller, subAppID string) {
	name := c.Name("sub_appid")
	c.String(name, subAppID, maxID)
	if c.Failed() || subAppID == "" || who.HasSubAppID(subAppID) {
		return
	}
	issue := fmt.Sprintf("merchant %s acts for no sub-merchant: sub_appid belongs to the partner API", who.MchID)
	if who.Sub != nil {
		issue = fmt.Sprintf("sub_appid %s is not bound to sub-merchant %s", subAppID, who.Sub.SubMchID)
	}
	c.Rule(name, "sub_appid与sub_mchid不匹配", issue, subAppID)
}

// user checks how a call names its user: by openid, or (a partner's call)
// by sub_openid, the user under sub_appid, which it then needs; never by
// both. required says that one must be given.
func user(c *field.Check, u store.UserRef, subAppID string, required bool) {
	c.OpenID(c.Name("openid"), u.OpenID)
	c.OpenID(c.Name("sub_openid"), u.SubOpenID)
	switch {
	case u.OpenID != "" && u.SubOpenID != "":
		c.Rule(c.Name("sub_openid"), "openid和sub_openid不能同时填写", "name the user by openid or by sub_openid, not both", u.SubOpenID)
	case required:
		c.Required(c.Name("openid"), u.ID() != "")
	}
	if u.SubOpenID != "" {
		c.Required(c.Name("sub_appid"), subAppID != "") // sub_openid is the user's id under sub_appid
	}
}

// sameOrder checks that a call names the appid and service_id the order
// was created with; an absent appid (a partner's call has none) or
// service_id (cancel's is optional) is the order's.
func sameOrder(c *field.Check, o *store.Order, appid, serviceID string) {
	switch {
	case c.Failed():
	case appid != "" && appid != o.AppID:
		c.Rule("/appid", "appid与创单时不一致", fmt.Sprintf("the order was created with appid %s", o.AppID), appid)
	case serviceID != "" && serviceID != o.ServiceID:
		c.Rule("/service_id", "service_id与创单时不一致", fmt.Sprintf("the order was created with service_id %s", o.ServiceID), serviceID)
	}
}

// SameOrder is sameOrder on its own, for the calls (pay, cancel) that
// check nothing else against the order.
func SameOrder(o *store.Order, who store.Caller, appid, serviceID string) error {
	c := field.Body()
	sameOrder(c, o, callAppID(who, appid), serviceID)
	return c.Err()
}

// Risk fund names (protocol.md §4.1.5): the 先免 names cap the completion
// at risk_fund.amount; the 先享 name caps it at the service's risk cap only.
var (
	deferredPayNames = []string{"DEPOSIT", "ADVANCE", "CASH_DEPOSIT"}
	riskFundNames    = append(slices.Clone(deferredPayNames), "ESTIMATE_ORDER_COST")
)

// underCap checks an amount against the merchant's per-order risk cap.
func underCap(c *field.Check, name, what string, amount int64, m *store.Merchant, message string) {
	if amount > m.RiskFundCap {
		c.Rule(name, message, fmt.Sprintf("%s %d exceeds the service's risk cap %d", what, amount, m.RiskFundCap), amount)
	}
}
