package parking

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/event"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// Deductions (扣费受理, protocol-parking.md §5, §6, §9.3): accepted at once
// (ACCEPTED), which consumes the entry, then attempted on the clock. An
// attempt is paid from the payer's sandbox wallet (SUCCESS) or fails for
// want of funds (PAY_FAIL), unless a scenario fails it, holds it, or has
// WeChat Pay advance the money (SUCCESS, bank_type BPA, user_repaid N)
// until the user repays (user_repaid Y, TRANSACTION.PAY_BACK).

// bankTypeWallet is the bank_type of a deduction the sandbox wallet paid:
// WeChat Pay's identifier of payments from the balance (零钱).
const bankTypeWallet = "OTHERS"

// payFailDescription is a failed deduction's trade_state_description, the
// reference's example.
const payFailDescription = "支付失败，请重新下单支付"

// CreateTransaction accepts a deduction for a parking entry (POST
// /v3/vehicle/transactions/parking). The checks go in the order of
// protocol-parking.md §14: the entry exists and is the plate's latest,
// then it is unconsumed and matches parking_info, then the times, then
// the appid linkage. A retry with identical parameters returns the
// transaction as it stands; the same out_trade_no with other parameters
// is refused.
func (s *Service) CreateTransaction(m *store.Merchant, req *CreateTransactionRequest) (Transaction, error) {
	if err := checkCreateTransaction(req, m); err != nil {
		return Transaction{}, err
	}
	dg := digest(req)
	tx := s.store.Write()
	defer tx.Abort()
	switch cur, err := tx.ParkingTransaction(m.MchID, req.SubMchID, req.OutTradeNo); {
	case err == nil && cur.CreateDigest == dg:
		return View(tx.ReadTxn, cur)
	case err == nil:
		return Transaction{}, apierr.New(apierr.InvalidRequest, "商户订单号重复").WithDetail(apierr.Detail{
			Field: "/out_trade_no", Value: req.OutTradeNo, Location: apierr.LocBody,
			Issue: "a deduction with this out_trade_no exists with other parameters; a retry must repeat them",
		})
	case !errors.Is(err, store.ErrNotFound):
		return Transaction{}, err
	}
	now := s.clock.Now()
	entry, err := entryFor(tx.ReadTxn, m, req, now)
	if err != nil {
		return Transaction{}, err
	}
	holder, err := tx.PlateHolder(entry.MchID, entry.SubMchID, entry.PlateNumber, entry.PlateColor)
	if err != nil {
		return Transaction{}, fmt.Errorf("entry %s is NORMAL with no holder: %w", entry.ID, err)
	}
	pi := req.ParkingInfo
	t := &store.ParkingTransaction{
		MchID: m.MchID, SubMchID: req.SubMchID, OutTradeNo: req.OutTradeNo, AppID: req.AppID, SubAppID: req.SubAppID,
		OpenID: holder.OpenID, Description: req.Description, Attach: req.Attach, GoodsTag: req.GoodsTag,
		NotifyURL: req.NotifyURL, ProfitSharing: req.ProfitSharing, Total: *req.Amount.Total, Currency: "CNY",
		ParkingID: pi.ParkingID, PlateNumber: pi.PlateNumber, PlateColor: pi.PlateColor, StartTime: pi.StartTime,
		EndTime: pi.EndTime, ParkingName: pi.ParkingName, ChargingDuration: *pi.ChargingDuration, DeviceID: pi.DeviceID,
		TradeState: store.TradeAccepted, CreateDigest: dg, CreatedAt: now, UpdatedAt: now,
	}
	if req.SubAppID != "" {
		// The sandbox knows a user by one openid, whatever the appid.
		t.SubOpenID = holder.OpenID
	}
	s.note(t, now, timelineState, fmt.Sprintf("accepted: ACCEPTED, %d fen to deduct from user %s for entry %s (%s)", t.Total, t.OpenID, entry.ID, entry.OutParkingNo))
	s.scheduleAttempt(tx, t, now, s.delay, "after acceptance", false)
	e := entry.Copy()
	e.Closed, e.OutTradeNo, e.UpdatedAt = store.ParkingDeducted, t.OutTradeNo, now
	if err := tx.PutParking(e); err != nil {
		return Transaction{}, err
	}
	if err := tx.PutParkingTransaction(t); err != nil {
		return Transaction{}, err
	}
	tx.Commit()
	return TransactionView(t, false), nil
}

