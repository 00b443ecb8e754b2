package field

import (
	"time"
)

// MaxRFC3339 is the length of an RFC 3339 time field in the parking API
// (string(32)).
const MaxRFC3339 = 32

// RFC3339 checks a time the parking API writes in RFC 3339
// (2026-12-01T09:00:00+08:00; any offset, Z included, and fractional
// seconds are accepted) and returns it; an empty value passes (Required
// says whether one must be given).
func (c *Check) RFC3339(name, v string) (time.Time, bool) {
	if v == "" || c.Failed() {
		return time.Time{}, false
	}
	c.String(name, v, MaxRFC3339)
	if c.Failed() {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		c.fail(name, "格式规则校验失败", name+" must be an RFC 3339 time such as 2026-12-01T09:00:00+08:00", v)
		return time.Time{}, false
	}
	return t, true
}
