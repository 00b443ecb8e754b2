// Package refund is the mock's domestic refund API (protocol.md §7) for the
// charges Pay Score collections produce: POST /v3/refund/domestic/refunds
// and the query by out_refund_no. A refund is accepted PROCESSING and ends
// on the clock as SUCCESS (or ABNORMAL / CLOSED, as the user's sandbox
// wallet says), with a REFUND.* callback.
package refund

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/event"
	"github.com/mockpay/mockpay/mock/internal/ids"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

const (
	// DefaultDelay is how long a refund stays PROCESSING, in domain time.
	DefaultDelay = 5 * time.Second
	// maxRefunds is how many refunds one transaction may have.
	maxRefunds = 50
	// refundWindow is how long after payment a charge may be refunded.
	refundWindow = 365 * 24 * time.Hour
	// refundInterval is how far apart two refunds of one charge must be
	// applied for.
	refundInterval = time.Minute
	// userReceivedAccount is where a refund to a wallet arrives.
	userReceivedAccount = "支付用户零钱"
)

// Service is the refund domain.
type Service struct {
	store     *store.Store
	clock     clock.Clock
	notifier  *notify.Notifier
	ids       ids.Source
	delay     time.Duration
	scenarios *scenario.Engine
	log       *slog.Logger
}

// Config assembles a Service.
type Config struct {
	Store     *store.Store
	Clock     clock.Clock
	Notifier  *notify.Notifier
	NewID     func() string
	Delay     time.Duration // how long a refund stays PROCESSING; 0 means DefaultDelay
	Scenarios *scenario.Engine
	Logger    *slog.Logger
}

// New returns the refund domain.
func New(c Config) *Service {
	delay := c.Delay
	if delay <= 0 {
		delay = DefaultDelay
	}
	return &Service{store: c.Store, clock: c.Clock, notifier: c.Notifier, ids: ids.Source{NewID: c.NewID}, delay: delay, scenarios: c.Scenarios, log: c.Logger}
}

// Create applies for a refund of a Pay Score charge: a merchant's own, or
// one of a service provider's sub-merchant (sub_mchid), whose charges and
// refund numbers are that sub-merchant's alone. The same out_refund_no
// never refunds twice: an identical retry returns the refund as it stands.
func (s *Service) Create(who store.Caller, req *Request) (Refund, error) {
	if err := check(req); err != nil {
		return Refund{}, err
	}
	dg, err := store.DigestOf(req)
	if err != nil {
		return Refund{}, fmt.Errorf("refund %s: %w", req.OutRefundNo, err)
	}

	a := who.Account()
	tx := s.store.Write()
	defer tx.Abort()
	if r, err := tx.Refund(a, req.OutRefundNo); err == nil {
		if r.Digest != dg {
			return Refund{}, apierr.New(apierr.InvalidRequest, "请确认相同退款单号是否使用了不同的参数").WithDetail(apierr.Detail{
				Field: "/out_refund_no", Value: req.OutRefundNo, Location: apierr.LocBody,
				Issue: "a refund with this out_refund_no exists with other parameters; retries must reuse the original parameters",
			})
		}
		return View(r), nil
	}
	t, err := s.charge(tx.ReadTxn, a, req)
	if err != nil {
		return Refund{}, err
	}
	now := s.clock.Now()
	refunds, err := tx.RefundsOf(a, t.TransactionID)
	if err != nil {
		return Refund{}, err
	}
	var refunded int64
	var latest time.Time
	for _, r := range refunds {
		if r.Status != store.RefundClosed {
			refunded += r.Amount
		}
		if r.CreatedAt.After(latest) {
			latest = r.CreatedAt
		}
	}
	switch {
	case *req.Amount.Total != t.Amount:
		return Refund{}, apierr.Param(apierr.LocBody, "/amount/total", "订单金额与原交易金额不一致", fmt.Sprintf("amount.total must be the charge's amount, %d", t.Amount), *req.Amount.Total)
	case refunded+*req.Amount.Refund > t.Amount:
		return Refund{}, apierr.New(apierr.InvalidRequest, "申请退款金额超过订单可退金额").WithDetail(apierr.Detail{
			Field: "/amount/refund", Value: *req.Amount.Refund, Location: apierr.LocBody,
			Issue: fmt.Sprintf("%d of the charge's %d is already refunded or being refunded; at most %d is left", refunded, t.Amount, t.Amount-refunded),
		})
	case len(refunds) >= maxRefunds:
		return Refund{}, apierr.New(apierr.InvalidRequest, "部分退款次数超过限制").WithDetail(apierr.Detail{
			Field: "/transaction_id", Value: t.TransactionID, Location: apierr.LocBody, Issue: "a charge takes at most 50 refunds",
		})
	case now.Sub(t.PaidAt) > refundWindow:
		return Refund{}, apierr.New(apierr.InvalidRequest, "订单已超过退款期限").WithDetail(apierr.Detail{
			Field: "/transaction_id", Value: t.TransactionID, Location: apierr.LocBody, Issue: "charges can be refunded for a year",
		})
	case len(refunds) > 0 && now.Sub(latest) < refundInterval:
		return Refund{}, apierr.New(apierr.FrequencyLimited, "单笔订单请求频率过高,请于1分钟后重试").WithDetail(apierr.Detail{
			Field: "/transaction_id", Value: t.TransactionID, Location: apierr.LocBody,
			Issue: fmt.Sprintf("this charge's last refund was applied for at %s; refunds of one charge must be a minute apart (nothing was done: apply again from %s)",
				protocol.FormatRFC3339(latest), protocol.FormatRFC3339(latest.Add(refundInterval))),
		})
	}
	r := &store.Refund{
		MchID: a.MchID, SubMchID: a.SubMchID, OutRefundNo: req.OutRefundNo, RefundID: "50" + s.ids.Digits(27), TransactionID: t.TransactionID,
		OutTradeNo: t.OutTradeNo, Reason: req.Reason, NotifyURL: req.NotifyURL, FundsAccount: req.FundsAccount,
		Status: store.RefundProcessing, Total: t.Amount, Amount: *req.Amount.Refund, Digest: dg, CreatedAt: now,
		Due: s.store.DueIn(now, s.delay),
	}
	if err := tx.PutRefund(r); err != nil {
		return Refund{}, err
	}
	if err := s.noteOrder(tx, t, now, fmt.Sprintf("refund %s of %d fen requested (PROCESSING)", r.OutRefundNo, r.Amount)); err != nil {
		return Refund{}, err
	}
	job := s.finishJob(r)
	clock.Later(tx, s.clock, job)
	tx.Commit()
	return View(r), nil
}

