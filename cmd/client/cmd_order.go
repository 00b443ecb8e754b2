package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/mockpay/mockpay/client"
)

// orderCmd groups the service-order endpoints (/v3/payscore/serviceorder).
func (a *app) orderCmd() *command {
	return &command{
		name:  "order",
		short: "create, query, complete… service orders (/v3/payscore/serviceorder)",
		long: `Order drives pay-score service orders (支付分服务订单, /v3/payscore/serviceorder): create one
(免确认 with --openid, else 需确认), query it, complete it with the fare (WeChat Pay then
deducts and sends PAYSCORE.USER_PAID), lower the amount of an unpaid one (modify), ask for
the deduction again (pay), report an off-platform payment (sync), cancel, or create and
complete in one call (direct-complete). Amounts are in fen; times default to now on the
server's clock. With --sub-mchid a service provider (服务商) makes each call for that
sub-merchant through the partner API (/v3/payscore/partner/serviceorder); the partner API
answers the calls on an order 204, and the command then queries the order to show it.`,
		examples: []string{
			"go run ./cmd/client order create --out-order-no RIDE-1 --amount 5000 --openid oUser1",
			"go run ./cmd/client sandbox clock advance 20m   # the ride, on a virtual clock",
			"go run ./cmd/client order complete --out-order-no RIDE-1 --amount 4200",
			"go run ./cmd/client order query --out-order-no RIDE-1",
			"go run ./cmd/client --mchid 1900000001 --sub-mchid 1900000109 order create --out-order-no RIDE-2 --amount 5000",
		},
		subs: []*command{
			a.orderCreateCmd(), a.orderQueryCmd(), a.orderCancelCmd(), a.orderModifyCmd(),
			a.orderCompleteCmd(), a.orderPayCmd(), a.orderSyncCmd(), a.orderDirectCompleteCmd(),
		},
	}
}

// orderHeadline sums an order up for people.
func orderHeadline(verb string, o *client.ServiceOrder) string {
	var b strings.Builder
	fmt.Fprintf(&b, "order %s %s: %s", o.OutOrderNo, verb, o.State)
	if o.StateDescription != "" {
		fmt.Fprintf(&b, "/%s", o.StateDescription)
	}
	if o.TotalAmount > 0 {
		fmt.Fprintf(&b, ", total %s", yuan(o.TotalAmount))
	}
	if o.Collection != nil {
		fmt.Fprintf(&b, ", collection %s (paid %s)", o.Collection.State, yuan(o.Collection.PaidAmount))
	}
	return b.String()
}

