package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/client/sandbox"
)

// awaitHorizon bounds how far the flow moves a virtual clock while waiting
// for one callback: enough for a deduction, a refund and a few retries,
// not enough to expire anything by accident.
const awaitHorizon = time.Hour

// rideLength is how long the ride lasts on a virtual clock.
const rideLength = 20 * time.Minute

// followEvery is how often the flow asks the sandbox about a callback
// that went to an external receiver, on a real clock: GET
// /sandbox/notifications answers at once, with no long-poll to wait on.
const followEvery = 200 * time.Millisecond

// after is a channel closed once d has passed: when to look again.
func after(d time.Duration) <-chan struct{} {
	c := make(chan struct{})
	time.AfterFunc(d, func() { close(c) })
	return c
}

// callback is a callback the flow awaited and how it saw it, for the
// step's report: "PAYSCORE.USER_PAID received" when the flow's listener
// verified it, "PAYSCORE.USER_PAID delivered to http://… (answered 204)"
// when an external receiver took it.
type callback struct {
	*client.Notification
	seen string
}

// look checks once for the awaited callback: nil while it has not come,
// with a channel that is closed when looking again may find it; an error
// when it never will.
type look func(ctx context.Context) (*callback, <-chan struct{}, error)

// await returns the first callback of eventType (a "REFUND.*" pattern
// matches every REFUND event) that match accepts: verified by the flow's
// listener or, with an external receiver, answered 2xx by it, which the
// sandbox is asked about by the callbacks about the order numbered about
// ("" for callbacks about no order: a user's authorization, a
// sub-merchant's binding). On a virtual clock it lets the work already
// due finish, then moves the clock to each next scheduled event until the
// callback is in; otherwise it waits up to --timeout.
func (f *flowRun) await(ctx context.Context, what, about string, match func(*client.Notification) bool) (*callback, error) {
	match = ofType(what, match)
	look, missing := f.lookListener(match), "did not arrive"
	if f.rv == nil {
		look, missing = f.lookSandbox(what, about, match), "did not reach "+f.notifyURL
	}
	cb, err := f.wait(ctx, what, missing, look)
	if cb != nil {
		f.last = cb
	}
	return cb, err
}