// finishJob is the timer that ends a PROCESSING refund at r.Due.
func (s *Service) finishJob(r *store.Refund) clock.Job {
	a, no := r.Account(), r.OutRefundNo
	return clock.Job{At: r.Due.At, Seq: r.Due.Seq, Label: "refund " + a.String() + "/" + no, Run: func() { s.finish(a, no) }, Owner: a.MchID}
}

// Resume returns the timers of the PROCESSING refunds in tx, for a server
// restored from a saved state to arm: each ends when it was due to.
func (s *Service) Resume(tx store.ReadTxn) ([]clock.Job, error) {
	rs, err := tx.Refunds()
	if err != nil {
		return nil, err
	}
	var jobs []clock.Job
	for _, r := range rs {
		if r.Status != store.RefundProcessing {
			continue
		}
		if r.Due.At.IsZero() {
			return nil, fmt.Errorf("refund %s/%s is PROCESSING with no due time", r.Account(), r.OutRefundNo)
		}
		jobs = append(jobs, s.finishJob(r))
	}
	return jobs, nil
}

// charge finds the refunded charge by transaction_id or out_trade_no. A Pay
// Score out_order_no passed as out_trade_no finds nothing (protocol.md §7.1).
func (s *Service) charge(tx store.ReadTxn, a store.Account, req *Request) (*store.Transaction, error) {
	var t *store.Transaction
	var err error
	field, value := "/transaction_id", req.TransactionID
	if req.TransactionID != "" {
		t, err = tx.Transaction(a, req.TransactionID)
		if err == nil && req.OutTradeNo != "" && req.OutTradeNo != t.OutTradeNo {
			return nil, apierr.Param(apierr.LocBody, "/out_trade_no", "out_trade_no与transaction_id不匹配", "transaction_id and out_trade_no name different charges", req.OutTradeNo)
		}
	} else {
		field, value = "/out_trade_no", req.OutTradeNo
		t, err = tx.TransactionByOutTradeNo(a, req.OutTradeNo)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.ResourceNotExists, "订单不存在").WithDetail(apierr.Detail{
			Field: field, Value: value, Location: apierr.LocBody,
			Issue: "no charge of this merchant has this id; refund a Pay Score charge by collection.details[].transaction_id (service orders) or finish_transaction_id (payafter orders), not by out_order_no",
		})
	}
	return t, err
}

// finish ends a PROCESSING refund as the user's wallet says and fires its
// callback.
func (s *Service) finish(a store.Account, outRefundNo string) {
	tx := s.store.Write()
	defer tx.Abort()
	if err := s.finishTxn(tx, a, outRefundNo); err != nil {
		s.log.Error("refund", "account", a.String(), "out_refund_no", outRefundNo, "err", err)
		return
	}
	tx.Commit()
}

