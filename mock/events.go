package mock

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// Live events (architecture.md, Live events): every change in the sandbox
// is published once to every subscriber, as GET /sandbox/events streams it
// and as Server.Subscribe hands it to Go tests. Publishing never waits for a
// subscriber: each has a bounded buffer, and one that lets it fill is
// dropped, its stream ended, so a stalled dashboard cannot slow the API.

// Event types: the SSE event names.
const (
	EventOrder        = "order"
	EventNotification = "notification"
	EventRequest      = "request"
	EventClock        = "clock"
	EventScenario     = "scenario"
)

// Event is one change: its type (one of the Event constants), the merchant
// it concerns and its data, one of *OrderEvent, *NotificationEvent,
// *RequestEvent, *ClockChangeEvent or *ScenarioEvent as the type says.
type Event struct {
	Type string
	// MchID is the merchant the change is about; "" when it is about no
	// merchant in particular (the clock, a scenario for every merchant, a
	// request whose merchant could not be read), which every stream gets.
	MchID string
	Data  any
}

// OrderEvent is an order that was created, changed or removed (by a reset
// or with its merchant).
type OrderEvent struct {
	MchID string `json:"mchid"`
	// SubMchID is the sub-merchant of a service provider's order; empty for
	// a direct merchant's.
	SubMchID         string `json:"sub_mchid"`
	OutOrderNo       string `json:"out_order_no"`
	Kind             string `json:"kind"`
	State            string `json:"state"`
	StateDescription string `json:"state_description,omitempty"`
	Removed          bool   `json:"removed,omitempty"`
}

// NotificationEvent is a callback that was created, attempted, delivered,
// failed, dropped or removed.
type NotificationEvent struct {
	ID         string `json:"id"`
	EventType  string `json:"event_type"`
	State      string `json:"state"`
	MchID      string `json:"mchid"`
	OutOrderNo string `json:"out_order_no,omitempty"`
	// Attempts counts the attempts so far; Attempt is the latest of them.
	Attempts int            `json:"attempts"`
	Attempt  *AttemptRecord `json:"attempt,omitempty"`
	Removed  bool           `json:"removed,omitempty"`
}

// RequestEvent is a v3 API call the server answered (or, when a scenario
// says so, did not), as the request log records it.
type RequestEvent struct {
	RequestID  string `json:"request_id"`
	Time       string `json:"time"`
	MchID      string `json:"mchid,omitempty"`
	Method     string `json:"method"`
	Path       string `json:"path"` // as sent, without the query
	Status     int    `json:"status"`
	Code       string `json:"code,omitempty"`
	Signature  string `json:"signature"` // one of the Verdict constants
	SignIssue  string `json:"signature_issue,omitempty"`
	OutOrderNo string `json:"out_order_no,omitempty"`
	Scenario   string `json:"scenario,omitempty"`
}

// ClockChangeEvent is domain time after an advance of a virtual clock, once
// everything that fell due has run.
type ClockChangeEvent struct {
	Now  string `json:"now"`
	Mode string `json:"mode"`
}

// Scenario event actions.
const (
	ScenarioLoaded   = "loaded"
	ScenarioUnloaded = "unloaded"
	ScenarioFired    = "fired" // it took effect once more
)

// ScenarioEvent is a scenario loaded, unloaded, or taking effect.
type ScenarioEvent struct {
	Action  string `json:"action"` // one of the Scenario constants
	ID      string `json:"id"`
	Name    string `json:"name"`
	MchID   string `json:"mchid,omitempty"` // the merchant it is scoped to
	Applied int    `json:"applied"`         // how often it has taken effect
}

// DefaultEventBuffer is how many events a subscriber may fall behind by
// before it is dropped, unless SubscribeOptions says otherwise.
const DefaultEventBuffer = 1024

// Why an event stream ended (EventStream.Err).
var (
	ErrSlowReader   = errors.New("the event stream fell behind and was dropped; subscribe again and reload what it shows")
	ErrStreamClosed = errors.New("the event stream was closed")
	ErrServerClosed = errors.New("the server is closing")
)

// SubscribeOptions select and size an event stream.
type SubscribeOptions struct {
	// MchID keeps the events about that merchant, and those about none
	// in particular; empty keeps all.
	MchID string
	// Buffer is how many events the stream holds for its reader; 0 means
	// DefaultEventBuffer. A reader that lets it fill is dropped.
	Buffer int
}

// EventStream is a subscription to the server's events.
type EventStream struct {
	ch    chan Event
	mchid string
	bus   *eventBus
	err   error // set, under bus.mu, when the stream ends
}

