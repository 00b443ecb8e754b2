package payscore

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// Timeline event types.
const (
	EventAPI          = "api"
	EventState        = "state"
	EventDeduction    = "deduction"
	EventNotification = "notification"
	EventUser         = "user"
)

// CreateOrder creates a service order (POST /v3/payscore/serviceorder).
// A retry with identical parameters returns the order; the same
// out_order_no with other parameters is refused.
func (s *Service) CreateOrder(m *store.Merchant, req *CreateOrderRequest) (Order, error) {
	now := s.clock.Now()
	c := newCheck(apierr.LocBody)
	c.reqStr("/out_order_no", req.OutOrderNo, 32)
	c.pattern("/out_order_no", req.OutOrderNo, reOutOrderNo, "1 to 32 of [0-9A-Za-z_-|*]")
	c.reqStr("/appid", req.AppID, 32)
	c.reqStr("/service_id", req.ServiceID, 32)
	c.reqStr("/service_introduction", req.ServiceIntroduction, 20)
	c.payments(req.PostPayments, false)
	c.discounts(req.PostDiscounts, false)
	c.createTimeRange(req.TimeRange, now, serviceOrderTimes)
	c.location(req.Location)
	if l := req.Location; l != nil && l.EndLocation != "" && l.StartLocation == "" {
		c.rule("/location/end_location", "填写服务结束位置时，服务开始位置必填", "end_location needs a start_location", l.EndLocation)
	}
	if c.required("/risk_fund", req.RiskFund != nil) {
		rf := req.RiskFund
		if c.required("/risk_fund/name", rf.Name != "") {
			c.enum("/risk_fund/name", rf.Name, riskFundNames...)
		}
		if c.required("/risk_fund/amount", rf.Amount != nil) && *rf.Amount <= 0 {
			c.fail("/risk_fund/amount", "数值规则校验失败，需大于0", "risk_fund.amount must be positive", *rf.Amount)
		}
		c.str("/risk_fund/description", rf.Description, 30)
	}
	c.str("/attach", req.Attach, 256)
	c.reqStr("/notify_url", req.NotifyURL, 255)
	c.notifyURL("/notify_url", req.NotifyURL)
	c.str("/openid", req.OpenID, 128)
	needConfirm := req.NeedUserConfirm == nil || *req.NeedUserConfirm
	if !needConfirm {
		c.required("/openid", req.OpenID != "")
	}
	c.device(req.Device)
	checkMerchant(m, req.AppID, req.ServiceID, c)
	if !c.failed() {
		if *req.RiskFund.Amount > m.RiskFundCap {
			c.rule("/risk_fund/amount", "风险金额超过服务允许的最大值",
				fmt.Sprintf("risk_fund.amount %d exceeds the service's risk cap %d", *req.RiskFund.Amount, m.RiskFundCap), *req.RiskFund.Amount)
		} else if pay, _ := sums(req.PostPayments, nil); len(req.PostDiscounts) == 0 && pay > m.RiskFundCap {
			c.rule("/post_payments", "后付费项目总金额超过服务允许的最大值",
				fmt.Sprintf("Σpost_payments.amount %d exceeds the service's risk cap %d", pay, m.RiskFundCap), pay)
		}
	}
	if err := c.result(); err != nil {
		return Order{}, err
	}
	dg := digest(req)

	tx := s.store.Write()
	defer tx.Abort()
	if o, err := tx.Order(m.MchID, store.KindServiceOrder, req.OutOrderNo); err == nil {
		if o.CreateDigest != dg {
			return Order{}, errSameNumberOtherParams(req.OutOrderNo)
		}
		return createView(o), nil // 原参重入: the identical retry succeeds
	}
	if !needConfirm {
		if err := requireAuthorization(tx.ReadTxn, m.MchID, req.ServiceID, req.OpenID); err != nil {
			return Order{}, err
		}
	}
	o := &store.Order{
		Kind:                store.KindServiceOrder,
		MchID:               m.MchID,
		OutOrderNo:          req.OutOrderNo,
		OrderID:             s.newOrderID(now),
		AppID:               req.AppID,
		ServiceID:           req.ServiceID,
		OpenID:              req.OpenID,
		ServiceIntroduction: req.ServiceIntroduction,
		NeedUserConfirm:     needConfirm,
		PostPayments:        toPayments(req.PostPayments),
		PostDiscounts:       toDiscounts(req.PostDiscounts),
		RiskFund:            store.RiskFund{Name: req.RiskFund.Name, Amount: *req.RiskFund.Amount, Description: req.RiskFund.Description},
		TimeRange:           toTimeRange(req.TimeRange),
		Location:            toLocation(req.Location),
		Device:              toDevice(req.Device),
		Attach:              req.Attach,
		NotifyURL:           req.NotifyURL,
		CreateDigest:        dg,
		CreatedAt:           now,
		UpdatedAt:           now,
	}
	if needConfirm {
		o.State = StateCreated
		s.note(o, now, EventState, "created: CREATED, waiting for the user to confirm")
		job := s.expiryJob(o)
		tx.Defer(func() { clock.Schedule(s.clock, job) })
		s.userCreated(tx, o, now)
	} else {
		o.State, o.StateDescription, o.AcceptedAt = StateDoing, DescUserConfirm, now
		s.note(o, now, EventState, "created: DOING/USER_CONFIRM (免确认, the user's authorization is AVAILABLE)")
		s.userStarted(tx, o, now)
	}
	if err := tx.PutOrder(o); err != nil {
		return Order{}, err
	}
	tx.Commit()
	return createView(o), nil
}

