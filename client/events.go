package client

import "fmt"

// Event types of callbacks (Notification.EventType, protocol.md §6.2).
// They are plain strings, like the error codes, because WeChat Pay adds
// event types without notice.
const (
	// EventUserConfirm: the user confirmed a 需确认 order (CREATED →
	// DOING/USER_CONFIRM); sent to the order's notify_url. Payload:
	// ServiceOrderEvent.
	EventUserConfirm = "PAYSCORE.USER_CONFIRM"
	// EventUserPaid: the money of a completed order was collected (→
	// DONE/USER_PAID); sent to the order's notify_url. Payload:
	// ServiceOrderEvent with Collection. A legacy 先享后付 order's
	// collection (→ USER_PAID) has the same event type, sent to the
	// merchant's registered notify_url, with a PayAfterEvent payload.
	EventUserPaid = "PAYSCORE.USER_PAID"
	// EventUserOpenService: a user authorised the service; sent to the
	// pre-authorization's notify_url. Payload: PermissionEvent.
	EventUserOpenService = "PAYSCORE.USER_OPEN_SERVICE"
	// EventUserCloseService: an authorization was terminated. Payload:
	// PermissionEvent.
	EventUserCloseService = "PAYSCORE.USER_CLOSE_SERVICE"
	// EventUserAccepted: a user accepted a legacy 先享后付 order (CREATED →
	// USER_ACCEPTED); sent to the merchant's registered notify_url.
	// Payload: PayAfterEvent with FinishTicket.
	EventUserAccepted = "PAYSCORE.USER_ACCEPTED"
	// EventBindServiceAccount: a service provider's binding application
	// was decided; sent to its result_notify_url. Payload:
	// ServiceAccountApplication.
	EventBindServiceAccount = "PAYSCORE.BIND_SERVICE_ACCOUNT"
	// EventRefundSuccess, EventRefundAbnormal and EventRefundClosed report
	// the outcome of a refund; sent to the refund's notify_url or the one
	// configured for refunds. Payload: RefundEvent.
	EventRefundSuccess  = "REFUND.SUCCESS"
	EventRefundAbnormal = "REFUND.ABNORMAL"
	EventRefundClosed   = "REFUND.CLOSED"
)

// ServiceOrderEvent is the decrypted resource of PAYSCORE.USER_CONFIRM and
// PAYSCORE.USER_PAID (protocol.md §6.3): the order as a query would return
// it, including Collection for USER_PAID.
type ServiceOrderEvent struct {
	ServiceOrder
}

// UserServiceStatus is what a PermissionEvent reports.
type UserServiceStatus string

// Values of PermissionEvent.UserServiceStatus.
const (
	UserOpenService  UserServiceStatus = "USER_OPEN_SERVICE"  // the user authorised
	UserCloseService UserServiceStatus = "USER_CLOSE_SERVICE" // the authorization ended
)

// PermissionEvent is the decrypted resource of PAYSCORE.USER_OPEN_SERVICE
// and PAYSCORE.USER_CLOSE_SERVICE (protocol.md §6.3).
type PermissionEvent struct {
	AppID string `json:"appid"`
	MchID string `json:"mchid"` // a service provider's for a partner's authorization
	// SubMchID, SubAppID and SubOpenID are those of a service provider's
	// authorization (protocol-partner.md §5.3): its sub-merchant, and the
	// sub-merchant's app and the user under it when the user authorised
	// there (OpenID is then empty).
	SubMchID  string `json:"sub_mchid,omitempty"`
	SubAppID  string `json:"sub_appid,omitempty"`
	SubOpenID string `json:"sub_openid,omitempty"`
	// OutRequestNo is set only for users who authorised through the legacy
	// 普通授权 flow with a merchant request number.
	OutRequestNo      string            `json:"out_request_no,omitempty"`
	ServiceID         string            `json:"service_id"`          // the service (un)authorised
	OpenID            string            `json:"openid,omitempty"`    // the user
	UserServiceStatus UserServiceStatus `json:"user_service_status"` // opened or closed
	// OpenOrCloseTime is yyyyMMddHHmmss in Beijing time.
	OpenOrCloseTime string `json:"openorclose_time"`
	// AuthorizationCode is set only for users who authorised through a
	// pre-authorization (CreatePermission).
	AuthorizationCode string `json:"authorization_code,omitempty"`
}