// C delivers the events in the order they happened. It is closed when the
// stream ends; Err then says why.
func (es *EventStream) C() <-chan Event { return es.ch }

// Err is nil while the stream runs, then ErrSlowReader, ErrStreamClosed or
// ErrServerClosed.
func (es *EventStream) Err() error {
	es.bus.mu.Lock()
	defer es.bus.mu.Unlock()
	return es.err
}

// Close ends the stream; it may be called more than once.
func (es *EventStream) Close() { es.bus.end(es, ErrStreamClosed) }

// eventBus fans events out to the streams.
type eventBus struct {
	mu      sync.Mutex
	streams map[*EventStream]struct{}
	closed  bool
	// dropped counts the streams dropped for falling behind, for /metrics.
	dropped func()
	// shutdowns are the http.Servers whose Shutdown ends the streams.
	shutdowns sync.Map // *http.Server → struct{}
}

func newEventBus() *eventBus {
	return &eventBus{streams: map[*EventStream]struct{}{}}
}

// Subscribe starts a stream of the server's events from now on. Read C
// promptly, and Close the stream when done with it.
func (s *Server) Subscribe(o SubscribeOptions) *EventStream {
	return s.events.subscribe(o)
}

func (b *eventBus) subscribe(o SubscribeOptions) *EventStream {
	n := o.Buffer
	if n <= 0 {
		n = DefaultEventBuffer
	}
	es := &EventStream{ch: make(chan Event, n), mchid: o.MchID, bus: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		es.err = ErrServerClosed
		close(es.ch)
		return es
	}
	b.streams[es] = struct{}{}
	return es
}

// publish hands ev to every stream that selects it, dropping those whose
// buffer is full. Publishers are serialised, so every stream sees events
// in one order.
func (b *eventBus) publish(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for es := range b.streams {
		if es.mchid != "" && ev.MchID != "" && ev.MchID != es.mchid {
			continue
		}
		select {
		case es.ch <- ev:
		default:
			b.endLocked(es, ErrSlowReader)
			b.dropped()
		}
	}
}

// active reports whether any stream is open, so that publishers can skip
// building events nobody reads.
func (b *eventBus) active() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.streams) > 0
}

// count is the number of open streams.
func (b *eventBus) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.streams)
}

func (b *eventBus) end(es *EventStream, why error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.endLocked(es, why)
}

func (b *eventBus) endLocked(es *EventStream, why error) {
	if _, ok := b.streams[es]; !ok {
		return
	}
	delete(b.streams, es)
	es.err = why
	close(es.ch)
}

// endAll ends every open stream; closing also refuses later subscribers.
func (b *eventBus) endAll(closing bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = b.closed || closing
	for es := range b.streams {
		b.endLocked(es, ErrServerClosed)
	}
}

// watch sets up what sees the server's changes: the event bus, the
// metrics, and the store observer that feeds both. It runs before the
// store is first written, and after the scenarios given at start are
// loaded, so that those are not reported as loaded later.
func (s *Server) watch() {
	s.events = newEventBus()
	s.metrics = newMetrics(s.store, s.events.count)
	s.events.dropped = s.metrics.streamsDropped.Inc
	s.store.Observe(s.observe)
	s.store.Observe(s.journalChanges)
	s.syncScenarios()
}

// observe turns the store's committed changes into events and metrics.
func (s *Server) observe(changes []store.Change) {
	s.metrics.observeChanges(changes)
	if s.events.active() {
		for _, c := range changes {
			if ev, ok := changeEvent(c); ok {
				s.events.publish(ev)
			}
		}
	}
	s.syncScenarios()
}

// changeEvent is the event of a changed order or notification; other rows
// have none.
func changeEvent(c store.Change) (Event, bool) {
	row, removed := c.After, false
	if row == nil {
		row, removed = c.Before, true
	}
	switch r := row.(type) {
	case *store.Order:
		return Event{Type: EventOrder, MchID: r.MchID, Data: &OrderEvent{
			MchID: r.MchID, SubMchID: r.SubMchID, OutOrderNo: r.OutOrderNo, Kind: string(r.Kind),
			State: string(r.State), StateDescription: string(r.StateDescription), Removed: removed,
		}}, true
	case *store.Notification:
		ev := &NotificationEvent{
			ID: r.ID, EventType: string(r.EventType), State: string(r.State), MchID: r.MchID, OutOrderNo: r.OutOrderNo,
			Attempts: len(r.Attempts), Removed: removed,
		}
		if n := len(r.Attempts); n > 0 {
			a := attemptRecord(r.Attempts[n-1])
			ev.Attempt = &a
		}
		return Event{Type: EventNotification, MchID: r.MchID, Data: ev}, true
	}
	return Event{}, false
}