// createView is what create answers: the order and its package, without
// what only completion adds.
func createView(o *store.Order) Order {
	v := View(o)
	v.Package = o.Package()
	v.NeedCollection, v.Collection, v.OpenID = nil, nil, ""
	return v
}

func errSameNumberOtherParams(outOrderNo string) error {
	return apierr.New(apierr.InvalidRequest, "请确认相同单号是否使用了不同的参数").WithDetail(apierr.Detail{
		Field: "/out_order_no", Value: outOrderNo, Location: apierr.LocBody,
		Issue: "an order with this out_order_no exists with other parameters; an identical retry returns it",
	})
}

// requireAuthorization refuses a 免确认 order for a user without an
// AVAILABLE authorization of the service (docs/fidelity.md: the code).
func requireAuthorization(tx store.ReadTxn, mchid, serviceID, openid string) error {
	p, err := tx.PermissionByOpenID(mchid, serviceID, openid)
	if err == nil && p.State == store.PermissionAvailable {
		return nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return apierr.New(apierr.InvalidRequest, "用户未授权该服务，请先引导用户开启服务").WithDetail(apierr.Detail{
		Field: "/openid", Value: openid, Location: apierr.LocBody,
		Issue: "need_user_confirm=false needs the user to hold an AVAILABLE authorization of the service (sandbox: POST /sandbox/users/{openid}/authorize)",
	})
}

// QueryOrder returns an order (GET /v3/payscore/serviceorder).
func (s *Service) QueryOrder(m *store.Merchant, q OrderQuery) (Order, error) {
	o, err := s.queryOrder(m, store.KindServiceOrder, q)
	if err != nil {
		return Order{}, err
	}
	return View(o), nil
}

// orderKey names an order for timers.
type orderKey struct{ mchid, kind, outOrderNo string }

func (k orderKey) String() string { return k.mchid + "/" + k.outOrderNo }

// change runs one state change of an order in one write transaction: load,
// check the state machine, apply, store, commit. apply works on a copy and
// may enqueue callbacks and defer timers in tx; if it fails nothing changes.
func (s *Service) change(mchid, kind, outOrderNo string, op Op, apply func(tx store.WriteTxn, o *store.Order, now time.Time) error) (*store.Order, error) {
	tx := s.store.Write()
	defer tx.Abort()
	cur, err := loadOrder(tx.ReadTxn, mchid, kind, outOrderNo)
	if err != nil {
		return nil, err
	}
	if err := allow(cur, op); err != nil {
		return cur, err
	}
	o := cur.Copy()
	now := s.clock.Now()
	if err := apply(tx, o, now); err != nil {
		return cur, err
	}
	if allow(o, OpDeduct) != nil {
		// The deductions still armed would be refused when they fire: a
		// restored server need not arm them again.
		o.DeductionsDue = nil
	}
	o.UpdatedAt = now
	if err := tx.PutOrder(o); err != nil {
		return nil, err
	}
	tx.Commit()
	return o, nil
}

// note adds an entry to o's timeline.
func (s *Service) note(o *store.Order, now time.Time, typ, summary string) {
	o.AddEvent(store.Event{Seq: s.store.NextSeq(), At: now, Type: typ, Summary: summary})
}

// setState moves o and notes the move on its timeline.
func (s *Service) setState(o *store.Order, now time.Time, state, desc, why string) {
	from := StageName(o)
	o.State, o.StateDescription = state, desc
	s.note(o, now, EventState, fmt.Sprintf("%s → %s (%s)", from, StageName(o), why))
}

// CancelOrder cancels an order (POST .../{out_order_no}/cancel). An
// identical retry of a successful cancel succeeds again.
func (s *Service) CancelOrder(m *store.Merchant, outOrderNo string, req *CancelRequest) (OrderIDs, error) {
	return s.cancel(m, store.KindServiceOrder, outOrderNo, req)
}

// cancel revokes an order of either API; the state machine decides from
// which states. An identical retry of a successful cancel succeeds again
// (原参重入).
func (s *Service) cancel(m *store.Merchant, kind, outOrderNo string, req *CancelRequest) (OrderIDs, error) {
	c := newCheck(apierr.LocBody)
	c.reqStr("/appid", req.AppID, 32)
	c.reqStr("/service_id", req.ServiceID, 32)
	c.reqStr("/reason", req.Reason, 50)
	checkMerchant(m, req.AppID, req.ServiceID, c)
	if err := c.result(); err != nil {
		return OrderIDs{}, err
	}
	o, err := s.change(m.MchID, kind, outOrderNo, OpCancel, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		c := newCheck(apierr.LocBody)
		sameOrderRef(o, req.AppID, req.ServiceID, c)
		if err := c.result(); err != nil {
			return err
		}
		o.CancelReason = req.Reason
		s.setState(o, now, StateRevoked, "", "cancelled by the merchant: "+req.Reason)
		return nil
	})
	if err != nil {
		if o != nil && o.State == StateRevoked && o.CancelReason == req.Reason && o.AppID == req.AppID && o.ServiceID == req.ServiceID {
			return IDs(o), nil
		}
		return OrderIDs{}, err
	}
	return IDs(o), nil
}