func (a *app) orderCreateCmd() *command {
	o := newCreateFlags()
	var paymentName, riskName string
	return &command{
		name:  "create",
		short: "create an order (POST /v3/payscore/serviceorder)",
		long: `Create creates a service order (创建支付分订单). With --openid it is 免确认
(need_user_confirm=false): the user must hold an AVAILABLE authorization and the order is
DOING/USER_CONFIRM at once. Without --openid (or with --confirm) it is 需确认: the order is
CREATED, its package goes to the front end, and the user confirms in WeChat
(PAYSCORE.USER_CONFIRM; in the sandbox: 'sandbox confirm <out_order_no>'). The estimated
fare is one post_payments item; the risk fund defaults to ESTIMATE_ORDER_COST of that
amount. Callbacks go to --notify-url.`,
		examples: []string{
			"go run ./cmd/client order create --out-order-no RIDE-1 --amount 5000",
			"go run ./cmd/client order create --out-order-no RIDE-2 --amount 5000 --openid oUser1",
			"go run ./cmd/client order create --out-order-no RIDE-3 --amount 3000 --start now+5m --end now+1h --start-location 望京SOHO",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.outOrderNo, "out-order-no", "", "the merchant's order number (default: generated RIDE-…)")
			fs.Var(&o.amount, "amount", "estimated `fen` of the post_payments item (default 5000)")
			fs.StringVar(&paymentName, "payment-name", "预估车费", "name of the post_payments item")
			fs.Var(&o.riskAmount, "risk-amount", "risk fund amount in `fen` (default: --amount)")
			fs.StringVar(&riskName, "risk-name", string(client.RiskFundEstimateOrderCost), "risk fund name: ESTIMATE_ORDER_COST, DEPOSIT, ADVANCE or CASH_DEPOSIT")
			fs.StringVar(&o.openid, "openid", "", "the user; makes the order 免确认 (need_user_confirm=false) unless --confirm")
			fs.BoolVar(&o.confirm, "confirm", false, "need_user_confirm=true: the user confirms the order in WeChat")
			fs.StringVar(&o.start.value, "start", "", "service start: yyyyMMddHHmmss, now±duration or OnAccept (default now)")
			fs.StringVar(&o.end.value, "end", "", "planned service end (optional)")
			fs.StringVar(&o.startLoc, "start-location", "", "where the service starts, e.g. the pick-up point")
			fs.StringVar(&o.endLoc, "end-location", "", "where it ends (needs --start-location)")
			fs.StringVar(&o.intro, "introduction", "网约车出行", "service_introduction shown to the user (at most 20 characters)")
			fs.StringVar(&o.attach, "attach", "", "merchant data echoed in queries and callbacks")
		},
		run: func(ctx context.Context, _ []string) error {
			c, err := o.prepare(ctx, a)
			if err != nil {
				return err
			}
			fare := o.fare()
			req := client.CreateServiceOrderRequest{
				OutOrderNo:          o.outOrderNo,
				AppID:               c.appID,
				ServiceID:           c.serviceID,
				ServiceIntroduction: o.intro,
				PostPayments:        []client.Payment{{Name: paymentName, Amount: client.Fen(fare)}},
				TimeRange:           client.TimeRange{StartTime: o.start.value, EndTime: o.end.value},
				Location:            client.Location{StartLocation: o.startLoc, EndLocation: o.endLoc},
				RiskFund:            client.RiskFund{Name: client.RiskFundName(riskName), Amount: o.riskAmount.orDefault(fare)},
				Attach:              o.attach,
				NotifyURL:           c.notifyURL,
				OpenID:              o.openid,
				NeedUserConfirm:     o.needUserConfirm(),
			}
			if req.NotifyURL == "" {
				return &usageError{msg: "a notify_url is required", hint: "set --notify-url / MOCKPAY_NOTIFY_URL"}
			}
			so, err := c.createOrder(ctx, req)
			if err != nil {
				return err
			}
			if err := a.out.result(orderHeadline("created", so), so); err != nil {
				return err
			}
			if so.State == client.StateCreated {
				a.out.hint("the user confirms it in WeChat; in the sandbox: %s sandbox confirm %s%s", progName, so.OutOrderNo, openidArg(o.openid))
			} else {
				a.out.hint("at the end of the service: %s order complete --out-order-no %s --amount <fen> (on a virtual clock, first '%s sandbox clock advance 20m')", progName, so.OutOrderNo, progName)
			}
			return nil
		},
	}
}

// createFlags are what order create and payafter create share: the same
// order in the two APIs' words. Each command binds the fields to flags
// whose help speaks its API's field names.
type createFlags struct {
	outOrderNo, openid, startLoc, endLoc, intro, attach string
	start, end                                          timeFlag
	amount, riskAmount                                  fenFlag
	confirm                                             bool
}

func newCreateFlags() *createFlags {
	return &createFlags{
		start: timeFlag{name: "start", kind: timeOrAccept, orNow: true},
		end:   timeFlag{name: "end", kind: timeAny},
	}
}

// prepare resolves the times (checked before anything is sent), picks
// the client and generates an out_order_no when none was given.
func (o *createFlags) prepare(ctx context.Context, a *app) (scoreClient, error) {
	if err := a.resolveTimes(ctx, &o.start, &o.end); err != nil {
		return scoreClient{}, err
	}
	c, err := a.scoreClient(ctx)
	if err != nil {
		return scoreClient{}, err
	}
	if o.outOrderNo == "" {
		o.outOrderNo = newNumber("RIDE")
	}
	return c, nil
}

// fare is the estimated amount: --amount, else 5000 fen.
func (o *createFlags) fare() int64 { return o.amount.orDefault(5000) }

// needUserConfirm is need_user_confirm: true with --confirm, false with
// only an --openid (免确认), else left out, which the API reads as 需确认.
func (o *createFlags) needUserConfirm() *bool {
	switch {
	case o.confirm:
		return client.Bool(true)
	case o.openid != "":
		return client.Bool(false)
	}
	return nil
}

func openidArg(openid string) string {
	if openid == "" {
		return " --openid <openid>"
	}
	return ""
}

