package main

import (
	"context"
	"fmt"

	"github.com/mockpay/mockpay/client"
)

// The order and permission commands speak the direct merchant's API, or,
// with --sub-mchid, the partner API for that sub-merchant
// (protocol-partner.md): the same calls, with no appid on the calls on an
// order, which the partner API answers 204. Those the CLI follows with a
// query, so that every command shows the order as it now is.

// partner reports whether the calls go to the partner API.
func (c scoreClient) partner() bool { return c.subMchID != "" }

// noPartnerForm refuses a command the partner API has no form of.
func (c scoreClient) noPartnerForm(what string) error {
	if !c.partner() {
		return nil
	}
	return &usageError{msg: fmt.Sprintf("--sub-mchid: %s has no partner form; leave --sub-mchid out", what)}
}

// legacy is the client of a legacy payafter command, which has no partner
// form.
func legacy(c scoreClient, err error) (scoreClient, error) {
	if err == nil {
		err = c.noPartnerForm("the legacy payafter API")
	}
	return c, err
}

func (c scoreClient) createOrder(ctx context.Context, req client.CreateServiceOrderRequest) (*client.ServiceOrder, error) {
	if !c.partner() {
		return c.CreateServiceOrder(ctx, req)
	}
	return c.CreatePartnerServiceOrder(ctx, client.CreatePartnerServiceOrderRequest{SubMchID: c.subMchID, CreateServiceOrderRequest: req})
}

func (c scoreClient) queryOrder(ctx context.Context, outOrderNo, queryID string) (*client.ServiceOrder, error) {
	if !c.partner() {
		return c.QueryServiceOrder(ctx, client.QueryServiceOrderRequest{OutOrderNo: outOrderNo, QueryID: queryID, ServiceID: c.serviceID, AppID: c.appID})
	}
	return c.QueryPartnerServiceOrder(ctx, client.QueryPartnerServiceOrderRequest{OutOrderNo: outOrderNo, QueryID: queryID, ServiceID: c.serviceID, SubMchID: c.subMchID})
}

// then is the order after a partner call on it that succeeded (answered
// 204 without the order): queried.
func (c scoreClient) then(ctx context.Context, outOrderNo string, err error) (*client.ServiceOrder, error) {
	if err != nil {
		return nil, err
	}
	o, err := c.queryOrder(ctx, outOrderNo, "")
	if err != nil {
		return nil, fmt.Errorf("the partner API answered 204; querying order %s: %w", outOrderNo, err)
	}
	return o, nil
}

// ref is what the direct cancel and pay answer, of a queried order.
func ref(o *client.ServiceOrder, err error) (*client.ServiceOrderRef, error) {
	if err != nil {
		return nil, err
	}
	return &client.ServiceOrderRef{AppID: o.AppID, MchID: o.MchID, OutOrderNo: o.OutOrderNo, ServiceID: o.ServiceID, OrderID: o.OrderID}, nil
}

func (c scoreClient) cancelOrder(ctx context.Context, outOrderNo, reason string) (*client.ServiceOrderRef, error) {
	if !c.partner() {
		return c.CancelServiceOrder(ctx, client.CancelServiceOrderRequest{OutOrderNo: outOrderNo, AppID: c.appID, ServiceID: c.serviceID, Reason: reason})
	}
	return ref(c.then(ctx, outOrderNo, c.CancelPartnerServiceOrder(ctx, client.CancelPartnerServiceOrderRequest{
		OutOrderNo: outOrderNo, SubMchID: c.subMchID, ServiceID: c.serviceID, Reason: reason,
	})))
}

func (c scoreClient) payOrder(ctx context.Context, outOrderNo string) (*client.ServiceOrderRef, error) {
	if !c.partner() {
		return c.PayServiceOrder(ctx, client.PayServiceOrderRequest{OutOrderNo: outOrderNo, AppID: c.appID, ServiceID: c.serviceID})
	}
	return ref(c.then(ctx, outOrderNo, c.PayPartnerServiceOrder(ctx, client.PayPartnerServiceOrderRequest{
		OutOrderNo: outOrderNo, SubMchID: c.subMchID, ServiceID: c.serviceID,
	})))
}

// completeOrder completes with req, whose AppID and ServiceID are filled
// in here.
func (c scoreClient) completeOrder(ctx context.Context, req client.CompleteServiceOrderRequest) (*client.ServiceOrder, error) {
	if !c.partner() {
		req.AppID, req.ServiceID = c.appID, c.serviceID
		return c.CompleteServiceOrder(ctx, req)
	}
	return c.then(ctx, req.OutOrderNo, c.CompletePartnerServiceOrder(ctx, client.CompletePartnerServiceOrderRequest{
		OutOrderNo: req.OutOrderNo, SubMchID: c.subMchID, ServiceID: c.serviceID,
		PostPayments: req.PostPayments, PostDiscounts: req.PostDiscounts, TotalAmount: req.TotalAmount,
		TimeRange: req.TimeRange, Location: req.Location, ProfitSharing: req.ProfitSharing, GoodsTag: req.GoodsTag, Device: req.Device,
	}))
}

