package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"time"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/sandbox"
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
		},
		subs: []*command{a.flowRideCmd()},
	}
}

// rideOptions are the flags of `flow ride`.
type rideOptions struct {
	confirm, legacy, partner bool
	openid                   string
	amount, refund           fenFlag
	timeout                  time.Duration
	listen                   string
	ascii                    bool
	keep                     bool
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
			fs.StringVar(&o.openid, "openid", "", "the rider (default against the mock: a fresh oRide_… user)")
			fs.Var(&o.amount, "amount", "the fare in `fen` (default 4200)")
			fs.Var(&o.refund, "refund", "`fen` to refund at the end (default: the whole fare)")
			fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long to wait for each callback on a real clock")
			fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "`host:port` of the flow's callback listener (none with --notify-url against the mock)")
			fs.BoolVar(&o.ascii, "ascii", false, "mark steps with ok/FAIL instead of ✓/✗")
			fs.BoolVar(&o.keep, "keep", false, "keep the fresh merchant the flow registers in the mock, with its orders, once the flow has passed")
		},
		run: func(ctx context.Context, _ []string) error {
			return a.runRide(ctx, o)
		},
	}
}

// ride is one run of the ride-hailing flow.
type ride struct {
	a       *app
	o       rideOptions
	p       *progress
	c       scoreClient     // the merchant's client; a service provider's calls go to the partner API
	rv      *receiver       // the flow's listener; nil when an external receiver gets the callbacks
	sb      *sandbox.Client // nil against WeChat Pay
	virtual bool            // the mock's clock is virtual
	fresh   bool            // the flow registered its merchant in the mock

	mchID, appID, serviceID, notifyURL string
	subMchID                           string // --partner: the sub-merchant the flow acts for
	openid, authCode, outOrderNo       string
	fare, refund                       int64

	alreadyAuthorised bool
	start             string              // the order's service start, yyyyMMddHHmmss
	transactionID     string              // what the refund is made against
	finishTicket      string              // legacy only
	refundOutcome     client.RefundStatus // how the refund must end; "" is SUCCESS
	last              *callback           // the latest callback awaited
}

func (a *app) runRide(ctx context.Context, o rideOptions) error {
	if o.timeout <= 0 {
		return &usageError{msg: "--timeout must be positive"}
	}
	f := &ride{a: a, o: o, fare: o.amount.orDefault(4200)}
	f.refund = o.refund.orDefault(f.fare)
	if f.fare <= 0 || f.refund <= 0 || f.refund > f.fare {
		return &usageError{msg: "--amount must be positive and --refund between 1 and --amount"}
	}
	if o.partner && o.legacy {
		return &usageError{msg: "--partner and --legacy do not go together: the legacy payafter API has no partner form"}
	}
	cfg, err := a.settings()
	if err != nil {
		return err
	}
	mock, err := a.isMock(ctx)
	if err != nil {
		return err
	}
	// Against a mock, --notify-url names a receiver of the developer's
	// (a 'listen' elsewhere, the compose service merchant): the flow sends
	// its callbacks there and follows them through the sandbox, so it
	// needs no listener of its own.
	var ln net.Listener
	var m *merchant
	if mock && cfg.NotifyURL != "" {
		m, err = f.setUpReceiver(ctx, cfg.NotifyURL)
	} else {
		if ln, err = net.Listen("tcp", o.listen); err != nil {
			return &usageError{msg: fmt.Sprintf("--listen %s: %v", o.listen, err)}
		}
		defer ln.Close()
		if mock {
			m, err = f.setUpMock(ctx, callbackURL(ln, o.listen))
		} else {
			m, err = f.setUpWeChatPay(ctx, cfg, callbackURL(ln, o.listen))
		}
	}
	if err != nil {
		return err
	}
	if err := f.setUpClient(ctx, m); err != nil {
		return err
	}
	if ln != nil {
		f.rv = newReceiver(f.c.Client, 0)
		serveCtx, stop := context.WithCancel(ctx)
		done := serveCallbacks(serveCtx, ln, f.rv)
		defer func() {
			stop()
			<-done
		}()
	}

	f.p = newProgress(a, o.ascii, f.steps())
	started := time.Now()
	if err := f.p.run(ctx); err != nil {
		if f.fresh {
			a.out.say("merchant %s is kept, to be looked at; 'go run ./cmd/client sandbox merchant delete %s' removes it", f.mchID, f.mchID)
		}
		return err
	}
	cleanUp := ""
	if f.fresh && !o.keep {
		if err := f.sb.DeleteMerchant(ctx, sandbox.DeleteMerchantRequest{MchID: f.mchID}); err != nil {
			return fmt.Errorf("the flow passed; removing its merchant %s from the mock failed: %w", f.mchID, err)
		}
		cleanUp = " (removed with its orders; --keep keeps them)"
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
		variant, f.outOrderNo, yuan(f.fare), yuan(f.refund), f.mchID, cleanUp, f.openid, len(f.p.steps), time.Since(started).Round(time.Millisecond))
	return nil
}

