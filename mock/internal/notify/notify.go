// Package notify delivers mockpay's callbacks: it seals the resource with
// AEAD_AES_256_GCM under the merchant's APIv3 key, wraps it in WeChat Pay's
// envelope, signs every attempt in the merchant's platform mode and POSTs it
// to the notify_url, retrying on the schedule of protocol.md §6.5 on the
// domain clock. Notifications are rows in the store, so the change that
// fires one and the notification commit together, and every attempt is
// recorded for /sandbox/notifications.
//
// Scenarios may delay, drop or duplicate a callback, or send forged copies
// of it first; every such delivery is recorded with its kind.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/event"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// Retry schedules (protocol.md §6.5): the waits between attempts.
var (
	// payScoreSchedule is the pay-score pages' schedule: 15s, 15s, 30s, 3m,
	// 30m ×4, 60m after the first attempt (ten attempts in all).
	payScoreSchedule = []time.Duration{
		15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
		30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 60 * time.Minute,
	}
	// genericSchedule is the payment and refund schedule: 24 h 4 min in all.
	genericSchedule = []time.Duration{
		15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute, 10 * time.Minute,
		20 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 60 * time.Minute,
		3 * time.Hour, 3 * time.Hour, 3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
	}
)

// authorizationSchedule is the authorization callbacks' schedule
// (PAYSCORE.USER_OPEN_SERVICE, USER_CLOSE_SERVICE): payScoreSchedule, then
// an attempt every hour until three days after the first.
var authorizationSchedule = hourlyUntil(payScoreSchedule, 72*time.Hour)

// hourlyUntil extends a schedule with hourly waits while the attempts they
// lead to are at most limit after the first.
func hourlyUntil(schedule []time.Duration, limit time.Duration) []time.Duration {
	out := slices.Clone(schedule)
	var elapsed time.Duration
	for _, d := range out {
		elapsed += d
	}
	for elapsed+time.Hour <= limit {
		out = append(out, time.Hour)
		elapsed += time.Hour
	}
	return out
}

// scheduleOf is the retry schedule of a callback: refunds and parking
// callbacks follow the generic one, authorizations the pay-score one
// extended to three days, the order callbacks the pay-score pages'.
func scheduleOf(t event.Type) []time.Duration {
	switch {
	case t.IsRefund(), t.IsParking():
		return genericSchedule
	case t.IsAuthorization():
		return authorizationSchedule
	}
	return payScoreSchedule
}

// Timeout is how long a merchant has to answer an attempt (transport time).
const Timeout = 5 * time.Second

// DefaultConcurrency is how many deliveries are in flight at most unless
// Config.Concurrency says otherwise.
const DefaultConcurrency = 64

// Attempt kinds (store.Attempt.Kind).
const (
	KindScheduled  = ""           // an attempt of the retry schedule
	KindRedelivery = "redelivery" // asked for through the sandbox
	KindDuplicate  = "duplicate"  // a scenario's extra copy
	KindForged     = "forged:"    // a scenario's forged copy: forged:probe, forged:tampered, ...
)

// Signer signs a callback body for a merchant, in its platform mode, with
// the given transport time, returning the Wechatpay-* headers.
type Signer interface {
	SignCallback(mchid string, body []byte, at time.Time) (http.Header, error)
}

// ErrNoNotifyURL is Redeliver's refusal of a callback that has no address
// to go to.
var ErrNoNotifyURL = errors.New("the notification has no notify_url")

// Notifier delivers callbacks.
type Notifier struct {
	store     *store.Store
	clock     clock.Clock
	client    *http.Client
	signer    Signer
	timeout   time.Duration
	newID     func() string
	scenarios *scenario.Engine
	log       *slog.Logger

	// mu guards timers: the timer of each pending notification's next
	// scheduled attempt, so that a notification that stops being pending
	// some other way (a redelivery) takes its retry off the clock.
	mu     sync.Mutex
	timers map[string]tracked

	// Deliveries run in parallel, at most cap(slots) at a time, except
	// those of one lane (laneOf), which go one after another in the order
	// they were made ready.
	slots   chan struct{}
	lanesMu sync.Mutex
	lanes   map[string][]func()
}

// tracked is the timer of a notification's next attempt, and whose it is.
type tracked struct {
	owner string
	timer clock.Timer
}

