package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"

	"github.com/mockpay/mockpay/client"
)

// flowCmd groups end-to-end flows.
func (a *app) flowCmd() *command {
	return &command{
		name:  "flow",
		short: "run a whole integration flow, step by step",
		long: `Flow runs a whole Pay Score integration end to end with the real client, reporting every
step, so you can see the sequence your own integration must reproduce and check a target
(mock or WeChat Pay) in one command.`,
		examples: []string{
			"go run ./cmd/client flow ride",
			"go run ./cmd/client flow ride --legacy",
			"go run ./cmd/client flow ride --partner",
			"go run ./cmd/client flow parking",
		},
		subs: []*command{a.flowRideCmd(), a.flowParkingCmd()},
	}
}

// rideOptions are the flags of `flow ride`.
type rideOptions struct {
	flowOptions
	confirm, legacy, partner bool
	amount, refund           fenFlag
}

func (a *app) flowRideCmd() *command {
	var o rideOptions
	return &command{
		name:  "ride",
		short: "the ride-hailing flow of the reference integration, step by step",
		long: `Ride runs the reference ride-hailing integration (docs/walkthrough.md, section 2) with live
progress: user-service-state → pre-authorize → the user authorises and
PAYSCORE.USER_OPEN_SERVICE arrives → create the order (免确认 by default; --confirm: 需确认,
the user confirms and PAYSCORE.USER_CONFIRM arrives; --legacy: the payafter-orders API, whose
finish_ticket comes from a query) → the ride → complete with the fare → the deduction and
PAYSCORE.USER_PAID → query (DONE / USER_PAID) → a refund and REFUND.SUCCESS. The first
failure stops the flow, naming the step and the error.

--partner runs the same ride as a service provider (服务商) for one of its sub-merchants:
every call goes to the partner API (/v3/payscore/partner/...) naming the sub-merchant,
the calls on the order are answered 204 (the flow queries the order after each), and
every callback names the sub-merchant. Against the mock the flow registers a fresh service
provider with one sub-merchant; otherwise it acts as the configured service provider for
--sub-mchid (or, on a mock, its first sub-merchant).

By default the flow starts its own callback listener on a free local port (--listen) and verifies and
decrypts every callback with the merchant's client. Against the mock it registers a fresh
merchant whose notify_url is that listener (legacy and authorization callbacks go to the
registered address), plays the user through the sandbox, and on a virtual clock advances
the clock instead of waiting; on a real clock it waits up to --timeout for each callback.
Once the flow has passed, it removes that merchant with its orders (--keep keeps them), so
that runs do not pile up in the mock; a failed flow keeps it, to be looked at.

With --notify-url (MOCKPAY_NOTIFY_URL) against the mock, the callbacks go to that receiver
instead: 'listen' in another terminal, or the compose service merchant at
http://merchant:9000/notify (the mock sends the callbacks, so the name only has to resolve
where the mock runs). The flow then acts as the configured merchant (--mchid, default
1230000109, the one 'listen' verifies and decrypts for), opens no listener, and follows each
callback through the sandbox (GET /sandbox/notifications) until the receiver has answered
it: a step fails if the receiver answered anything but 2xx, or if nothing was delivered
(within --timeout on a real clock). With --legacy it first makes the URL the merchant's registered notify_url
(PATCH /sandbox/merchants/{mchid}), where legacy callbacks go.

Against the real WeChat Pay (no /sandbox/health) it uses the configured merchant, needs
--openid and a --notify-url that reaches the listener (a tunnel), explains the steps only a
real user can take, and waits for the real callbacks.`,
		examples: []string{
			"go run ./cmd/client flow ride",
			"go run ./cmd/client flow ride --confirm",
			"go run ./cmd/client flow ride --legacy --amount 3800",
			"go run ./cmd/client flow ride --partner --confirm",
			"go run ./cmd/client flow ride --json | jq -c 'select(.ok == false)'",
			"go run ./cmd/client flow ride --notify-url http://127.0.0.1:9000/notify   # to 'listen' in another terminal",
			"go run ./cmd/client flow ride --legacy --notify-url http://merchant:9000/notify   # to the compose service merchant",
			"go run ./cmd/client flow ride --url https://api.mch.weixin.qq.com --openid oReal… --notify-url https://tunnel.example/notify --listen 127.0.0.1:9000 --timeout 5m",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.BoolVar(&o.confirm, "confirm", false, "需确认: need_user_confirm=true; the user confirms the order")
			fs.BoolVar(&o.legacy, "legacy", false, "use the legacy payafter-orders API with finish_ticket")
			fs.BoolVar(&o.partner, "partner", false, "run the ride as a service provider (服务商) for a sub-merchant, through the partner API")
			fs.Var(&o.amount, "amount", "the fare in `fen` (default 4200)")
			fs.Var(&o.refund, "refund", "`fen` to refund at the end (default: the whole fare)")
			o.setFlags(fs, "the rider (default against the mock: a fresh oRide_… user)")
		},
		run: func(ctx context.Context, _ []string) error {
			return a.runRide(ctx, o)
		},
	}
}

