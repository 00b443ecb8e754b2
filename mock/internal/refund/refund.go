// Package refund is the mock's domestic refund API (protocol.md §7) for the
// charges Pay Score collections produce: POST /v3/refund/domestic/refunds
// and the query by out_refund_no. A refund is accepted PROCESSING and ends
// on the clock as SUCCESS (or ABNORMAL / CLOSED, as the user's sandbox
// wallet says), with a REFUND.* callback.
package refund

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
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
	// userReceivedAccount is where a refund to a wallet arrives.
	userReceivedAccount = "支付用户零钱"
)

var reOutRefundNo = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)

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

// Request is the body of POST /v3/refund/domestic/refunds.
type Request struct {
	TransactionID string        `json:"transaction_id"`
	OutTradeNo    string        `json:"out_trade_no"`
	OutRefundNo   string        `json:"out_refund_no"`
	Reason        string        `json:"reason"`
	NotifyURL     string        `json:"notify_url"`
	FundsAccount  string        `json:"funds_account"`
	Amount        *AmountReq    `json:"amount"`
	GoodsDetail   []GoodsDetail `json:"goods_detail"`
}

// AmountReq is the request's amount.
type AmountReq struct {
	Refund   *int64 `json:"refund"`
	From     []From `json:"from"`
	Total    *int64 `json:"total"`
	Currency string `json:"currency"`
}

// From is one account a refund is taken from.
type From struct {
	Account string `json:"account"`
	Amount  *int64 `json:"amount"`
}

// GoodsDetail is a refunded item.
type GoodsDetail struct {
	MerchantGoodsID  string `json:"merchant_goods_id"`
	WechatpayGoodsID string `json:"wechatpay_goods_id,omitempty"`
	GoodsName        string `json:"goods_name,omitempty"`
	UnitPrice        *int64 `json:"unit_price"`
	RefundAmount     *int64 `json:"refund_amount"`
	RefundQuantity   *int64 `json:"refund_quantity"`
}

// Refund is a refund as the API returns it.
type Refund struct {
	RefundID            string   `json:"refund_id"`
	OutRefundNo         string   `json:"out_refund_no"`
	TransactionID       string   `json:"transaction_id"`
	OutTradeNo          string   `json:"out_trade_no"`
	Channel             string   `json:"channel"`
	UserReceivedAccount string   `json:"user_received_account"`
	SuccessTime         string   `json:"success_time,omitempty"`
	CreateTime          string   `json:"create_time"`
	Status              string   `json:"status"`
	FundsAccount        string   `json:"funds_account"`
	Amount              Amount   `json:"amount"`
	PromotionDetail     []string `json:"promotion_detail"`
}

// Amount is a refund's amounts.
type Amount struct {
	Total            int64  `json:"total"`
	Refund           int64  `json:"refund"`
	From             []From `json:"from"`
	PayerTotal       int64  `json:"payer_total"`
	PayerRefund      int64  `json:"payer_refund"`
	SettlementRefund int64  `json:"settlement_refund"`
	SettlementTotal  int64  `json:"settlement_total"`
	DiscountRefund   int64  `json:"discount_refund"`
	Currency         string `json:"currency"`
}

// Event is the resource of REFUND.SUCCESS, REFUND.ABNORMAL and REFUND.CLOSED.
type Event struct {
	MchID               string      `json:"mchid"`
	OutTradeNo          string      `json:"out_trade_no"`
	TransactionID       string      `json:"transaction_id"`
	OutRefundNo         string      `json:"out_refund_no"`
	RefundID            string      `json:"refund_id"`
	RefundStatus        string      `json:"refund_status"`
	SuccessTime         string      `json:"success_time,omitempty"`
	UserReceivedAccount string      `json:"user_received_account"`
	Amount              EventAmount `json:"amount"`
}

// EventAmount is a refund callback's amounts.
type EventAmount struct {
	Total       int64 `json:"total"`
	Refund      int64 `json:"refund"`
	PayerTotal  int64 `json:"payer_total"`
	PayerRefund int64 `json:"payer_refund"`
}