// Config assembles a Notifier. Client may be nil for a default one; whatever
// the client, each attempt is bounded by Timeout.
type Config struct {
	Store     *store.Store
	Clock     clock.Clock
	Client    *http.Client
	Signer    Signer
	NewID     func() string
	Scenarios *scenario.Engine
	Logger    *slog.Logger
	// Concurrency bounds the deliveries in flight; 0 means DefaultConcurrency.
	Concurrency int
	// Timeout bounds an attempt; 0 means Timeout, WeChat Pay's 5 s.
	Timeout time.Duration
}

// New returns a notifier.
func New(c Config) *Notifier {
	conc := c.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = Timeout
	}
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	return &Notifier{
		store: c.Store, clock: c.Clock, client: client, signer: c.Signer, timeout: timeout, newID: c.NewID, scenarios: c.Scenarios, log: c.Logger,
		timers: make(map[string]tracked), slots: make(chan struct{}, conc), lanes: make(map[string][]func()),
	}
}

// Event is a callback to send. Its type decides the rest of the envelope
// (summary, original_type, associated_data) and the retry schedule.
type Event struct {
	MchID      string // the merchant, or service provider, it is sent to
	SubMchID   string // the sub-merchant a partner's callback is about
	APIv3Key   string
	Type       event.Type
	NotifyURL  string
	Resource   any        // marshalled as the plaintext resource
	OrderKind  store.Kind // the order it is about, if any
	OutOrderNo string
	OpenID     string
	ServiceID  string
}

// envelope is the callback body (protocol.md §6.1), fields in WeChat Pay's order.
type envelope struct {
	ID           string     `json:"id"`
	CreateTime   string     `json:"create_time"`
	ResourceType string     `json:"resource_type"`
	EventType    event.Type `json:"event_type"`
	Summary      string     `json:"summary"`
	Resource     resource   `json:"resource"`
}

type resource struct {
	OriginalType   string `json:"original_type"`
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	AssociatedData string `json:"associated_data"`
	Nonce          string `json:"nonce"`
}

// Enqueue stores the callback in tx and, once tx commits, starts its first
// attempt (after a scenario's delay). A callback without a notify_url, or
// one a scenario drops, is stored as dropped.
func (n *Notifier) Enqueue(tx store.WriteTxn, ev Event) (*store.Notification, error) {
	plain, err := protocol.MarshalJSON(ev.Resource)
	if err != nil {
		return nil, fmt.Errorf("notification resource: %w", err)
	}
	if !ev.Type.Known() {
		return nil, fmt.Errorf("notification of unknown event type %q", ev.Type)
	}
	now := n.clock.Now()
	row := &store.Notification{
		ID:           n.newID(),
		Seq:          n.store.NextSeq(),
		MchID:        ev.MchID,
		SubMchID:     ev.SubMchID,
		EventType:    ev.Type,
		Summary:      ev.Type.Summary(),
		NotifyURL:    ev.NotifyURL,
		OrderKind:    ev.OrderKind,
		OutOrderNo:   ev.OutOrderNo,
		OpenID:       ev.OpenID,
		OriginalType: ev.Type.OriginalType(),
		Resource:     plain,
		CreateTime:   now,
		State:        store.NotificationPending,
		Schedule:     scheduleOf(ev.Type),
	}
	nonce := protocol.NewNonce(protocol.NonceSize)
	ad := ev.Type.AssociatedData()
	ct, err := protocol.Encrypt([]byte(ev.APIv3Key), nonce, ad, plain)
	if err != nil {
		return nil, fmt.Errorf("seal notification: %w", err)
	}
	row.Body, err = protocol.MarshalJSON(envelope{
		ID: row.ID, CreateTime: protocol.FormatRFC3339(now), ResourceType: "encrypt-resource",
		EventType: row.EventType, Summary: row.Summary,
		Resource: resource{OriginalType: row.OriginalType, Algorithm: protocol.AlgorithmAEADAES256GCM, Ciphertext: ct, AssociatedData: ad, Nonce: nonce},
	})
	if err != nil {
		return nil, err
	}
	var delay time.Duration
	fx, applied := n.scenarios.Callback(scenario.Subject{
		MchID: ev.MchID, SubMchID: ev.SubMchID, OpenID: ev.OpenID, OutOrderNo: ev.OutOrderNo, ServiceID: ev.ServiceID, EventType: string(ev.Type),
	})
	switch {
	case ev.NotifyURL == "":
		row.State = store.NotificationDropped
		row.Note = "dropped: no notify_url to send it to"
	case fx != nil:
		row.Scenario = applied.String()
		if fx.Drop {
			row.State = store.NotificationDropped
			row.Note = "dropped by " + row.Scenario + ": the merchant must query"
			break
		}
		delay, row.Duplicate = fx.Delay.D(), fx.Duplicate
		for _, f := range fx.Forge {
			row.Forge = append(row.Forge, string(f))
		}
		if delay > 0 {
			row.Note = fmt.Sprintf("delayed %s by %s", delay, row.Scenario)
		}
	}
	if row.State == store.NotificationPending {
		row.NextAttempt = n.store.DueIn(now, delay)
		job := n.nextAttempt(row)
		clock.Later(tx, n.clock, job)
	}
	if err := tx.PutNotification(row); err != nil {
		return nil, err
	}
	return row, nil
}

