package rules

import (
	"fmt"
	"slices"
	"time"

	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The service-order requests (protocol.md §4).

// location checks location's lengths.
func location(c *field.Check, l *wire.Location) {
	if l != nil {
		c.String("/location/start_location", l.StartLocation, 50)
		c.String("/location/end_location", l.EndLocation, 50)
	}
}

// device checks device's lengths (unconfirmed; 32 like the other ids).
func device(c *field.Check, d *wire.Device) {
	if d != nil {
		c.String("/device/start_device_id", d.StartDeviceID, 32)
		c.String("/device/end_device_id", d.EndDeviceID, 32)
		c.String("/device/materiel_no", d.MaterielNo, 32)
	}
}

// completion checks what complete, modify and direct-complete share: the
// final items and the total they make.
func completion(c *field.Check, ps []wire.Payment, ds []wire.Discount, maxDiscounts int, totalAmount *int64) {
	if required(c, postPayments.ptr, len(ps)) {
		postPayments.check(c, paymentEntries(ps))
	}
	completedDiscounts(maxDiscounts).check(c, discountEntries(ds))
	charges := field.Sum(c, postPayments.ptr, ps, wire.PaymentAmount)
	discounts := field.Sum(c, postDiscounts.ptr, ds, wire.DiscountAmount)
	total(c, totalAmount, charges, discounts, "后付费项目、商户优惠")
}

// CreateOrder checks a create (POST /v3/payscore/serviceorder, or the
// partner's) at now.
func CreateOrder(req *wire.CreateOrderRequest, who store.Caller, now time.Time) error {
	m := who.Merchant
	c := field.Body()
	newOrder(c, req.OutOrderNo, req.AppID, req.ServiceID)
	c.RequiredString("/service_introduction", req.ServiceIntroduction, 20)
	postPayments.check(c, paymentEntries(req.PostPayments))
	postDiscounts.check(c, discountEntries(req.PostDiscounts))
	plannedTimes(c, req.TimeRange, now, serviceOrderTimes)
	location(c, req.Location)
	if l := req.Location; l != nil && l.EndLocation != "" && l.StartLocation == "" {
		c.Rule("/location/end_location", "填写服务结束位置时，服务开始位置必填", "end_location needs a start_location", l.EndLocation)
	}
	if c.Required("/risk_fund", req.RiskFund != nil) {
		rf := req.RiskFund
		if c.Required("/risk_fund/name", rf.Name != "") {
			c.Enum("/risk_fund/name", rf.Name, riskFundNames...)
		}
		if c.Required("/risk_fund/amount", rf.Amount != nil) {
			c.Positive("/risk_fund/amount", *rf.Amount)
		}
		c.String("/risk_fund/description", rf.Description, 30)
	}
	c.String("/attach", req.Attach, 256)
	c.Required("/notify_url", req.NotifyURL != "")
	c.NotifyURL("/notify_url", req.NotifyURL)
	user(c, req.User(), req.SubAppID, !req.NeedsConfirmation())
	device(c, req.Device)
	merchant(c, m, req.AppID, req.ServiceID)
	subApp(c, who, req.SubAppID)
	charges := field.Sum(c, postPayments.ptr, req.PostPayments, wire.PaymentAmount)
	if !c.Failed() {
		underCap(c, "/risk_fund/amount", "risk_fund.amount", *req.RiskFund.Amount, m, "风险金额超过服务允许的最大值")
		if len(req.PostDiscounts) == 0 {
			underCap(c, "/post_payments", "Σpost_payments.amount", charges, m, "后付费项目总金额超过服务允许的最大值")
		}
	}
	return c.Err()
}

// Cancel checks a cancel of either order API. A service order's cancel
// may leave out service_id (the current cancel page marks it optional);
// the legacy API's needs it.
func Cancel(req *wire.CancelRequest, who store.Caller, kind store.Kind) error {
	c := field.Body()
	ids(c, who, req.AppID, req.ServiceID, kind != store.KindServiceOrder)
	c.RequiredString("/reason", req.Reason, maxReason)
	return c.Err()
}

// Complete checks a completion's own fields (POST .../complete).
func Complete(req *wire.CompleteRequest, who store.Caller) error {
	c := field.Body()
	ids(c, who, req.AppID, req.ServiceID, true)
	completion(c, req.PostPayments, req.PostDiscounts, maxPostDiscounts, req.TotalAmount)
	location(c, req.Location)
	if req.Location != nil && req.Location.StartLocation != "" {
		c.Rule("/location/start_location", "完结订单只能填写服务结束位置", "completion may only give location.end_location", req.Location.StartLocation)
	}
	c.String("/goods_tag", req.GoodsTag, 32)
	device(c, req.Device)
	return c.Err()
}

// CompleteOrder checks a completion against the order at now and returns
// the time range to store: the order's, with what the completion gives.
func CompleteOrder(req *wire.CompleteRequest, o *store.Order, who store.Caller, now time.Time) (store.TimeRange, error) {
	m := who.Merchant
	c := field.Body()
	sameOrder(c, o, callAppID(who, req.AppID), req.ServiceID)
	tr := completedTimes(c, req.TimeRange, o, now)
	completeTime(c, req.CompleteTime, o, now)
	total := *req.TotalAmount
	if slices.Contains(deferredPayNames, o.RiskFund.Name) && total > o.RiskFund.Amount {
		c.Rule("/total_amount", "订单金额不能超过风险金额",
			fmt.Sprintf("with risk_fund %s, total_amount %d must not exceed risk_fund.amount %d", o.RiskFund.Name, total, o.RiskFund.Amount), total)
	}
	underCap(c, "/total_amount", "total_amount", total, m, "订单金额超过服务允许的最大值")
	if req.Location != nil && req.Location.EndLocation != "" && (o.Location == nil || o.Location.StartLocation == "") {
		c.Rule("/location/end_location", "创建订单未填写服务开始位置，不能填写服务结束位置", "end_location needs the order to have been created with a start_location", req.Location.EndLocation)
	}
	return tr, c.Err()
}

// completedTimes checks a completion's time_range against the order and
// the call, and returns the merged time range.
func completedTimes(c *field.Check, tr *wire.TimeRange, o *store.Order, now time.Time) store.TimeRange {
	merged := o.TimeRange
	if tr != nil {
		remarks(c, tr)
		merged = merge(merged, wire.StoredTimeRange(tr))
	}
	if c.Failed() {
		return merged
	}
	created, _ := c.ParseTime(serviceOrderTimes.start, o.TimeRange.StartTime, true)
	start := created
	switch {
	case tr != nil && tr.StartTime != "":
		var ok bool
		if start, ok = c.ParseTime(serviceOrderTimes.start, tr.StartTime, false); !ok {
			return merged
		}
		if !start.DateOnly && (start.At.Before(o.CreatedAt.Add(-startTolerance)) || start.At.After(now)) {
			c.Rule(serviceOrderTimes.start, "服务开始时间需在创建订单与完结订单之间", "start_time must lie between the create call and the complete call", tr.StartTime)
			return merged
		}
	case created.OnAccept:
		start = field.Instant(o.AcceptedAt)
	}
	if merged.EndTime == "" {
		c.Rule(serviceOrderTimes.end, "创建订单未填写服务结束时间，则结束时间必填", "the order was created without end_time, so completion must give one", nil)
		return merged
	}
	end, ok := c.ParseTime(serviceOrderTimes.end, merged.EndTime, false)
	if !ok {
		return merged
	}
	c.SameFormat(serviceOrderTimes.end, merged.EndTime, end, start)
	ended(c, serviceOrderTimes.end, merged.EndTime, start, end, now)
	return merged
}

// completeTime checks a partner completion's complete_time (完结服务时间),
// where given: an RFC 3339 time between the order's creation and the call.
func completeTime(c *field.Check, v string, o *store.Order, now time.Time) {
	if v == "" || c.Failed() {
		return
	}
	t, err := time.Parse(time.RFC3339, v)
	switch {
	case err != nil:
		c.Rule("/complete_time", "输入源“/body/complete_time”映射到字段“complete_time”格式规则校验失败",
			"complete_time must be an RFC 3339 time such as 2019-11-11T16:24:05+08:00", v)
	case t.Before(o.CreatedAt.Add(-startTolerance)) || t.After(now):
		c.Rule("/complete_time", "完结服务时间需在创建订单与完结订单之间", "complete_time must lie between the create call and the complete call", v)
	}
}

// merge overlays the parts of a time range a completion gives.
func merge(tr, with store.TimeRange) store.TimeRange {
	for _, p := range []struct{ dst, src *string }{
		{&tr.StartTime, &with.StartTime}, {&tr.StartTimeRemark, &with.StartTimeRemark},
		{&tr.EndTime, &with.EndTime}, {&tr.EndTimeRemark, &with.EndTimeRemark},
	} {
		if *p.src != "" {
			*p.dst = *p.src
		}
	}
	return tr
}

// Modify checks a modification's own fields (POST .../modify); the
// partner's modify may leave service_id out.
func Modify(req *wire.ModifyRequest, who store.Caller) error {
	c := field.Body()
	ids(c, who, req.AppID, req.ServiceID, who.Sub == nil)
	completion(c, req.PostPayments, req.PostDiscounts, maxPostDiscounts, req.TotalAmount)
	c.RequiredString("/reason", req.Reason, maxReason)
	device(c, req.Device)
	return c.Err()
}

// ModifyOrder checks a modification against the order: it may only lower
// the amount set at completion.
func ModifyOrder(req *wire.ModifyRequest, o *store.Order, who store.Caller) error {
	c := field.Body()
	sameOrder(c, o, callAppID(who, req.AppID), req.ServiceID)
	if total := *req.TotalAmount; total > o.CompletedAmount {
		c.Rule("/total_amount", "修改后的金额不能大于完结订单时的金额",
			fmt.Sprintf("total_amount %d exceeds the %d set at completion; modify can only lower it", total, o.CompletedAmount), total)
	}
	return c.Err()
}

// Pay checks a pay call's fields (POST .../pay); the partner's may leave
// service_id out.
func Pay(req *wire.PayRequest, who store.Caller) error {
	c := field.Body()
	ids(c, who, req.AppID, req.ServiceID, who.Sub == nil)
	return c.Err()
}

// Sync checks a sync of either order API and returns its paid_time; the
// rules against the order are SyncOrder's.
func Sync(req *wire.SyncRequest, who store.Caller) (field.ServiceTime, error) {
	c := field.Body()
	ids(c, who, req.AppID, req.ServiceID, true)
	if c.Required("/type", req.Type != "") {
		c.Enum("/type", req.Type, "Order_Paid")
	}
	var paid field.ServiceTime
	if c.Required("/detail", req.Detail != nil) && c.Required("/detail/paid_time", req.Detail.PaidTime != "") {
		paid, _ = c.ParseTime("/detail/paid_time", req.Detail.PaidTime, false)
	}
	return paid, c.Err()
}

// SyncOrder checks a sync's paid_time against the order and the call: the
// payment came after the completion and not after the call.
func SyncOrder(req *wire.SyncRequest, paid field.ServiceTime, o *store.Order, who store.Caller, now time.Time) error {
	c := field.Body()
	sameOrder(c, o, callAppID(who, req.AppID), req.ServiceID)
	c.NotLater("/detail/paid_time", req.Detail.PaidTime, paid, now, "支付时间不能晚于当前时间")
	c.After("/detail/paid_time", req.Detail.PaidTime, paid, field.Instant(o.CompletedAt), "支付时间需晚于完结订单时间")
	return c.Err()
}

// DirectComplete checks a direct-complete (POST .../direct-complete, or
// the partner's) at now: an order created and completed in one call, its
// service over.
func DirectComplete(req *wire.DirectCompleteRequest, who store.Caller, now time.Time) error {
	m := who.Merchant
	c := field.Body()
	newOrder(c, req.OutOrderNo, req.AppID, req.ServiceID)
	if c.Required("/openid", req.OpenID != "") {
		c.OpenID("/openid", req.OpenID)
	}
	c.RequiredString("/service_introduction", req.ServiceIntroduction, 20)
	var start, end field.ServiceTime
	if c.Required(serviceOrderTimes.container, req.TimeRange != nil) {
		tr := req.TimeRange
		remarks(c, tr)
		if c.Required(serviceOrderTimes.start, tr.StartTime != "") {
			start, _ = c.ParseTime(serviceOrderTimes.start, tr.StartTime, false)
		}
		if c.Required(serviceOrderTimes.end, tr.EndTime != "") {
			end, _ = c.ParseTime(serviceOrderTimes.end, tr.EndTime, false)
		}
	}
	completion(c, req.PostPayments, req.PostDiscounts, maxDirectDiscounts, req.TotalAmount)
	location(c, req.Location)
	c.String("/goods_tag", req.GoodsTag, 32)
	c.String("/attach", req.Attach, 256)
	c.NotifyURL("/notify_url", req.NotifyURL)
	merchant(c, m, req.AppID, req.ServiceID)
	subApp(c, who, req.SubAppID)
	if c.Failed() {
		return c.Err()
	}
	tr := req.TimeRange
	c.NotLater(serviceOrderTimes.start, tr.StartTime, start, now, "服务开始时间需早于当前时间")
	c.SameFormat(serviceOrderTimes.end, tr.EndTime, end, start)
	ended(c, serviceOrderTimes.end, tr.EndTime, start, end, now)
	underCap(c, "/total_amount", "total_amount", *req.TotalAmount, m, "订单金额超过服务允许的最大值")
	if *req.TotalAmount > 0 {
		c.Required("/notify_url", req.NotifyURL != "") // nothing to collect needs no callback
	}
	return c.Err()
}

// Query checks a query of either order API (GET /v3/payscore/serviceorder,
// /v3/payscore/payafter-orders) and of the partner's: exactly one of
// out_order_no and query_id. A partner's query has no appid.
func Query(q wire.OrderQuery, who store.Caller) error {
	c := field.Query()
	switch {
	case q.OutOrderNo == "" && q.QueryID == "":
		c.Rule("out_order_no", "out_order_no和query_id必须填写其中一个", "give out_order_no or query_id", nil)
	case q.OutOrderNo != "" && q.QueryID != "":
		c.Rule("query_id", "out_order_no和query_id不能同时填写", "give out_order_no or query_id, not both", q.QueryID)
	}
	c.String("out_order_no", q.OutOrderNo, maxID)
	c.String("query_id", q.QueryID, 512)
	c.RequiredString("service_id", q.ServiceID, maxID)
	appid := callAppID(who, q.AppID)
	if who.Sub == nil {
		c.RequiredString("appid", appid, maxID)
	}
	merchant(c, who.Merchant, appid, q.ServiceID)
	return c.Err()
}