// wait runs look until it finds what it looks for: on a virtual clock by
// moving the clock to each next scheduled event, otherwise for up to
// --timeout. missing says what went wrong if it never does.
func (f *flowRun) wait(ctx context.Context, what, missing string, look look) (*callback, error) {
	if f.virtual {
		return f.awaitVirtual(ctx, what+" "+missing, look)
	}
	if f.sb == nil {
		f.p.note("waiting up to %s for %s at %s", f.o.timeout, what, f.notifyURL)
	}
	timer := time.NewTimer(f.o.timeout)
	defer timer.Stop()
	for {
		cb, again, err := look(ctx)
		if cb != nil || err != nil {
			return cb, err
		}
		select {
		case <-again:
		case <-timer.C:
			return nil, f.explain(ctx, fmt.Errorf("%s %s within %s (--timeout)", what, missing, f.o.timeout))
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// awaitVirtual runs the mock's virtual clock until look finds the
// callback; missing says what went wrong if it never does.
func (f *flowRun) awaitVirtual(ctx context.Context, missing string, look look) (*callback, error) {
	st, err := f.sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{}) // the work already due, deliveries included
	if err != nil {
		return nil, fmt.Errorf("settle the mock's clock: %w", err)
	}
	limit := st.Now.Add(awaitHorizon)
	for {
		if cb, _, err := look(ctx); cb != nil || err != nil {
			return cb, err
		}
		if len(st.Pending) == 0 || st.Pending[0].At.After(limit) {
			return nil, f.explain(ctx, fmt.Errorf("%s, and nothing more is scheduled on the mock's clock within %s", missing, awaitHorizon))
		}
		if st, err = f.sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{To: st.Pending[0].At}); err != nil {
			return nil, fmt.Errorf("advance the mock's clock: %w", err)
		}
	}
}

// lookListener finds the callback among those the flow's listener
// verified.
func (f *flowRun) lookListener(match func(*client.Notification) bool) look {
	return func(context.Context) (*callback, <-chan struct{}, error) {
		n, changed := f.rv.find(match)
		if n == nil {
			return nil, changed, nil
		}
		return &callback{n, n.EventType + " received"}, nil, nil
	}
}

// lookSandbox follows the callback the mock sent to an external receiver
// through GET /sandbox/notifications, which holds each callback's
// plaintext and every delivery attempt with the receiver's answer. The
// query narrows to the flow's merchant (and sub-merchant), the event type
// and the order numbered about; authorization and binding events are
// about a user or a sub-merchant, not an order, and match picks the
// flow's among them by its plaintext.
func (f *flowRun) lookSandbox(what, about string, match func(*client.Notification) bool) look {
	q := sandbox.ListNotificationsRequest{MchID: f.mchID, SubMchID: f.subMchID}
	if !strings.HasSuffix(what, "*") {
		q.EventType = what
	}
	switch what {
	case client.EventUserOpenService, client.EventUserCloseService, client.EventBindServiceAccount:
		// about a user or a sub-merchant, not an order
	default:
		q.OutOrderNo = about
	}
	return func(ctx context.Context) (*callback, <-chan struct{}, error) {
		ns, err := f.sb.ListNotifications(ctx, q)
		if err != nil {
			return nil, nil, fmt.Errorf("follow %s through the sandbox: %w", what, err)
		}
		for _, rec := range ns {
			if n := rec.Decrypted(); match(n) {
				cb, err := delivered(&rec, n)
				if cb != nil || err != nil {
					return cb, nil, err
				}
				break // made, not answered yet
			}
		}
		return nil, after(followEvery), nil
	}
}

// delivered judges a callback sent to an external receiver by its latest
// genuine attempt (a scenario's forged or duplicate copies aside): nil
// while there is none, an error unless the receiver answered 2xx. The
// first failure fails the step rather than waiting for WeChat Pay's
// retries, which take minutes.
func delivered(rec *sandbox.Notification, n *client.Notification) (*callback, error) {
	if rec.State == sandbox.NotificationDropped {
		return nil, fmt.Errorf("%s %s was never sent: %s", rec.EventType, rec.ID, rec.Note)
	}
	var last *sandbox.Attempt
	for i, at := range rec.Attempts {
		if at.Genuine() {
			last = &rec.Attempts[i]
		}
	}
	if last == nil {
		return nil, nil
	}
	if last.Status >= 200 && last.Status <= 299 {
		return &callback{n, fmt.Sprintf("%s delivered to %s (answered %d)", rec.EventType, rec.NotifyURL, last.Status)}, nil
	}
	redeliver := fmt.Sprintf("WeChat Pay retries it on its schedule; 'go run ./cmd/client sandbox notifications redeliver %s' sends it again now", rec.ID)
	if last.Status == 0 {
		return nil, &hintError{
			err:  fmt.Errorf("%s %s could not be delivered to %s: %s", rec.EventType, rec.ID, rec.NotifyURL, last.Error),
			hint: "the URL must reach the receiver from where the mock runs (http://merchant:9000/notify only inside docker compose); " + redeliver,
		}
	}
	hint := redeliver
	if last.Status == http.StatusUnauthorized {
		hint = fmt.Sprintf("401: the receiver could not verify or decrypt it; it must act as merchant %s (e.g. 'listen --mchid %s'); %s", rec.MchID, rec.MchID, redeliver)
	}
	return nil, &hintError{err: fmt.Errorf("%s %s was delivered to %s and the receiver answered %d", rec.EventType, rec.ID, rec.NotifyURL, last.Status), hint: hint}
}

// theRide lets the service last: 20 minutes on a virtual clock; on a real
// one, until the clock has passed the order's start.
func (f *ride) theRide(ctx context.Context) (stepResult, error) {
	start, _, err := protocol.ParseServiceTime(f.start)
	if err != nil {
		return stepResult{}, fmt.Errorf("the order's start %q: %w", f.start, err)
	}
	return f.elapse(ctx, rideLength, start, client.Time14)
}

// ofType narrows match to callbacks of eventType, or of its family for a
// "PREFIX.*" pattern.
func ofType(eventType string, match func(*client.Notification) bool) func(*client.Notification) bool {
	return func(n *client.Notification) bool {
		if family, ok := strings.CutSuffix(eventType, "*"); ok {
			if !strings.HasPrefix(n.EventType, family) {
				return false
			}
		} else if n.EventType != eventType {
			return false
		}
		return match(n)
	}
}
