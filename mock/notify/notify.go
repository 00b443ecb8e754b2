// Package notify delivers mockpay's callbacks: it seals the resource with
// AEAD_AES_256_GCM under the merchant's APIv3 key, wraps it in WeChat Pay's
// envelope, signs every attempt in the merchant's platform mode and POSTs it
// to the notify_url, retrying on the schedule of protocol.md §6.5 on the
// domain clock. Notifications are rows in the store, so the change that
// fires one and the notification commit together, and every attempt is
// recorded for /sandbox/notifications.
package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/store"
)

// Retry schedules (protocol.md §6.5): the waits between attempts.
var (
	// PayScoreSchedule is the pay-score pages' schedule: 15s, 15s, 30s, 3m,
	// 30m ×4, 60m after the first attempt (ten attempts in all).
	PayScoreSchedule = []time.Duration{
		15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
		30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 60 * time.Minute,
	}
	// GenericSchedule is the payment and refund schedule: 24 h 4 min in all.
	GenericSchedule = []time.Duration{
		15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute, 10 * time.Minute,
		20 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 60 * time.Minute,
		3 * time.Hour, 3 * time.Hour, 3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
	}
)

// Timeout is how long a merchant has to answer an attempt (transport time).
const Timeout = 5 * time.Second

// Signer signs a callback body for a merchant, in its platform mode,
// returning the Wechatpay-* headers.
type Signer interface {
	SignCallback(mchid string, body []byte) (http.Header, error)
}

// Notifier delivers callbacks.
type Notifier struct {
	store  *store.Store
	clock  clock.Clock
	client *http.Client
	signer Signer
	newID  func() string
	log    *slog.Logger
}

// New returns a notifier. client may be nil for a default one; whatever the
// client, each attempt is bounded by Timeout.
func New(st *store.Store, clk clock.Clock, client *http.Client, signer Signer, newID func() string, log *slog.Logger) *Notifier {
	if client == nil {
		client = &http.Client{Timeout: Timeout}
	}
	return &Notifier{store: st, clock: clk, client: client, signer: signer, newID: newID, log: log}
}

// Event is a callback to send.
type Event struct {
	MchID        string
	APIv3Key     string
	EventType    string // PAYSCORE.USER_CONFIRM, REFUND.SUCCESS, ...
	Summary      string // 确认订单, 支付成功, ...
	NotifyURL    string
	OriginalType string // payscore or refund; also the associated data
	Resource     any    // marshalled as the plaintext resource
	OrderKind    string // the order it is about, if any
	OutOrderNo   string
	OpenID       string
	Schedule     []time.Duration
}

// envelope is the callback body (protocol.md §6.1), fields in WeChat Pay's order.
type envelope struct {
	ID           string   `json:"id"`
	CreateTime   string   `json:"create_time"`
	ResourceType string   `json:"resource_type"`
	EventType    string   `json:"event_type"`
	Summary      string   `json:"summary"`
	Resource     resource `json:"resource"`
}

type resource struct {
	OriginalType   string `json:"original_type"`
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	AssociatedData string `json:"associated_data"`
	Nonce          string `json:"nonce"`
}

// Enqueue stores the callback in tx and, once tx commits, starts its first
// attempt. A callback without a notify_url is stored as dropped.
func (n *Notifier) Enqueue(tx store.WriteTxn, ev Event) (*store.Notification, error) {
	plain, err := protocol.MarshalJSON(ev.Resource)
	if err != nil {
		return nil, fmt.Errorf("notification resource: %w", err)
	}
	now := n.clock.Now()
	row := &store.Notification{
		ID:           n.newID(),
		Seq:          n.store.NextSeq(),
		MchID:        ev.MchID,
		EventType:    ev.EventType,
		Summary:      ev.Summary,
		NotifyURL:    ev.NotifyURL,
		OrderKind:    ev.OrderKind,
		OutOrderNo:   ev.OutOrderNo,
		OpenID:       ev.OpenID,
		OriginalType: ev.OriginalType,
		Resource:     plain,
		CreateTime:   now,
		State:        store.NotificationPending,
		Schedule:     ev.Schedule,
	}
	nonce := protocol.NewNonce(protocol.NonceSize)
	ct, err := protocol.Encrypt([]byte(ev.APIv3Key), nonce, ev.OriginalType, plain)
	if err != nil {
		return nil, fmt.Errorf("seal notification: %w", err)
	}
	row.Body, err = protocol.MarshalJSON(envelope{
		ID: row.ID, CreateTime: protocol.FormatRFC3339(now), ResourceType: "encrypt-resource",
		EventType: ev.EventType, Summary: ev.Summary,
		Resource: resource{OriginalType: ev.OriginalType, Algorithm: protocol.AlgorithmAEADAES256GCM, Ciphertext: ct, AssociatedData: ev.OriginalType, Nonce: nonce},
	})
	if err != nil {
		return nil, err
	}
	if ev.NotifyURL == "" {
		row.State = store.NotificationDropped
		row.Attempts = []store.Attempt{{Seq: n.store.NextSeq(), At: now, Error: "no notify_url to send it to"}}
	}
	if err := tx.PutNotification(row); err != nil {
		return nil, err
	}
	if row.State == store.NotificationPending {
		id := row.ID
		tx.Defer(func() { n.clock.AfterFunc(0, ev.EventType+" "+id+" attempt 1", func() { n.scheduled(id) }) })
	}
	return row, nil
}