// requestDone publishes a finished v3 call and counts it: e is nil for a
// path or method the API does not serve, rep is the answer.
func (s *Server) requestDone(e *endpoint, rec *RequestRecord, rep *reply, start time.Time) {
	s.metrics.observeRequest(e, rec, rep, time.Since(start))
	if s.events.active() {
		path, _, _ := strings.Cut(rec.URL, "?")
		s.events.publish(Event{Type: EventRequest, MchID: rec.MchID, Data: &RequestEvent{
			RequestID: rec.RequestID, Time: rec.Time, MchID: rec.MchID, Method: rec.Method, Path: path,
			Status: rec.Status, Code: rec.Code, Signature: rec.Signature, SignIssue: rec.SignIssue,
			OutOrderNo: rec.OutOrderNo, Scenario: rec.Scenario,
		}})
	}
	s.syncScenarios()
}

// clockMoved publishes domain time after an advance.
func (s *Server) clockMoved() {
	s.events.publish(Event{Type: EventClock, Data: &ClockChangeEvent{Now: formatMilli(s.clock.Now()), Mode: s.clockMode()}})
}

// scenarioWatch remembers what the scenario engine held when last looked
// at, so that loads, unloads and effects become events wherever they
// happen (an API call, a callback, a deduction on the clock).
type scenarioWatch struct {
	mu      sync.Mutex
	applied map[string]int // id → times applied
}

// syncScenarios publishes how the loaded scenarios changed since the last
// look: loaded, unloaded, fired.
func (s *Server) syncScenarios() {
	w := &s.scenarioWatch
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.applied) == 0 && s.scenarios.Empty() {
		return
	}
	now := map[string]int{}
	for _, in := range s.scenarios.List() {
		now[in.ID] = in.Applied
		before, known := w.applied[in.ID]
		action := ""
		switch {
		case !known:
			action = ScenarioLoaded
		case in.Applied > before:
			action = ScenarioFired
		default:
			continue
		}
		s.events.publish(Event{Type: EventScenario, MchID: in.Match.MchID, Data: &ScenarioEvent{
			Action: action, ID: in.ID, Name: in.Name, MchID: in.Match.MchID, Applied: in.Applied,
		}})
	}
	for id, applied := range w.applied {
		if _, ok := now[id]; !ok {
			s.events.publish(Event{Type: EventScenario, Data: &ScenarioEvent{Action: ScenarioUnloaded, ID: id, Applied: applied}})
		}
	}
	w.applied = now
}

// heartbeat is how often an idle event stream says it is alive, so that
// proxies keep it open and a reader that went away is noticed.
const heartbeat = 15 * time.Second

// serveEvents is GET /sandbox/events: Server-Sent Events, one per change,
// with ?mchid= to keep one merchant's.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	if err := s.checkToken(r); err != nil {
		status, body := s.encode(fail(err))
		writeBody(w, status, body)
		return
	}
	rc := http.NewResponseController(w)
	// The stream lasts as long as its reader; no write timeout applies.
	_ = rc.SetWriteDeadline(time.Time{})
	s.endStreamsOnShutdown(r)
	es := s.Subscribe(SubscribeOptions{MchID: r.URL.Query().Get("mchid")})
	defer es.Close()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx and the like: do not hold events back
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, ": mockpay sandbox events\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case ev, open := <-es.C():
			// Write what else is waiting before flushing, so that a burst
			// costs one flush.
			for open {
				if writeEvent(w, ev) != nil {
					return
				}
				if len(es.C()) == 0 {
					break
				}
				ev, open = <-es.C()
			}
			if !open {
				// A comment, which EventSource ignores and curl shows.
				fmt.Fprintf(w, ": stream ended: %v\n\n", es.Err())
				_ = rc.Flush()
				return
			}
			if rc.Flush() != nil {
				return
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

// writeEvent writes one event in the text/event-stream format.
func writeEvent(w http.ResponseWriter, ev Event) error {
	data, err := protocol.MarshalJSON(ev.Data)
	if err != nil {
		return fmt.Errorf("event %s: %w", ev.Type, err)
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data)
	return err
}

// endStreamsOnShutdown makes the http.Server serving r end the event
// streams when it shuts down: Shutdown waits for every open request, and a
// stream would otherwise hold it until its deadline.
func (s *Server) endStreamsOnShutdown(r *http.Request) {
	hs, ok := r.Context().Value(http.ServerContextKey).(*http.Server)
	if !ok {
		return
	}
	if _, seen := s.events.shutdowns.LoadOrStore(hs, struct{}{}); !seen {
		hs.RegisterOnShutdown(func() { s.events.endAll(false) })
	}
}