// CompleteOrder completes an order with the final amount (POST
// .../{out_order_no}/complete). A positive amount leaves it DOING /
// MCH_COMPLETE with the collection USER_PAYING and schedules the deduction;
// zero finishes it.
func (s *Service) CompleteOrder(m *store.Merchant, outOrderNo string, req *CompleteRequest) (Order, error) {
	c := newCheck(apierr.LocBody)
	c.reqStr("/appid", req.AppID, 32)
	c.reqStr("/service_id", req.ServiceID, 32)
	c.payments(req.PostPayments, true)
	c.discounts(req.PostDiscounts, true)
	c.total(req.TotalAmount, req.PostPayments, req.PostDiscounts)
	c.location(req.Location)
	if req.Location != nil && req.Location.StartLocation != "" {
		c.rule("/location/start_location", "完结订单只能填写服务结束位置", "completion may only give location.end_location", req.Location.StartLocation)
	}
	c.str("/goods_tag", req.GoodsTag, 32)
	c.device(req.Device)
	checkMerchant(m, req.AppID, req.ServiceID, c)
	if err := c.result(); err != nil {
		return Order{}, err
	}
	o, err := s.change(m.MchID, store.KindServiceOrder, outOrderNo, OpComplete, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		c := newCheck(apierr.LocBody)
		sameOrderRef(o, req.AppID, req.ServiceID, c)
		tr := c.completeTimeRange(req.TimeRange, o, now)
		total := *req.TotalAmount
		if isDeferredPay(o.RiskFund.Name) && total > o.RiskFund.Amount {
			c.rule("/total_amount", "订单金额不能超过风险金额",
				fmt.Sprintf("with risk_fund %s, total_amount %d must not exceed risk_fund.amount %d", o.RiskFund.Name, total, o.RiskFund.Amount), total)
		} else if total > m.RiskFundCap {
			c.rule("/total_amount", "订单金额超过服务允许的最大值", fmt.Sprintf("total_amount %d exceeds the service's risk cap %d", total, m.RiskFundCap), total)
		}
		if req.Location != nil && req.Location.EndLocation != "" && (o.Location == nil || o.Location.StartLocation == "") {
			c.rule("/location/end_location", "创建订单未填写服务开始位置，不能填写服务结束位置", "end_location needs the order to have been created with a start_location", req.Location.EndLocation)
		}
		if err := c.result(); err != nil {
			return err
		}
		o.PostPayments, o.PostDiscounts = toPayments(req.PostPayments), toDiscounts(req.PostDiscounts)
		o.TimeRange = tr
		if req.Location != nil && req.Location.EndLocation != "" {
			o.Location.EndLocation = req.Location.EndLocation
		}
		if req.ProfitSharing != nil {
			o.ProfitSharing = *req.ProfitSharing
		}
		o.GoodsTag = req.GoodsTag
		if d := toDevice(req.Device); d != nil {
			o.Device = d
		}
		s.complete(tx, o, total, now)
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	return completeView(o), nil
}

// complete records the completion amount: a positive one starts the
// collection and schedules WeChat Pay's deduction; zero finishes the order.
func (s *Service) complete(tx store.WriteTxn, o *store.Order, total int64, now time.Time) {
	o.TotalAmount, o.CompletedAmount, o.Completed, o.CompletedAt = total, total, true, now
	if total == 0 {
		s.setState(o, now, StateDone, "", "completed with nothing to collect")
		return
	}
	o.Collection = &store.Collection{State: CollectionPaying, TotalAmount: total, PayingAmount: total}
	s.setState(o, now, StateDoing, DescMchComplete, fmt.Sprintf("completed by the merchant, %d fen to collect", total))
	s.scheduleDeduction(tx, o, now, s.deductionDelay, "after completion")
}

// completeView is what complete answers.
func completeView(o *store.Order) Order {
	v := View(o)
	v.OpenID, v.NotifyURL, v.Attach, v.Collection = "", "", "", nil
	return v
}

// scheduleDeduction arranges a deduction attempt of o after delay, once tx
// commits, and records it on o.
func (s *Service) scheduleDeduction(tx store.WriteTxn, o *store.Order, now time.Time, delay time.Duration, why string) {
	due := store.DeductionDue{Due: s.store.DueIn(now, delay), Why: why}
	o.DeductionsDue = append(o.DeductionsDue, due)
	job := s.deductionJob(o, due)
	tx.Defer(func() { clock.Schedule(s.clock, job) })
}

// deduct is WeChat Pay's automatic deduction from the user's wallet, the
// attempt scheduled as seq. It collects what is outstanding if the wallet
// holds it; otherwise the order stays USER_PAYING until a pay call, the
// user's payment or a sync.
func (s *Service) deduct(key orderKey, seq uint64) {
	_, err := s.change(key.mchid, key.kind, key.outOrderNo, OpDeduct, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		o.DeductionsDue = slices.DeleteFunc(o.DeductionsDue, func(d store.DeductionDue) bool { return d.Seq == seq })
		owed := o.TotalAmount
		if o.Collection != nil {
			owed = o.Collection.PayingAmount
		}
		if paid, err := s.debit(tx, o, owed, now); err != nil || !paid {
			return err
		}
		if o.Kind == store.KindPayAfter {
			return s.payAfterPaid(tx, o, now, "WeChat Pay deducted it from the user's wallet")
		}
		return s.collect(tx, o, now, PaidTypeNewton, now, "WeChat Pay deducted it from the user's wallet")
	})
	if err != nil && !isStateRefusal(err) {
		s.log.Error("deduction", "order", key.String(), "err", err)
	}
}