// View renders a stored refund.
func View(r *store.Refund) Refund {
	v := Refund{
		RefundID: r.RefundID, OutRefundNo: r.OutRefundNo, TransactionID: r.TransactionID, OutTradeNo: r.OutTradeNo,
		Channel: "ORIGINAL", UserReceivedAccount: userReceivedAccount, CreateTime: protocol.FormatRFC3339(r.CreatedAt),
		Status: r.Status, FundsAccount: "AVAILABLE", PromotionDetail: []string{},
		Amount: Amount{
			Total: r.Total, Refund: r.Amount, From: []From{}, PayerTotal: r.Total, PayerRefund: r.Amount,
			SettlementRefund: r.Amount, SettlementTotal: r.Total, Currency: "CNY",
		},
	}
	if r.FundsAccount != "" {
		v.FundsAccount = r.FundsAccount
	}
	if r.Status == store.RefundSuccess {
		v.SuccessTime = protocol.FormatRFC3339(r.SuccessAt)
	}
	return v
}

func param(field, message, issue string, value any) *apierr.Error {
	return apierr.Param(apierr.LocBody, field, message, issue, value)
}

// validate checks the request's own fields; the first violation is returned.
func (req *Request) validate() error {
	switch {
	case req.TransactionID == "" && req.OutTradeNo == "":
		return param("/transaction_id", "transaction_id和out_trade_no必须填写其中一个", "give transaction_id (collection.details[].transaction_id or finish_transaction_id) or out_trade_no", nil)
	case len(req.TransactionID) > 32:
		return param("/transaction_id", "transaction_id长度超过限制", "transaction_id is at most 32 characters", req.TransactionID)
	case len(req.OutTradeNo) > 32:
		return param("/out_trade_no", "out_trade_no长度超过限制", "out_trade_no is at most 32 characters", req.OutTradeNo)
	case req.OutRefundNo == "":
		return param("/out_refund_no", "输入源“/body/out_refund_no”映射到字段“out_refund_no”必填性规则校验失败，此字段为必填项", "/out_refund_no is required", nil)
	case !reOutRefundNo.MatchString(req.OutRefundNo):
		return param("/out_refund_no", "out_refund_no格式不正确", "out_refund_no is 1 to 64 of [0-9A-Za-z_-|*@]", req.OutRefundNo)
	case len(req.Reason) > 80:
		return param("/reason", "reason长度超过限制", fmt.Sprintf("reason is %d bytes; at most 80 are allowed", len(req.Reason)), req.Reason)
	case req.FundsAccount != "" && req.FundsAccount != "AVAILABLE" && req.FundsAccount != "UNSETTLED":
		return param("/funds_account", "funds_account取值错误", "funds_account must be AVAILABLE or UNSETTLED", req.FundsAccount)
	case req.Amount == nil:
		return param("/amount", "输入源“/body/amount”映射到字段“amount”必填性规则校验失败，此字段为必填项", "/amount is required", nil)
	case req.Amount.Refund == nil:
		return param("/amount/refund", "输入源“/body/amount/refund”映射到字段“refund”必填性规则校验失败，此字段为必填项", "/amount/refund is required", nil)
	case *req.Amount.Refund <= 0:
		return param("/amount/refund", "退款金额必须大于0", "amount.refund must be positive", *req.Amount.Refund)
	case req.Amount.Total == nil:
		return param("/amount/total", "输入源“/body/amount/total”映射到字段“total”必填性规则校验失败，此字段为必填项", "/amount/total is required", nil)
	case *req.Amount.Total <= 0:
		return param("/amount/total", "原订单金额必须大于0", "amount.total must be positive", *req.Amount.Total)
	case *req.Amount.Refund > *req.Amount.Total:
		return param("/amount/refund", "退款金额不能大于原订单金额", "amount.refund must not exceed amount.total", *req.Amount.Refund)
	case req.Amount.Currency == "":
		return param("/amount/currency", "输入源“/body/amount/currency”映射到字段“currency”必填性规则校验失败，此字段为必填项", "/amount/currency is required", nil)
	case req.Amount.Currency != "CNY":
		return param("/amount/currency", "币种不正确", "amount.currency must be CNY", req.Amount.Currency)
	}
	var from int64
	for i, f := range req.Amount.From {
		p := fmt.Sprintf("/amount/from/%d", i)
		switch {
		case f.Account != "AVAILABLE" && f.Account != "UNAVAILABLE":
			return param(p+"/account", "出资账户取值错误", "account must be AVAILABLE or UNAVAILABLE", f.Account)
		case f.Amount == nil || *f.Amount <= 0:
			return param(p+"/amount", "出资金额必须大于0", p+"/amount must be positive", nil)
		}
		from += *f.Amount
	}
	if from > *req.Amount.Refund {
		return param("/amount/from", "出资金额之和不能大于退款金额", "Σamount.from[].amount must not exceed amount.refund", from)
	}
	for i, g := range req.GoodsDetail {
		p := fmt.Sprintf("/goods_detail/%d", i)
		switch {
		case g.MerchantGoodsID == "":
			return param(p+"/merchant_goods_id", "商品编码必填", p+"/merchant_goods_id is required", nil)
		case g.UnitPrice == nil:
			return param(p+"/unit_price", "商品单价必填", p+"/unit_price is required", nil)
		case g.RefundAmount == nil:
			return param(p+"/refund_amount", "商品退款金额必填", p+"/refund_amount is required", nil)
		case g.RefundQuantity == nil || *g.RefundQuantity <= 0:
			return param(p+"/refund_quantity", "商品退货数量必须大于0", p+"/refund_quantity is required and positive", nil)
		}
	}
	if req.NotifyURL != "" {
		u, err := url.Parse(req.NotifyURL)
		switch {
		case len(req.NotifyURL) > 256, err != nil, u.Host == "", u.Scheme != "https" && u.Scheme != "http":
			return param("/notify_url", "notify_url格式不正确", "notify_url must be an absolute https:// URL of at most 256 characters (mockpay also accepts http://)", req.NotifyURL)
		case strings.Contains(req.NotifyURL, "?"):
			return param("/notify_url", "notify_url不能携带参数", "notify_url must not carry a query string", req.NotifyURL)
		}
	}
	return nil
}

