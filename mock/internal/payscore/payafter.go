package payscore

import (
	"fmt"
	"time"

	"github.com/mockpay/mockpay/mock/internal/event"
	"github.com/mockpay/mockpay/mock/internal/payscore/rules"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// The legacy 先享后付 API, /v3/payscore/payafter-orders (protocol.md §5):
// the 2019 predecessor of service orders, with fees, risk_amount and the
// finish_ticket that completion needs.

// PayAfterExpiry is how long a CREATED payafter order lives unchanged.
const PayAfterExpiry = time.Hour

// CreatePayAfter creates a legacy payafter order; serial is the request's
// Wechatpay-Serial, naming the key its sensitive fields are encrypted for.
// A 免确认 order (need_user_confirm=false) for an authorised user is
// accepted at once: its finish_ticket can be queried right away, and
// PAYSCORE.USER_ACCEPTED fires.
func (s *Service) CreatePayAfter(who store.Caller, req *wire.CreatePayAfterRequest, serial string) (wire.CreatePayAfterResponse, error) {
	now := s.clock.Now()
	if err := rules.CreatePayAfter(req, who.Merchant, now, serial, s.decrypt); err != nil {
		return wire.CreatePayAfterResponse{}, err
	}
	needConfirm := req.NeedsConfirmation()
	c := creation{
		kind: store.KindPayAfter, outOrderNo: req.OutOrderNo, request: req, serviceID: req.ServiceID,
		build: func(o *store.Order) {
			o.AppID, o.ServiceID, o.OpenID, o.ServiceIntroduction = req.AppID, req.ServiceID, req.OpenID, req.ServiceIntroduction
			o.NeedUserConfirm, o.RiskFund = needConfirm, store.RiskFund{Amount: *req.RiskAmount}
			o.TimeRange = store.TimeRange{StartTime: req.ServiceStartTime, EndTime: req.ServiceEndTime}
			o.Location = wire.StoredLocation(&wire.Location{StartLocation: req.ServiceStartLocation, EndLocation: req.ServiceEndLocation})
			o.Attach, o.PayAfter = req.Attach, &store.PayAfter{}
			o.PostPayments, o.PostDiscounts = wire.StoredFees(req.Fees), wire.StoredPayAfterDiscounts(req.Discounts)
		},
		start: func(tx store.WriteTxn, o *store.Order, now time.Time) error {
			o.State = store.StateCreated
			s.note(o, now, timelineState, "created: CREATED")
			if needConfirm {
				s.awaitUser(tx, o, now)
				return nil
			}
			return s.accept(tx, o, now, "免确认: the user's authorization is AVAILABLE")
		},
	}
	if !needConfirm {
		c.authorized = store.UserRef{OpenID: req.OpenID}
	}
	o, err := s.create(who, now, c)
	if err != nil {
		return wire.CreatePayAfterResponse{}, err
	}
	return wire.PayAfterCreated(o), nil
}

// accept moves a payafter order to USER_ACCEPTED, which issues its first
// finish_ticket, and fires PAYSCORE.USER_ACCEPTED carrying it.
func (s *Service) accept(tx store.WriteTxn, o *store.Order, now time.Time, why string) error {
	o.AcceptedAt = now
	s.setState(o, now, store.StateUserAccepted, "", why)
	s.userStarted(tx, o, now)
	return s.notify(tx, o, now, event.UserAccepted)
}

// QueryPayAfter returns a payafter order (GET /v3/payscore/payafter-orders).
func (s *Service) QueryPayAfter(who store.Caller, q wire.OrderQuery) (wire.PayAfterOrder, error) {
	o, err := s.queryOrder(who, store.KindPayAfter, q)
	if err != nil {
		return wire.PayAfterOrder{}, err
	}
	return wire.PayAfterView(o, s.clock.Now()), nil
}

// ConfirmPayAfter is the user accepting a CREATED payafter order (sandbox).
func (s *Service) ConfirmPayAfter(a store.Account, outOrderNo, openid string) error {
	_, err := s.change(a, store.KindPayAfter, outOrderNo, OpConfirm, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		if err := s.bindUser(o, openid); err != nil {
			return err
		}
		if err := s.userRefusesConfirm(o); err != nil {
			return err
		}
		return s.accept(tx, o, now, "the user accepted in WeChat")
	})
	return err
}

