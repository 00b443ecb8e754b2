package protocol

import (
	"fmt"
	"time"
)

// Beijing is UTC+8, the zone of every time the v3 API sends or expects.
// A fixed zone needs no tzdata on the machine.
var Beijing = time.FixedZone("CST", 8*60*60)

// Time layouts of the v3 API.
const (
	LayoutRFC3339      = "2006-01-02T15:04:05-07:00"     // create_time, success_time: 2015-05-20T13:29:35+08:00
	LayoutRFC3339Milli = "2006-01-02T15:04:05.000-07:00" // permission records: 2015-05-20T13:29:35.120+08:00
	Layout14           = "20060102150405"                // yyyyMMddHHmmss, Beijing time
	Layout8            = "20060102"                      // yyyyMMdd, Beijing time
)

// FormatRFC3339 renders t in Beijing time with the +08:00 offset.
func FormatRFC3339(t time.Time) string { return t.In(Beijing).Format(LayoutRFC3339) }

// FormatRFC3339Milli renders t in Beijing time with milliseconds.
func FormatRFC3339Milli(t time.Time) string { return t.In(Beijing).Format(LayoutRFC3339Milli) }

// Format14 renders t as yyyyMMddHHmmss in Beijing time.
func Format14(t time.Time) string { return t.In(Beijing).Format(Layout14) }

// ParseServiceTime reads a 14-digit (yyyyMMddHHmmss) or 8-digit (yyyyMMdd)
// time in Beijing time, reporting whether it was date-only. Anything else,
// including a valid-looking but impossible date, is an error.
func ParseServiceTime(s string) (t time.Time, dateOnly bool, err error) {
	layout := Layout14
	switch len(s) {
	case 14:
	case 8:
		layout, dateOnly = Layout8, true
	default:
		return time.Time{}, false, fmt.Errorf("time %q is not yyyyMMddHHmmss or yyyyMMdd", s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return time.Time{}, false, fmt.Errorf("time %q is not yyyyMMddHHmmss or yyyyMMdd", s)
		}
	}
	t, err = time.ParseInLocation(layout, s, Beijing)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("time %q is not a valid date: %w", s, err)
	}
	return t, dateOnly, nil
}