func (s *Service) finishTxn(tx store.WriteTxn, a store.Account, outRefundNo string) error {
	r, err := tx.Refund(a, outRefundNo)
	if errors.Is(err, store.ErrNotFound) || err == nil && r.Status != store.RefundProcessing {
		return nil // removed with its merchant, or already ended
	}
	if err != nil {
		return err
	}
	t, err := tx.Transaction(a, r.TransactionID)
	if err != nil {
		return err
	}
	u, err := tx.User(t.OpenID)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	upd := r.Copy()
	outcome, why := u.RefundOutcome, "the user's wallet"
	if fx, applied := s.scenarios.Refund(scenario.Subject{MchID: t.MchID, SubMchID: t.SubMchID, OpenID: t.OpenID, OutOrderNo: t.OutOrderNo}); fx != nil {
		outcome, why = fx.Outcome, applied.String()
	}
	switch outcome {
	case store.RefundAbnormal, store.RefundClosed:
		upd.Status = outcome
		if err := s.noteOrder(tx, t, now, fmt.Sprintf("refund %s ends %s by %s", upd.OutRefundNo, outcome, why)); err != nil {
			return err
		}
	default:
		upd.Status, upd.SuccessAt = store.RefundSuccess, now
		if u.Balance != nil {
			nu := *u
			credited := *u.Balance + r.Amount
			nu.Balance = &credited
			if err := tx.PutUser(&nu); err != nil {
				return err
			}
		}
	}
	if err := tx.PutRefund(upd); err != nil {
		return err
	}
	if err := s.notify(tx, upd, t); err != nil {
		return err
	}
	return s.noteOrder(tx, t, now, fmt.Sprintf("refund %s of %d fen %s", upd.OutRefundNo, upd.Amount, upd.Status))
}

// notify enqueues REFUND.<status> to the refund's notify_url, else the
// merchant's configured one, on the generic retry schedule. A service
// provider's names it sp_mchid and the sub-merchant sub_mchid, as WeChat
// Pay's partner refund callbacks do.
func (s *Service) notify(tx store.WriteTxn, r *store.Refund, t *store.Transaction) error {
	m, err := tx.Merchant(r.MchID)
	if err != nil {
		return err
	}
	target := r.NotifyURL
	if target == "" {
		target = m.NotifyURL
	}
	ev := Event{
		MchID: r.MchID, OutTradeNo: r.OutTradeNo, TransactionID: r.TransactionID, OutRefundNo: r.OutRefundNo,
		RefundID: r.RefundID, RefundStatus: r.Status, UserReceivedAccount: userReceivedAccount,
		Amount: EventAmount{Total: r.Total, Refund: r.Amount, PayerTotal: r.Total, PayerRefund: r.Amount},
	}
	if r.SubMchID != "" {
		ev.MchID, ev.SpMchID, ev.SubMchID = "", r.MchID, r.SubMchID
	}
	if r.Status == store.RefundSuccess {
		ev.SuccessTime = protocol.FormatRFC3339(r.SuccessAt)
	}
	typ, ok := events[r.Status]
	if !ok {
		return fmt.Errorf("refund %s/%s ended %q, which has no callback", r.Account(), r.OutRefundNo, r.Status)
	}
	_, err = s.notifier.Enqueue(tx, notify.Event{
		MchID: r.MchID, SubMchID: r.SubMchID, APIv3Key: m.APIv3Key, Type: typ, NotifyURL: target,
		Resource: ev, OrderKind: t.OrderKind, OutOrderNo: t.OutOrderNo, OpenID: t.OpenID,
	})
	return err
}

// events are the callbacks of the refund outcomes.
var events = map[string]event.Type{
	store.RefundSuccess:  event.RefundSuccess,
	store.RefundAbnormal: event.RefundAbnormal,
	store.RefundClosed:   event.RefundClosed,
}

// noteOrder puts a refund on the timeline of the order its charge paid.
func (s *Service) noteOrder(tx store.WriteTxn, t *store.Transaction, now time.Time, summary string) error {
	o, err := tx.Order(t.Account(), t.OrderKind, t.OutOrderNo)
	if err != nil {
		return nil // the order is gone with a reset; the refund stands on its own
	}
	c := o.Copy()
	c.AddEvent(store.Event{Seq: s.store.NextSeq(), At: now, Type: "refund", Summary: summary})
	return tx.PutOrder(c)
}

// Query returns a refund by out_refund_no: a merchant's own, or a service
// provider's sub-merchant's.
func (s *Service) Query(who store.Caller, outRefundNo string) (Refund, error) {
	r, err := s.store.Read().Refund(who.Account(), outRefundNo)
	if errors.Is(err, store.ErrNotFound) {
		return Refund{}, apierr.New(apierr.ResourceNotExists, "退款单不存在").WithDetail(apierr.Detail{
			Field: "out_refund_no", Value: outRefundNo, Location: apierr.LocPath, Issue: "no refund of this merchant has this out_refund_no",
		})
	}
	if err != nil {
		return Refund{}, err
	}
	return View(r), nil
}
