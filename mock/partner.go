package mock

import (
	"fmt"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/field"
)

// Service providers (服务商) act for their sub-merchants: every call names
// the sub-merchant by sub_mchid, in its body or query, and the sub-merchant
// must be bound to the signer (protocol-partner.md §1, architecture.md
// "Service providers"). The endpoint's callers say which calls need one.

// resolveSub settles whom an authenticated call acts for (c.sub), as its
// endpoint's callers allow, and returns the refusal, if any, in the order
// protocol-partner.md §10 suggests: a service provider on the direct API,
// a direct merchant on the partner API, sub_mchid missing, then not bound.
func (c *call) resolveSub() error {
	m := c.merchant
	subMchID := c.param("sub_mchid")
	check := field.Body()
	if c.r.Method == "GET" {
		check = field.Query()
	}
	name := check.Name("sub_mchid")
	switch c.ep.Callers {
	case bothNoSub, bothSubInRules:
		return nil
	case directMerchants:
		if !m.IsPartner() {
			return nil
		}
		// The answer WeChat Pay gives a service provider that leaves out the
		// sub-merchant on an API both kinds of merchant call (unconfirmed
		// for pay score: docs/fidelity.md).
		return apierr.New(apierr.ParamError, "受理机构必须传入sub_mch_id").WithDetail(apierr.Detail{
			Field: name, Location: check.Location(),
			Issue: fmt.Sprintf("merchant %s is a service provider: it acts for its sub-merchants through the partner API (/v3/payscore/partner/...), naming each by sub_mchid", m.MchID),
		})
	case partners, partnerItself:
		if !m.IsPartner() {
			return apierr.New(apierr.NoAuth, "商户暂无权限使用此服务").WithDetail(apierr.Detail{
				Field: "mchid", Value: m.MchID, Location: apierr.LocAuthorization,
				Issue: fmt.Sprintf("merchant %s is a direct merchant: the partner API (/v3/payscore/partner/...) is a service provider's (register one with kind partner)", m.MchID),
			})
		}
		if c.ep.Callers == partnerItself {
			return nil
		}
		check.RequiredString(name, subMchID, 32)
	case bothForSub:
		if m.IsPartner() {
			check.RequiredString(name, subMchID, 32)
		}
	}
	if err := check.Err(); err != nil || subMchID == "" {
		return err
	}
	sub, ok := m.SubMerchant(subMchID)
	if !ok {
		return check.NotBound(name, subMchID, m.MchID, m.IsPartner())
	}
	c.sub = &sub
	return nil
}