// Create applies for a refund of a Pay Score charge. The same out_refund_no
// never refunds twice: an identical retry returns the refund as it stands.
func (s *Service) Create(m *store.Merchant, req *Request) (Refund, error) {
	if err := req.validate(); err != nil {
		return Refund{}, err
	}
	raw, err := protocol.MarshalJSON(req)
	if err != nil {
		return Refund{}, err
	}
	sum := sha256.Sum256(raw)
	dg := store.Digest(sum[:16])

	tx := s.store.Write()
	defer tx.Abort()
	if r, err := tx.Refund(m.MchID, req.OutRefundNo); err == nil {
		if r.Digest != dg {
			return Refund{}, apierr.New(apierr.InvalidRequest, "请确认相同退款单号是否使用了不同的参数").WithDetail(apierr.Detail{
				Field: "/out_refund_no", Value: req.OutRefundNo, Location: apierr.LocBody,
				Issue: "a refund with this out_refund_no exists with other parameters; retries must reuse the original parameters",
			})
		}
		return View(r), nil
	}
	t, err := s.charge(tx.ReadTxn, m.MchID, req)
	if err != nil {
		return Refund{}, err
	}
	now := s.clock.Now()
	refunds, err := tx.RefundsOf(m.MchID, t.TransactionID)
	if err != nil {
		return Refund{}, err
	}
	var refunded int64
	for _, r := range refunds {
		if r.Status != store.RefundClosed {
			refunded += r.Amount
		}
	}
	switch {
	case *req.Amount.Total != t.Amount:
		return Refund{}, param("/amount/total", "订单金额与原交易金额不一致", fmt.Sprintf("amount.total must be the charge's amount, %d", t.Amount), *req.Amount.Total)
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
	}
	r := &store.Refund{
		MchID: m.MchID, OutRefundNo: req.OutRefundNo, RefundID: "50" + s.ids.Digits(27), TransactionID: t.TransactionID,
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
	tx.Defer(func() { clock.Schedule(s.clock, job) })
	tx.Commit()
	return View(r), nil
}

// finishJob is the timer that ends a PROCESSING refund at r.Due.
func (s *Service) finishJob(r *store.Refund) clock.Job {
	mchid, no := r.MchID, r.OutRefundNo
	return clock.Job{At: r.Due.At, Seq: r.Due.Seq, Label: "refund " + mchid + "/" + no, Run: func() { s.finish(mchid, no) }}
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
			return nil, fmt.Errorf("refund %s/%s is PROCESSING with no due time", r.MchID, r.OutRefundNo)
		}
		jobs = append(jobs, s.finishJob(r))
	}
	return jobs, nil
}