// scheduled runs an attempt of the retry schedule.
func (n *Notifier) scheduled(id string) {
	row, err := n.store.Read().Notification(id)
	if err != nil || row.State != store.NotificationPending {
		return // delivered by a redelivery, or removed with its merchant
	}
	n.attempt(row, true)
}

// Redeliver sends a notification once more, now, whatever its state, and
// returns it with the new attempt recorded. A success marks it delivered;
// a failure leaves its retry schedule as it was.
func (n *Notifier) Redeliver(id string) (*store.Notification, error) {
	row, err := n.store.Read().Notification(id)
	if err != nil {
		return nil, err
	}
	if row.NotifyURL == "" {
		return nil, errors.New("the notification has no notify_url")
	}
	return n.attempt(row, false), nil
}

// attempt POSTs the notification and records the outcome; a failed
// scheduled attempt schedules the next one or, after the last, fails the
// notification.
func (n *Notifier) attempt(row *store.Notification, scheduled bool) *store.Notification {
	status, errText, dur := n.post(row)
	ok := errText == "" && status >= 200 && status < 300
	if errText == "" && !ok {
		errText = fmt.Sprintf("merchant answered HTTP %d", status)
	}

	tx := n.store.Write()
	defer tx.Abort()
	cur, err := tx.Notification(row.ID)
	if err != nil {
		return row // removed meanwhile
	}
	upd := cur.Copy()
	upd.Attempts = append(upd.Attempts, store.Attempt{Seq: n.store.NextSeq(), At: n.clock.Now(), Status: status, Error: errText, DurationMS: dur, Redelivery: !scheduled})
	switch {
	case ok:
		upd.State = store.NotificationDelivered
	case scheduled && upd.State == store.NotificationPending:
		tried := scheduledAttempts(upd)
		if tried > len(upd.Schedule) {
			upd.State = store.NotificationFailed
			break
		}
		wait := upd.Schedule[tried-1]
		label := fmt.Sprintf("%s %s attempt %d", upd.EventType, upd.ID, tried+1)
		id := upd.ID
		tx.Defer(func() { n.clock.AfterFunc(wait, label, func() { n.scheduled(id) }) })
	}
	if err := tx.PutNotification(upd); err != nil {
		n.log.Error("record notification attempt", "id", row.ID, "err", err)
		return row
	}
	tx.Commit()
	n.log.Debug("callback", "id", upd.ID, "event_type", upd.EventType, "url", upd.NotifyURL, "status", status, "error", errText)
	return upd
}

// scheduledAttempts counts the attempts of the schedule made so far: all of
// them but the redeliveries, which are recorded with a marker.
func scheduledAttempts(row *store.Notification) int {
	k := 0
	for _, a := range row.Attempts {
		if !a.Redelivery {
			k++
		}
	}
	return k
}

// post sends one attempt; it returns the status (0 when none came back),
// an error text for transport failures and the duration in milliseconds.
func (n *Notifier) post(row *store.Notification) (int, string, float64) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, row.NotifyURL, bytes.NewReader(row.Body))
	if err != nil {
		return 0, "cannot build request: " + err.Error(), 0
	}
	h, err := n.signer.SignCallback(row.MchID, row.Body)
	if err != nil {
		return 0, "cannot sign: " + err.Error(), 0
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	req.Header.Set(protocol.HeaderSignatureType, protocol.Schema)
	req.Header.Set(protocol.HeaderRequestID, n.newID())
	start := time.Now()
	resp, err := n.client.Do(req)
	dur := float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		return 0, err.Error(), dur
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, "", dur
}
