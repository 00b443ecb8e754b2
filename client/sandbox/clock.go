package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// ClockMode is how the mock's domain time moves (MOCKPAY_CLOCK).
type ClockMode string

// Clock modes.
const (
	ClockReal    ClockMode = "real"    // wall time, possibly sped up (Clock.Scale)
	ClockVirtual ClockMode = "virtual" // moves only when advanced (AdvanceClock)
)

// ClockEvent is work the mock's clock has scheduled or has run.
type ClockEvent struct {
	At    time.Time `json:"at"`
	Label string    `json:"label"` // e.g. the callback or deduction it is
}

// Clock is the mock's domain time: order times, deductions, expiry and
// callback retries follow it. Its times are time.Time, unlike the other
// times of this package, because tests compute with them: advancing by
// Pending[0].At.Sub(Now) runs the next event.
type Clock struct {
	Now     time.Time    `json:"now"`
	Mode    ClockMode    `json:"mode"`
	Scale   float64      `json:"scale,omitempty"` // a real clock's speed-up (MOCKPAY_TIME_SCALE)
	Pending []ClockEvent `json:"pending"`         // scheduled, earliest first
	// Fired is what an advance ran; nil from GetClock.
	Fired []ClockEvent `json:"fired,omitempty"`
	answer
}

// GetClock returns the mock's domain time, its mode and the work
// scheduled: GET /sandbox/clock.
func (c *Client) GetClock(ctx context.Context) (*Clock, error) {
	return call[Clock](ctx, c, endpoint("GetClock", http.MethodGet, "/sandbox/clock"))
}

// AdvanceClockRequest is POST /sandbox/clock/advance: by Duration, or to
// To when it is set. The zero request advances by nothing, which waits for
// the work already due.
type AdvanceClockRequest struct {
	Duration time.Duration
	To       time.Time
}

// AdvanceClock moves a virtual clock forward and returns once everything
// that fell due has run, callback deliveries and their retries included,
// so that a test never sleeps: POST /sandbox/clock/advance. A real clock
// cannot be moved (CodeConflict).
//
// The mock delivers the callbacks due at one instant in parallel and
// moves on once they are answered or time out (5 s each), so an advance
// costs up to one delivery timeout per instant at which a receiver hangs:
// the HTTP client's Timeout does not apply, ctx bounds the call.
func (c *Client) AdvanceClock(ctx context.Context, req AdvanceClockRequest) (*Clock, error) {
	body := map[string]string{"duration": req.Duration.String()}
	switch {
	case req.Duration < 0:
		return nil, fmt.Errorf("sandbox: AdvanceClock: Duration is %s; the clock cannot move backwards", req.Duration)
	case !req.To.IsZero() && req.Duration != 0:
		return nil, fmt.Errorf("sandbox: AdvanceClock: give Duration or To, not both")
	case !req.To.IsZero():
		body = map[string]string{"to": req.To.Format(time.RFC3339Nano)}
	}
	r := endpoint("AdvanceClock", http.MethodPost, "/sandbox/clock/advance").with(nil, body)
	r.unbounded = true
	return call[Clock](ctx, c, r)
}
