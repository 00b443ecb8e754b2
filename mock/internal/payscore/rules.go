package payscore

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// Field rules shared by the service-order endpoints (protocol.md §4.1).

const (
	maxPostPayments  = 100
	maxPostDiscounts = 30
	onAccept         = "OnAccept"
	// startTolerance lets a create's start_time be this far in the past:
	// WeChat Pay wants it after the call, which a merchant sending "now"
	// misses by the request's flight time (docs/fidelity.md).
	startTolerance = time.Minute
)

// riskFundNames: 先免 names cap the completion at risk_fund.amount; the
// 先享 name caps it at the service's risk cap only.
var (
	deferredPayNames = []string{"DEPOSIT", "ADVANCE", "CASH_DEPOSIT"}
	riskFundNames    = append(append([]string(nil), deferredPayNames...), "ESTIMATE_ORDER_COST")
)

func isDeferredPay(name string) bool {
	for _, n := range deferredPayNames {
		if n == name {
			return true
		}
	}
	return false
}

// payments checks post_payments; required means at least one item.
func (c *check) payments(ps []Payment, required bool) {
	if required && len(ps) == 0 {
		c.required("/post_payments", false)
		return
	}
	if len(ps) > maxPostPayments {
		c.fail("/post_payments", fmt.Sprintf("数组规则校验失败，元素个数 %d，大于最大值 %d", len(ps), maxPostPayments),
			fmt.Sprintf("at most %d post_payments", maxPostPayments), len(ps))
		return
	}
	names := map[string]bool{}
	for i, p := range ps {
		f := fmt.Sprintf("/post_payments/%d", i)
		c.reqStr(f+"/name", p.Name, 20)
		c.str(f+"/description", p.Description, 30)
		if p.Amount != nil && *p.Amount < 0 {
			c.fail(f+"/amount", "数值规则校验失败，不能小于0", f+"/amount must not be negative", *p.Amount)
		}
		if p.Count != nil {
			c.between(f+"/count", *p.Count, 1, 100)
		}
		if p.Amount == nil && p.Description == "" {
			c.rule(f+"/amount", "后付费项目的金额和说明不能同时为空", f+" needs an amount or a description (or both)", nil)
		}
		if names[p.Name] && p.Name != "商品信息" {
			c.rule(f+"/name", "后付费项目名称不能重复", fmt.Sprintf("post_payments names must be unique, %q repeats", p.Name), p.Name)
		}
		names[p.Name] = true
	}
}

// discounts checks post_discounts. At create a discount needs a name and a
// description; at completion and modification a name and an amount.
func (c *check) discounts(ds []Discount, needAmount bool) {
	if len(ds) > maxPostDiscounts {
		c.fail("/post_discounts", fmt.Sprintf("数组规则校验失败，元素个数 %d，大于最大值 %d", len(ds), maxPostDiscounts),
			fmt.Sprintf("at most %d post_discounts", maxPostDiscounts), len(ds))
		return
	}
	names := map[string]bool{}
	for i, d := range ds {
		f := fmt.Sprintf("/post_discounts/%d", i)
		c.reqStr(f+"/name", d.Name, 20)
		if needAmount {
			if c.required(f+"/amount", d.Amount != nil) && *d.Amount < 0 {
				c.fail(f+"/amount", "数值规则校验失败，不能小于0", f+"/amount must not be negative", *d.Amount)
			}
			c.str(f+"/description", d.Description, 30)
		} else {
			c.reqStr(f+"/description", d.Description, 30)
			if d.Amount != nil && *d.Amount < 0 {
				c.fail(f+"/amount", "数值规则校验失败，不能小于0", f+"/amount must not be negative", *d.Amount)
			}
		}
		if d.Count != nil {
			c.between(f+"/count", *d.Count, 1, 100)
		}
		if names[d.Name] {
			c.rule(f+"/name", "商户优惠名称不能重复", fmt.Sprintf("post_discounts names must be unique, %q repeats", d.Name), d.Name)
		}
		names[d.Name] = true
	}
}

// sums returns Σpost_payments.amount and Σpost_discounts.amount; items
// without an amount count as 0.
func sums(ps []Payment, ds []Discount) (pay, disc int64) {
	for _, p := range ps {
		if p.Amount != nil {
			pay += *p.Amount
		}
	}
	for _, d := range ds {
		if d.Amount != nil {
			disc += *d.Amount
		}
	}
	return pay, disc
}