// setUpMock is the flow against the mock with its own listener: a fresh
// merchant whose registered notify_url is the listener, so that every
// callback of the flow, legacy ones included, reaches it.
func (f *ride) setUpMock(ctx context.Context, listenerURL string) (*merchant, error) {
	if err := f.readClock(ctx); err != nil {
		return nil, err
	}
	spec := sandbox.CreateMerchantRequest{NotifyURL: listenerURL}
	if f.o.partner {
		spec.Kind = sandbox.KindPartner // with one sub-merchant, drawn
	}
	rec, err := f.sb.CreateMerchant(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("register the flow's merchant in the mock: %w", err)
	}
	f.fresh = true
	m, err := fromRecord(rec, settings{})
	if err != nil {
		return nil, err
	}
	if err := f.pickSubMerchant(settings{}, m); err != nil {
		return nil, err
	}
	f.notifyURL = listenerURL
	f.pickUser()
	f.a.out.say("ride flow against the mock: %s (fresh), user %s, callbacks to %s; %s", f.who(rec.MchID), f.openid, listenerURL, f.clockNote())
	return m, nil
}

// setUpReceiver is the flow against the mock with its callbacks going to
// an external receiver at notifyURL. It acts as the configured merchant
// (default 1230000109, the one 'listen' verifies and decrypts for), so
// that the receiver can read them, and since it does not receive them
// itself, it follows each one through the sandbox (see await).
func (f *ride) setUpReceiver(ctx context.Context, notifyURL string) (*merchant, error) {
	if err := checkNotifyURL(notifyURL); err != nil {
		return nil, err
	}
	if err := f.readClock(ctx); err != nil {
		return nil, err
	}
	m, err := f.a.merchant(ctx, notifyURL)
	if err != nil {
		return nil, err
	}
	cfg, err := f.a.settings()
	if err != nil {
		return nil, err
	}
	if err := f.pickSubMerchant(cfg, m); err != nil {
		return nil, err
	}
	f.notifyURL = notifyURL
	f.pickUser()
	f.a.out.say("ride flow against the mock: %s, user %s, callbacks to %s, followed through the sandbox; %s", f.who(m.cfg.MchID), f.openid, notifyURL, f.clockNote())
	if f.o.legacy { // legacy callbacks go to the merchant's registered notify_url
		was, changed, err := registerNotifyURL(ctx, f.sb, m.cfg.MchID, notifyURL)
		if err != nil {
			return nil, fmt.Errorf("legacy callbacks go to the merchant's registered notify_url: %w", err)
		}
		if changed {
			f.a.out.say("merchant %s: registered notify_url set to %s (was %s), where legacy callbacks go", m.cfg.MchID, notifyURL, dash(was))
		}
	}
	return m, nil
}