// CancelPayAfter revokes a payafter order the user has not been charged for.
func (s *Service) CancelPayAfter(who store.Caller, outOrderNo string, req *wire.CancelRequest) (wire.OrderIDs, error) {
	return s.cancel(who, store.KindPayAfter, outOrderNo, req)
}

// CompletePayAfter finishes a USER_ACCEPTED order with a finish_ticket it
// issued: finish_type 2 charges total_amount (after the deduction delay),
// finish_type 1 records that the service was not used.
func (s *Service) CompletePayAfter(who store.Caller, outOrderNo string, req *wire.CompletePayAfterRequest) (wire.OrderIDs, error) {
	times, err := rules.CompletePayAfter(req, who.Merchant)
	if err != nil {
		return wire.OrderIDs{}, err
	}
	o, err := s.change(who.Account(), store.KindPayAfter, outOrderNo, OpComplete, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		if err := rules.CompletePayAfterOrder(req, times, o, now); err != nil {
			return err
		}
		p := o.PayAfter
		p.FinishType, p.CancelReason = *req.FinishType, req.CancelReason
		p.RealStartTime, p.RealEndTime = req.RealServiceStartTime, req.RealServiceEndTime
		p.RealEndLocation = req.RealServiceEndLocation
		if o.Location != nil {
			p.RealStartLocation = o.Location.StartLocation
		}
		o.CompletedAt, o.Completed = now, true
		if *req.FinishType == wire.FinishTypeCancel {
			s.setState(o, now, store.StateRevoked, "", "finished as not used: "+req.CancelReason)
			return nil
		}
		o.PostPayments, o.PostDiscounts = wire.StoredFees(req.Fees), wire.StoredPayAfterDiscounts(req.Discounts)
		o.TotalAmount, o.CompletedAmount = *req.TotalAmount, *req.TotalAmount
		if o.TotalAmount == 0 {
			p.PaySuccTime = now
			s.setState(o, now, store.StateUserPaid, "", "finished with nothing to charge")
			return nil
		}
		s.setState(o, now, store.StateFinished, "", fmt.Sprintf("finished by the merchant, %d fen to charge", o.TotalAmount))
		s.scheduleDeduction(tx, o, now, s.deductionDelay, "after completion")
		return nil
	})
	if err != nil {
		return wire.OrderIDs{}, err
	}
	return wire.IDs(o), nil
}

// payAfterPaid records the charge of a payafter order and fires the paid
// callback.
func (s *Service) payAfterPaid(tx store.WriteTxn, o *store.Order, now time.Time, why string) error {
	t, err := s.charge(tx, o, o.TotalAmount, now)
	if err != nil {
		return err
	}
	o.PayAfter.FinishTransactionID, o.PayAfter.PaySuccTime = t.TransactionID, now
	s.note(o, now, timelineDeduction, fmt.Sprintf("collected %d fen %s", o.TotalAmount, t.TransactionID))
	s.setState(o, now, store.StateUserPaid, "", why)
	return s.notify(tx, o, now, event.UserPaid)
}

// SyncPayAfter records that the user paid through the merchant's channel.
func (s *Service) SyncPayAfter(who store.Caller, outOrderNo string, req *wire.SyncRequest) (wire.PayAfterSyncResponse, error) {
	o, err := s.sync(who, store.KindPayAfter, outOrderNo, req, func(tx store.WriteTxn, o *store.Order, paid, now time.Time) error {
		o.PayAfter.PayType, o.PayAfter.PaySuccTime = wire.PayTypeMchChannel, paid
		s.setState(o, now, store.StateUserPaid, "", "paid through the merchant's channel (sync Order_Paid)")
		return nil
	})
	if err != nil {
		return wire.PayAfterSyncResponse{}, err
	}
	return wire.PayAfterSynced(o), nil
}

// UserPayPayAfter is the user paying a FINISHED order in WeChat (sandbox).
func (s *Service) UserPayPayAfter(a store.Account, outOrderNo string) error {
	_, err := s.change(a, store.KindPayAfter, outOrderNo, OpUserPay, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		return s.payAfterPaid(tx, o, now, "the user paid in WeChat")
	})
	return err
}
