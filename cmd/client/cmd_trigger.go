package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/sandbox"
	"github.com/mockpay/mockpay/internal/suggest"
)

// trigger: any callback the mock sends, on demand, like `stripe trigger`.
// Each event type has a recipe: the steps that create what the event
// needs (a user, an authorization, an order, a deduction) through the real
// API and the sandbox, and drive it until the event fires. Only the last
// step waits for its callback to be answered; the callbacks the fixtures
// make on the way go to the same URL, unawaited.

// triggerRecipe is how trigger makes the mock send one event type.
type triggerRecipe struct {
	eventType string
	// legacy: the callback carries no notify_url of its own and goes to
	// the merchant's registered one.
	legacy bool
	// partner: a service provider's callback, sent as the configured
	// merchant, which must be a service provider: the receiver verifies it
	// with that merchant's keys.
	partner bool
	steps   func(f *ride) []step
}

// triggerRecipes has one recipe per callback the mock sends, in the
// mock's order (mock.CallbackTypes; a test holds the two lists equal).
func triggerRecipes() []triggerRecipe {
	// authorized: a user who opened the service; completed: a 免确认
	// order of theirs, completed, so that WeChat Pay deducts.
	authorized := func(f *ride) []step {
		return []step{{"pre-authorize", f.preAuthorize}, {"user authorizes", f.authorizeNow}}
	}
	completed := func(f *ride) []step {
		return []step{{"create order", f.createOrder}, {"ride", f.theRide}, {"complete", f.completeOrder}}
	}
	refunded := func(outcome client.RefundStatus) func(f *ride) []step {
		return func(f *ride) []step {
			f.refundOutcome = outcome
			steps := authorized(f)
			if outcome != client.RefundSuccess {
				steps = append(steps, step{"refunds end " + string(outcome), f.refundsEnd})
			}
			steps = append(steps, completed(f)...)
			return append(steps, step{"deduction", f.untilPaid}, step{"query", f.queryOrderPaid}, step{"refund", f.refundFare})
		}
	}
	return []triggerRecipe{
		{eventType: client.EventUserOpenService, steps: func(f *ride) []step {
			return []step{{"pre-authorize", f.preAuthorize}, {"user authorizes", f.userAuthorizes}}
		}},
		{eventType: client.EventUserCloseService, steps: func(f *ride) []step {
			return append(authorized(f), step{"user revokes", f.userRevokes})
		}},
		{eventType: client.EventUserConfirm, steps: func(f *ride) []step {
			f.o.confirm = true
			return []step{{"create order", f.createOrder}, {"user confirms", f.userConfirms}}
		}},
		{eventType: client.EventUserPaid, steps: func(f *ride) []step {
			return append(append(authorized(f), completed(f)...), step{"deduction", f.awaitOrderPaid})
		}},
		{eventType: client.EventUserAccepted, legacy: true, steps: func(f *ride) []step {
			f.o.confirm, f.o.legacy = true, true
			return []step{{"create payafter order", f.createPayAfter}, {"user accepts", f.userAccepts}}
		}},
		{eventType: client.EventBindServiceAccount, partner: true, steps: func(f *ride) []step {
			return []step{{"apply to bind the sub-merchant", f.applyServiceAccount}}
		}},
		{eventType: client.EventRefundSuccess, steps: refunded(client.RefundSuccess)},
		{eventType: client.EventRefundAbnormal, steps: refunded(client.RefundAbnormal)},
		{eventType: client.EventRefundClosed, steps: refunded(client.RefundClosed)},
		{eventType: client.EventEntranceStateChange, steps: func(f *ride) []step {
			p := f.parkingFixture()
			return []step{{"user opens the plate's service", p.userOpens}, {"car enters", p.carEnters}, {"user pauses the service", p.userPauses}}
		}},
		{eventType: client.EventTransactionSuccess, steps: func(f *ride) []step {
			p := f.parkingFixture()
			return append(parked(p), step{"deduction", p.awaitDeduction})
		}},
		{eventType: client.EventTransactionFail, steps: func(f *ride) []step {
			p := f.parkingFixture()
			steps := append([]step{{"wallet too low", p.walletTooLow}}, parked(p)...)
			return append(steps, step{"deduction fails", p.awaitDeductionFails})
		}},
		{eventType: client.EventTransactionPayBack, steps: func(f *ride) []step {
			p := f.parkingFixture()
			steps := append([]step{{"WeChat Pay will advance", p.willAdvance}}, parked(p)...)
			return append(steps, step{"deduction advanced", p.untilAdvanced}, step{"user repays", p.userRepays})
		}},
	}
}

