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
	ID           string          `json:",omitzero"` // the envelope id, kept across retries
	Seq          uint64          `json:",omitzero"` // Store.NextSeq at creation
	MchID        string          `json:",omitzero"` // the merchant, or service provider, it is sent to
	SubMchID     string          `json:",omitzero"` // the sub-merchant a partner's callback is about
	EventType    event.Type      `json:",omitzero"`
	Summary      string          `json:",omitzero"`
	NotifyURL    string          `json:",omitzero"`
	OrderKind    Kind            `json:",omitzero"` // with OutOrderNo: the order it is about, if any
	OutOrderNo   string          `json:",omitzero"`
	OpenID       string          `json:",omitzero"`
	OriginalType string          `json:",omitzero"` // resource.original_type
	Resource     []byte          `json:",omitzero"` // plaintext resource JSON
	Body         []byte          `json:",omitzero"` // the envelope as sent, with the resource encrypted
	CreateTime   time.Time       `json:",omitzero"`
	State        string          `json:",omitzero"`
	Note         string          `json:",omitzero"` // why it was dropped or delayed
	Attempts     []Attempt       `json:",omitzero"`
	Schedule     []time.Duration `json:",omitzero"` // waits between attempts
	// NextAttempt is when the next attempt of the schedule is due; zero
	// once the notification is no longer pending.
	NextAttempt Due      `json:",omitzero"`
	Scenario    string   `json:",omitzero"` // the scenario that shapes its delivery, if any
	Duplicate   int      `json:",omitzero"` // extra copies to send with the first attempt
	Forge       []string `json:",omitzero"` // forged copies to send before the first attempt
}

// Attempt is one delivery attempt.
type Attempt struct {
	Seq        uint64    `json:",omitzero"` // Store.NextSeq
	At         time.Time `json:",omitzero"` // domain time
	Status     int       `json:",omitzero"` // HTTP status, 0 when none came back
	Error      string    `json:",omitzero"`
	DurationMS float64   `json:",omitzero"`
	// Kind is "" for an attempt of the retry schedule, else what sent it:
	// "redelivery" (the sandbox), "duplicate" or "forged:<kind>" (a scenario).
	Kind string `json:",omitzero"`
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
			"seq": {Name: "seq", Unique: true, Indexer: seqIndex[*Notification]{seq: func(n *Notification) uint64 { return n.Seq }}},
			"order": {Name: "order", AllowMissing: true, Indexer: keyIndex[*Notification]{parts: 4, account: true, key: func(n *Notification) []string {
				if n.OutOrderNo == "" {
					return nil
				}
				return n.Account().key(string(n.OrderKind), n.OutOrderNo)
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
func (tx ReadTxn) OrderNotifications(a Account, kind Kind, outOrderNo string) ([]*Notification, error) {
	ns, err := all[*Notification](tx, tableNotifications, "order", a.MchID, a.SubMchID, string(kind), outOrderNo)
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
