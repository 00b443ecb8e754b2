package store

import "strings"

// internMax bounds an interner: past it, it starts over.
const internMax = 1 << 16

// interner hands out one copy of each string that many rows repeat (an
// appid, a service_id, a notify_url, the name of a fee), so that orders
// decoded from separate requests share it instead of holding a copy each:
// about 200 bytes per order made through the API. It is bounded: once it
// holds internMax strings it starts over, and rows keep the copies they
// have. It is used inside write transactions only, which memdb serialises.
type interner struct {
	m map[string]string
}

// of returns the interner's copy of s.
func (in *interner) of(s string) string {
	if s == "" {
		return s
	}
	if c, ok := in.m[s]; ok {
		return c
	}
	if in.m == nil || len(in.m) >= internMax {
		in.m = make(map[string]string, 1024)
	}
	c := strings.Clone(s) // not a slice of whatever larger string s may point into
	in.m[c] = c
	return c
}

// intern replaces the order's repeated strings with the interner's copies.
// The order must not be stored yet, and be new or a Copy: its fields, the
// elements of its fee lists and its Location, which Copy copies, are
// written in place.
func (o *Order) intern(in *interner) {
	for _, p := range []*string{
		&o.AppID, &o.SubAppID, &o.ServiceID, &o.OpenID, &o.SubOpenID, &o.ServiceIntroduction, &o.NotifyURL, &o.GoodsTag,
		&o.RiskFund.Name, &o.RiskFund.Description,
		&o.TimeRange.StartTime, &o.TimeRange.StartTimeRemark, &o.TimeRange.EndTime, &o.TimeRange.EndTimeRemark,
	} {
		*p = in.of(*p)
	}
	if o.Location != nil {
		o.Location.StartLocation, o.Location.EndLocation = in.of(o.Location.StartLocation), in.of(o.Location.EndLocation)
	}
	for i := range o.PostPayments {
		o.PostPayments[i].Name, o.PostPayments[i].Description = in.of(o.PostPayments[i].Name), in.of(o.PostPayments[i].Description)
	}
	for i := range o.PostDiscounts {
		o.PostDiscounts[i].Name, o.PostDiscounts[i].Description = in.of(o.PostDiscounts[i].Name), in.of(o.PostDiscounts[i].Description)
	}
}

// internRow interns the repeated strings of a row just decoded, not yet
// shared with anything, if its type has them.
func internRow[R comparable](in *interner, row R) {
	var null R
	if row == null {
		return // refused by Restore
	}
	if r, ok := any(row).(interface{ intern(*interner) }); ok {
		r.intern(in)
	}
}
