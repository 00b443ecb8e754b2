package payscore

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// How an existing order changes, whichever API or actor changes it: one
// write transaction per change, checked against the state machine, noted
// on the order's timeline; and what WeChat Pay does on its own (deduct,
// expire).

// Timeline entry types.
const (
	timelineAPI          = "api"
	timelineState        = "state"
	timelineDeduction    = "deduction"
	timelineNotification = "notification"
	timelineUser         = "user"
)

// orderKey names an order for timers.
type orderKey struct {
	account    store.Account
	kind       store.Kind
	outOrderNo string
}

func keyOf(o *store.Order) orderKey { return orderKey{o.Account(), o.Kind, o.OutOrderNo} }

func (k orderKey) String() string { return k.account.String() + "/" + k.outOrderNo }

// change runs one state change of an order in one write transaction: load,
// check the state machine, apply, store, commit. apply works on a copy and
// may enqueue callbacks and defer timers in tx; if it fails nothing changes.
func (s *Service) change(a store.Account, kind store.Kind, outOrderNo string, op Op, apply func(tx store.WriteTxn, o *store.Order, now time.Time) error) (*store.Order, error) {
	tx := s.store.Write()
	defer tx.Abort()
	cur, err := loadOrder(tx.ReadTxn, a, kind, outOrderNo)
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
func (s *Service) setState(o *store.Order, now time.Time, state store.State, desc store.Description, why string) {
	from := stageName(o)
	o.State, o.StateDescription = state, desc
	s.note(o, now, timelineState, fmt.Sprintf("%s → %s (%s)", from, stageName(o), why))
}

// bindUser sets the user who confirms an order: the one it was created
// for, the one the sandbox names, or a stable default. On a partner order
// made under a sub_appid the user is known by sub_openid.
func (s *Service) bindUser(o *store.Order, openid string) error {
	switch {
	case o.User() != "" && openid != "" && openid != o.User():
		return apierr.Newf(apierr.Conflict, "the order belongs to user %s, not %s", o.User(), openid)
	case o.User() != "":
		return nil
	case openid == "":
		openid = defaultOpenID(o.OrderID)
	}
	if o.SubAppID != "" {
		o.SubOpenID = openid
	} else {
		o.OpenID = openid
	}
	return nil
}

// scheduleDeduction arranges a deduction attempt of o after delay, once tx
// commits, and records it on o.
func (s *Service) scheduleDeduction(tx store.WriteTxn, o *store.Order, now time.Time, delay time.Duration, why string) {
	due := store.DeductionDue{Due: s.store.DueIn(now, delay), Why: why}
	o.DeductionsDue = append(o.DeductionsDue, due)
	job := s.deductionJob(o, due)
	clock.Later(tx, s.clock, job)
}

// deduct is WeChat Pay's automatic deduction from the user's wallet, the
// attempt scheduled as seq. It collects what is outstanding if the wallet
// holds it; otherwise the order stays unpaid until a pay call, the user's
// payment or a sync.
func (s *Service) deduct(key orderKey, seq uint64) {
	_, err := s.change(key.account, key.kind, key.outOrderNo, OpDeduct, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
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
		return s.collect(tx, o, now, store.PaidNewton, now, "WeChat Pay deducted it from the user's wallet")
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
		s.note(o, now, timelineDeduction, fmt.Sprintf("deduction attempt %d of %d fen failed by %s", o.DeductionAttempts, owed, applied))
		if d := fx.RetryAfter.D(); d > 0 {
			s.scheduleDeduction(tx, o, now, d, "a retry by "+applied.String())
		}
		return false, nil
	}
	u, err := tx.User(o.User())
	if err != nil {
		return false, err
	}
	if u.Balance == nil {
		return true, nil
	}
	if *u.Balance < owed {
		s.note(o, now, timelineDeduction, fmt.Sprintf("deduction attempt %d of %d fen failed: the wallet of %s holds %d", o.DeductionAttempts, owed, o.User(), *u.Balance))
		return false, nil
	}
	left := *u.Balance - owed
	nu := *u
	nu.Balance = &left
	return true, tx.PutUser(&nu)
}

// charge records the WeChat Pay transaction a collection produced: the
// charge that refunds name by transaction_id.
func (s *Service) charge(tx store.WriteTxn, o *store.Order, amount int64, now time.Time) (*store.Transaction, error) {
	t := &store.Transaction{
		TransactionID: s.ids.TransactionID(now),
		MchID:         o.MchID,
		SubMchID:      o.SubMchID,
		OutTradeNo:    s.ids.Digits(32),
		OrderKind:     o.Kind,
		OutOrderNo:    o.OutOrderNo,
		OpenID:        o.User(),
		Amount:        amount,
		PaidAt:        now,
	}
	return t, tx.InsertTransaction(t)
}

// expire ends a CREATED order that was never confirmed (30 days for a
// service order, an hour for a payafter order).
func (s *Service) expire(key orderKey) {
	_, err := s.change(key.account, key.kind, key.outOrderNo, OpExpire, func(tx store.WriteTxn, o *store.Order, now time.Time) error {
		s.setState(o, now, store.StateExpired, "", "never confirmed")
		return nil
	})
	if err != nil && !isStateRefusal(err) {
		s.log.Error("expiry", "order", key.String(), "err", err)
	}
}

// subject is what scenarios match an order on.
func subject(o *store.Order) scenario.Subject {
	return scenario.Subject{MchID: o.MchID, SubMchID: o.SubMchID, OpenID: o.User(), OutOrderNo: o.OutOrderNo, ServiceID: o.ServiceID}
}

// isStateRefusal reports whether err is the state machine saying no: for
// timers, which find orders that moved on, that is not a failure.
func isStateRefusal(err error) bool {
	var ae *apierr.Error
	return errors.As(err, &ae) && ae.Detail != nil && ae.Detail.Field == "state"
}
