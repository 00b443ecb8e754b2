package payscore

import (
	"errors"
	"fmt"
	"time"

	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/event"
	"github.com/mockpay/mockpay/mock/internal/payscore/callback"
	"github.com/mockpay/mockpay/mock/internal/payscore/rules"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The service-order API (protocol.md §4): what each call does to an order.

// CreateOrder creates a service order (POST /v3/payscore/serviceorder, or
// a service provider's for its sub-merchant). A retry with identical
// parameters returns the order; the same out_order_no with other
// parameters is refused.
func (s *Service) CreateOrder(who store.Caller, req *wire.CreateOrderRequest) (wire.Order, error) {
	now := s.clock.Now()
	if err := rules.CreateOrder(req, who, now); err != nil {
		return wire.Order{}, err
	}
	needConfirm := req.NeedsConfirmation()
	c := creation{
		kind: store.KindServiceOrder, outOrderNo: req.OutOrderNo, request: req, serviceID: req.ServiceID,
		build: func(o *store.Order) {
			o.AppID, o.ServiceID, o.OpenID = req.AppID, req.ServiceID, req.OpenID
			o.SubAppID, o.SubOpenID = req.SubAppID, req.SubOpenID
			o.ServiceIntroduction, o.NeedUserConfirm = req.ServiceIntroduction, needConfirm
			o.PostPayments, o.PostDiscounts = wire.StoredPayments(req.PostPayments), wire.StoredDiscounts(req.PostDiscounts)
			o.RiskFund = store.RiskFund{Name: req.RiskFund.Name, Amount: *req.RiskFund.Amount, Description: req.RiskFund.Description}
			o.TimeRange, o.Location, o.Device = wire.StoredTimeRange(req.TimeRange), wire.StoredLocation(req.Location), wire.StoredDevice(req.Device)
			o.Attach, o.NotifyURL = req.Attach, req.NotifyURL
		},
		start: func(tx store.WriteTxn, o *store.Order, now time.Time) error {
			if needConfirm {
				o.State = store.StateCreated
				s.note(o, now, timelineState, "created: CREATED, waiting for the user to confirm")
				s.awaitUser(tx, o, now)
				return nil
			}
			o.State, o.StateDescription, o.AcceptedAt = store.StateDoing, store.DescUserConfirm, now
			s.note(o, now, timelineState, "created: DOING/USER_CONFIRM (免确认, the user's authorization is AVAILABLE)")
			s.userStarted(tx, o, now)
			return nil
		},
	}
	if !needConfirm {
		c.authorized = req.User()
	}
	o, err := s.create(who, now, c)
	if err != nil {
		return wire.Order{}, err
	}
	return wire.CreateView(o), nil
}

// awaitUser arms what a CREATED order waits for: its expiry, and a
// scenario's user who confirms it later.
func (s *Service) awaitUser(tx store.WriteTxn, o *store.Order, now time.Time) {
	job := s.expiryJob(o)
	clock.Later(tx, s.clock, job)
	s.userCreated(tx, o, now)
}

// QueryOrder returns an order (GET /v3/payscore/serviceorder).
func (s *Service) QueryOrder(who store.Caller, q wire.OrderQuery) (wire.Order, error) {
	o, err := s.queryOrder(who, store.KindServiceOrder, q)
	if err != nil {
		return wire.Order{}, err
	}
	return wire.View(o), nil
}

// queryOrder finds the order a query names, for either order API; a
// partner's query names no appid.
func (s *Service) queryOrder(who store.Caller, kind store.Kind, q wire.OrderQuery) (*store.Order, error) {
	if err := rules.Query(q, who); err != nil {
		return nil, err
	}
	tx := s.store.Read()
	param, value, find := "out_order_no", q.OutOrderNo, tx.Order
	if q.OutOrderNo == "" {
		param, value, find = "query_id", q.QueryID, tx.OrderByQueryID
	}
	o, err := find(who.Account(), kind, value)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errOrderNotExist(param, value, apierr.LocQuery)
	case err != nil:
		return nil, err
	case o.ServiceID != q.ServiceID || who.Sub == nil && o.AppID != q.AppID:
		return nil, errOrderNotExist(param, value, apierr.LocQuery)
	}
	return o, nil
}