func (a *app) triggerCmd() *command {
	var list, ascii bool
	var timeout time.Duration
	return &command{
		name:  "trigger",
		args:  "<event_type>",
		short: "make the mock send any callback, fixtures and all",
		long: `Trigger makes the mock send one callback of the given event type (trigger --list lists
them, one per line) to --notify-url (MOCKPAY_NOTIFY_URL), or else to the merchant's
registered notify_url. It creates what the event needs through the real API and the
sandbox, as the configured merchant (default 1230000109): a fresh user who authorizes the
service, an order that is created, completed and deducted, a refund; then it drives them
until the event fires, on a virtual clock by advancing it, on a real one waiting up to
--timeout, and follows the callback through the sandbox until the receiver answered it. It
prints each step and the callback's fate; it fails if the receiver answered anything but
2xx. The callbacks the fixtures make on the way (PAYSCORE.USER_OPEN_SERVICE before a
USER_PAID, USER_PAID before a REFUND.*) go to the same URL.

The parking callbacks use a fresh plate whose service the user opens through the sandbox,
an entry and a deduction: VEHICLE.ENTRANCE_STATE_CHANGE when the user pauses the service
(the entry becomes BLOCKED, PAUSE), TRANSACTION.SUCCESS when the deduction is paid,
TRANSACTION.FAIL with the user's wallet emptied, and TRANSACTION.PAY_BACK after WeChat Pay
advanced the deduction (a scenario loaded for that deduction only, unloaded once it has
acted) and the user repays it.

PAYSCORE.USER_ACCEPTED, a legacy payafter callback, has no notify_url of its own: with
--notify-url, trigger first makes it the merchant's registered notify_url (PATCH
/sandbox/merchants/{mchid}) and says so. Against your app, run 'listen --forward-to' and
trigger to the listener, or give your app's URL as --notify-url.`,
		examples: []string{
			"go run ./cmd/client trigger --list",
			"go run ./cmd/client trigger PAYSCORE.USER_PAID",
			"go run ./cmd/client trigger REFUND.ABNORMAL --notify-url http://127.0.0.1:9000/notify",
			"go run ./cmd/client trigger TRANSACTION.PAY_BACK --notify-url http://127.0.0.1:9000/notify",
			"go run ./cmd/client trigger PAYSCORE.USER_ACCEPTED --notify-url http://127.0.0.1:9100/notify --json",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.BoolVar(&list, "list", false, "list the event types trigger can send, one per line")
			fs.DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for the callback on a real clock")
			fs.BoolVar(&ascii, "ascii", false, "mark steps with ok/FAIL instead of ✓/✗")
		},
		maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			recipes := triggerRecipes()
			if list {
				if len(args) > 0 {
					return &usageError{msg: "give an event type or --list, not both"}
				}
				for _, r := range recipes {
					a.out.write(r.eventType + "\n")
				}
				return nil
			}
			if len(args) == 0 {
				return &usageError{msg: "missing argument <event_type>", hint: "'trigger --list' lists them"}
			}
			if timeout <= 0 {
				return &usageError{msg: "--timeout must be positive"}
			}
			var names []string
			for _, r := range recipes {
				if strings.EqualFold(r.eventType, args[0]) {
					return a.runTrigger(ctx, r, rideOptions{flowOptions: flowOptions{timeout: timeout, ascii: ascii}})
				}
				names = append(names, r.eventType)
			}
			e := &usageError{msg: fmt.Sprintf("the mock sends no %s callback", args[0]), hint: "'trigger --list' lists them"}
			if near, ok := suggest.Name(strings.ToUpper(args[0]), names); ok {
				e.hint = "did you mean " + near + "? " + e.hint
			}
			return e
		},
	}
}

