package main

import (
	"fmt"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/client/sandbox"
)

// clockMove is where `sandbox clock advance` (or `clock --to`) moves the
// mock's clock: by a duration, to an RFC 3339 time, or to the next time
// of day (--to 09:00), which, unlike a date, never goes stale in a script
// or a document.
type clockMove struct {
	req sandbox.AdvanceClockRequest
	// daily: the next timeOfDay (since midnight, Beijing time) on the
	// mock's clock, which only the mock can say.
	daily     bool
	timeOfDay time.Duration
}

// parseClockMove reads the duration argument or --to, before anything is
// sent.
func parseClockMove(args []string, to string) (clockMove, error) {
	switch {
	case len(args) == 0 && to == "":
		return clockMove{}, &usageError{msg: "give a duration (advance 30m) or --to <time>", hint: "--to takes a time of day such as 09:00 (the next one, Beijing time) or an RFC 3339 time such as " + exampleTime()}
	case len(args) == 1 && to != "":
		return clockMove{}, &usageError{msg: "give a duration (advance 30m) or --to <time>, not both"}
	case to != "":
		if t, err := time.Parse(time.RFC3339, to); err == nil {
			return clockMove{req: sandbox.AdvanceClockRequest{To: t}}, nil
		}
		if tod, err := time.Parse("15:04", to); err == nil && len(to) == len("15:04") {
			return clockMove{timeOfDay: time.Duration(tod.Hour())*time.Hour + time.Duration(tod.Minute())*time.Minute, daily: true}, nil
		}
		return clockMove{}, &usageError{msg: fmt.Sprintf("--to %q is neither a time of day nor an RFC 3339 time", to),
			hint: "e.g. 09:00 (the next 09:00 on the mock's clock, Beijing time) or " + exampleTime()}
	}
	d, err := time.ParseDuration(args[0])
	if err != nil || d < 0 {
		return clockMove{}, &usageError{msg: fmt.Sprintf("%q is not a duration", args[0]), hint: "a Go duration such as 15s, 30m or 720h"}
	}
	return clockMove{req: sandbox.AdvanceClockRequest{Duration: d}}, nil
}

// nextTimeOfDay is the first moment after now at that time of day in
// Beijing time.
func nextTimeOfDay(now time.Time, sinceMidnight time.Duration) time.Time {
	local := now.In(protocol.Beijing)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, protocol.Beijing)
	next := midnight.Add(sinceMidnight)
	if !next.After(now) {
		next = midnight.AddDate(0, 0, 1).Add(sinceMidnight)
	}
	return next
}

// exampleTime is an RFC 3339 example for --to that is in the future
// whenever it is read: 09:00 a day or two ahead.
func exampleTime() string {
	return nextTimeOfDay(time.Now().Add(24*time.Hour), 9*time.Hour).Format(time.RFC3339)
}