// Answers to a deduction whose entry does not fit ([CM] official Q&A).
func errEntryNotExist(id, issue string) error {
	return apierr.New(apierr.InvalidRequest, "停车入场id不存在").WithDetail(apierr.Detail{
		Field: "/parking_info/parking_id", Value: id, Location: apierr.LocBody, Issue: issue,
	})
}

func errSceneMismatch(name string, value any, issue string) error {
	return apierr.New(apierr.InvalidRequest, "场景信息和停车入场id不匹配").WithDetail(apierr.Detail{
		Field: name, Value: value, Location: apierr.LocBody, Issue: issue,
	})
}

// errTime is the Q&A's PARAM_ERROR 参数错误 about the stay's times.
func errTime(name, issue, value string) error {
	return apierr.Param(apierr.LocBody, name, "参数错误", issue, value)
}

// errCannotDeduct is the Q&A's NO_AUTH 当前商户无法扣款: an appid (or
// sub_appid) not linked to the merchant (or sub-merchant).
func errCannotDeduct(name, value, issue string) error {
	return apierr.New(apierr.NoAuth, "当前商户无法扣款").WithDetail(apierr.Detail{
		Field: name, Value: value, Location: apierr.LocBody, Issue: issue,
	})
}

// entryFor finds the open entry a deduction pays for and checks the
// deduction against it, in the order of protocol-parking.md §14.
func entryFor(tx store.ReadTxn, m *store.Merchant, req *CreateTransactionRequest, now time.Time) (*store.Parking, error) {
	pi := req.ParkingInfo
	e, err := tx.ParkingByID(pi.ParkingID)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && e.MchID != m.MchID:
		return nil, errEntryNotExist(pi.ParkingID, "no entry of this merchant has this id: use the id the create entry call answered")
	case err != nil:
		return nil, err
	case e.SubMchID != req.SubMchID:
		return nil, errSceneMismatch("/sub_mchid", req.SubMchID, fmt.Sprintf("the entry was created under sub_mchid %q: a deduction must name the same", e.SubMchID))
	case e.Closed == store.ParkingSuperseded:
		return nil, errEntryNotExist(pi.ParkingID, "a newer entry of the plate replaced this one: only the plate's latest entry can be deducted")
	case e.Closed == store.ParkingDeducted:
		return nil, errSceneMismatch("/parking_info/parking_id", pi.ParkingID, fmt.Sprintf("a deduction (out_trade_no %s) was already accepted for this entry", e.OutTradeNo))
	case pi.PlateNumber != e.PlateNumber:
		return nil, errSceneMismatch("/parking_info/plate_number", pi.PlateNumber, "the entry is of plate "+e.PlateNumber)
	case pi.PlateColor != e.PlateColor:
		return nil, errSceneMismatch("/parking_info/plate_color", pi.PlateColor, "the entry is of a "+e.PlateColor+" plate")
	case pi.ParkingName != e.ParkingName:
		return nil, errSceneMismatch("/parking_info/parking_name", pi.ParkingName, "the entry is at "+e.ParkingName)
	}
	start, _ := time.Parse(time.RFC3339, pi.StartTime) // checked
	end, _ := time.Parse(time.RFC3339, pi.EndTime)
	switch {
	case !start.Equal(e.Start):
		return nil, errSceneMismatch("/parking_info/start_time", pi.StartTime, "the entry started at "+e.StartTime)
	case e.State == store.ParkingBlocked:
		return nil, apierr.New(apierr.InvalidRequest, "停车入场状态不可扣费").WithDetail(apierr.Detail{
			Field: "/parking_info/parking_id", Value: pi.ParkingID, Location: apierr.LocBody,
			Issue: fmt.Sprintf("the entry is BLOCKED (%s): Pay Score cannot pay for this stay; collect the fee another way", e.BlockReason),
		})
	case end.Equal(start):
		return nil, errTime("/parking_info/end_time", "end_time must differ from start_time", pi.EndTime)
	case end.Before(start):
		return nil, errTime("/parking_info/end_time", "end_time must be after start_time", pi.EndTime)
	case end.After(now):
		return nil, errTime("/parking_info/end_time", "end_time must not be later than the call (the mock clock's now)", pi.EndTime)
	case !m.HasAppID(req.AppID):
		return nil, errCannotDeduct("/appid", req.AppID, fmt.Sprintf("appid %s is not linked to merchant %s", req.AppID, m.MchID))
	}
	if sm, _ := m.SubMerchant(req.SubMchID); req.SubAppID != "" && !slices.Contains(sm.SubAppIDs, req.SubAppID) {
		return nil, errCannotDeduct("/sub_appid", req.SubAppID, fmt.Sprintf("sub_appid %s is not linked to sub-merchant %s", req.SubAppID, req.SubMchID))
	}
	return e, nil
}