// modifyOrder modifies with req, whose AppID and ServiceID are filled in
// here.
func (c scoreClient) modifyOrder(ctx context.Context, req client.ModifyServiceOrderRequest) (*client.ServiceOrder, error) {
	if !c.partner() {
		req.AppID, req.ServiceID = c.appID, c.serviceID
		return c.ModifyServiceOrder(ctx, req)
	}
	return c.then(ctx, req.OutOrderNo, c.ModifyPartnerServiceOrder(ctx, client.ModifyPartnerServiceOrderRequest{
		OutOrderNo: req.OutOrderNo, SubMchID: c.subMchID, ServiceID: c.serviceID,
		PostPayments: req.PostPayments, PostDiscounts: req.PostDiscounts, TotalAmount: req.TotalAmount, Reason: req.Reason, Device: req.Device,
	}))
}

func (c scoreClient) syncOrder(ctx context.Context, outOrderNo, paidTime string) (*client.ServiceOrder, error) {
	detail := client.SyncDetail{PaidTime: paidTime}
	if !c.partner() {
		return c.SyncServiceOrder(ctx, client.SyncServiceOrderRequest{OutOrderNo: outOrderNo, AppID: c.appID, ServiceID: c.serviceID, Type: client.SyncOrderPaid, Detail: detail})
	}
	return c.then(ctx, outOrderNo, c.SyncPartnerServiceOrder(ctx, client.SyncPartnerServiceOrderRequest{
		OutOrderNo: outOrderNo, SubMchID: c.subMchID, ServiceID: c.serviceID, Type: client.SyncOrderPaid, Detail: detail,
	}))
}

func (c scoreClient) directCompleteOrder(ctx context.Context, req client.DirectCompleteServiceOrderRequest) (*client.ServiceOrder, error) {
	if !c.partner() {
		return c.DirectCompleteServiceOrder(ctx, req)
	}
	return c.then(ctx, req.OutOrderNo, c.DirectCompletePartnerServiceOrder(ctx, client.DirectCompletePartnerServiceOrderRequest{
		SubMchID: c.subMchID, DirectCompleteServiceOrderRequest: req,
	}))
}

func (c scoreClient) createPermission(ctx context.Context, req client.CreatePermissionRequest) (*client.CreatePermissionResponse, error) {
	if !c.partner() {
		return c.CreatePermission(ctx, req)
	}
	return c.CreatePartnerPermission(ctx, client.CreatePartnerPermissionRequest{SubMchID: c.subMchID, CreatePermissionRequest: req})
}

func (c scoreClient) permissionByCode(ctx context.Context, code string) (*client.Permission, error) {
	req := client.QueryPermissionByCodeRequest{AuthorizationCode: code, ServiceID: c.serviceID}
	if !c.partner() {
		return c.QueryPermissionByCode(ctx, req)
	}
	return c.QueryPartnerPermissionByCode(ctx, client.QueryPartnerPermissionByCodeRequest{QueryPermissionByCodeRequest: req, SubMchID: c.subMchID})
}

func (c scoreClient) permissionByOpenID(ctx context.Context, openid string) (*client.Permission, error) {
	if !c.partner() {
		return c.QueryPermissionByOpenID(ctx, client.QueryPermissionByOpenIDRequest{OpenID: openid, ServiceID: c.serviceID, AppID: c.appID})
	}
	return c.QueryPartnerPermission(ctx, client.QueryPartnerPermissionRequest{ServiceID: c.serviceID, AppID: c.appID, SubMchID: c.subMchID, OpenID: openid})
}

func (c scoreClient) terminateByCode(ctx context.Context, code, reason string) error {
	req := client.TerminatePermissionByCodeRequest{AuthorizationCode: code, ServiceID: c.serviceID, Reason: reason}
	if !c.partner() {
		return c.TerminatePermissionByCode(ctx, req)
	}
	return c.TerminatePartnerPermissionByCode(ctx, client.TerminatePartnerPermissionByCodeRequest{SubMchID: c.subMchID, TerminatePermissionByCodeRequest: req})
}

func (c scoreClient) terminateByOpenID(ctx context.Context, openid, reason string) error {
	if !c.partner() {
		return c.TerminatePermissionByOpenID(ctx, client.TerminatePermissionByOpenIDRequest{OpenID: openid, ServiceID: c.serviceID, AppID: c.appID, Reason: reason})
	}
	return c.TerminatePartnerPermission(ctx, client.TerminatePartnerPermissionRequest{
		SubMchID: c.subMchID, ServiceID: c.serviceID, AppID: c.appID, OpenID: openid, Reason: reason,
	})
}