// orderSelector is --out-order-no, shared by the commands on one order.
func orderSelector(fs *flag.FlagSet, outOrderNo *string) {
	fs.StringVar(outOrderNo, "out-order-no", "", "the merchant's order number (required)")
}

func (a *app) orderQueryCmd() *command {
	var outOrderNo, queryID string
	return &command{
		name:  "query",
		short: "an order in full (GET /v3/payscore/serviceorder)",
		long: `Query returns an order in full (查询支付分订单), by --out-order-no or by the --query-id the
front end received: state and state_description, amounts, times, and after completion the
collection (USER_PAYING → USER_PAID) with the transaction_id refunds are made against.`,
		examples: []string{
			"go run ./cmd/client order query --out-order-no RIDE-1",
			"go run ./cmd/client order query --out-order-no RIDE-1 --json | jq -r '.collection.details[0].transaction_id'",
		},
		setFlags: func(fs *flag.FlagSet) { queryFlags(fs, &outOrderNo, &queryID) },
		run: func(ctx context.Context, _ []string) error {
			if err := exactlyOne("out-order-no", outOrderNo, "query-id", queryID); err != nil {
				return err
			}
			c, err := a.scoreClient(ctx)
			if err != nil {
				return err
			}
			o, err := c.queryOrder(ctx, outOrderNo, queryID)
			if err != nil {
				return err
			}
			return a.out.result(orderHeadline("is", o), o)
		},
	}
}

// queryFlags are the two ways a query names an order, shared by order
// query and payafter query.
func queryFlags(fs *flag.FlagSet, outOrderNo, queryID *string) {
	fs.StringVar(outOrderNo, "out-order-no", "", "the merchant's order number")
	fs.StringVar(queryID, "query-id", "", "or the query_id the front end received")
}

func (a *app) orderCancelCmd() *command {
	var outOrderNo, reason string
	return &command{
		name:  "cancel",
		short: "revoke an unpaid order (POST …/serviceorder/{out_order_no}/cancel)",
		long: `Cancel revokes an order that is not paid yet (取消支付分订单): it becomes REVOKED. Retrying
with the same reason is safe; a different reason on a revoked order is ORDER_CANCELED.`,
		examples: []string{"go run ./cmd/client order cancel --out-order-no RIDE-1 --reason 行程取消"},
		setFlags: func(fs *flag.FlagSet) {
			orderSelector(fs, &outOrderNo)
			fs.StringVar(&reason, "reason", "行程取消", "why, shown to the user (at most 50 characters)")
		},
		run: func(ctx context.Context, _ []string) error {
			c, err := a.orderClient(ctx, outOrderNo)
			if err != nil {
				return err
			}
			ref, err := c.cancelOrder(ctx, outOrderNo, reason)
			if err != nil {
				return err
			}
			return a.out.result(fmt.Sprintf("order %s cancelled (REVOKED)", outOrderNo), ref)
		},
	}
}

// orderClient is the client of a command on one order. It requires
// --out-order-no and resolves the command's time flags, both before
// anything is sent.
func (a *app) orderClient(ctx context.Context, outOrderNo string, times ...*timeFlag) (scoreClient, error) {
	if err := required("out-order-no", outOrderNo); err != nil {
		return scoreClient{}, err
	}
	if err := a.resolveTimes(ctx, times...); err != nil {
		return scoreClient{}, err
	}
	return a.scoreClient(ctx)
}

func (a *app) orderModifyCmd() *command {
	var outOrderNo, reason, paymentName string
	var amount fenFlag
	return &command{
		name:  "modify",
		short: "lower the amount of a completed, unpaid order (…/modify)",
		long: `Modify lowers what the user owes on a completed order whose deduction has not succeeded
yet (修改订单金额, DOING/MCH_COMPLETE with collection USER_PAYING). The new amount replaces
post_payments with one item and must not exceed the completed amount.`,
		examples: []string{"go run ./cmd/client order modify --out-order-no RIDE-1 --amount 3000 --reason 优惠调整"},
		setFlags: func(fs *flag.FlagSet) {
			orderSelector(fs, &outOrderNo)
			fs.Var(&amount, "amount", "the new total in `fen` (required)")
			fs.StringVar(&paymentName, "payment-name", "车费", "name of the post_payments item")
			fs.StringVar(&reason, "reason", "费用调整", "why (at most 50 characters)")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := required("out-order-no", outOrderNo); err != nil {
				return err
			}
			total, err := amount.need("amount")
			if err != nil {
				return err
			}
			c, err := a.orderClient(ctx, outOrderNo)
			if err != nil {
				return err
			}
			o, err := c.modifyOrder(ctx, client.ModifyServiceOrderRequest{
				OutOrderNo:   outOrderNo,
				PostPayments: []client.Payment{{Name: paymentName, Amount: client.Fen(total)}},
				TotalAmount:  total, Reason: reason,
			})
			if err != nil {
				return err
			}
			return a.out.result(orderHeadline("modified", o), o)
		},
	}
}