// charge finds the refunded charge by transaction_id or out_trade_no. A Pay
// Score out_order_no passed as out_trade_no finds nothing (protocol.md §7.1).
func (s *Service) charge(tx store.ReadTxn, mchid string, req *Request) (*store.Transaction, error) {
	var t *store.Transaction
	var err error
	field, value := "/transaction_id", req.TransactionID
	if req.TransactionID != "" {
		t, err = tx.Transaction(mchid, req.TransactionID)
		if err == nil && req.OutTradeNo != "" && req.OutTradeNo != t.OutTradeNo {
			return nil, param("/out_trade_no", "out_trade_no与transaction_id不匹配", "transaction_id and out_trade_no name different charges", req.OutTradeNo)
		}
	} else {
		field, value = "/out_trade_no", req.OutTradeNo
		t, err = tx.TransactionByOutTradeNo(mchid, req.OutTradeNo)
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
func (s *Service) finish(mchid, outRefundNo string) {
	tx := s.store.Write()
	defer tx.Abort()
	if err := s.finishTxn(tx, mchid, outRefundNo); err != nil {
		s.log.Error("refund", "mchid", mchid, "out_refund_no", outRefundNo, "err", err)
		return
	}
	tx.Commit()
}

func (s *Service) finishTxn(tx store.WriteTxn, mchid, outRefundNo string) error {
	r, err := tx.Refund(mchid, outRefundNo)
	if errors.Is(err, store.ErrNotFound) || err == nil && r.Status != store.RefundProcessing {
		return nil // removed with its merchant, or already ended
	}
	if err != nil {
		return err
	}
	t, err := tx.Transaction(mchid, r.TransactionID)
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
	if fx, applied := s.scenarios.Refund(scenario.Subject{MchID: t.MchID, OpenID: t.OpenID, OutOrderNo: t.OutOrderNo}); fx != nil {
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
// merchant's configured one, on the generic retry schedule.
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
	if r.Status == store.RefundSuccess {
		ev.SuccessTime = protocol.FormatRFC3339(r.SuccessAt)
	}
	typ, ok := events[r.Status]
	if !ok {
		return fmt.Errorf("refund %s/%s ended %q, which has no callback", r.MchID, r.OutRefundNo, r.Status)
	}
	_, err = s.notifier.Enqueue(tx, notify.Event{
		MchID: r.MchID, APIv3Key: m.APIv3Key, Type: typ, NotifyURL: target,
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
	o, err := tx.Order(t.MchID, t.OrderKind, t.OutOrderNo)
	if err != nil {
		return nil // the order is gone with a reset; the refund stands on its own
	}
	c := o.Copy()
	c.AddEvent(store.Event{Seq: s.store.NextSeq(), At: now, Type: "refund", Summary: summary})
	return tx.PutOrder(c)
}

// Query returns a refund by out_refund_no.
func (s *Service) Query(m *store.Merchant, outRefundNo string) (Refund, error) {
	r, err := s.store.Read().Refund(m.MchID, outRefundNo)
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
