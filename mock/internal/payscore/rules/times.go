package rules

import (
	"time"

	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
)

// The service time rules (protocol.md §4.1.3, §9.3): those of a service
// being planned (create) and those of a service that is over (complete,
// direct-complete, a legacy completion, a sync's payment).

// startTolerance lets a create's start_time be this far in the past:
// WeChat Pay wants it after the call, which a merchant sending "now"
// misses by the request's flight time (docs/fidelity.md).
const startTolerance = time.Minute

// timeNames names the fields of a create's service times: time_range's for
// service orders, the flat service_*_time of payafter orders.
type timeNames struct {
	container              string // "" when the times are not inside an object
	start, end             string
	startRemark, endRemark string // "" when the API has no remarks
}

var serviceOrderTimes = timeNames{"/time_range", "/time_range/start_time", "/time_range/end_time", "/time_range/start_time_remark", "/time_range/end_time_remark"}

// remarks checks time_range's remarks.
func remarks(c *field.Check, tr *wire.TimeRange) {
	c.String(serviceOrderTimes.startRemark, tr.StartTimeRemark, 20)
	c.String(serviceOrderTimes.endRemark, tr.EndTimeRemark, 20)
}

// plannedTimes checks a create's service times against the call time now:
// the start, 14 or 8 digits or OnAccept, not before the call (its day, for
// a date); the optional end after the start, and for 14 digits more than a
// minute after the call.
func plannedTimes(c *field.Check, tr *wire.TimeRange, now time.Time, f timeNames) {
	if f.container != "" && !c.Required(f.container, tr != nil) {
		return
	}
	if !c.Required(f.start, tr.StartTime != "") {
		return
	}
	if f.startRemark != "" {
		remarks(c, tr)
	}
	start, ok := c.ParseTime(f.start, tr.StartTime, true)
	if !ok {
		return
	}
	switch {
	case start.OnAccept:
	case start.DateOnly && start.Earlier(now):
		c.Rule(f.start, "服务开始时间不能早于当前日期", "a yyyyMMdd start time must not be before today (Beijing time)", tr.StartTime)
	case !start.DateOnly && start.Earlier(now.Add(-startTolerance)):
		c.Rule(f.start, "服务开始时间不能早于创建订单时间", "a yyyyMMddHHmmss start time must not be before the create call", tr.StartTime)
	}
	if tr.EndTime == "" || c.Failed() {
		return
	}
	end, ok := c.ParseTime(f.end, tr.EndTime, false)
	if !ok {
		return
	}
	switch {
	case end.DateOnly && end.Earlier(now):
		c.Rule(f.end, "预计服务结束时间不能早于当前日期", "a yyyyMMdd end time must not be before today (Beijing time)", tr.EndTime)
	case !end.DateOnly && !end.Later(now.Add(time.Minute)):
		c.Rule(f.end, "预计服务结束时间需晚于当前时间1分钟", "a yyyyMMddHHmmss end time must be more than a minute after the create call", tr.EndTime)
	case !start.OnAccept:
		c.After(f.end, tr.EndTime, end, start, "预计服务结束时间需晚于服务开始时间")
	}
}

// ended checks the end of a service that is over by the call now: not
// later than the call, and after the start (on its day or later, for a
// date). The messages are those WeChat Pay's completion answers with.
func ended(c *field.Check, name, raw string, start, end field.ServiceTime, now time.Time) {
	c.NotLater(name, raw, end, now, "实际结束时间不能晚于使用完结接口的时间")
	c.After(name, raw, end, start, "真实结束时间小于预计开始时间")
}