// setUpWeChatPay is the flow against the real WeChat Pay: the configured
// merchant, a real user and a --notify-url that reaches the listener.
func (f *ride) setUpWeChatPay(ctx context.Context, cfg settings, listenerURL string) (*merchant, error) {
	m, err := f.a.merchant(ctx, "")
	if err != nil {
		return nil, err
	}
	if f.o.openid == "" {
		return nil, &usageError{msg: "against WeChat Pay the flow needs a real user: give --openid"}
	}
	if err := f.pickSubMerchant(cfg, m); err != nil {
		return nil, err
	}
	if cfg.NotifyURL == "" {
		return nil, &usageError{
			msg:  "against WeChat Pay the callbacks must reach this machine: give --notify-url",
			hint: fmt.Sprintf("expose the flow's listener %s (e.g. a tunnel; fix its port with --listen) and pass its public https URL", listenerURL),
		}
	}
	f.openid, f.notifyURL = f.o.openid, cfg.NotifyURL
	f.a.out.say("ride flow against %s: %s, user %s, callbacks to %s (listener %s); waiting up to %s for each callback",
		cfg.URL, f.who(m.cfg.MchID), f.openid, f.notifyURL, listenerURL, f.o.timeout)
	return m, nil
}

// readClock connects to the mock's sandbox and learns whether its clock
// is virtual, which the flow then advances instead of waiting.
func (f *ride) readClock(ctx context.Context) error {
	sb, err := f.a.sandboxAPI()
	if err != nil {
		return err
	}
	st, err := sb.GetClock(ctx)
	if err != nil {
		return fmt.Errorf("read the mock's clock: %w", err)
	}
	f.sb, f.virtual = sb, st.Mode == sandbox.ClockVirtual
	return nil
}

// pickSubMerchant settles the sub-merchant a --partner flow acts for:
// --sub-mchid, else the first of the service provider's record in the
// mock. A merchant the mock knows as a direct merchant cannot.
func (f *ride) pickSubMerchant(cfg settings, m *merchant) error {
	if !f.o.partner {
		return nil
	}
	if rec := m.record; rec != nil && rec.Kind != sandbox.KindPartner {
		return &usageError{msg: fmt.Sprintf("--partner: merchant %s is a direct merchant", rec.MchID),
			hint: "act as a service provider: --mchid of one registered with 'sandbox merchant new --partner'"}
	}
	f.subMchID = cfg.SubMchID
	if f.subMchID == "" && m.record != nil && len(m.record.SubMerchants) > 0 {
		f.subMchID = m.record.SubMerchants[0].SubMchID
	}
	if f.subMchID == "" {
		return &usageError{msg: "--partner: name the sub-merchant with --sub-mchid / MOCKPAY_SUB_MCHID"}
	}
	return nil
}

// who names whom the flow acts as, for its opening line.
func (f *ride) who(mchid string) string {
	if f.o.partner {
		return fmt.Sprintf("service provider %s for sub-merchant %s", mchid, f.subMchID)
	}
	return "merchant " + mchid
}

// pickUser is --openid, or against the mock a fresh user, who has not
// authorised the service yet, so that the flow runs every step.
func (f *ride) pickUser() {
	f.openid = f.o.openid
	if f.openid == "" {
		f.openid = "oRide_" + randomHex(6)
	}
}

func (f *ride) clockNote() string {
	if f.virtual {
		return "virtual clock: advanced instead of waiting"
	}
	return "real clock: waiting up to " + f.o.timeout.String() + " for each callback"
}

// setUpClient builds the merchant's client and the order's identifiers.
func (f *ride) setUpClient(ctx context.Context, m *merchant) error {
	c, err := f.a.newClient(ctx, m)
	if err != nil {
		return err
	}
	if f.appID, f.serviceID, err = m.ids(); err != nil {
		return err
	}
	f.c = scoreClient{Client: c, appID: f.appID, serviceID: f.serviceID, notifyURL: f.notifyURL, subMchID: f.subMchID}
	f.mchID = m.cfg.MchID
	f.authCode = newNumber("AUTH")
	f.outOrderNo = newNumber("RIDE")
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
