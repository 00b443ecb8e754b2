package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/mockpay/mockpay/client"
)

// payafterCmd groups the legacy 先享后付 endpoints (/v3/payscore/payafter-orders).
func (a *app) payafterCmd() *command {
	return &command{
		name:  "payafter",
		short: "legacy 先享后付 orders with finish_ticket (/v3/payscore/payafter-orders)",
		long: `Payafter drives the older 先享后付 order API (/v3/payscore/payafter-orders) that many
integrations, including the reference ride-hailing one, still use: fees and risk_amount
instead of post_payments and risk_fund, and a finish_ticket, returned by a query once the user
accepted the order, that completion needs. Its callbacks (PAYSCORE.USER_ACCEPTED,
PAYSCORE.USER_PAID) carry no notify_url of their own: they go to the merchant's registered
one (in the sandbox: 'sandbox merchant new --notify-url …', or --sandbox).`,
		examples: []string{
			"go run ./cmd/client payafter create --out-order-no RIDE-1 --amount 5000 --openid oUser1",
			"go run ./cmd/client payafter query --out-order-no RIDE-1",
			"go run ./cmd/client payafter complete --out-order-no RIDE-1 --amount 4200",
		},
		subs: []*command{a.payafterCreateCmd(), a.payafterQueryCmd(), a.payafterCancelCmd(), a.payafterCompleteCmd(), a.payafterSyncCmd()},
	}
}

func payAfterHeadline(o *client.PayAfterOrder) string {
	var b strings.Builder
	fmt.Fprintf(&b, "payafter order %s: %s", o.OutOrderNo, o.State)
	if o.TotalAmount > 0 {
		fmt.Fprintf(&b, ", total %s", yuan(o.TotalAmount))
	}
	if o.FinishTicket != "" {
		fmt.Fprintf(&b, ", finish_ticket %s", o.FinishTicket)
	}
	return b.String()
}

func (a *app) payafterCreateCmd() *command {
	o := newCreateFlags()
	var feeName string
	return &command{
		name:  "create",
		short: "create a legacy order (POST /v3/payscore/payafter-orders)",
		long: `Create creates a legacy 先享后付 order. With --openid it is 免确认 (need_user_confirm=false,
as in the reference integration): the user must have authorised the service, the order is
USER_ACCEPTED at once and 'payafter query' returns its finish_ticket. Without --openid (or
with --confirm) it is CREATED until the user accepts it in WeChat
(PAYSCORE.USER_ACCEPTED; in the sandbox 'sandbox confirm <out_order_no>').`,
		examples: []string{
			"go run ./cmd/client payafter create --out-order-no RIDE-1 --amount 5000 --openid oUser1",
			"go run ./cmd/client payafter create --out-order-no RIDE-2 --amount 5000 --start-location 望京SOHO",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.outOrderNo, "out-order-no", "", "the merchant's order number (default: generated RIDE-…)")
			fs.Var(&o.amount, "amount", "estimated `fen` of the fees item (default 5000)")
			fs.StringVar(&feeName, "fee-name", "预估车费", "fee_name of the fees item")
			fs.Var(&o.riskAmount, "risk-amount", "risk_amount in `fen`, the most the order may charge (default: --amount)")
			fs.StringVar(&o.openid, "openid", "", "the user; makes the order 免确认 unless --confirm")
			fs.BoolVar(&o.confirm, "confirm", false, "need_user_confirm=true: the user accepts the order in WeChat")
			fs.StringVar(&o.start.value, "start", "", "service_start_time: yyyyMMddHHmmss, now±duration or OnAccept (default now)")
			fs.StringVar(&o.end.value, "end", "", "planned service_end_time (optional)")
			fs.StringVar(&o.startLoc, "start-location", "", "service_start_location (at most 20 characters)")
			fs.StringVar(&o.endLoc, "end-location", "", "service_end_location (at most 20 characters)")
			fs.StringVar(&o.intro, "introduction", "网约车出行", "service_introduction (at most 20 characters)")
			fs.StringVar(&o.attach, "attach", "", "merchant data echoed in queries and callbacks")
		},
		run: func(ctx context.Context, _ []string) error {
			c, err := legacy(o.prepare(ctx, a))
			if err != nil {
				return err
			}
			fee := o.fare()
			req := client.CreatePayAfterOrderRequest{
				AppID: c.appID, OutOrderNo: o.outOrderNo, ServiceID: c.serviceID,
				ServiceStartTime: o.start.value, ServiceEndTime: o.end.value,
				ServiceStartLocation: o.startLoc, ServiceEndLocation: o.endLoc,
				ServiceIntroduction: o.intro,
				Fees:                []client.PayAfterFee{{Name: feeName, Amount: fee}},
				RiskAmount:          o.riskAmount.orDefault(fee),
				Attach:              o.attach,
				OpenID:              o.openid,
				NeedUserConfirm:     o.needUserConfirm(),
			}
			resp, err := c.CreatePayAfterOrder(ctx, req)
			if err != nil {
				return err
			}
			if err := a.out.result(fmt.Sprintf("payafter order %s created (order_id %s)", resp.OutOrderNo, resp.OrderID), resp); err != nil {
				return err
			}
			if req.NeedUserConfirm != nil && !*req.NeedUserConfirm {
				a.out.hint("it is USER_ACCEPTED; its finish_ticket: %s payafter query --out-order-no %s", progName, o.outOrderNo)
			} else {
				a.out.hint("the user accepts it in WeChat; in the sandbox: %s sandbox confirm %s%s", progName, o.outOrderNo, openidArg(o.openid))
			}
			return nil
		},
	}
}

