package rules

import (
	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// ServiceAccount checks a binding application (POST
// /v3/payscore/partner/service-account-applications): the service
// provider's service and appid, the sub-merchant's app, its number and
// where its result goes.
func ServiceAccount(req *wire.ServiceAccountRequest, who store.Caller) error {
	c := field.Body()
	c.RequiredString("/service_id", req.ServiceID, maxID)
	c.RequiredString("/appid", req.AppID, maxID)
	c.Required("/out_apply_no", req.OutApplyNo != "")
	c.Pattern("/out_apply_no", req.OutApplyNo, field.OutApplyNo)
	c.NotifyURL("/result_notify_url", req.ResultNotifyURL)
	merchant(c, who.Merchant, req.AppID, req.ServiceID)
	subApp(c, who, req.SubAppID)
	return c.Err()
}