// QueryTransaction returns a deduction by out_trade_no (GET
// /v3/vehicle/transactions/out-trade-no/{out_trade_no}).
func (s *Service) QueryTransaction(m *store.Merchant, outTradeNo, subMchID string) (Transaction, error) {
	if err := checkQueryTransaction(subMchID, m); err != nil {
		return Transaction{}, err
	}
	tx := s.store.Read()
	t, err := tx.ParkingTransaction(m.MchID, subMchID, outTradeNo)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Transaction{}, apierr.New(apierr.OrderNotExist, "订单不存在").WithDetail(apierr.Detail{
			Field: "out_trade_no", Value: outTradeNo, Location: apierr.LocPath, Issue: "no parking deduction of this merchant has this out_trade_no",
		})
	case err != nil:
		return Transaction{}, err
	}
	return View(tx, t)
}

// View is a transaction as the API shows it in tx: REFUND once a refund
// of it was applied for and not closed.
func View(tx store.ReadTxn, t *store.ParkingTransaction) (Transaction, error) {
	refunded := false
	if t.TransactionID != "" {
		rs, err := tx.RefundsOf(store.Account{MchID: t.MchID, SubMchID: t.SubMchID}, t.TransactionID)
		if err != nil {
			return Transaction{}, err
		}
		refunded = slices.ContainsFunc(rs, func(r *store.Refund) bool { return r.Status != store.RefundClosed })
	}
	return TransactionView(t, refunded), nil
}

// txKey names a transaction for timers.
type txKey struct{ mchid, subMchID, outTradeNo string }

func keyOf(t *store.ParkingTransaction) txKey { return txKey{t.MchID, t.SubMchID, t.OutTradeNo} }

func (k txKey) String() string {
	if k.subMchID != "" {
		return k.mchid + "/" + k.subMchID + "/" + k.outTradeNo
	}
	return k.mchid + "/" + k.outTradeNo
}

// errUnchanged aborts a change that finds nothing to do.
var errUnchanged = errors.New("unchanged")

// change runs one change of a transaction in one write transaction: load,
// apply to a copy, store, commit. apply may enqueue callbacks and defer
// timers in tx; if it fails nothing changes.
func (s *Service) change(k txKey, apply func(tx store.WriteTxn, t *store.ParkingTransaction, now time.Time) error) (*store.ParkingTransaction, error) {
	tx := s.store.Write()
	defer tx.Abort()
	cur, err := tx.ParkingTransaction(k.mchid, k.subMchID, k.outTradeNo)
	if err != nil {
		return nil, err
	}
	t := cur.Copy()
	now := s.clock.Now()
	if err := apply(tx, t, now); err != nil {
		return cur, err
	}
	if t.TradeState != store.TradeAccepted {
		t.AttemptsDue = nil // settled: what was still armed finds nothing to do
	}
	t.UpdatedAt = now
	if err := tx.PutParkingTransaction(t); err != nil {
		return nil, err
	}
	tx.Commit()
	return t, nil
}

// scheduleAttempt arranges a deduction attempt of t after d, once tx
// commits, and records it on t.
func (s *Service) scheduleAttempt(tx store.WriteTxn, t *store.ParkingTransaction, now time.Time, d time.Duration, why string, held bool) {
	due := store.AttemptDue{Due: s.store.DueIn(now, d), Why: why, Held: held}
	t.AttemptsDue = append(t.AttemptsDue, due)
	clock.Later(tx, s.clock, s.attemptJob(t, due))
}