// completeTimes are --start and --end of a completion: the actual service
// window, whose end defaults to now.
func completeTimes() (start, end timeFlag) {
	return timeFlag{name: "start", kind: timeAny}, timeFlag{name: "end", kind: timeAny, orNow: true}
}

func (a *app) orderCompleteCmd() *command {
	var outOrderNo, paymentName, endLoc string
	var amount fenFlag
	start, end := completeTimes()
	return &command{
		name:  "complete",
		short: "end the service and set the fare (…/complete)",
		long: `Complete ends the service and sets what the user owes (完结支付分订单); the order must be
DOING/USER_CONFIRM. A positive amount makes it DOING/MCH_COMPLETE and WeChat Pay then deducts
on its own and sends PAYSCORE.USER_PAID (the mock after 5 s on its clock: on a virtual clock,
'sandbox clock advance 5s'). 0 ends it DONE with nothing to collect. The end time defaults
to now on the server's clock and must be after the start: on a virtual clock advance it
between create and complete.`,
		examples: []string{
			"go run ./cmd/client order complete --out-order-no RIDE-1 --amount 4200",
			"go run ./cmd/client order complete --out-order-no RIDE-1 --amount 4200 --end now-1m --end-location 国贸",
		},
		setFlags: func(fs *flag.FlagSet) {
			orderSelector(fs, &outOrderNo)
			fs.Var(&amount, "amount", "the fare in `fen` (required)")
			fs.StringVar(&paymentName, "payment-name", "车费", "name of the post_payments item")
			fs.StringVar(&start.value, "start", "", "actual service start, if it differs from the order's")
			fs.StringVar(&end.value, "end", "", "actual service end (default now)")
			fs.StringVar(&endLoc, "end-location", "", "where the service ended (only if the order has a start location)")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := required("out-order-no", outOrderNo); err != nil {
				return err
			}
			total, err := amount.need("amount")
			if err != nil {
				return err
			}
			c, err := a.orderClient(ctx, outOrderNo, &start, &end)
			if err != nil {
				return err
			}
			o, err := c.completeOrder(ctx, client.CompleteServiceOrderRequest{
				OutOrderNo:   outOrderNo,
				PostPayments: []client.Payment{{Name: paymentName, Amount: client.Fen(total)}},
				TotalAmount:  total,
				TimeRange:    client.TimeRange{StartTime: start.value, EndTime: end.value},
				Location:     client.Location{EndLocation: endLoc},
			})
			if err != nil {
				return err
			}
			if err := a.out.result(orderHeadline("completed", o), o); err != nil {
				return err
			}
			if o.State == client.StateDoing {
				a.out.hint("WeChat Pay deducts and sends PAYSCORE.USER_PAID; on a virtual clock: %s sandbox clock advance 5s", progName)
			}
			return nil
		},
	}
}

func (a *app) orderPayCmd() *command {
	var outOrderNo string
	return &command{
		name:  "pay",
		short: "ask WeChat Pay to deduct an unpaid order now (…/pay)",
		long: `Pay asks WeChat Pay to try the deduction of a completed, unpaid order again (催收,
POST …/serviceorder/{out_order_no}/pay). The result is asynchronous: PAYSCORE.USER_PAID, or
a query. In the sandbox, top up the user first: 'sandbox wallet <openid> --unlimited'.`,
		examples: []string{"go run ./cmd/client order pay --out-order-no RIDE-1"},
		setFlags: func(fs *flag.FlagSet) { orderSelector(fs, &outOrderNo) },
		run: func(ctx context.Context, _ []string) error {
			c, err := a.orderClient(ctx, outOrderNo)
			if err != nil {
				return err
			}
			ref, err := c.payOrder(ctx, outOrderNo)
			if err != nil {
				return err
			}
			return a.out.result(fmt.Sprintf("order %s: deduction requested (the outcome comes as PAYSCORE.USER_PAID or by query)", outOrderNo), ref)
		},
	}
}