// CancelOrder cancels an order (POST .../{out_order_no}/cancel). An
// identical retry of a successful cancel succeeds again.
func (s *Service) CancelOrder(who store.Caller, outOrderNo string, req *wire.CancelRequest) (wire.OrderIDs, error) {
	return s.cancel(who, store.KindServiceOrder, outOrderNo, req)
}

// cancel revokes an order of either API; the state machine decides from
// which states. An identical retry of a successful cancel succeeds again
// (原参重入).
func (s *Service) cancel(who store.Caller, kind store.Kind, outOrderNo string, req *wire.CancelRequest) (wire.OrderIDs, error) {
	if err := rules.Cancel(req, who, kind); err != nil {
		return wire.OrderIDs{}, err
	}
	o, err := s.change(who.Account(), kind, outOrderNo, OpCancel, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		if err := rules.SameOrder(o, who, req.AppID, req.ServiceID); err != nil {
			return err
		}
		if c := o.Collection; c != nil {
			// A revoked order collects nothing more. Nothing of it can have
			// been paid: a payment collects all that is owed and ends the
			// order, which cannot be cancelled then.
			if c.PaidAmount != 0 {
				return fmt.Errorf("cancel %s/%s: its collection has %d fen paid", o.Account(), o.OutOrderNo, c.PaidAmount)
			}
			o.Collection = nil
		}
		o.CancelReason = req.Reason
		s.setState(o, now, store.StateRevoked, "", "cancelled by the merchant: "+req.Reason)
		return nil
	})
	if err != nil {
		if o != nil && o.State == store.StateRevoked && o.CancelReason == req.Reason && rules.SameOrder(o, who, req.AppID, req.ServiceID) == nil {
			return wire.IDs(o), nil
		}
		return wire.OrderIDs{}, err
	}
	return wire.IDs(o), nil
}

// CompleteOrder completes an order with the final amount (POST
// .../{out_order_no}/complete). A positive amount leaves it DOING /
// MCH_COMPLETE with the collection USER_PAYING and schedules the deduction;
// zero finishes it.
func (s *Service) CompleteOrder(who store.Caller, outOrderNo string, req *wire.CompleteRequest) (wire.Order, error) {
	if err := rules.Complete(req, who); err != nil {
		return wire.Order{}, err
	}
	o, err := s.change(who.Account(), store.KindServiceOrder, outOrderNo, OpComplete, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		tr, err := rules.CompleteOrder(req, o, who, now)
		if err != nil {
			return err
		}
		o.PostPayments, o.PostDiscounts = wire.StoredPayments(req.PostPayments), wire.StoredDiscounts(req.PostDiscounts)
		o.TimeRange = tr
		if req.Location != nil && req.Location.EndLocation != "" {
			o.Location.EndLocation = req.Location.EndLocation
		}
		if req.ProfitSharing != nil {
			o.ProfitSharing = *req.ProfitSharing
		}
		o.GoodsTag = req.GoodsTag
		if d := wire.StoredDevice(req.Device); d != nil {
			o.Device = d
		}
		s.complete(tx, o, *req.TotalAmount, now)
		return nil
	})
	if err != nil {
		return wire.Order{}, err
	}
	return wire.CompleteView(o), nil
}

// complete records the completion amount: a positive one starts the
// collection and schedules WeChat Pay's deduction; zero finishes the order.
func (s *Service) complete(tx store.WriteTxn, o *store.Order, total int64, now time.Time) {
	o.TotalAmount, o.CompletedAmount, o.Completed, o.CompletedAt = total, total, true, now
	if total == 0 {
		s.setState(o, now, store.StateDone, "", "completed with nothing to collect")
		return
	}
	o.Collection = &store.Collection{State: store.CollectionPaying, TotalAmount: total, PayingAmount: total}
	s.setState(o, now, store.StateDoing, store.DescMchComplete, fmt.Sprintf("completed by the merchant, %d fen to collect", total))
	s.scheduleDeduction(tx, o, now, s.deductionDelay, "after completion")
}