// queryPayAfter queries a legacy order with the merchant's ids.
func (a *app) queryPayAfter(ctx context.Context, outOrderNo, queryID string) (*client.PayAfterOrder, error) {
	c, err := legacy(a.scoreClient(ctx))
	if err != nil {
		return nil, err
	}
	return c.QueryPayAfterOrder(ctx, client.QueryPayAfterOrderRequest{OutOrderNo: outOrderNo, QueryID: queryID, ServiceID: c.serviceID, AppID: c.appID})
}

func (a *app) payafterQueryCmd() *command {
	var outOrderNo, queryID string
	return &command{
		name:  "query",
		short: "a legacy order, with its finish_ticket (GET /v3/payscore/payafter-orders)",
		long: `Query returns a legacy order in full. While it is USER_ACCEPTED the answer carries the
finish_ticket that completion needs (a later query may return a new one; every ticket stays
valid); once USER_PAID, the finish_transaction_id to refund against.`,
		examples: []string{
			"go run ./cmd/client payafter query --out-order-no RIDE-1",
			"go run ./cmd/client payafter query --out-order-no RIDE-1 --json | jq -r .finish_ticket",
		},
		setFlags: func(fs *flag.FlagSet) { queryFlags(fs, &outOrderNo, &queryID) },
		run: func(ctx context.Context, _ []string) error {
			if err := exactlyOne("out-order-no", outOrderNo, "query-id", queryID); err != nil {
				return err
			}
			o, err := a.queryPayAfter(ctx, outOrderNo, queryID)
			if err != nil {
				return err
			}
			return a.out.result(payAfterHeadline(o), o)
		},
	}
}

func (a *app) payafterCancelCmd() *command {
	var outOrderNo, reason string
	return &command{
		name:  "cancel",
		short: "revoke a CREATED or USER_ACCEPTED legacy order (…/cancel)",
		long:  `Cancel revokes a legacy order that is CREATED or USER_ACCEPTED (撤销先享后付订单): it becomes REVOKED.`,
		examples: []string{
			"go run ./cmd/client payafter cancel --out-order-no RIDE-1 --reason 行程取消",
		},
		setFlags: func(fs *flag.FlagSet) {
			orderSelector(fs, &outOrderNo)
			fs.StringVar(&reason, "reason", "行程取消", "why")
		},
		run: func(ctx context.Context, _ []string) error {
			c, err := legacy(a.orderClient(ctx, outOrderNo))
			if err != nil {
				return err
			}
			ref, err := c.CancelPayAfterOrder(ctx, client.CancelPayAfterOrderRequest{OutOrderNo: outOrderNo, AppID: c.appID, ServiceID: c.serviceID, Reason: reason})
			if err != nil {
				return err
			}
			return a.out.result(fmt.Sprintf("payafter order %s cancelled (REVOKED)", outOrderNo), ref)
		},
	}
}