// nextAttempt is the timer of a pending notification's next scheduled
// attempt, due at row.NextAttempt; once armed, it is tracked until it runs
// or the notification stops being pending.
func (n *Notifier) nextAttempt(row *store.Notification) clock.Job {
	id, due := row.ID, row.NextAttempt
	return clock.Job{
		At: due.At, Seq: due.Seq,
		Label: fmt.Sprintf("%s %s attempt %d", row.EventType, id, scheduledAttempts(row)+1),
		Run:   func() { n.scheduled(id) },
		Armed: func(t clock.Timer) { n.track(id, due, t) },
		Owner: row.MchID,
	}
}

// track records t as the timer of notification id's attempt due at due.
// The timer is armed after the transaction that scheduled the attempt has
// committed, so a redelivery may have delivered the notification in
// between, and untrack found nothing to stop: the row, read under the same
// lock untrack takes, tells, and a timer nobody waits for any more is
// stopped at once.
func (n *Notifier) track(id string, due store.Due, t clock.Timer) {
	n.mu.Lock()
	defer n.mu.Unlock()
	row, err := n.store.Read().Notification(id)
	if err != nil || row.State != store.NotificationPending || row.NextAttempt.Seq != due.Seq {
		t.Stop()
		return
	}
	n.timers[id] = tracked{owner: row.MchID, timer: t}
}

// Forget drops the timers it tracks of merchant mchid ("" for every
// merchant), which a sandbox reset or a merchant's removal has taken off
// the clock (clock.Cancel).
func (n *Notifier) Forget(mchid string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	maps.DeleteFunc(n.timers, func(_ string, t tracked) bool { return mchid == "" || t.owner == mchid })
}

// untrack takes notification id's scheduled attempt off the clock, if one
// is waiting; it is called once the notification is no longer pending.
func (n *Notifier) untrack(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if t, ok := n.timers[id]; ok {
		t.timer.Stop()
		delete(n.timers, id)
	}
}

// Resume returns the timers of the pending notifications in tx, for a
// server restored from a saved state to arm: each one's next attempt of
// the retry schedule, at the time it was due.
func (n *Notifier) Resume(tx store.ReadTxn) ([]clock.Job, error) {
	ns, err := tx.Notifications()
	if err != nil {
		return nil, err
	}
	var jobs []clock.Job
	for _, row := range ns {
		if row.State != store.NotificationPending {
			continue
		}
		if row.NextAttempt.At.IsZero() {
			return nil, fmt.Errorf("notification %s is pending with no next attempt", row.ID)
		}
		jobs = append(jobs, n.nextAttempt(row))
	}
	return jobs, nil
}

// scheduled runs an attempt of the retry schedule.
func (n *Notifier) scheduled(id string) {
	n.untrack(id) // its timer has fired; a failure arms the next one
	row, err := n.store.Read().Notification(id)
	if err != nil || row.State != store.NotificationPending {
		return // delivered by a redelivery, or removed with its merchant
	}
	now := n.clock.Now()
	send := n.prepare(row, KindScheduled, now)
	// A failure schedules the next attempt from now: the clock must not
	// reach that time before the delivery is over, however long the
	// merchant takes to answer. Until then it may run other work.
	release := func() {}
	if k := scheduledAttempts(row); k < len(row.Schedule) {
		release = n.clock.Hold(now.Add(row.Schedule[k]))
	}
	n.inLane(laneOf(row), func() {
		defer release()
		send()
	})
}

