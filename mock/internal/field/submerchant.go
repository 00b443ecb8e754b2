package field

import (
	"fmt"

	"github.com/mockpay/mockpay/mock/internal/apierr"
)

// NotBound is WeChat Pay's refusal of a sub_mchid that is not a
// sub-merchant of the calling service provider (403 NO_AUTH 受理关系不存在,
// protocol-partner.md §1.4), the one answer of every API a service
// provider calls for its sub-merchants: the Pay Score partner API, the
// refunds and Pay Score parking. name is the parameter as c names it, in
// the body or the query; partner says whether the caller is a service
// provider at all (a direct merchant acts for no sub-merchant).
func (c *Check) NotBound(name, subMchID, mchid string, partner bool) *apierr.Error {
	issue := fmt.Sprintf("sub_mchid %s is not a sub-merchant of service provider %s (bind it with PATCH /sandbox/merchants/%s)", subMchID, mchid, mchid)
	if !partner {
		issue = fmt.Sprintf("merchant %s is a direct merchant: it acts for no sub-merchant", mchid)
	}
	return apierr.New(apierr.NoAuth, "受理关系不存在").WithDetail(apierr.Detail{
		Field: name, Value: subMchID, Location: c.Location(), Issue: issue,
	})
}