func (s *Service) attemptJob(t *store.ParkingTransaction, due store.AttemptDue) clock.Job {
	k := keyOf(t)
	return clock.Job{At: due.At, Seq: due.Seq, Label: "deduct parking " + k.String() + " (" + due.Why + ")", Run: func() { s.attempt(k, due.Seq) }, Owner: k.mchid}
}

// attempt is the deduction attempt scheduled as seq.
func (s *Service) attempt(k txKey, seq uint64) {
	_, err := s.change(k, func(tx store.WriteTxn, t *store.ParkingTransaction, now time.Time) error {
		i := slices.IndexFunc(t.AttemptsDue, func(d store.AttemptDue) bool { return d.Seq == seq })
		if i < 0 || t.TradeState != store.TradeAccepted {
			return errUnchanged // settled meanwhile
		}
		due := t.AttemptsDue[i]
		t.AttemptsDue = slices.Delete(t.AttemptsDue, i, i+1)
		fx, applied := s.scenarios.Deduction(subject(t))
		if fx != nil && fx.Delay > 0 && !due.Held {
			s.note(t, now, timelineDeduction, fmt.Sprintf("the deduction is held %s by %s; the transaction stays ACCEPTED", fx.Delay.D(), applied))
			s.scheduleAttempt(tx, t, now, fx.Delay.D(), "held by "+applied.String(), true)
			return nil
		}
		t.DeductionAttempts++
		switch {
		case fx != nil && (fx.Fail || t.DeductionAttempts <= fx.FailAttempts):
			s.note(t, now, timelineDeduction, fmt.Sprintf("deduction attempt %d of %d fen failed by %s", t.DeductionAttempts, t.Total, applied))
			if d := fx.RetryAfter.D(); d > 0 {
				s.scheduleAttempt(tx, t, now, d, "a retry by "+applied.String(), false)
				return nil
			}
			return s.fail(tx, t, now, "failed by "+applied.String())
		case fx != nil && fx.Advance:
			if err := s.paid(tx, t, now, store.BankTypeAdvance, "the user is short: WeChat Pay advanced it ("+applied.String()+")"); err != nil {
				return err
			}
			if d := fx.RepayAfter.D(); d > 0 {
				t.RepayDue = s.store.DueIn(now, d)
				s.note(t, now, timelineUser, fmt.Sprintf("%s: the user will repay the advance in %s", applied, d))
				clock.Later(tx, s.clock, s.repayJob(t))
			}
			return nil
		}
		u, err := tx.User(t.OpenID)
		if err != nil {
			return err
		}
		if u.Balance != nil && *u.Balance < t.Total {
			return s.fail(tx, t, now, fmt.Sprintf("the wallet of %s holds %d fen", t.OpenID, *u.Balance))
		}
		if u.Balance != nil {
			left := *u.Balance - t.Total
			nu := *u
			nu.Balance = &left
			if err := tx.PutUser(&nu); err != nil {
				return err
			}
		}
		return s.paid(tx, t, now, bankTypeWallet, "deducted from the user's wallet")
	})
	if err != nil && !errors.Is(err, errUnchanged) && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("parking deduction", "transaction", k.String(), "err", err)
	}
}

// paid settles t as SUCCESS, paid the way bankType says: a WeChat Pay
// charge (which refunds name by transaction_id) and TRANSACTION.SUCCESS.
// An advance puts the payer in arrears, which blocks their open entries.
func (s *Service) paid(tx store.WriteTxn, t *store.ParkingTransaction, now time.Time, bankType, why string) error {
	t.TradeState, t.TradeStateDescription, t.SuccessTime, t.BankType = store.TradeSuccess, "", now, bankType
	t.TransactionID = s.ids.TransactionID(now)
	if bankType == store.BankTypeAdvance {
		t.UserRepaid = "N"
	}
	s.note(t, now, timelineDeduction, fmt.Sprintf("collected %d fen (bank_type %s), transaction_id %s", t.Total, bankType, t.TransactionID))
	s.note(t, now, timelineState, "ACCEPTED → SUCCESS ("+why+")")
	if err := tx.InsertTransaction(&store.Transaction{
		TransactionID: t.TransactionID, MchID: t.MchID, SubMchID: t.SubMchID, OutTradeNo: t.OutTradeNo, OrderKind: store.KindParking,
		OutOrderNo: t.OutTradeNo, OpenID: t.OpenID, Amount: t.Total, PaidAt: now,
	}); err != nil {
		return err
	}
	if err := s.notify(tx, t, now, event.TransactionSuccess); err != nil {
		return err
	}
	if bankType == store.BankTypeAdvance {
		// The change is in tx already (the row is put after apply): the
		// arrears index must see it before the entries are reassessed.
		if err := tx.PutParkingTransaction(t); err != nil {
			return err
		}
		return s.reassessUser(tx, now, t.OpenID)
	}
	return nil
}

