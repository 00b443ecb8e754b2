// Package event names the callbacks mockpay sends (protocol.md §6.2) and
// what WeChat Pay's envelope says about each: its summary and how its
// resource is sealed. It imports nothing of mockpay's, so that every part
// of the mock (the domains, the notifier, the scenarios that match
// callbacks) can share the one list.
package event

import "strings"

// Type is a callback's event_type.
type Type string

// The callbacks mockpay sends.
const (
	UserConfirm      Type = "PAYSCORE.USER_CONFIRM"       // the user confirmed a service order
	UserPaid         Type = "PAYSCORE.USER_PAID"          // a service or payafter order was paid
	UserOpenService  Type = "PAYSCORE.USER_OPEN_SERVICE"  // the user authorised the service
	UserCloseService Type = "PAYSCORE.USER_CLOSE_SERVICE" // the authorization ended
	UserAccepted     Type = "PAYSCORE.USER_ACCEPTED"      // the user accepted a payafter order
	// BindServiceAccount: a service provider's application to bind a
	// sub-merchant to its Pay Score service was decided.
	BindServiceAccount Type = "PAYSCORE.BIND_SERVICE_ACCOUNT"
	RefundSuccess      Type = "REFUND.SUCCESS"
	RefundAbnormal     Type = "REFUND.ABNORMAL"
	RefundClosed       Type = "REFUND.CLOSED"
)

// All lists every callback mockpay sends.
var All = []Type{UserOpenService, UserCloseService, UserConfirm, UserPaid, UserAccepted, BindServiceAccount, RefundSuccess, RefundAbnormal, RefundClosed}

// summaries are the envelopes' summary of each callback.
var summaries = map[Type]string{
	UserConfirm:      "确认订单",
	UserPaid:         "支付成功",
	UserOpenService:  "授权成功",
	UserCloseService: "解除授权",
	UserAccepted:     "用户确认订单",
	// The official summary is unpublished; the page is 支付分服务账户绑定结果通知.
	BindServiceAccount: "服务账户绑定结果",
	RefundSuccess:      "退款成功",
	RefundAbnormal:     "退款异常",
	RefundClosed:       "退款关闭",
}

// Known reports whether t is one of All.
func (t Type) Known() bool {
	_, ok := summaries[t]
	return ok
}

// Summary is the envelope's summary of the callback.
func (t Type) Summary() string { return summaries[t] }

// IsRefund reports whether t is a REFUND.* callback.
func (t Type) IsRefund() bool { return strings.HasPrefix(string(t), "REFUND.") }

// IsAuthorization reports whether t is about an authorization
// (USER_OPEN_SERVICE, USER_CLOSE_SERVICE) rather than an order.
func (t Type) IsAuthorization() bool { return t == UserOpenService || t == UserCloseService }

// OriginalType is the envelope's resource.original_type.
func (t Type) OriginalType() string {
	if t.IsRefund() {
		return "refund"
	}
	return "payscore"
}

// AssociatedData is the resource's associated_data, the AEAD's associated
// data: empty in the official PAYSCORE.* examples (USER_CONFIRM,
// USER_PAID, USER_OPEN_SERVICE), "refund" in the REFUND.* ones.
func (t Type) AssociatedData() string {
	if t.IsRefund() {
		return "refund"
	}
	return ""
}