// ModifyOrder lowers the amount of a completed, unpaid order (POST
// .../{out_order_no}/modify).
func (s *Service) ModifyOrder(who store.Caller, outOrderNo string, req *wire.ModifyRequest) (wire.Order, error) {
	if err := rules.Modify(req, who); err != nil {
		return wire.Order{}, err
	}
	o, err := s.change(who.Account(), store.KindServiceOrder, outOrderNo, OpModify, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		if err := rules.ModifyOrder(req, o, who); err != nil {
			return err
		}
		total := *req.TotalAmount
		o.PostPayments, o.PostDiscounts = wire.StoredPayments(req.PostPayments), wire.StoredDiscounts(req.PostDiscounts)
		if d := wire.StoredDevice(req.Device); d != nil {
			o.Device = d
		}
		s.note(o, now, timelineAPI, fmt.Sprintf("amount modified from %d to %d fen: %s", o.TotalAmount, total, req.Reason))
		o.TotalAmount = total
		o.Collection.TotalAmount = total
		o.Collection.PayingAmount = total - o.Collection.PaidAmount
		if o.Collection.PayingAmount == 0 {
			o.Collection.State = store.CollectionPaid
			s.setState(o, now, store.StateDone, "", "modified to nothing more to collect")
		}
		return nil
	})
	if err != nil {
		return wire.Order{}, err
	}
	return wire.ModifyView(o), nil
}

// PayOrder asks WeChat Pay to try the deduction again (POST
// .../{out_order_no}/pay, 催收). The outcome is asynchronous.
func (s *Service) PayOrder(who store.Caller, outOrderNo string, req *wire.PayRequest) (wire.OrderIDs, error) {
	if err := rules.Pay(req, who); err != nil {
		return wire.OrderIDs{}, err
	}
	o, err := s.change(who.Account(), store.KindServiceOrder, outOrderNo, OpPay, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		if err := rules.SameOrder(o, who, req.AppID, req.ServiceID); err != nil {
			return err
		}
		s.note(o, now, timelineAPI, "the merchant asked for a deduction (pay)")
		s.scheduleDeduction(tx, o, now, s.deductionDelay, "after a pay call")
		return nil
	})
	if err != nil {
		return wire.OrderIDs{}, err
	}
	return wire.IDs(o), nil
}

// SyncOrder records that the user paid through the merchant's own channel
// (POST .../{out_order_no}/sync, type Order_Paid).
func (s *Service) SyncOrder(who store.Caller, outOrderNo string, req *wire.SyncRequest) (wire.Order, error) {
	o, err := s.sync(who, store.KindServiceOrder, outOrderNo, req, func(tx store.WriteTxn, o *store.Order, paid, now time.Time) error {
		return s.collect(tx, o, now, store.PaidMch, paid, "paid through the merchant's channel (sync Order_Paid)")
	})
	if err != nil {
		return wire.Order{}, err
	}
	return wire.View(o), nil
}

// sync checks a sync of either order API and records the payment with paid.
func (s *Service) sync(who store.Caller, kind store.Kind, outOrderNo string, req *wire.SyncRequest, paid func(tx store.WriteTxn, o *store.Order, at, now time.Time) error) (*store.Order, error) {
	at, err := rules.Sync(req, who)
	if err != nil {
		return nil, err
	}
	return s.change(who.Account(), kind, outOrderNo, OpSync, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		if err := rules.SyncOrder(req, at, o, who, now); err != nil {
			return err
		}
		return paid(tx, o, at.At, now)
	})
}

