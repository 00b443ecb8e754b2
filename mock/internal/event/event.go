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

	// Pay Score parking (protocol-parking.md §7).
	EntranceStateChange Type = "VEHICLE.ENTRANCE_STATE_CHANGE" // an open parking entry became usable or blocked
	TransactionSuccess  Type = "TRANSACTION.SUCCESS"           // a parking deduction was paid (by an advance, too)
	TransactionFail     Type = "TRANSACTION.FAIL"              // a parking deduction failed
	TransactionPayBack  Type = "TRANSACTION.PAY_BACK"          // the user repaid the advance that paid a deduction
)

// All lists every callback mockpay sends.
var All = []Type{UserOpenService, UserCloseService, UserConfirm, UserPaid, UserAccepted, BindServiceAccount, RefundSuccess, RefundAbnormal, RefundClosed,
	EntranceStateChange, TransactionSuccess, TransactionFail, TransactionPayBack}

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
	// The entry callback's is the official example's; the others' are
	// unconfirmed (docs/fidelity.md).
	EntranceStateChange: "停车入场状态通知",
	TransactionSuccess:  "支付成功",
	TransactionFail:     "支付失败",
	TransactionPayBack:  "垫资还款成功",
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

// IsParking reports whether t is a Pay Score parking callback: about an
// entry (VEHICLE.*) or a deduction (TRANSACTION.*).
func (t Type) IsParking() bool {
	return strings.HasPrefix(string(t), "VEHICLE.") || strings.HasPrefix(string(t), "TRANSACTION.")
}

// IsAuthorization reports whether t is about an authorization
// (USER_OPEN_SERVICE, USER_CLOSE_SERVICE) rather than an order.
func (t Type) IsAuthorization() bool { return t == UserOpenService || t == UserCloseService }

// OriginalType is the envelope's resource.original_type: empty in the
// official parking entry example, "transaction" for the deductions' (as
// WeChat Pay's payment callbacks have it).
func (t Type) OriginalType() string {
	switch {
	case t.IsRefund():
		return "refund"
	case t == EntranceStateChange:
		return ""
	case t.IsParking():
		return "transaction"
	}
	return "payscore"
}

// AssociatedData is the resource's associated_data, the AEAD's associated
// data: empty in the official PAYSCORE.* examples (USER_CONFIRM,
// USER_PAID, USER_OPEN_SERVICE) and the parking entry's, "refund" in the
// REFUND.* ones; "transaction" for the parking deductions', as WeChat
// Pay's payment callbacks have it.
func (t Type) AssociatedData() string {
	switch {
	case t.IsRefund():
		return "refund"
	case t.IsParking() && t != EntranceStateChange:
		return "transaction"
	}
	return ""
}
