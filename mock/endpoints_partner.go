package mock

import (
	"github.com/mockpay/mockpay/mock/internal/payscore"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
)

// partnerEndpoints are a service provider's calls for its sub-merchants,
// in the order of protocol-partner.md: the direct merchant's calls on
// /v3/payscore/partner/..., each naming the sub-merchant (sub_mchid) and
// served by the direct call's handler for that sub-merchant's account.
// Calls on an order answer 204 where the direct ones answer the order.
var partnerEndpoints = []endpoint{
	{Name: "partner.permissions.create", Method: "POST", Path: "/v3/payscore/partner/permissions", Callers: partners,
		Doc:      "a service provider's pre-authorization for a sub-merchant",
		handling: withBody(preAuthorize)},
	{Name: "partner.permissions.query_by_code", Method: "GET", Path: "/v3/payscore/partner/permissions/authorization-code/{authorization_code}", Callers: partners,
		Doc:      "a sub-merchant's authorization by its authorization_code",
		handling: noBody(permissionByCode)},
	{Name: "partner.permissions.terminate_by_code", Method: "POST", Path: "/v3/payscore/partner/permissions/authorization-code/{authorization_code}/terminate", Callers: partners,
		Doc:      "end a sub-merchant's authorization by its authorization_code",
		handling: withBody(terminateByCode)},
	{Name: "partner.permissions.search", Method: "GET", Path: "/v3/payscore/partner/permissions/search", Callers: partners,
		Also:     []string{"/v3/payscore/partner/permissions/openid/{openid}"},
		Doc:      "a sub-merchant's authorization by the user's openid or sub_openid (also the older path with the openid in it)",
		handling: noBody(permissionByUser)},
	{Name: "partner.permissions.terminate", Method: "POST", Path: "/v3/payscore/partner/permissions/terminate", Callers: partners,
		Also:     []string{"/v3/payscore/partner/permissions/openid/{openid}/terminate"},
		Doc:      "end a sub-merchant's authorization by the user's openid or sub_openid (also the older path with the openid in it)",
		handling: withBody(terminateByUser)},

	{Name: "partner.serviceorder.create", Method: "POST", Path: "/v3/payscore/partner/serviceorder", Order: serviceOrder, Creates: true, Callers: partners,
		Doc:      "create a sub-merchant's service order",
		handling: withBody(createOrder)},
	{Name: "partner.serviceorder.query", Method: "GET", Path: "/v3/payscore/partner/serviceorder", Order: serviceOrder, Callers: partners,
		Doc:      "query a sub-merchant's service order by out_order_no or query_id",
		handling: noBody(queryOrder)},
	{Name: "partner.serviceorder.direct_complete", Method: "POST", Path: "/v3/payscore/partner/serviceorder/direct-complete", Order: serviceOrder, Creates: true, Callers: partners,
		Doc:      "create a sub-merchant's service order that is already complete (204)",
		handling: emptied(withBody(directCompleteOrder))},
	{Name: "partner.serviceorder.cancel", Method: "POST", Path: "/v3/payscore/partner/serviceorder/{out_order_no}/cancel", Order: serviceOrder, Callers: partners,
		Doc:      "cancel a sub-merchant's service order (204)",
		handling: emptied(onOrder((*payscore.Service).CancelOrder))},
	{Name: "partner.serviceorder.modify", Method: "POST", Path: "/v3/payscore/partner/serviceorder/{out_order_no}/modify", Order: serviceOrder, Callers: partners,
		Doc:      "change a completed sub-merchant order's amount before it is paid (204)",
		handling: emptied(onOrder((*payscore.Service).ModifyOrder))},
	{Name: "partner.serviceorder.complete", Method: "POST", Path: "/v3/payscore/partner/serviceorder/{out_order_no}/complete", Order: serviceOrder, Callers: partners,
		Doc:      "complete a sub-merchant's service order: the deduction follows (204)",
		handling: emptied(onOrder((*payscore.Service).CompleteOrder))},
	{Name: "partner.serviceorder.pay", Method: "POST", Path: "/v3/payscore/partner/serviceorder/{out_order_no}/pay", Order: serviceOrder, Callers: partners,
		Doc:      "ask for a sub-merchant order's deduction again (204)",
		handling: emptied(onOrder((*payscore.Service).PayOrder))},
	{Name: "partner.serviceorder.sync", Method: "POST", Path: "/v3/payscore/partner/serviceorder/{out_order_no}/sync", Order: serviceOrder, Callers: partners,
		Doc:      "tell WeChat Pay the user paid the sub-merchant another way (204)",
		handling: emptied(onOrder((*payscore.Service).SyncOrder))},

	{Name: "partner.service_account.apply", Method: "POST", Path: "/v3/payscore/partner/service-account-applications", Callers: partners,
		Doc: "a 平台收付通 service provider applies to bind a sub-merchant to its service",
		handling: withBody(func(s *Server, c *call, req *wire.ServiceAccountRequest) (wire.ServiceAccountApplication, error) {
			return s.payscore.ApplyServiceAccount(c.caller(), req)
		})},
	{Name: "partner.service_account.query", Method: "GET", Path: "/v3/payscore/partner/service-account-applications/{out_apply_no}", Callers: partnerItself,
		Doc: "a binding application by its out_apply_no",
		handling: noBody(func(s *Server, c *call) (wire.ServiceAccountApplication, error) {
			return s.payscore.ServiceAccountApplication(c.caller(), c.vars["out_apply_no"])
		})},
}
