package store

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/mockpay/mockpay/mock/internal/event"
)

const tableNotifications = "notifications"

// Notification delivery states.
const (
	NotificationPending   = "pending"   // waiting for its next attempt
	NotificationDelivered = "delivered" // a 2xx came back
	NotificationFailed    = "failed"    // every scheduled attempt failed
	NotificationDropped   = "dropped"   // never sent (no notify_url, or a scenario dropped it)
)

// Notification is a callback to a merchant and its delivery record.
type Notification struct {
	ID           string // the envelope id, kept across retries
	Seq          uint64 // Store.NextSeq at creation
	MchID        string
	SubMchID     string // the sub-merchant it is about, for a service provider
	EventType    event.Type
	Summary      string
	NotifyURL    string
	OrderKind    Kind // with OutOrderNo: the order it is about, if any
	OutOrderNo   string
	OpenID       string
	OriginalType string // resource.original_type
	Resource     []byte // plaintext resource JSON
	Body         []byte // the envelope as sent, with the resource encrypted
	CreateTime   time.Time
	State        string
	Note         string // why it was dropped or delayed
	Attempts     []Attempt
	Schedule     []time.Duration // waits between attempts
	// NextAttempt is when the next attempt of the schedule is due; zero
	// once the notification is no longer pending.
	NextAttempt Due
	Scenario    string   // the scenario that shapes its delivery, if any
	Duplicate   int      // extra copies to send with the first attempt
	Forge       []string // forged copies to send before the first attempt
}

// Attempt is one delivery attempt.
type Attempt struct {
	Seq        uint64    // Store.NextSeq
	At         time.Time // domain time
	Status     int       // HTTP status, 0 when none came back
	Error      string
	DurationMS float64
	// Kind is "" for an attempt of the retry schedule, else what sent it:
	// "redelivery" (the sandbox), "duplicate" or "forged:<kind>" (a scenario).
	Kind string
}

// Copy returns a copy to change and insert again.
func (n *Notification) Copy() *Notification {
	c := *n
	c.Attempts = slices.Clip(n.Attempts)
	return &c
}

func notificationsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableNotifications,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*Notification]{parts: 1, key: func(n *Notification) []string {
				return []string{n.ID}
			}}},
			"order": {Name: "order", AllowMissing: true, Indexer: keyIndex[*Notification]{parts: 3, key: func(n *Notification) []string {
				if n.OutOrderNo == "" {
					return nil
				}
				return []string{n.MchID, string(n.OrderKind), n.OutOrderNo}
			}}},
		},
	}
}

// Notification returns a notification by envelope id, or ErrNotFound.
func (tx ReadTxn) Notification(id string) (*Notification, error) {
	return first[*Notification](tx, tableNotifications, "id", id)
}

// Notifications returns every notification in creation order.
func (tx ReadTxn) Notifications() ([]*Notification, error) {
	ns, err := all[*Notification](tx, tableNotifications, "id_prefix")
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ns, func(a, b *Notification) int { return cmp.Compare(a.Seq, b.Seq) })
	return ns, nil
}

// OrderNotifications returns the notifications about one order in creation order.
func (tx ReadTxn) OrderNotifications(mchid string, kind Kind, outOrderNo string) ([]*Notification, error) {
	ns, err := all[*Notification](tx, tableNotifications, "order", mchid, string(kind), outOrderNo)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ns, func(a, b *Notification) int { return cmp.Compare(a.Seq, b.Seq) })
	return ns, nil
}

// PutNotification inserts or replaces a notification.
func (tx WriteTxn) PutNotification(n *Notification) error {
	if err := tx.tx.Insert(tableNotifications, n); err != nil {
		return fmt.Errorf("put notification %s: %w", n.ID, err)
	}
	return nil
}