// ServiceOrderEvent decodes a PAYSCORE.USER_CONFIRM or PAYSCORE.USER_PAID
// callback. Any other event type is an error, so that a permission callback
// arriving at an order's notify_url is not mistaken for an order.
func (n *Notification) ServiceOrderEvent() (*ServiceOrderEvent, error) {
	if n.EventType != EventUserConfirm && n.EventType != EventUserPaid {
		return nil, fmt.Errorf("notification %s is %s, not %s or %s", n.ID, n.EventType, EventUserConfirm, EventUserPaid)
	}
	ev := new(ServiceOrderEvent)
	if err := n.Decode(ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// PermissionEvent decodes a PAYSCORE.USER_OPEN_SERVICE or
// PAYSCORE.USER_CLOSE_SERVICE callback; any other event type is an error.
func (n *Notification) PermissionEvent() (*PermissionEvent, error) {
	if n.EventType != EventUserOpenService && n.EventType != EventUserCloseService {
		return nil, fmt.Errorf("notification %s is %s, not %s or %s", n.ID, n.EventType, EventUserOpenService, EventUserCloseService)
	}
	ev := new(PermissionEvent)
	if err := n.Decode(ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// PayAfterEvent is the decrypted resource of a legacy 先享后付 callback
// (protocol.md §5.6): the order as QueryPayAfterOrder returns it, plus
// OutRequestNo. For PAYSCORE.USER_ACCEPTED it is USER_ACCEPTED and carries
// the FinishTicket that completion needs; for PAYSCORE.USER_PAID it is
// USER_PAID with FinishTransactionID (to refund against) and PaySuccTime.
type PayAfterEvent struct {
	PayAfterOrder
	// OutRequestNo is a request number that legacy callbacks carry (the
	// reference integration's paid handler reads it); its meaning is not
	// documented beyond that.
	OutRequestNo string `json:"out_request_no,omitempty"`
}

// PayAfterEvent decodes a legacy order's PAYSCORE.USER_ACCEPTED or
// PAYSCORE.USER_PAID callback. PAYSCORE.USER_PAID is shared with service
// orders, whose payload has state DONE and no legacy fields: such a payload
// is an error here (use ServiceOrderEvent), as is any other event type.
func (n *Notification) PayAfterEvent() (*PayAfterEvent, error) {
	if n.EventType != EventUserAccepted && n.EventType != EventUserPaid {
		return nil, fmt.Errorf("notification %s is %s, not %s or %s", n.ID, n.EventType, EventUserAccepted, EventUserPaid)
	}
	ev := new(PayAfterEvent)
	if err := n.Decode(ev); err != nil {
		return nil, err
	}
	if n.EventType == EventUserPaid && ev.State != PayAfterUserPaid {
		return nil, fmt.Errorf("notification %s is %s with state %q, not a legacy order's %s; decode it with ServiceOrderEvent",
			n.ID, n.EventType, ev.State, PayAfterUserPaid)
	}
	return ev, nil
}

// ServiceAccountEvent decodes a PAYSCORE.BIND_SERVICE_ACCOUNT callback;
// any other event type is an error.
func (n *Notification) ServiceAccountEvent() (*ServiceAccountApplication, error) {
	if n.EventType != EventBindServiceAccount {
		return nil, fmt.Errorf("notification %s is %s, not %s", n.ID, n.EventType, EventBindServiceAccount)
	}
	ev := new(ServiceAccountApplication)
	if err := n.Decode(ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// RefundEventAmount is the amount of a RefundEvent.
type RefundEventAmount struct {
	Total       int64 `json:"total"`        // the transaction's amount (fen)
	Refund      int64 `json:"refund"`       // this refund (fen)
	PayerTotal  int64 `json:"payer_total"`  // what the user paid of Total
	PayerRefund int64 `json:"payer_refund"` // what the user gets back
}

// RefundEvent is the decrypted resource of REFUND.SUCCESS, REFUND.ABNORMAL
// and REFUND.CLOSED (protocol.md §6.4).
type RefundEvent struct {
	MchID string `json:"mchid,omitempty"` // a direct merchant's refund
	// SpMchID and SubMchID name a service provider's refund for its
	// sub-merchant, whose callbacks carry no mchid.
	SpMchID       string       `json:"sp_mchid,omitempty"`
	SubMchID      string       `json:"sub_mchid,omitempty"`
	OutTradeNo    string       `json:"out_trade_no"`
	TransactionID string       `json:"transaction_id"`
	OutRefundNo   string       `json:"out_refund_no"` // the merchant's refund number
	RefundID      string       `json:"refund_id"`     // WeChat Pay's id of the refund
	RefundStatus  RefundStatus `json:"refund_status"` // SUCCESS, ABNORMAL or CLOSED
	// SuccessTime (RFC 3339) is set on success only.
	SuccessTime         string            `json:"success_time,omitempty"`
	UserReceivedAccount string            `json:"user_received_account,omitempty"` // where the money went
	Amount              RefundEventAmount `json:"amount"`
}

// RefundEvent decodes a REFUND.SUCCESS, REFUND.ABNORMAL or REFUND.CLOSED
// callback; any other event type is an error.
func (n *Notification) RefundEvent() (*RefundEvent, error) {
	switch n.EventType {
	case EventRefundSuccess, EventRefundAbnormal, EventRefundClosed:
	default:
		return nil, fmt.Errorf("notification %s is %s, not %s, %s or %s", n.ID, n.EventType, EventRefundSuccess, EventRefundAbnormal, EventRefundClosed)
	}
	ev := new(RefundEvent)
	if err := n.Decode(ev); err != nil {
		return nil, err
	}
	return ev, nil
}