// laneOf names the deliveries that must not overtake one another: those
// of one order (or, for an authorization, of one user) to one address, as
// a merchant receives an order's callbacks in the order they happened.
// Other deliveries run in parallel, so that a receiver that hangs delays
// only its own lane.
func laneOf(row *store.Notification) string {
	subject := row.OpenID
	if row.OutOrderNo != "" {
		subject = string(row.OrderKind) + "/" + row.OutOrderNo
	}
	return row.NotifyURL + "\x00" + row.MchID + "\x00" + subject
}

// inLane runs send after the sends already waiting in lane, on a
// goroutine of the clock's (Clock.Go), so that the clock's other work due
// now need not wait for it.
func (n *Notifier) inLane(lane string, send func()) {
	n.lanesMu.Lock()
	defer n.lanesMu.Unlock()
	q, busy := n.lanes[lane]
	n.lanes[lane] = append(q, send)
	if busy {
		return
	}
	n.clock.Go(func() {
		for {
			n.lanesMu.Lock()
			q := n.lanes[lane]
			if len(q) == 0 {
				delete(n.lanes, lane)
				n.lanesMu.Unlock()
				return
			}
			next := q[0]
			n.lanes[lane] = q[1:]
			n.lanesMu.Unlock()
			next()
		}
	})
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
		return nil, ErrNoNotifyURL
	}
	return n.prepare(row, KindRedelivery, n.clock.Now())(), nil
}

// delivery is one POST of a callback, genuine or not.
type delivery struct {
	kind      string
	body      []byte
	at        time.Time // the Wechatpay-Timestamp to sign with
	edit      func(h http.Header)
	requestID string
	seq       uint64 // Store.NextSeq of its attempt record
}

// prepare readies an attempt of the notification and returns the send
// that delivers it and records the outcome. The first scheduled attempt
// also sends a scenario's forged copies (before) and duplicates (after). A
// failed scheduled attempt schedules the next one or, after the last,
// fails the notification.
//
// Everything drawn from a shared sequence (request ids, the attempts'
// and the next attempt's sequence numbers) is drawn here, where the
// clock's work runs one after another, so that what the sends record does
// not depend on which of several parallel sends finishes first.
func (n *Notifier) prepare(row *store.Notification, kind string, instant time.Time) (send func() *store.Notification) {
	now := time.Now()
	first := kind == KindScheduled && scheduledAttempts(row) == 0
	var ds []delivery
	if first {
		for _, f := range row.Forge {
			ds = append(ds, forgery(f, row.Body, now))
		}
	}
	ds = append(ds, delivery{kind: kind, body: row.Body, at: now})
	if first {
		for range row.Duplicate {
			ds = append(ds, delivery{kind: KindDuplicate, body: row.Body, at: now})
		}
	}
	for i := range ds {
		ds[i].requestID, ds[i].seq = n.newID(), n.store.NextSeq()
	}
	nextSeq := n.store.NextSeq()
	return func() *store.Notification { return n.send(row, kind, ds, nextSeq, instant) }
}