// total checks total_amount = Σpayments − Σdiscounts, and not negative.
func (c *check) total(total *int64, ps []Payment, ds []Discount) {
	if !c.required("/total_amount", total != nil) {
		return
	}
	if *total < 0 {
		c.fail("/total_amount", "数值规则校验失败，不能小于0", "total_amount must not be negative", *total)
		return
	}
	pay, disc := sums(ps, ds)
	if *total != pay-disc {
		c.rule("/total_amount", "订单金额与后付费项目、商户优惠金额不一致",
			fmt.Sprintf("total_amount %d must equal Σpost_payments.amount %d − Σpost_discounts.amount %d = %d", *total, pay, disc, pay-disc), *total)
	}
}

// notifyURL checks a callback address: HTTPS (or http:// for local
// receivers, a mockpay departure), absolute, without a query string.
func (c *check) notifyURL(field, raw string) {
	if raw == "" {
		return
	}
	c.str(field, raw, 255)
	if c.failed() {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		c.rule(field, "notify_url格式不正确", "notify_url must be an absolute https:// URL (mockpay also accepts http://)", raw)
	case strings.Contains(raw, "?") || u.Fragment != "":
		c.rule(field, "notify_url不能携带参数", "notify_url must not carry a query string", raw)
	}
}

// location checks location's lengths; end_location needs a start_location.
func (c *check) location(l *LocationJSON) {
	if l == nil {
		return
	}
	c.str("/location/start_location", l.StartLocation, 50)
	c.str("/location/end_location", l.EndLocation, 50)
}

// device checks device's lengths (unconfirmed; 32 like the other ids).
func (c *check) device(d *DeviceJSON) {
	if d == nil {
		return
	}
	c.str("/device/start_device_id", d.StartDeviceID, 32)
	c.str("/device/end_device_id", d.EndDeviceID, 32)
	c.str("/device/materiel_no", d.MaterielNo, 32)
}

// serviceTime is a parsed time_range time.
type serviceTime struct {
	t        time.Time
	dateOnly bool
	onAccept bool
}

// parseTime reads a 14-digit, 8-digit or (where allowed) OnAccept time.
func (c *check) parseTime(field, v string, allowOnAccept bool) (serviceTime, bool) {
	if allowOnAccept && v == onAccept {
		return serviceTime{onAccept: true}, true
	}
	t, dateOnly, err := protocol.ParseServiceTime(v)
	if err != nil {
		want := "yyyyMMddHHmmss or yyyyMMdd (Beijing time)"
		if allowOnAccept {
			want += " or OnAccept"
		}
		c.fail(field, "时间格式校验失败", fmt.Sprintf("%s is %q; it must be %s", field, v, want), v)
		return serviceTime{}, false
	}
	return serviceTime{t: t, dateOnly: dateOnly}, true
}

// day truncates a time to its Beijing date.
func day(t time.Time) time.Time {
	y, m, d := t.In(protocol.Beijing).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, protocol.Beijing)
}

// timeFields names the fields of a create's service times: time_range's for
// service orders, the flat service_*_time of payafter orders.
type timeFields struct {
	container            string // "" when the times are not inside an object
	start, end           string
	startRemark, endRmrk string
}

var serviceOrderTimes = timeFields{"/time_range", "/time_range/start_time", "/time_range/end_time", "/time_range/start_time_remark", "/time_range/end_time_remark"}

// createTimeRange checks a create's service times against the call time now.
func (c *check) createTimeRange(tr *TimeRangeJSON, now time.Time, f timeFields) {
	if f.container != "" && !c.required(f.container, tr != nil) {
		return
	}
	if !c.required(f.start, tr.StartTime != "") {
		return
	}
	c.str(f.startRemark, tr.StartTimeRemark, 20)
	c.str(f.endRmrk, tr.EndTimeRemark, 20)
	start, ok := c.parseTime(f.start, tr.StartTime, true)
	if !ok {
		return
	}
	switch {
	case start.onAccept:
	case start.dateOnly && start.t.Before(day(now)):
		c.rule(f.start, "服务开始时间不能早于当前日期", "a yyyyMMdd start time must not be before today (Beijing time)", tr.StartTime)
	case !start.dateOnly && start.t.Before(now.Add(-startTolerance)):
		c.rule(f.start, "服务开始时间不能早于创建订单时间", "a yyyyMMddHHmmss start time must not be before the create call", tr.StartTime)
	}
	if tr.EndTime == "" || c.failed() {
		return
	}
	end, ok := c.parseTime(f.end, tr.EndTime, false)
	if !ok {
		return
	}
	switch {
	case end.dateOnly && (end.t.Before(day(now)) || (!start.onAccept && end.t.Before(day(start.t)))):
		c.rule(f.end, "预计服务结束时间不能早于服务开始时间", "a yyyyMMdd end time must be on or after today and the start date", tr.EndTime)
	case !end.dateOnly && !end.t.After(now.Add(time.Minute)):
		c.rule(f.end, "预计服务结束时间需晚于当前时间1分钟", "a yyyyMMddHHmmss end time must be more than a minute after the create call", tr.EndTime)
	case !end.dateOnly && !start.onAccept && !end.t.After(start.t):
		c.rule(f.end, "预计服务结束时间需晚于服务开始时间", "the end time must be after the start time", tr.EndTime)
	}
}

