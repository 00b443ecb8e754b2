package field

import (
	"fmt"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// OnAccept is the start time that means "when the user confirms".
const OnAccept = "OnAccept"

// ServiceTime is a time as the Pay Score API writes one (protocol.md
// §4.1.3): 14 digits, known to the second; 8 digits, a whole day; or, for a
// start, OnAccept. Times are Beijing time; a date is its midnight.
type ServiceTime struct {
	At       time.Time
	DateOnly bool
	OnAccept bool
}

// Instant is a moment the mock knows to the second (a confirmation, a
// completion) as a ServiceTime, to compare the request's times with.
func Instant(t time.Time) ServiceTime { return ServiceTime{At: t} }

// Day is t's Beijing date, at midnight.
func Day(t time.Time) time.Time {
	y, m, d := t.In(protocol.Beijing).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, protocol.Beijing)
}

// Later reports whether t is later than u at t's precision: a date is
// later only when it is a later day.
func (t ServiceTime) Later(u time.Time) bool {
	if t.DateOnly {
		return t.At.After(Day(u))
	}
	return t.At.After(u)
}

// Earlier reports whether t is earlier than u at t's precision: a date is
// earlier only when it is an earlier day.
func (t ServiceTime) Earlier(u time.Time) bool {
	if t.DateOnly {
		return t.At.Before(Day(u))
	}
	return t.At.Before(u)
}

// Follows reports whether t comes after start: strictly when both are known
// to the second, on start's day or later when either is a date.
func (t ServiceTime) Follows(start ServiceTime) bool {
	if t.DateOnly || start.DateOnly {
		return !Day(t.At).Before(Day(start.At))
	}
	return t.At.After(start.At)
}

// ParseTime reads a time field: yyyyMMddHHmmss, yyyyMMdd, or (where
// onAccept allows it) OnAccept. It reports whether the value was valid.
func (c *Check) ParseTime(name, v string, onAccept bool) (ServiceTime, bool) {
	if onAccept && v == OnAccept {
		return ServiceTime{OnAccept: true}, true
	}
	t, dateOnly, err := protocol.ParseServiceTime(v)
	if err != nil {
		want := "yyyyMMddHHmmss or yyyyMMdd (Beijing time)"
		if onAccept {
			want += " or " + OnAccept
		}
		c.fail(name, "时间格式校验失败", fmt.Sprintf("%s is %q; it must be %s", name, v, want), v)
		return ServiceTime{}, false
	}
	return ServiceTime{At: t, DateOnly: dateOnly}, true
}

// NotLater records message about name when t, given as raw, is later than
// now at t's precision: a service's end or a payment cannot be in the
// future.
func (c *Check) NotLater(name, raw string, t ServiceTime, now time.Time, message string) {
	if t.Later(now) {
		c.Rule(name, message, fmt.Sprintf("%s %s is later than the call (times are Beijing time; a date counts as its whole day)", name, raw), raw)
	}
}

// After records message about name unless t, given as raw, follows start.
func (c *Check) After(name, raw string, t, start ServiceTime, message string) {
	if !t.Follows(start) {
		c.Rule(name, message, fmt.Sprintf("%s %s must come after %s", name, raw, start), raw)
	}
}

// SameFormat records a violation of name when end and start are not in
// the same format: a service is timed in days or in seconds (OnAccept
// counts as seconds).
func (c *Check) SameFormat(name, raw string, end, start ServiceTime) {
	if end.DateOnly != start.DateOnly {
		c.Rule(name, "服务结束时间格式需与开始时间一致", name+" must use the same format (14 or 8 digits) as the start; OnAccept means 14", raw)
	}
}

// String renders t as the API writes it.
func (t ServiceTime) String() string {
	switch {
	case t.OnAccept:
		return OnAccept
	case t.DateOnly:
		return t.At.In(protocol.Beijing).Format(protocol.Layout8)
	}
	return protocol.Format14(t.At)
}