func (a *app) payafterCompleteCmd() *command {
	var outOrderNo, feeName, ticket, endLoc, cancelReason string
	var amount fenFlag
	var notUsed bool
	start, end := completeTimes()
	return &command{
		name:  "complete",
		short: "complete a USER_ACCEPTED legacy order with its finish_ticket (…/complete)",
		long: `Complete ends a USER_ACCEPTED legacy order (完结先享后付订单) with the fare: it is FINISHED
and WeChat Pay then deducts on its own (USER_PAID, PAYSCORE.USER_PAID to the merchant's
registered notify_url). The finish_ticket is required: without --finish-ticket the command
queries the order for it first, as the reference integration does. --not-used completes it
as not used (finish_type 1, total 0), which revokes it.`,
		examples: []string{
			"go run ./cmd/client payafter complete --out-order-no RIDE-1 --amount 4200",
			"go run ./cmd/client payafter complete --out-order-no RIDE-1 --amount 4200 --finish-ticket $TICKET --end-location 国贸",
			"go run ./cmd/client payafter complete --out-order-no RIDE-1 --not-used --cancel-reason 乘客未上车",
		},
		setFlags: func(fs *flag.FlagSet) {
			orderSelector(fs, &outOrderNo)
			fs.Var(&amount, "amount", "the fare in `fen` (required unless --not-used)")
			fs.StringVar(&feeName, "fee-name", "车费", "fee_name of the fees item")
			fs.StringVar(&ticket, "finish-ticket", "", "the finish_ticket (default: query the order for it)")
			fs.StringVar(&start.value, "start", "", "real_service_start_time (optional)")
			fs.StringVar(&end.value, "end", "", "real_service_end_time (default now)")
			fs.StringVar(&endLoc, "end-location", "", "real_service_end_location (at most 20 characters)")
			fs.BoolVar(&notUsed, "not-used", false, "finish_type 1: the service was not used; total 0")
			fs.StringVar(&cancelReason, "cancel-reason", "用户未使用服务", "cancel_reason with --not-used")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := required("out-order-no", outOrderNo); err != nil {
				return err
			}
			req := client.CompletePayAfterOrderRequest{OutOrderNo: outOrderNo, FinishType: client.FinishTypeCancelled, CancelReason: cancelReason}
			if !notUsed {
				total, err := amount.need("amount")
				if err != nil {
					return err
				}
				req = client.CompletePayAfterOrderRequest{
					OutOrderNo: outOrderNo, FinishType: client.FinishTypeFinished,
					Fees: []client.PayAfterFee{{Name: feeName, Amount: total}}, TotalAmount: total,
				}
			}
			c, err := legacy(a.orderClient(ctx, outOrderNo, &start, &end))
			if err != nil {
				return err
			}
			req.AppID, req.ServiceID = c.appID, c.serviceID
			req.RealServiceStartTime, req.RealServiceEndTime, req.RealServiceEndLocation = start.value, end.value, endLoc
			if ticket == "" {
				o, err := a.queryPayAfter(ctx, outOrderNo, "")
				if err != nil {
					return fmt.Errorf("query the order for its finish_ticket: %w", err)
				}
				if o.FinishTicket == "" {
					return fmt.Errorf("order %s is %s and has no finish_ticket: only a USER_ACCEPTED order can be completed", outOrderNo, o.State)
				}
				ticket = o.FinishTicket
				a.out.say("finish_ticket %s (from a query)", ticket)
			}
			req.FinishTicket = ticket
			ref, err := c.CompletePayAfterOrder(ctx, req)
			if err != nil {
				return err
			}
			state := client.PayAfterFinished
			if notUsed {
				state = client.PayAfterRevoked
			}
			if err := a.out.result(fmt.Sprintf("payafter order %s completed: %s", outOrderNo, state), ref); err != nil {
				return err
			}
			if !notUsed {
				a.out.hint("WeChat Pay deducts and sends PAYSCORE.USER_PAID to the merchant's notify_url; on a virtual clock: %s sandbox clock advance 5s", progName)
			}
			return nil
		},
	}
}

func (a *app) payafterSyncCmd() *command {
	var outOrderNo string
	paidTime := paidTimeFlag()
	return &command{
		name:  "sync",
		short: "report that the user of a FINISHED order paid off-platform (…/sync)",
		long: `Sync reports that the user of a FINISHED legacy order paid through the merchant's own
channel (支付分订单同步): the order becomes USER_PAID with pay_type MchChannelPayType.`,
		examples: []string{"go run ./cmd/client payafter sync --out-order-no RIDE-1 --paid-time now"},
		setFlags: func(fs *flag.FlagSet) { syncFlags(fs, &outOrderNo, &paidTime) },
		run: func(ctx context.Context, _ []string) error {
			c, err := legacy(a.orderClient(ctx, outOrderNo, &paidTime))
			if err != nil {
				return err
			}
			ref, err := c.SyncPayAfterOrder(ctx, client.SyncPayAfterOrderRequest{
				OutOrderNo: outOrderNo, AppID: c.appID, ServiceID: c.serviceID,
				Type: client.SyncOrderPaid, Detail: client.SyncDetail{PaidTime: paidTime.value},
			})
			if err != nil {
				return err
			}
			return a.out.result(fmt.Sprintf("payafter order %s synced: USER_PAID (paid through the merchant's channel)", outOrderNo), ref)
		},
	}
}
