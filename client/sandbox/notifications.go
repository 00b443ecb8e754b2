package sandbox

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/mockpay/mockpay/client"
)

// NotificationState is where a callback's delivery stands.
type NotificationState string

// Notification states.
const (
	NotificationPending   NotificationState = "pending"   // waiting for its next attempt
	NotificationDelivered NotificationState = "delivered" // a 2xx came back
	NotificationFailed    NotificationState = "failed"    // every scheduled attempt failed
	NotificationDropped   NotificationState = "dropped"   // never sent (no notify_url, or a scenario dropped it); see Note
)

// Attempt is one delivery attempt of a callback.
type Attempt struct {
	At         string  `json:"at"`              // RFC 3339, Beijing time
	Status     int     `json:"status"`          // the receiver's HTTP status; 0 when none came back (see Error)
	Error      string  `json:"error,omitempty"` // why no status came back
	DurationMS float64 `json:"duration_ms"`
	// Kind is empty for an attempt of the retry schedule, else
	// "redelivery" (RedeliverNotification), or a scenario's "duplicate" or
	// "forged:<kind>" copy.
	Kind string `json:"kind,omitempty"`
}

// Genuine reports whether the attempt delivered the callback itself, on
// its schedule or redelivered, rather than a scenario's extra copy of it.
func (a Attempt) Genuine() bool { return a.Kind == "" || a.Kind == "redelivery" }

// Notification is a callback the mock made, with the plaintext of its
// resource and every delivery attempt.
type Notification struct {
	ID         string `json:"id"`         // the envelope id, kept across attempts
	EventType  string `json:"event_type"` // e.g. client.EventUserPaid
	Summary    string `json:"summary"`
	MchID      string `json:"mchid"`
	SubMchID   string `json:"sub_mchid,omitempty"`    // the sub-merchant a service provider's callback is about
	OutOrderNo string `json:"out_order_no,omitempty"` // the order it is about, if any
	OpenID     string `json:"openid,omitempty"`       // the user it is about, if any
	NotifyURL  string `json:"notify_url"`
	CreateTime string `json:"create_time"` // RFC 3339, Beijing time
	// Resource is the plaintext of the encrypted resource; see Decrypted.
	Resource json.RawMessage   `json:"resource"`
	State    NotificationState `json:"state"`
	Note     string            `json:"note,omitempty"`     // why it was dropped or delayed
	Scenario string            `json:"scenario,omitempty"` // the scenario that shaped its delivery
	Attempts []Attempt         `json:"attempts"`
	answer
}

// Decrypted returns the callback as the merchant's client yields it once
// verified and decrypted (client.ParseNotification), so that its typed
// payload decoders apply: ServiceOrderEvent, PermissionEvent,
// PayAfterEvent, RefundEvent.
func (n *Notification) Decrypted() *client.Notification {
	return &client.Notification{
		ID:         n.ID,
		CreateTime: n.CreateTime,
		EventType:  n.EventType,
		Summary:    n.Summary,
		Plaintext:  n.Resource,
	}
}

// ListNotificationsRequest filters GET /sandbox/notifications; empty
// fields match all.
type ListNotificationsRequest struct {
	MchID      string
	SubMchID   string // narrows a service provider's callbacks to one sub-merchant's
	OutOrderNo string
	EventType  string // e.g. client.EventUserPaid
	State      NotificationState
	// Limit is how many to list at most, the newest; 0 lists every one,
	// following the listing's pages.
	Limit int
}

// ListNotifications lists the callbacks the mock made, newest first: GET
// /sandbox/notifications, page after page.
func (c *Client) ListNotifications(ctx context.Context, req ListNotificationsRequest) ([]Notification, error) {
	q := query("mchid", req.MchID, "sub_mchid", req.SubMchID, "out_order_no", req.OutOrderNo, "event_type", req.EventType, "state", string(req.State))
	return callList[Notification](ctx, c, endpoint("ListNotifications", http.MethodGet, "/sandbox/notifications").with(q, nil), req.Limit)
}

// RedeliverNotificationRequest names the callback for RedeliverNotification.
type RedeliverNotificationRequest struct {
	ID string // Notification.ID
}

// RedeliverNotification sends a callback again now, with the same
// envelope id, and returns it with the new attempt: POST
// /sandbox/notifications/{id}/redeliver.
func (c *Client) RedeliverNotification(ctx context.Context, req RedeliverNotificationRequest) (*Notification, error) {
	return call[Notification](ctx, c, endpoint("RedeliverNotification", http.MethodPost, "/sandbox/notifications/%s/redeliver", "ID", req.ID))
}