// DirectCompleteOrder creates and completes an order in one call (POST
// /v3/payscore/serviceorder/direct-complete); the user must have authorised
// the service.
func (s *Service) DirectCompleteOrder(who store.Caller, req *wire.DirectCompleteRequest) (wire.Order, error) {
	now := s.clock.Now()
	if err := rules.DirectComplete(req, who, now); err != nil {
		return wire.Order{}, err
	}
	o, err := s.create(who, now, creation{
		kind: store.KindServiceOrder, outOrderNo: req.OutOrderNo, request: req,
		authorized: store.UserRef{OpenID: req.OpenID}, serviceID: req.ServiceID,
		build: func(o *store.Order) {
			o.AppID, o.ServiceID, o.OpenID, o.ServiceIntroduction = req.AppID, req.ServiceID, req.OpenID, req.ServiceIntroduction
			o.SubAppID = req.SubAppID
			o.PostPayments, o.PostDiscounts = wire.StoredPayments(req.PostPayments), wire.StoredDiscounts(req.PostDiscounts)
			o.TimeRange, o.Location = wire.StoredTimeRange(req.TimeRange), wire.StoredLocation(req.Location)
			o.Attach, o.NotifyURL, o.GoodsTag = req.Attach, req.NotifyURL, req.GoodsTag
			if req.ProfitSharing != nil {
				o.ProfitSharing = *req.ProfitSharing
			}
		},
		start: func(tx store.WriteTxn, o *store.Order, now time.Time) error {
			o.State, o.StateDescription, o.AcceptedAt = store.StateDoing, store.DescUserConfirm, now
			s.note(o, now, timelineState, "created by direct-complete")
			s.complete(tx, o, *req.TotalAmount, now)
			return nil
		},
	})
	if err != nil {
		return wire.Order{}, err
	}
	return wire.DirectCompleteView(o), nil
}

// ConfirmOrder is the user confirming a CREATED order in the Pay Score
// mini-program (sandbox). openid names the user when the order does not.
func (s *Service) ConfirmOrder(a store.Account, outOrderNo, openid string) error {
	_, err := s.change(a, store.KindServiceOrder, outOrderNo, OpConfirm, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		if err := s.bindUser(o, openid); err != nil {
			return err
		}
		if err := s.userRefusesConfirm(o); err != nil {
			return err
		}
		o.AcceptedAt = now
		s.setState(o, now, store.StateDoing, store.DescUserConfirm, "the user confirmed in WeChat")
		s.userStarted(tx, o, now)
		return s.notify(tx, o, now, event.UserConfirm)
	})
	return err
}

// UserPayOrder is the user paying what is outstanding in WeChat (sandbox),
// with whatever means they choose: it succeeds whatever the wallet holds.
func (s *Service) UserPayOrder(a store.Account, outOrderNo string) error {
	_, err := s.change(a, store.KindServiceOrder, outOrderNo, OpUserPay, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		return s.collect(tx, o, now, store.PaidNewton, now, "the user paid in WeChat")
	})
	return err
}

// collect records a payment of everything outstanding and finishes the
// order; a Pay Score (NEWTON) collection fires PAYSCORE.USER_PAID.
func (s *Service) collect(tx store.WriteTxn, o *store.Order, now time.Time, paidType store.PaidType, paidTime time.Time, why string) error {
	col := o.Collection
	amount := col.PayingAmount
	d := store.CollectionDetail{Seq: int64(len(col.Details) + 1), Amount: amount, PaidType: paidType, PaidTime: paidTime}
	if paidType == store.PaidNewton && amount > 0 {
		t, err := s.charge(tx, o, amount, now)
		if err != nil {
			return err
		}
		d.TransactionID = t.TransactionID
	}
	col.Details = append(col.Details, d)
	col.PaidAmount += amount
	col.PayingAmount = 0
	col.State = store.CollectionPaid
	s.note(o, now, timelineDeduction, fmt.Sprintf("collected %d fen (%s) %s", amount, paidType, d.TransactionID))
	s.setState(o, now, store.StateDone, "", why)
	if paidType != store.PaidNewton {
		return nil
	}
	return s.notify(tx, o, now, event.UserPaid)
}

// notify enqueues a callback about o of type t, assembled for o's API, and
// notes it on o's timeline.
func (s *Service) notify(tx store.WriteTxn, o *store.Order, now time.Time, t event.Type) error {
	m, err := tx.Merchant(o.MchID)
	if err != nil {
		return err
	}
	ev := callback.Order(o, m, t)
	if o.Kind == store.KindPayAfter {
		ev = callback.PayAfter(o, m, t, now)
	}
	n, err := s.notifier.Enqueue(tx, ev)
	if err != nil {
		return err
	}
	s.note(o, now, timelineNotification, fmt.Sprintf("%s queued as %s", t, n.ID))
	return nil
}
