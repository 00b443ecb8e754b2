// Package callback assembles the Pay Score callbacks (protocol.md §6.3):
// for each, the resource WeChat Pay sends, the address it goes to and what
// scenarios match it on. Sealing, signing and delivery are package
// notify's; when a callback fires is package payscore's.
package callback

import (
	"strings"
	"time"

	"github.com/mockpay/mockpay/mock/internal/event"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// Order is a callback about a service order (PAYSCORE.USER_CONFIRM,
// PAYSCORE.USER_PAID): the order as the query returns it, to the order's
// notify_url.
func Order(o *store.Order, m *store.Merchant, t event.Type) notify.Event {
	return notify.Event{
		MchID: o.MchID, SubMchID: o.SubMchID, APIv3Key: m.APIv3Key, Type: t, NotifyURL: o.NotifyURL, Resource: wire.View(o),
		OrderKind: o.Kind, OutOrderNo: o.OutOrderNo, OpenID: o.User(),
	}
}

// PayAfter is a callback about a legacy payafter order
// (PAYSCORE.USER_ACCEPTED, PAYSCORE.USER_PAID) at now: the query object
// with out_request_no, to the service's configured address, as these
// orders carry no notify_url of their own.
func PayAfter(o *store.Order, m *store.Merchant, t event.Type, now time.Time) notify.Event {
	res := wire.PayAfterView(o, now)
	res.OutRequestNo = o.OutOrderNo // the legacy payload names the order this way too
	return notify.Event{
		MchID: o.MchID, APIv3Key: m.APIv3Key, Type: t, NotifyURL: m.NotifyURL, Resource: res,
		OrderKind: o.Kind, OutOrderNo: o.OutOrderNo, OpenID: o.OpenID,
	}
}

// Application is the callback of a decided binding application
// (PAYSCORE.BIND_SERVICE_ACCOUNT): the application without its
// result_notify_url, to that address.
func Application(a *store.Application, m *store.Merchant, t event.Type) notify.Event {
	res := wire.ApplicationView(a)
	res.ResultNotifyURL = ""
	return notify.Event{MchID: a.MchID, SubMchID: a.SubMchID, APIv3Key: m.APIv3Key, Type: t, NotifyURL: a.ResultNotifyURL, Resource: res, ServiceID: a.ServiceID}
}

// Permission is a callback about an authorization
// (PAYSCORE.USER_OPEN_SERVICE, PAYSCORE.USER_CLOSE_SERVICE) at now, to the
// pre-authorization's notify_url, else the service's configured one (a
// service provider's, for a partner's).
func Permission(p *store.Permission, m *store.Merchant, t event.Type, now time.Time) notify.Event {
	url := p.NotifyURL
	if url == "" {
		url = m.NotifyURL
	}
	status := strings.TrimPrefix(string(t), "PAYSCORE.") // user_service_status: USER_OPEN_SERVICE, USER_CLOSE_SERVICE
	return notify.Event{
		MchID: p.MchID, SubMchID: p.SubMchID, APIv3Key: m.APIv3Key, Type: t, NotifyURL: url, OpenID: p.User(),
		Resource: wire.PermissionEventOf(p, status, now),
	}
}