// fail settles t as PAY_FAIL with TRANSACTION.FAIL.
func (s *Service) fail(tx store.WriteTxn, t *store.ParkingTransaction, now time.Time, why string) error {
	t.TradeState, t.TradeStateDescription = store.TradePayFail, payFailDescription
	s.note(t, now, timelineState, "ACCEPTED → PAY_FAIL ("+why+")")
	return s.notify(tx, t, now, event.TransactionFail)
}

// Repay is the user repaying the advance that paid a deduction (in WeChat,
// as the sandbox plays it): user_repaid Y, TRANSACTION.PAY_BACK, and the
// payer's entries unblocked once they owe nothing more.
func (s *Service) Repay(mchid, subMchID, outTradeNo string) (*store.ParkingTransaction, error) {
	return s.repay(txKey{mchid, subMchID, outTradeNo}, "the user repaid the advance in WeChat")
}

func (s *Service) repay(k txKey, why string) (*store.ParkingTransaction, error) {
	return s.change(k, func(tx store.WriteTxn, t *store.ParkingTransaction, now time.Time) error {
		if !t.Owes() || t.TradeState != store.TradeSuccess {
			return refusal(t.TradeState, fmt.Sprintf("transaction %s owes nothing: only a deduction WeChat Pay advanced (bank_type BPA, user_repaid N) is repaid", t.OutTradeNo))
		}
		t.UserRepaid, t.RepayDue = "Y", store.Due{}
		s.note(t, now, timelineUser, why+": user_repaid N → Y")
		if err := s.notify(tx, t, now, event.TransactionPayBack); err != nil {
			return err
		}
		if err := tx.PutParkingTransaction(t); err != nil { // for the arrears index, as in paid
			return err
		}
		return s.reassessUser(tx, now, t.OpenID)
	})
}

func (s *Service) repayJob(t *store.ParkingTransaction) clock.Job {
	k := keyOf(t)
	return clock.Job{At: t.RepayDue.At, Seq: t.RepayDue.Seq, Label: "the user repays " + k.String(), Run: func() {
		if _, err := s.repay(k, "the user repaid the advance (scenario)"); err != nil && !isRefusal(err) && !errors.Is(err, store.ErrNotFound) {
			s.log.Error("parking repayment", "transaction", k.String(), "err", err)
		}
	}, Owner: k.mchid}
}

// isRefusal reports whether err is a state refusal: for timers, which
// find transactions that moved on, that is not a failure.
func isRefusal(err error) bool {
	var ae *apierr.Error
	return errors.As(err, &ae) && ae.Detail != nil && ae.Detail.Field == "state"
}

// notify enqueues a TRANSACTION.* callback about t to its notify_url and
// notes it on t's timeline.
func (s *Service) notify(tx store.WriteTxn, t *store.ParkingTransaction, now time.Time, typ event.Type) error {
	m, err := tx.Merchant(t.MchID)
	if err != nil {
		return fmt.Errorf("transaction %s: %w", t.OutTradeNo, err)
	}
	n, err := s.notifier.Enqueue(tx, notify.Event{
		MchID: t.MchID, SubMchID: t.SubMchID, APIv3Key: m.APIv3Key, Type: typ, NotifyURL: t.NotifyURL,
		Resource: TransactionView(t, false), OrderKind: store.KindParking, OutOrderNo: t.OutTradeNo, OpenID: t.OpenID,
	})
	if err != nil {
		return err
	}
	s.note(t, now, timelineNotification, fmt.Sprintf("%s queued as %s", typ, n.ID))
	return nil
}

// subject is what scenarios match a deduction on: its out_trade_no as
// out_order_no.
func subject(t *store.ParkingTransaction) scenario.Subject {
	return scenario.Subject{MchID: t.MchID, OpenID: t.OpenID, OutOrderNo: t.OutTradeNo}
}
