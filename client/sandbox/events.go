package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"strings"
)

// EventType says what a live event is about.
type EventType string

// The live events of GET /sandbox/events.
const (
	EventOrder        EventType = "order"        // an order was created, changed or removed
	EventNotification EventType = "notification" // a callback was made, attempted, delivered, failed or dropped
	EventRequest      EventType = "request"      // a v3 API call was answered
	EventClock        EventType = "clock"        // a virtual clock moved
	EventScenario     EventType = "scenario"     // a scenario was loaded, unloaded, or took effect
)

// Event is one change the mock reports as it happens: its type and its
// data, a JSON object (decode it with Request, Notification, or
// json.Unmarshal for the other types).
type Event struct {
	Type EventType
	Data json.RawMessage
}

// RequestEvent is the data of an EventRequest: a v3 API call, as the
// request log keeps it.
type RequestEvent struct {
	RequestID      string           `json:"request_id"`
	Time           string           `json:"time"` // RFC 3339 with milliseconds, Beijing time
	MchID          string           `json:"mchid,omitempty"`
	Method         string           `json:"method"`
	Path           string           `json:"path"` // as sent, without the query
	Status         int              `json:"status"`
	Code           string           `json:"code,omitempty"`
	Signature      SignatureVerdict `json:"signature"`
	SignatureIssue string           `json:"signature_issue,omitempty"`
	OutOrderNo     string           `json:"out_order_no,omitempty"`
	Scenario       string           `json:"scenario,omitempty"`
}

// NotificationEvent is the data of an EventNotification: a callback and
// its latest delivery attempt.
type NotificationEvent struct {
	ID         string            `json:"id"`
	EventType  string            `json:"event_type"`
	State      NotificationState `json:"state"`
	MchID      string            `json:"mchid"`
	OutOrderNo string            `json:"out_order_no,omitempty"`
	Attempts   int               `json:"attempts"`          // how many so far
	Attempt    *Attempt          `json:"attempt,omitempty"` // the latest, if any
	Removed    bool              `json:"removed,omitempty"` // by a reset or with its merchant
}

// Request decodes the data of an EventRequest.
func (e Event) Request() (*RequestEvent, error) {
	return decodeEvent[RequestEvent](e, EventRequest)
}

// Notification decodes the data of an EventNotification.
func (e Event) Notification() (*NotificationEvent, error) {
	return decodeEvent[NotificationEvent](e, EventNotification)
}

func decodeEvent[T any](e Event, want EventType) (*T, error) {
	if e.Type != want {
		return nil, fmt.Errorf("sandbox: a %s event, not a %s one", e.Type, want)
	}
	v := new(T)
	if err := json.Unmarshal(e.Data, v); err != nil {
		return nil, fmt.Errorf("sandbox: %s event: %w", e.Type, err)
	}
	return v, nil
}

// EventsRequest selects the events of GET /sandbox/events.
type EventsRequest struct {
	// MchID keeps the events about that merchant and those about none in
	// particular (the clock, a scenario for every merchant); empty keeps
	// all.
	MchID string
}

// ErrStreamEnded says that the mock ended an event stream: it is
// shutting down, or the reader fell behind and was dropped (the mock
// never waits for a slow reader). Read again, and reload what the stream
// was showing, to go on.
var ErrStreamEnded = errors.New("the mock ended the event stream")

// maxEventLine bounds one line of the stream: an event's data is one line
// of JSON, a request's at most a few KiB.
const maxEventLine = 1 << 20

// Events follows GET /sandbox/events, a Server-Sent Events stream,
// yielding each event as the mock reports it, in order. It ends when ctx
// does, without an error, or with one: the mock's refusal (an *Error; an
// older mock without live events answers 404), a transport failure, or
// ErrStreamEnded, with the reason the mock gave. The client's timeout does
// not apply: a stream lasts as long as its reader.
func (c *Client) Events(ctx context.Context, req EventsRequest) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		body, err := c.openEvents(ctx, req)
		if err != nil {
			yield(Event{}, err)
			return
		}
		defer body.Close()
		err = readEvents(body, yield)
		if ctx.Err() != nil {
			return // the reader's choice, not a failure
		}
		if err != nil {
			yield(Event{}, err)
		}
	}
}

// openEvents makes the request and returns the stream.
func (c *Client) openEvents(ctx context.Context, req EventsRequest) (io.ReadCloser, error) {
	r := endpoint("Events", http.MethodGet, "/sandbox/events").with(query("mchid", req.MchID), nil)
	target := c.base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	hr, err := http.NewRequestWithContext(ctx, r.method, target, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r, err)
	}
	hr.Header.Set("Accept", "text/event-stream")
	if c.token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.token)
	}
	streaming := *c.http
	streaming.Timeout = 0 // the context ends the stream, not a deadline
	resp, err := streaming.Do(hr)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		return nil, newError(resp.StatusCode, raw)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %w: Content-Type %q, not text/event-stream", r, errBadAnswer, resp.Header.Get("Content-Type"))
	}
	return resp.Body, nil
}

// readEvents parses a text/event-stream and yields each event until the
// stream ends (ErrStreamEnded, with the reason the mock wrote in a last
// comment, ": stream ended: <why>") or yield asks to stop (nil). Other
// comments (a greeting, keep-alives) are skipped.
func readEvents(r io.Reader, yield func(Event, error) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventLine)
	var typ string
	var data []string
	why := "" // what the mock said when it ended the stream
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" { // the end of an event
			if len(data) > 0 {
				if typ == "" {
					typ = "message" // the format's default
				}
				if !yield(Event{Type: EventType(typ), Data: json.RawMessage(strings.Join(data, "\n"))}, nil) {
					return nil
				}
			}
			typ, data = "", nil
			continue
		}
		if comment, ok := strings.CutPrefix(line, ":"); ok {
			if reason, ended := strings.CutPrefix(strings.TrimSpace(comment), "stream ended"); ended {
				why = strings.TrimSpace(strings.TrimPrefix(reason, ":"))
			}
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			typ = value
		case "data":
			data = append(data, value)
		}
		// id and retry are for browsers reconnecting; a reader here
		// reconnects as it sees fit.
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read the event stream: %w", err)
	}
	if why != "" {
		return fmt.Errorf("%w: %s", ErrStreamEnded, why)
	}
	return ErrStreamEnded
}
