package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client"
)

// awaitHorizon bounds how far the flow moves a virtual clock while waiting
// for one callback: enough for a deduction, a refund and a few retries,
// not enough to expire anything by accident.
const awaitHorizon = time.Hour

// rideLength is how long the ride lasts on a virtual clock.
const rideLength = 20 * time.Minute

// await returns the first callback of eventType (a "REFUND.*" pattern
// matches every REFUND event) that the flow's listener verified and match
// accepts. On a virtual clock it lets the work already due finish, then
// moves the clock to each next scheduled event until the callback is in;
// otherwise it waits up to --timeout.
func (f *ride) await(ctx context.Context, what string, match func(*client.Notification) bool) (*client.Notification, error) {
	match = ofType(what, match)
	if f.virtual {
		return f.awaitVirtual(ctx, what, match)
	}
	if f.sb == nil {
		f.p.note("waiting up to %s for %s at %s", f.o.timeout, what, f.notifyURL)
	}
	timer := time.NewTimer(f.o.timeout)
	defer timer.Stop()
	for {
		n, changed := f.rv.find(match)
		if n != nil {
			return n, nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return nil, fmt.Errorf("%s did not arrive within %s (--timeout)", what, f.o.timeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (f *ride) awaitVirtual(ctx context.Context, what string, match func(*client.Notification) bool) (*client.Notification, error) {
	st, err := f.sb.Advance(ctx, 0) // the work already due, deliveries included
	if err != nil {
		return nil, fmt.Errorf("settle the mock's clock: %w", err)
	}
	limit := st.Now.Add(awaitHorizon)
	for {
		if n, _ := f.rv.find(match); n != nil {
			return n, nil
		}
		if len(st.Pending) == 0 || st.Pending[0].At.After(limit) {
			return nil, fmt.Errorf("%s did not arrive, and nothing more is scheduled on the mock's clock within %s (check 'sandbox notifications')", what, awaitHorizon)
		}
		if st, err = f.sb.AdvanceTo(ctx, st.Pending[0].At); err != nil {
			return nil, fmt.Errorf("advance the mock's clock: %w", err)
		}
	}
}

// theRide lets the service last: 20 minutes on a virtual clock; on a real
// one, until the clock has passed the order's start, which the end time
// must follow.
func (f *ride) theRide(ctx context.Context) (stepResult, error) {
	if f.virtual {
		st, err := f.sb.Advance(ctx, rideLength)
		if err != nil {
			return stepResult{}, fmt.Errorf("advance the mock's clock: %w", err)
		}
		return stepResult{detail: fmt.Sprintf("%s on the mock's virtual clock, now %s", rideLength, client.Time14(st.Now))}, nil
	}
	started := time.Now()
	for {
		now, err := f.a.nowTime(ctx)
		if err != nil {
			return stepResult{}, err
		}
		if now > f.start { // both yyyyMMddHHmmss
			return stepResult{detail: fmt.Sprintf("%s of real time, now %s", time.Since(started).Round(time.Second), now)}, nil
		}
		t := time.NewTimer(time.Second)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return stepResult{}, ctx.Err()
		}
	}
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