// send makes the deliveries of an attempt and records their outcome. The
// attempt is dated at instant, the domain time it was made at, and so is
// the next one's schedule: the clock may have moved on while the merchant
// took its time to answer.
func (n *Notifier) send(row *store.Notification, kind string, ds []delivery, nextSeq uint64, instant time.Time) *store.Notification {
	var attempts []store.Attempt
	genuineOK := false
	for _, d := range ds {
		status, errText, dur := n.post(row, d)
		ok := errText == "" && status >= 200 && status < 300
		switch {
		case isForged(d.kind) && ok:
			errText = "the merchant accepted a forged callback: it must verify every callback and answer 4xx or 5xx"
		case isForged(d.kind) && errText == "":
			errText = fmt.Sprintf("rejected by the merchant, as it should be (HTTP %d)", status)
		case errText == "" && !ok:
			errText = fmt.Sprintf("merchant answered HTTP %d", status)
		}
		if d.kind == kind && ok {
			genuineOK = true
		}
		attempts = append(attempts, store.Attempt{Seq: d.seq, At: instant, Kind: d.kind, Status: status, Error: errText, DurationMS: dur})
	}

	tx := n.store.Write()
	defer tx.Abort()
	cur, err := tx.Notification(row.ID)
	if err != nil {
		return row // removed meanwhile
	}
	upd := cur.Copy()
	upd.Attempts = append(upd.Attempts, attempts...)
	switch {
	case genuineOK:
		upd.State, upd.NextAttempt = store.NotificationDelivered, store.Due{}
	case kind == KindScheduled && upd.State == store.NotificationPending:
		tried := scheduledAttempts(upd)
		if tried > len(upd.Schedule) {
			upd.State, upd.NextAttempt = store.NotificationFailed, store.Due{}
			break
		}
		upd.NextAttempt = store.Due{At: instant.Add(upd.Schedule[tried-1]), Seq: nextSeq}
		job := n.nextAttempt(upd)
		clock.Later(tx, n.clock, job)
	}
	if err := tx.PutNotification(upd); err != nil {
		n.log.Error("record notification attempt", "id", row.ID, "err", err)
		return row
	}
	tx.Commit()
	if upd.State != store.NotificationPending {
		// No more attempts are due. After a scheduled attempt nothing is
		// waiting; after a redelivery the next scheduled attempt still is,
		// and would only find the notification delivered: it must not
		// stay listed as pending, nor be reported as run.
		n.untrack(upd.ID)
	}
	return upd
}

func isForged(kind string) bool { return strings.HasPrefix(kind, KindForged) }

// scheduledAttempts counts the attempts of the schedule made so far.
func scheduledAttempts(row *store.Notification) int {
	k := 0
	for _, a := range row.Attempts {
		if a.Kind == KindScheduled {
			k++
		}
	}
	return k
}

// forgery builds a forged copy a correct merchant must reject.
func forgery(kind string, body []byte, now time.Time) delivery {
	d := delivery{kind: KindForged + kind, body: body, at: now}
	switch kind {
	case scenario.ForgeProbe:
		d.edit = func(h http.Header) {
			h.Set(protocol.HeaderSignature, protocol.SignTestPrefix+h.Get(protocol.HeaderSignature))
		}
	case scenario.ForgeWrongSerial:
		d.edit = func(h http.Header) { h.Set(protocol.HeaderSerial, "7A9C0D1E2F3A4B5C6D7E8F9A0B1C2D3E4F5A6B7C") }
	case scenario.ForgeStaleTimestamp:
		d.at = now.Add(-10 * time.Minute)
	case scenario.ForgeTampered:
		d.body = tamper(body)
	}
	return d
}

// tamper alters one character of the resource's ciphertext, keeping it
// Base64, so that only the AEAD authentication can tell.
func tamper(body []byte) []byte {
	var env envelope
	if json.Unmarshal(body, &env) != nil || env.Resource.Ciphertext == "" {
		return body
	}
	ct := []byte(env.Resource.Ciphertext)
	i := len(ct) / 2
	if ct[i] == 'A' {
		ct[i] = 'B'
	} else {
		ct[i] = 'A'
	}
	env.Resource.Ciphertext = string(ct)
	out, err := protocol.MarshalJSON(env)
	if err != nil {
		return body
	}
	return out
}

// post sends one delivery; it returns the status (0 when none came back),
// an error text for transport failures and the duration in milliseconds.
func (n *Notifier) post(row *store.Notification, d delivery) (int, string, float64) {
	// At most cap(slots) deliveries are in flight; the rest wait here,
	// before their time to answer starts.
	n.slots <- struct{}{}
	defer func() { <-n.slots }()
	ctx, cancel := context.WithTimeout(context.Background(), n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, row.NotifyURL, bytes.NewReader(d.body))
	if err != nil {
		return 0, "cannot build request: " + err.Error(), 0
	}
	h, err := n.signer.SignCallback(row.MchID, d.body, d.at)
	if err != nil {
		return 0, "cannot sign: " + err.Error(), 0
	}
	if d.edit != nil {
		d.edit(h)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	req.Header.Set(protocol.HeaderSignatureType, protocol.Schema)
	req.Header.Set(protocol.HeaderRequestID, d.requestID)
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