// debit is one deduction attempt: a scenario may fail it (and have WeChat
// Pay try again later); otherwise it takes owed from the user's sandbox
// wallet if it holds that much. It reports whether the money was taken; a
// failure is noted on the order's timeline.
func (s *Service) debit(tx store.WriteTxn, o *store.Order, owed int64, now time.Time) (bool, error) {
	o.DeductionAttempts++
	if fx, applied := s.scenarios.Deduction(subject(o)); fx != nil && (fx.Fail || o.DeductionAttempts <= fx.FailAttempts) {
		s.note(o, now, EventDeduction, fmt.Sprintf("deduction attempt %d of %d fen failed by %s", o.DeductionAttempts, owed, applied))
		if d := fx.RetryAfter.D(); d > 0 {
			s.scheduleDeduction(tx, o, now, d, "a retry by "+applied.String())
		}
		return false, nil
	}
	u, err := tx.User(o.OpenID)
	if err != nil {
		return false, err
	}
	if u.Balance == nil {
		return true, nil
	}
	if *u.Balance < owed {
		s.note(o, now, EventDeduction, fmt.Sprintf("deduction attempt %d of %d fen failed: the wallet of %s holds %d", o.DeductionAttempts, owed, o.OpenID, *u.Balance))
		return false, nil
	}
	left := *u.Balance - owed
	nu := *u
	nu.Balance = &left
	return true, tx.PutUser(&nu)
}