// syncFlags are the flags of order sync and payafter sync, which report
// the same off-platform payment to the two APIs.
func syncFlags(fs *flag.FlagSet, outOrderNo *string, paidTime *timeFlag) {
	orderSelector(fs, outOrderNo)
	fs.StringVar(&paidTime.value, "paid-time", "", "when the user paid, yyyyMMddHHmmss or now±duration (default now)")
}

// paidTimeFlag is --paid-time of a sync: seconds precision, default now.
func paidTimeFlag() timeFlag { return timeFlag{name: "paid-time", kind: time14, orNow: true} }

func (a *app) orderSyncCmd() *command {
	var outOrderNo string
	paidTime := paidTimeFlag()
	return &command{
		name:  "sync",
		short: "report that the user paid off-platform (…/sync)",
		long: `Sync reports that the user of a completed, unpaid order paid through the merchant's own
channel (同步服务订单信息, type Order_Paid): the order becomes DONE with a collection detail of
paid type MCH. --paid-time defaults to now on the server's clock.`,
		examples: []string{"go run ./cmd/client order sync --out-order-no RIDE-1 --paid-time now"},
		setFlags: func(fs *flag.FlagSet) { syncFlags(fs, &outOrderNo, &paidTime) },
		run: func(ctx context.Context, _ []string) error {
			c, err := a.orderClient(ctx, outOrderNo, &paidTime)
			if err != nil {
				return err
			}
			o, err := c.syncOrder(ctx, outOrderNo, paidTime.value)
			if err != nil {
				return err
			}
			return a.out.result(orderHeadline("synced", o), o)
		},
	}
}

func (a *app) orderDirectCompleteCmd() *command {
	var outOrderNo, openid, paymentName, intro string
	var amount fenFlag
	start, end := timeFlag{name: "start", kind: timeAny}, timeFlag{name: "end", kind: timeAny}
	return &command{
		name:  "direct-complete",
		short: "create and complete an order in one call (…/direct-complete)",
		long: `Direct-complete creates and completes an order in one call (创单结单合并), for services that
need no pay-score risk check. The user must hold an AVAILABLE authorization. Both times are
in the past of the call: by default the service ran from ten minutes ago until now on the
server's clock. A positive amount is collected like a completed order (PAYSCORE.USER_PAID).`,
		examples: []string{
			"go run ./cmd/client order direct-complete --openid oUser1 --amount 1500",
			"go run ./cmd/client order direct-complete --out-order-no PARK-1 --openid oUser1 --amount 800 --start now-2h --end now-5m",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&outOrderNo, "out-order-no", "", "the merchant's order number (default: generated RIDE-…)")
			fs.StringVar(&openid, "openid", "", "the user, who must have authorised the service (required)")
			fs.Var(&amount, "amount", "the fare in `fen` (required)")
			fs.StringVar(&paymentName, "payment-name", "车费", "name of the post_payments item")
			fs.StringVar(&start.value, "start", "now-10m", "service start, in the past")
			fs.StringVar(&end.value, "end", "now", "service end, in the past")
			fs.StringVar(&intro, "introduction", "网约车出行", "service_introduction (at most 20 characters)")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := required("openid", openid); err != nil {
				return err
			}
			total, err := amount.need("amount")
			if err != nil {
				return err
			}
			if err := a.resolveTimes(ctx, &start, &end); err != nil {
				return err
			}
			c, err := a.scoreClient(ctx)
			if err != nil {
				return err
			}
			if outOrderNo == "" {
				outOrderNo = newNumber("RIDE")
			}
			o, err := c.directCompleteOrder(ctx, client.DirectCompleteServiceOrderRequest{
				OutOrderNo: outOrderNo, AppID: c.appID, ServiceID: c.serviceID, OpenID: openid,
				ServiceIntroduction: intro,
				PostPayments:        []client.Payment{{Name: paymentName, Amount: client.Fen(total)}},
				TimeRange:           client.TimeRange{StartTime: start.value, EndTime: end.value},
				TotalAmount:         total,
				NotifyURL:           c.notifyURL,
			})
			if err != nil {
				return err
			}
			return a.out.result(orderHeadline("created and completed", o), o)
		},
	}
}