// completeTimeRange checks a completion's time_range against the order and
// the call time, and returns the time range to store.
func (c *check) completeTimeRange(tr *TimeRangeJSON, o *store.Order, now time.Time) store.TimeRange {
	merged := o.TimeRange
	if tr != nil {
		c.str("/time_range/start_time_remark", tr.StartTimeRemark, 20)
		c.str("/time_range/end_time_remark", tr.EndTimeRemark, 20)
		if tr.StartTime != "" {
			merged.StartTime = tr.StartTime
		}
		if tr.StartTimeRemark != "" {
			merged.StartTimeRemark = tr.StartTimeRemark
		}
		if tr.EndTime != "" {
			merged.EndTime = tr.EndTime
		}
		if tr.EndTimeRemark != "" {
			merged.EndTimeRemark = tr.EndTimeRemark
		}
	}
	if c.failed() {
		return merged
	}
	created, _ := c.parseTime("/time_range/start_time", o.TimeRange.StartTime, true)
	var start serviceTime
	switch {
	case tr != nil && tr.StartTime != "":
		var ok bool
		if start, ok = c.parseTime("/time_range/start_time", tr.StartTime, false); !ok {
			return merged
		}
		if !start.dateOnly && (start.t.Before(o.CreatedAt.Add(-startTolerance)) || start.t.After(now)) {
			c.rule("/time_range/start_time", "服务开始时间需在创建订单与完结订单之间", "start_time must lie between the create call and the complete call", tr.StartTime)
			return merged
		}
	case created.onAccept:
		start = serviceTime{t: o.AcceptedAt}
	default:
		start = created
	}
	if merged.EndTime == "" {
		c.rule("/time_range/end_time", "创建订单未填写服务结束时间，则结束时间必填", "the order was created without end_time, so completion must give one", nil)
		return merged
	}
	end, ok := c.parseTime("/time_range/end_time", merged.EndTime, false)
	if !ok {
		return merged
	}
	switch {
	case end.dateOnly != start.dateOnly:
		c.rule("/time_range/end_time", "服务结束时间格式需与开始时间一致", "end_time must use the same format (14 or 8 digits) as start_time; OnAccept means 14", merged.EndTime)
	case end.dateOnly && end.t.After(day(now)), !end.dateOnly && end.t.After(now):
		c.rule("/time_range/end_time", "实际结束时间不能晚于使用完结接口的时间", "end_time must not be after the complete call (check the time zone: Beijing time)", merged.EndTime)
	case end.dateOnly && end.t.Before(start.t), !end.dateOnly && !end.t.After(start.t):
		c.rule("/time_range/end_time", "真实结束时间小于预计开始时间", "end_time must be after start_time", merged.EndTime)
	}
	return merged
}

// toPayments and toDiscounts convert wire items to stored ones.
func toPayments(ps []Payment) []store.PostPayment {
	var out []store.PostPayment
	for _, p := range ps {
		out = append(out, store.PostPayment{Name: p.Name, Amount: p.Amount, Description: p.Description, Count: p.Count})
	}
	return out
}

func toDiscounts(ds []Discount) []store.PostDiscount {
	var out []store.PostDiscount
	for _, d := range ds {
		out = append(out, store.PostDiscount{Name: d.Name, Description: d.Description, Amount: d.Amount, Count: d.Count})
	}
	return out
}

func toLocation(l *LocationJSON) *store.Location {
	if l == nil || (l.StartLocation == "" && l.EndLocation == "") {
		return nil
	}
	return &store.Location{StartLocation: l.StartLocation, EndLocation: l.EndLocation}
}

func toDevice(d *DeviceJSON) *store.Device {
	if d == nil {
		return nil
	}
	return &store.Device{StartDeviceID: d.StartDeviceID, EndDeviceID: d.EndDeviceID, MaterielNo: d.MaterielNo}
}

func toTimeRange(tr *TimeRangeJSON) store.TimeRange {
	if tr == nil {
		return store.TimeRange{}
	}
	return store.TimeRange{StartTime: tr.StartTime, StartTimeRemark: tr.StartTimeRemark, EndTime: tr.EndTime, EndTimeRemark: tr.EndTimeRemark}
}