// subject is what scenarios match an order on.
func subject(o *store.Order) scenario.Subject {
	return scenario.Subject{MchID: o.MchID, OpenID: o.OpenID, OutOrderNo: o.OutOrderNo, ServiceID: o.ServiceID}
}

// isStateRefusal reports whether err is the state machine saying no: for
// timers, which find orders that moved on, that is not a failure.
func isStateRefusal(err error) bool {
	var ae *apierr.Error
	return errors.As(err, &ae) && ae.Detail != nil && ae.Detail.Field == "state"
}

// collect records a payment of everything outstanding and finishes the
// order; a Pay Score (NEWTON) collection fires PAYSCORE.USER_PAID.
func (s *Service) collect(tx store.WriteTxn, o *store.Order, now time.Time, paidType string, paidTime time.Time, why string) error {
	col := o.Collection
	amount := col.PayingAmount
	d := store.CollectionDetail{Seq: int64(len(col.Details) + 1), Amount: amount, PaidType: paidType, PaidTime: paidTime}
	if paidType == PaidTypeNewton && amount > 0 {
		t, err := s.charge(tx, o, amount, now)
		if err != nil {
			return err
		}
		d.TransactionID = t.TransactionID
	}
	col.Details = append(col.Details, d)
	col.PaidAmount += amount
	col.PayingAmount = 0
	col.State = CollectionPaid
	s.note(o, now, EventDeduction, fmt.Sprintf("collected %d fen (%s) %s", amount, paidType, d.TransactionID))
	s.setState(o, now, StateDone, "", why)
	if paidType != PaidTypeNewton {
		return nil
	}
	return s.notifyOrder(tx, o, now, "PAYSCORE.USER_PAID", "支付成功")
}

// charge records the WeChat Pay transaction a collection produced: the
// charge that refunds name by transaction_id.
func (s *Service) charge(tx store.WriteTxn, o *store.Order, amount int64, now time.Time) (*store.Transaction, error) {
	t := &store.Transaction{
		TransactionID: s.NewTransactionID(now),
		MchID:         o.MchID,
		OutTradeNo:    s.ids.Digits(32),
		OrderKind:     o.Kind,
		OutOrderNo:    o.OutOrderNo,
		OpenID:        o.OpenID,
		Amount:        amount,
		PaidAt:        now,
	}
	return t, tx.InsertTransaction(t)
}

// notifyOrder enqueues a callback about o to its notify_url.
func (s *Service) notifyOrder(tx store.WriteTxn, o *store.Order, now time.Time, eventType, summary string) error {
	m, err := tx.Merchant(o.MchID)
	if err != nil {
		return err
	}
	n, err := s.notifier.Enqueue(tx, notify.Event{
		MchID: o.MchID, APIv3Key: m.APIv3Key, EventType: eventType, Summary: summary, NotifyURL: o.NotifyURL,
		OriginalType: "payscore", Resource: View(o), OrderKind: o.Kind, OutOrderNo: o.OutOrderNo, OpenID: o.OpenID,
		Schedule: notify.PayScoreSchedule,
	})
	if err != nil {
		return err
	}
	s.note(o, now, EventNotification, eventType+" queued as "+n.ID)
	return nil
}

