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
	// ServiceOrderEvent with Collection.
	EventUserPaid = "PAYSCORE.USER_PAID"
	// EventUserOpenService: a user authorised the service; sent to the
	// pre-authorization's notify_url. Payload: PermissionEvent.
	EventUserOpenService = "PAYSCORE.USER_OPEN_SERVICE"
	// EventUserCloseService: an authorization was terminated. Payload:
	// PermissionEvent.
	EventUserCloseService = "PAYSCORE.USER_CLOSE_SERVICE"
	// EventUserAccepted: a user accepted a legacy 先享后付 order.
	EventUserAccepted = "PAYSCORE.USER_ACCEPTED"
	// EventRefundSuccess, EventRefundAbnormal and EventRefundClosed report
	// the outcome of a refund.
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
	MchID string `json:"mchid"`
	// OutRequestNo is set only for users who authorised through the legacy
	// 普通授权 flow with a merchant request number.
	OutRequestNo      string            `json:"out_request_no,omitempty"`
	ServiceID         string            `json:"service_id"`          // the service (un)authorised
	OpenID            string            `json:"openid"`              // the user
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