// ride is one run of the ride-hailing flow.
type ride struct {
	*flowRun
	o rideOptions

	appID, serviceID, authCode, outOrderNo string
	fare, refund                           int64

	alreadyAuthorised bool
	start             string              // the order's service start, yyyyMMddHHmmss
	transactionID     string              // what the refund is made against
	finishTicket      string              // legacy only
	refundOutcome     client.RefundStatus // how the refund must end; "" is SUCCESS
}

func (a *app) runRide(ctx context.Context, o rideOptions) error {
	f := &ride{flowRun: &flowRun{a: a, o: o.flowOptions, name: "ride", partner: o.partner}, o: o, fare: o.amount.orDefault(4200)}
	f.refund = o.refund.orDefault(f.fare)
	if f.fare <= 0 || f.refund <= 0 || f.refund > f.fare {
		return &usageError{msg: "--amount must be positive and --refund between 1 and --amount"}
	}
	if o.partner && o.legacy {
		return &usageError{msg: "--partner and --legacy do not go together: the legacy payafter API has no partner form"}
	}
	stop, err := f.flowRun.start(ctx, "oRide_", f.registerLegacyURL)
	if err != nil {
		return err
	}
	defer stop()
	if err := f.numberOrder(); err != nil {
		return err
	}
	took, cleanUp, err := f.run(ctx, f.steps())
	if err != nil {
		return err
	}
	variant := "免确认"
	switch {
	case o.legacy && o.confirm:
		variant = "legacy payafter, user accepts"
	case o.legacy:
		variant = "legacy payafter, 免确认"
	case o.confirm:
		variant = "需确认"
	}
	if o.partner {
		variant += ", service provider " + f.mchID + " for sub-merchant " + f.subMchID
	}
	a.out.say("ride flow complete (%s): order %s paid %s and refunded %s; merchant %s%s, user %s, %d steps in %s",
		variant, f.outOrderNo, yuan(f.fare), yuan(f.refund), f.mchID, cleanUp, f.openid, len(f.p.steps), took)
	return nil
}

// setUpClient builds the client of merchant m, which the ride acts as,
// and the order's identifiers.
func (f *ride) setUpClient(ctx context.Context, m *merchant) error {
	if err := f.connect(ctx, m); err != nil {
		return err
	}
	return f.numberOrder()
}

// numberOrder settles the ride's appid and service_id and numbers its
// authorization and order.
func (f *ride) numberOrder() error {
	var err error
	if f.appID, f.serviceID, err = f.m.ids(); err != nil {
		return err
	}
	f.c.appID, f.c.serviceID = f.appID, f.serviceID
	f.authCode = newNumber("AUTH")
	f.outOrderNo = newNumber("RIDE")
	return nil
}

// registerLegacyURL makes an external receiver's URL the merchant's
// registered notify_url when the flow is legacy: legacy callbacks go there.
func (f *ride) registerLegacyURL(ctx context.Context, m *merchant) error {
	if !f.o.legacy {
		return nil
	}
	was, changed, err := registerNotifyURL(ctx, f.sb, m.cfg.MchID, f.notifyURL)
	if err != nil {
		return fmt.Errorf("legacy callbacks go to the merchant's registered notify_url: %w", err)
	}
	if changed {
		f.a.out.say("merchant %s: registered notify_url set to %s (was %s), where legacy callbacks go", m.cfg.MchID, f.notifyURL, dash(was))
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// steps lists the flow's steps for the variant: the legacy API has its
// own create, confirmation, completion and callbacks, and a query for the
// finish_ticket before the ride.
func (f *ride) steps() []step {
	create, confirm := step{"create order", f.createOrder}, step{"user confirms", f.userConfirms}
	complete, paid, query := f.completeOrder, f.awaitOrderPaid, f.queryOrderPaid
	if f.o.legacy {
		create, confirm = step{"create payafter order", f.createPayAfter}, step{"user accepts", f.userAccepts}
		complete, paid, query = f.completePayAfter, f.awaitPayAfterPaid, f.queryPayAfterPaid
	}
	steps := []step{
		{"user-service-state", f.userServiceState},
		{"pre-authorize", f.preAuthorize},
		{"user authorizes", f.userAuthorizes},
		create,
	}
	if f.o.confirm {
		steps = append(steps, confirm)
	}
	if f.o.legacy {
		steps = append(steps, step{"query finish_ticket", f.queryFinishTicket})
	}
	return append(steps,
		step{"ride", f.theRide},
		step{"complete", complete},
		step{"deduction", paid},
		step{"query", query},
		step{"refund", f.refundFare},
	)
}