// ModifyOrder lowers the amount of a completed, unpaid order (POST
// .../{out_order_no}/modify).
func (s *Service) ModifyOrder(m *store.Merchant, outOrderNo string, req *ModifyRequest) (Order, error) {
	c := newCheck(apierr.LocBody)
	c.reqStr("/appid", req.AppID, 32)
	c.reqStr("/service_id", req.ServiceID, 32)
	c.payments(req.PostPayments, true)
	c.discounts(req.PostDiscounts, true)
	c.total(req.TotalAmount, req.PostPayments, req.PostDiscounts)
	c.reqStr("/reason", req.Reason, 50)
	c.device(req.Device)
	checkMerchant(m, req.AppID, req.ServiceID, c)
	if err := c.result(); err != nil {
		return Order{}, err
	}
	o, err := s.change(m.MchID, store.KindServiceOrder, outOrderNo, OpModify, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		c := newCheck(apierr.LocBody)
		sameOrderRef(o, req.AppID, req.ServiceID, c)
		total := *req.TotalAmount
		if total > o.CompletedAmount {
			c.rule("/total_amount", "修改后的金额不能大于完结订单时的金额",
				fmt.Sprintf("total_amount %d exceeds the %d set at completion; modify can only lower it", total, o.CompletedAmount), total)
		}
		if err := c.result(); err != nil {
			return err
		}
		o.PostPayments, o.PostDiscounts = toPayments(req.PostPayments), toDiscounts(req.PostDiscounts)
		if d := toDevice(req.Device); d != nil {
			o.Device = d
		}
		s.note(o, now, EventAPI, fmt.Sprintf("amount modified from %d to %d fen: %s", o.TotalAmount, total, req.Reason))
		o.TotalAmount = total
		o.Collection.TotalAmount = total
		o.Collection.PayingAmount = total - o.Collection.PaidAmount
		if o.Collection.PayingAmount == 0 {
			o.Collection.State = CollectionPaid
			s.setState(o, now, StateDone, "", "modified to nothing more to collect")
		}
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	v := View(o)
	v.OpenID = ""
	return v, nil
}

// PayOrder asks WeChat Pay to try the deduction again (POST
// .../{out_order_no}/pay, 催收). The outcome is asynchronous.
func (s *Service) PayOrder(m *store.Merchant, outOrderNo string, req *PayRequest) (OrderIDs, error) {
	c := newCheck(apierr.LocBody)
	c.reqStr("/appid", req.AppID, 32)
	c.reqStr("/service_id", req.ServiceID, 32)
	checkMerchant(m, req.AppID, req.ServiceID, c)
	if err := c.result(); err != nil {
		return OrderIDs{}, err
	}
	o, err := s.change(m.MchID, store.KindServiceOrder, outOrderNo, OpPay, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		c := newCheck(apierr.LocBody)
		sameOrderRef(o, req.AppID, req.ServiceID, c)
		if err := c.result(); err != nil {
			return err
		}
		s.note(o, now, EventAPI, "the merchant asked for a deduction (pay)")
		s.scheduleDeduction(tx, o, now, s.deductionDelay, "after a pay call")
		return nil
	})
	if err != nil {
		return OrderIDs{}, err
	}
	return IDs(o), nil
}

// SyncOrder records that the user paid through the merchant's own channel
// (POST .../{out_order_no}/sync, type Order_Paid).
func (s *Service) SyncOrder(m *store.Merchant, outOrderNo string, req *SyncRequest) (Order, error) {
	paid, err := checkSync(m, req)
	if err != nil {
		return Order{}, err
	}
	o, err := s.change(m.MchID, store.KindServiceOrder, outOrderNo, OpSync, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		c := newCheck(apierr.LocBody)
		sameOrderRef(o, req.AppID, req.ServiceID, c)
		late := paid.t.After(now)
		early := !paid.t.After(o.CompletedAt)
		if paid.dateOnly {
			late, early = paid.t.After(day(now)), paid.t.Before(day(o.CompletedAt))
		}
		switch {
		case late:
			c.rule("/detail/paid_time", "支付时间不能晚于当前时间", "paid_time must not be after the sync call", req.Detail.PaidTime)
		case early:
			c.rule("/detail/paid_time", "支付时间需晚于完结订单时间", "paid_time must be after the order's completion", req.Detail.PaidTime)
		}
		if err := c.result(); err != nil {
			return err
		}
		return s.collect(tx, o, now, PaidTypeMch, paid.t, "paid through the merchant's channel (sync Order_Paid)")
	})
	if err != nil {
		return Order{}, err
	}
	return View(o), nil
}