// runTrigger sets the recipe's fixtures up as the configured merchant and
// runs its steps.
func (a *app) runTrigger(ctx context.Context, r triggerRecipe, o rideOptions) error {
	sb, err := a.requireMock(ctx, "trigger")
	if err != nil {
		return err
	}
	cfg, err := a.settings()
	if err != nil {
		return err
	}
	f := &ride{flowRun: &flowRun{a: a, o: o.flowOptions, name: "trigger"}, o: o, fare: 4200, refund: 4200}
	if err := f.readClock(ctx); err != nil {
		return err
	}
	m, err := a.merchant(ctx, cfg.NotifyURL)
	if err != nil {
		return err
	}
	rec, err := sb.GetMerchant(ctx, sandbox.GetMerchantRequest{MchID: m.cfg.MchID})
	if err != nil {
		return fmt.Errorf("read merchant %s from the mock: %w", m.cfg.MchID, err)
	}
	f.notifyURL = cfg.NotifyURL
	if f.notifyURL == "" {
		f.notifyURL = rec.NotifyURL
	}
	if f.notifyURL == "" {
		return &usageError{msg: fmt.Sprintf("merchant %s has no registered notify_url, and no --notify-url was given", m.cfg.MchID),
			hint: "give the receiver's URL as --notify-url, e.g. that of 'go run ./cmd/client listen'"}
	}
	if err := checkNotifyURL(f.notifyURL); err != nil {
		return err
	}
	if r.partner {
		if rec.Kind != sandbox.KindPartner {
			return &usageError{msg: fmt.Sprintf("%s is a service provider's callback, and merchant %s is a direct merchant", r.eventType, rec.MchID),
				hint: "act as a service provider: --mchid of one registered with 'sandbox merchant new --partner'"}
		}
		f.o.partner, f.partner = true, true
		if err := f.pickSubMerchant(cfg, m); err != nil {
			return err
		}
	}
	if err := f.setUpClient(ctx, m); err != nil {
		return err
	}
	f.openid = "oTrigger_" + randomHex(6)
	a.out.say("trigger %s as merchant %s, user %s, to %s; %s", r.eventType, f.mchID, f.openid, f.notifyURL, f.clockNote())
	if r.legacy && f.notifyURL != rec.NotifyURL {
		if _, err := sb.UpdateMerchant(ctx, sandbox.UpdateMerchantRequest{MchID: f.mchID, NotifyURL: f.notifyURL}); err != nil {
			return fmt.Errorf("%s goes to the merchant's registered notify_url: set it to %s: %w", r.eventType, f.notifyURL, err)
		}
		a.out.say("merchant %s: registered notify_url set to %s (was %s), where %s goes", f.mchID, f.notifyURL, dash(rec.NotifyURL), r.eventType)
	}
	f.p = newProgress(a, o.ascii, r.steps(f))
	if err := f.p.run(ctx); err != nil {
		return err
	}
	if f.last != nil {
		a.out.say("triggered %s: %s, id %s", r.eventType, f.last.seen, f.last.ID)
	}
	return nil
}