// checkSync checks a sync body of either API and returns its paid_time;
// the rules that compare it with the order's times are each API's own.
func checkSync(m *store.Merchant, req *SyncRequest) (serviceTime, error) {
	c := newCheck(apierr.LocBody)
	c.reqStr("/appid", req.AppID, 32)
	c.reqStr("/service_id", req.ServiceID, 32)
	if c.required("/type", req.Type != "") {
		c.enum("/type", req.Type, "Order_Paid")
	}
	var paid serviceTime
	if c.required("/detail", req.Detail != nil) && c.required("/detail/paid_time", req.Detail.PaidTime != "") {
		paid, _ = c.parseTime("/detail/paid_time", req.Detail.PaidTime, false)
	}
	checkMerchant(m, req.AppID, req.ServiceID, c)
	return paid, c.result()
}

// DirectCompleteOrder creates and completes an order in one call (POST
// /v3/payscore/serviceorder/direct-complete); the user must have authorised
// the service.
func (s *Service) DirectCompleteOrder(m *store.Merchant, req *DirectCompleteRequest) (Order, error) {
	now := s.clock.Now()
	c := newCheck(apierr.LocBody)
	c.reqStr("/out_order_no", req.OutOrderNo, 32)
	c.pattern("/out_order_no", req.OutOrderNo, reOutOrderNo, "1 to 32 of [0-9A-Za-z_-|*]")
	c.reqStr("/appid", req.AppID, 32)
	c.reqStr("/service_id", req.ServiceID, 32)
	c.reqStr("/openid", req.OpenID, 128)
	c.reqStr("/service_introduction", req.ServiceIntroduction, 20)
	c.payments(req.PostPayments, true)
	c.discounts(req.PostDiscounts, true)
	var start, end serviceTime
	if c.required("/time_range", req.TimeRange != nil) {
		tr := req.TimeRange
		c.str("/time_range/start_time_remark", tr.StartTimeRemark, 20)
		c.str("/time_range/end_time_remark", tr.EndTimeRemark, 20)
		if c.required("/time_range/start_time", tr.StartTime != "") {
			start, _ = c.parseTime("/time_range/start_time", tr.StartTime, false)
		}
		if c.required("/time_range/end_time", tr.EndTime != "") {
			end, _ = c.parseTime("/time_range/end_time", tr.EndTime, false)
		}
	}
	c.location(req.Location)
	c.total(req.TotalAmount, req.PostPayments, req.PostDiscounts)
	c.str("/goods_tag", req.GoodsTag, 32)
	c.str("/attach", req.Attach, 256)
	c.notifyURL("/notify_url", req.NotifyURL)
	checkMerchant(m, req.AppID, req.ServiceID, c)
	if !c.failed() {
		switch {
		case !start.dateOnly && !start.t.Before(now), start.dateOnly && start.t.After(day(now)):
			c.rule("/time_range/start_time", "服务开始时间需早于当前时间", "start_time must be before the call", req.TimeRange.StartTime)
		case end.dateOnly != start.dateOnly:
			c.rule("/time_range/end_time", "服务结束时间格式需与开始时间一致", "end_time must use the same format as start_time", req.TimeRange.EndTime)
		case !end.dateOnly && (!end.t.After(start.t) || end.t.After(now)), end.dateOnly && (end.t.Before(start.t) || end.t.After(day(now))):
			c.rule("/time_range/end_time", "服务结束时间需晚于开始时间且不晚于当前时间", "end_time must be after start_time and not after the call", req.TimeRange.EndTime)
		case *req.TotalAmount > m.RiskFundCap:
			c.rule("/total_amount", "订单金额超过服务允许的最大值", fmt.Sprintf("total_amount %d exceeds the service's risk cap %d", *req.TotalAmount, m.RiskFundCap), *req.TotalAmount)
		case *req.TotalAmount > 0 && req.NotifyURL == "":
			c.required("/notify_url", false)
		}
	}
	if err := c.result(); err != nil {
		return Order{}, err
	}
	dg := digest(req)

	tx := s.store.Write()
	defer tx.Abort()
	if o, err := tx.Order(m.MchID, store.KindServiceOrder, req.OutOrderNo); err == nil {
		if o.CreateDigest != dg {
			return Order{}, errSameNumberOtherParams(req.OutOrderNo)
		}
		return directCompleteView(o), nil
	}
	if err := requireAuthorization(tx.ReadTxn, m.MchID, req.ServiceID, req.OpenID); err != nil {
		return Order{}, err
	}
	o := &store.Order{
		Kind:                store.KindServiceOrder,
		MchID:               m.MchID,
		OutOrderNo:          req.OutOrderNo,
		OrderID:             s.newOrderID(now),
		AppID:               req.AppID,
		ServiceID:           req.ServiceID,
		OpenID:              req.OpenID,
		ServiceIntroduction: req.ServiceIntroduction,
		PostPayments:        toPayments(req.PostPayments),
		PostDiscounts:       toDiscounts(req.PostDiscounts),
		TimeRange:           toTimeRange(req.TimeRange),
		Location:            toLocation(req.Location),
		Attach:              req.Attach,
		NotifyURL:           req.NotifyURL,
		CreateDigest:        dg,
		AcceptedAt:          now,
		CreatedAt:           now,
		UpdatedAt:           now,
		State:               StateDoing,
		StateDescription:    DescUserConfirm,
	}
	if req.ProfitSharing != nil {
		o.ProfitSharing = *req.ProfitSharing
	}
	o.GoodsTag = req.GoodsTag
	s.note(o, now, EventState, "created by direct-complete")
	s.complete(tx, o, *req.TotalAmount, now)
	if err := tx.PutOrder(o); err != nil {
		return Order{}, err
	}
	tx.Commit()
	return directCompleteView(o), nil
}