// applyServiceAccount applies to bind the sub-merchant to the service
// provider's service and awaits the decision's callback.
func (f *ride) applyServiceAccount(ctx context.Context) (stepResult, error) {
	outApplyNo := newNumber("APPLY")
	_, err := f.c.ApplyServiceAccount(ctx, client.ApplyServiceAccountRequest{
		SubMchID: f.subMchID, ServiceID: f.serviceID, AppID: f.appID, OutApplyNo: outApplyNo, ResultNotifyURL: f.notifyURL,
	})
	if err != nil {
		return stepResult{}, err
	}
	n, err := f.await(ctx, client.EventBindServiceAccount, "", func(n *client.Notification) bool {
		var app client.ServiceAccountApplication
		return n.Decode(&app) == nil && app.OutApplyNo == outApplyNo
	})
	if err != nil {
		return stepResult{}, err
	}
	var app client.ServiceAccountApplication
	if err := n.Decode(&app); err != nil {
		return stepResult{}, err
	}
	return stepResult{fmt.Sprintf("%s: application %s %s for sub-merchant %s", n.seen, app.OutApplyNo, app.ApplyState, app.SubMchID), app}, nil
}

// authorizeNow has the user authorize the pre-authorization, without
// waiting for its callback: a fixture of the event triggered.
func (f *ride) authorizeNow(ctx context.Context) (stepResult, error) {
	auth, err := f.sb.AuthorizeUser(ctx, sandbox.AuthorizeUserRequest{
		OpenID: f.openid, MchID: f.mchID, ServiceID: f.serviceID, AppID: f.appID, AuthorizationCode: f.authCode,
	})
	if err != nil {
		return stepResult{}, fmt.Errorf("sandbox: the user authorises: %w", err)
	}
	return stepResult{fmt.Sprintf("user %s %s (PAYSCORE.USER_OPEN_SERVICE sent to %s)", f.openid, auth.AuthorizationState, f.notifyURL), auth}, nil
}

// userRevokes has the user close the service and waits for
// PAYSCORE.USER_CLOSE_SERVICE.
func (f *ride) userRevokes(ctx context.Context) (stepResult, error) {
	n, err := f.byUser(ctx, userStep{
		what: "the user closes the service",
		sandbox: func(ctx context.Context, sb *sandbox.Client) error {
			_, err := sb.RevokeUser(ctx, sandbox.RevokeUserRequest{OpenID: f.openid, MchID: f.mchID, ServiceID: f.serviceID})
			return err
		},
		eventType: client.EventUserCloseService,
		match: func(n *client.Notification) bool {
			ev, err := n.PermissionEvent()
			return err == nil && ev.OpenID == f.openid
		},
	})
	return f.permissionResult(n, err)
}

// refundsEnd makes the user's refunds end with f.refundOutcome.
func (f *ride) refundsEnd(ctx context.Context) (stepResult, error) {
	u, err := f.sb.SetWallet(ctx, sandbox.SetWalletRequest{OpenID: f.openid, Wallet: sandbox.Wallet{RefundOutcome: f.refundOutcome}})
	if err != nil {
		return stepResult{}, fmt.Errorf("sandbox: the user's wallet: %w", err)
	}
	return stepResult{fmt.Sprintf("the refunds of user %s end %s", f.openid, f.refundOutcome), u}, nil
}

// untilPaid waits for the deduction to pay the order, without waiting for
// its callback: a fixture of a refund.
func (f *ride) untilPaid(ctx context.Context) (stepResult, error) {
	_, err := f.wait(ctx, "the deduction of "+f.outOrderNo, "did not pay it", func(ctx context.Context) (*callback, <-chan struct{}, error) {
		o, err := f.sb.GetOrder(ctx, sandbox.GetOrderRequest{MchID: f.mchID, OutOrderNo: f.outOrderNo})
		if err != nil {
			return nil, nil, fmt.Errorf("follow the deduction through the sandbox: %w", err)
		}
		if so := o.ServiceOrder; so != nil && so.Collection != nil && so.Collection.State == client.CollectionUserPaid {
			return &callback{seen: "paid"}, nil, nil
		}
		return nil, after(followEvery), nil
	})
	if err != nil {
		return stepResult{}, err
	}
	return stepResult{detail: fmt.Sprintf("%s paid %s (PAYSCORE.USER_PAID sent to %s)", f.outOrderNo, yuan(f.fare), f.notifyURL)}, nil
}