// directCompleteView is what direct-complete answers.
func directCompleteView(o *store.Order) Order {
	v := View(o)
	v.OpenID, v.RiskFund, v.NeedCollection, v.Collection = "", nil, nil, nil
	return v
}

// ConfirmOrder is the user confirming a CREATED order in the Pay Score
// mini-program (sandbox). openid names the user when the order does not.
func (s *Service) ConfirmOrder(mchid, outOrderNo, openid string) error {
	_, err := s.change(mchid, store.KindServiceOrder, outOrderNo, OpConfirm, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		if err := s.bindUser(o, openid); err != nil {
			return err
		}
		if err := s.userRefusesConfirm(o); err != nil {
			return err
		}
		o.AcceptedAt = now
		s.setState(o, now, StateDoing, DescUserConfirm, "the user confirmed in WeChat")
		s.userStarted(tx, o, now)
		return s.notifyOrder(tx, o, now, "PAYSCORE.USER_CONFIRM", "确认订单")
	})
	return err
}

// bindUser sets the user who confirms an order: the one it was created
// for, the one the sandbox names, or a stable default.
func (s *Service) bindUser(o *store.Order, openid string) error {
	switch {
	case o.OpenID != "" && openid != "" && openid != o.OpenID:
		return apierr.Newf(apierr.Conflict, "the order belongs to user %s, not %s", o.OpenID, openid)
	case o.OpenID == "" && openid != "":
		o.OpenID = openid
	case o.OpenID == "":
		o.OpenID = defaultOpenID(o.OrderID)
	}
	return nil
}

// UserPayOrder is the user paying what is outstanding in WeChat (sandbox),
// with whatever means they choose: it succeeds whatever the wallet holds.
func (s *Service) UserPayOrder(mchid, outOrderNo string) error {
	_, err := s.change(mchid, store.KindServiceOrder, outOrderNo, OpUserPay, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		return s.collect(tx, o, now, PaidTypeNewton, now, "the user paid in WeChat")
	})
	return err
}

// expire ends a CREATED order that was never confirmed (30 days for a
// service order, an hour for a payafter order).
func (s *Service) expire(key orderKey) {
	_, err := s.change(key.mchid, key.kind, key.outOrderNo, OpExpire, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		s.setState(o, now, StateExpired, "", "never confirmed")
		return nil
	})
	if err != nil && !isStateRefusal(err) {
		s.log.Error("expiry", "order", key.String(), "err", err)
	}
}
