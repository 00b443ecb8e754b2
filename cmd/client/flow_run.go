package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"time"

	"github.com/mockpay/mockpay/client/sandbox"
)

// flowOptions are the flags every flow has.
type flowOptions struct {
	openid  string
	timeout time.Duration
	listen  string
	ascii   bool
	keep    bool
}

// setFlags binds the flags; user describes --openid.
func (o *flowOptions) setFlags(fs *flag.FlagSet, user string) {
	fs.StringVar(&o.openid, "openid", "", user)
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long to wait for each callback on a real clock")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "`host:port` of the flow's callback listener (none with --notify-url against the mock)")
	fs.BoolVar(&o.ascii, "ascii", false, "mark steps with ok/FAIL instead of ✓/✗")
	fs.BoolVar(&o.keep, "keep", false, "keep the fresh merchant the flow registers in the mock, with its orders, once the flow has passed")
}

// flowRun is what every flow runs with: the target (mock or WeChat Pay),
// the merchant (or service provider and sub-merchant) and its client,
// where the callbacks go and how the flow sees them, and the user.
type flowRun struct {
	a       *app
	o       flowOptions
	name    string // how the flow names itself: "ride", "parking"
	p       *progress
	c       scoreClient // the merchant's client; a service provider's Pay Score calls go to the partner API
	m       *merchant
	rv      *receiver       // the flow's listener; nil when an external receiver gets the callbacks
	sb      *sandbox.Client // nil against WeChat Pay
	virtual bool            // the mock's clock is virtual
	partner bool            // the flow acts as a service provider for subMchID
	fresh   bool            // the flow registered its merchant in the mock

	mchID, subMchID, notifyURL, openid string

	order string    // the order the flow made, once made: what explain points at
	last  *callback // the latest callback awaited
}

// start sets the flow up against its target and starts its callback
// listener, if it has one; stop closes it. Against a mock, --notify-url
// (MOCKPAY_NOTIFY_URL) names a receiver of the developer's ('listen'
// elsewhere, the compose service merchant): the flow sends its callbacks
// there and follows them through the sandbox, with no listener of its
// own, and external, when given, prepares that receiver's merchant. A
// fresh user against the mock is userPrefix and random hex.
func (f *flowRun) start(ctx context.Context, userPrefix string, external func(ctx context.Context, m *merchant) error) (stop func(), err error) {
	if f.o.timeout <= 0 {
		return nil, &usageError{msg: "--timeout must be positive"}
	}
	cfg, err := f.a.settings()
	if err != nil {
		return nil, err
	}
	mock, err := f.a.isMock(ctx)
	if err != nil {
		return nil, err
	}
	var ln net.Listener
	switch {
	case mock && cfg.NotifyURL != "":
		err = f.setUpReceiver(ctx, cfg.NotifyURL, userPrefix, external)
	default:
		if ln, err = net.Listen("tcp", f.o.listen); err != nil {
			return nil, &usageError{msg: fmt.Sprintf("--listen %s: %v", f.o.listen, err)}
		}
		if mock {
			err = f.setUpMock(ctx, callbackURL(ln, f.o.listen), userPrefix)
		} else {
			err = f.setUpWeChatPay(ctx, cfg, callbackURL(ln, f.o.listen))
		}
	}
	if err == nil {
		err = f.connect(ctx, f.m)
	}
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return nil, err
	}
	if ln == nil {
		return func() {}, nil
	}
	f.rv = newReceiver(f.c.Client, 0)
	serveCtx, cancel := context.WithCancel(ctx)
	done := serveCallbacks(serveCtx, ln, f.rv)
	return func() {
		cancel()
		<-done
		ln.Close()
	}, nil
}

// connect builds the client of merchant m, which the flow acts as.
func (f *flowRun) connect(ctx context.Context, m *merchant) error {
	c, err := f.a.newClient(ctx, m)
	if err != nil {
		return err
	}
	f.m, f.mchID = m, m.cfg.MchID
	f.c = scoreClient{Client: c, appID: m.appID, notifyURL: f.notifyURL, subMchID: f.subMchID}
	return nil
}

// setUpMock is the flow against the mock with its own listener: a fresh
// merchant (a service provider with one sub-merchant, for a partner
// flow) whose registered notify_url is the listener, so that every
// callback of the flow reaches it, those without a notify_url of their
// own included.
func (f *flowRun) setUpMock(ctx context.Context, listenerURL, userPrefix string) error {
	if err := f.readClock(ctx); err != nil {
		return err
	}
	spec := sandbox.CreateMerchantRequest{NotifyURL: listenerURL}
	if f.partner {
		spec.Kind = sandbox.KindPartner // with one sub-merchant, drawn
	}
	rec, err := f.sb.CreateMerchant(ctx, spec)
	if err != nil {
		return fmt.Errorf("register the flow's merchant in the mock: %w", err)
	}
	f.fresh = true
	if f.m, err = fromRecord(rec, settings{}); err != nil {
		return err
	}
	if err := f.pickSubMerchant(settings{}, f.m); err != nil {
		return err
	}
	f.notifyURL = listenerURL
	f.pickUser(userPrefix)
	f.a.out.say("%s flow against the mock: %s (fresh), user %s, callbacks to %s; %s", f.name, f.who(rec.MchID), f.openid, listenerURL, f.clockNote())
	return nil
}

// setUpReceiver is the flow against the mock with its callbacks going to
// an external receiver at notifyURL. It acts as the configured merchant
// (default 1230000109, the one 'listen' verifies and decrypts for), so
// that the receiver can read them, and since it does not receive them
// itself, it follows each one through the sandbox (see await).
func (f *flowRun) setUpReceiver(ctx context.Context, notifyURL, userPrefix string, external func(ctx context.Context, m *merchant) error) error {
	if err := checkNotifyURL(notifyURL); err != nil {
		return err
	}
	if err := f.readClock(ctx); err != nil {
		return err
	}
	var err error
	if f.m, err = f.a.merchant(ctx, notifyURL); err != nil {
		return err
	}
	cfg, err := f.a.settings()
	if err != nil {
		return err
	}
	if err := f.pickSubMerchant(cfg, f.m); err != nil {
		return err
	}
	f.notifyURL = notifyURL
	f.pickUser(userPrefix)
	f.a.out.say("%s flow against the mock: %s, user %s, callbacks to %s, followed through the sandbox; %s", f.name, f.who(f.m.cfg.MchID), f.openid, notifyURL, f.clockNote())
	if external == nil {
		return nil
	}
	return external(ctx, f.m)
}

// setUpWeChatPay is the flow against the real WeChat Pay: the configured
// merchant, a real user and a --notify-url that reaches the listener.
func (f *flowRun) setUpWeChatPay(ctx context.Context, cfg settings, listenerURL string) error {
	var err error
	if f.m, err = f.a.merchant(ctx, ""); err != nil {
		return err
	}
	if f.o.openid == "" {
		return &usageError{msg: "against WeChat Pay the flow needs a real user: give --openid"}
	}
	if err := f.pickSubMerchant(cfg, f.m); err != nil {
		return err
	}
	if cfg.NotifyURL == "" {
		return &usageError{
			msg:  "against WeChat Pay the callbacks must reach this machine: give --notify-url",
			hint: fmt.Sprintf("expose the flow's listener %s (e.g. a tunnel; fix its port with --listen) and pass its public https URL", listenerURL),
		}
	}
	f.openid, f.notifyURL = f.o.openid, cfg.NotifyURL
	f.a.out.say("%s flow against %s: %s, user %s, callbacks to %s (listener %s); waiting up to %s for each callback",
		f.name, cfg.URL, f.who(f.m.cfg.MchID), f.openid, f.notifyURL, listenerURL, f.o.timeout)
	return nil
}

// readClock connects to the mock's sandbox and learns whether its clock
// is virtual, which the flow then advances instead of waiting.
func (f *flowRun) readClock(ctx context.Context) error {
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

// pickSubMerchant settles the sub-merchant a partner flow acts for:
// --sub-mchid, else the first of the service provider's record in the
// mock. A merchant the mock knows as a direct merchant cannot.
func (f *flowRun) pickSubMerchant(cfg settings, m *merchant) error {
	if !f.partner {
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
func (f *flowRun) who(mchid string) string {
	if f.partner {
		return fmt.Sprintf("service provider %s for sub-merchant %s", mchid, f.subMchID)
	}
	return "merchant " + mchid
}

// pickUser is --openid, or against the mock a fresh user, who has done
// nothing yet, so that the flow runs every step.
func (f *flowRun) pickUser(prefix string) {
	f.openid = f.o.openid
	if f.openid == "" {
		f.openid = prefix + randomHex(6)
	}
}

func (f *flowRun) clockNote() string {
	if f.virtual {
		return "virtual clock: advanced instead of waiting"
	}
	return "real clock: waiting up to " + f.o.timeout.String() + " for each callback"
}

// run runs the flow's steps and reports how long they took. Once they
// have passed, it removes the fresh merchant the flow registered in the
// mock, with its orders (--keep keeps them), so that runs do not pile up
// in the mock, and says so in cleanUp; a failed flow keeps it, to be
// looked at.
func (f *flowRun) run(ctx context.Context, steps []step) (took time.Duration, cleanUp string, err error) {
	f.p = newProgress(f.a, f.o.ascii, steps)
	started := time.Now()
	if err := f.p.run(ctx); err != nil {
		if f.fresh {
			f.a.out.say("merchant %s is kept, to be looked at; 'go run ./cmd/client sandbox merchant delete %s' removes it", f.mchID, f.mchID)
		}
		return 0, "", err
	}
	took = time.Since(started).Round(time.Millisecond)
	if f.fresh && !f.o.keep {
		if err := f.sb.DeleteMerchant(ctx, sandbox.DeleteMerchantRequest{MchID: f.mchID}); err != nil {
			return 0, "", fmt.Errorf("the flow passed; removing its merchant %s from the mock failed: %w", f.mchID, err)
		}
		cleanUp = " (removed with its orders; --keep keeps them)"
	}
	return took, cleanUp, nil
}

// elapse lets a service last: length on a virtual clock; on a real one,
// until the server's clock has passed start's second, which an end time
// must follow. show writes times the way the flow's API does.
func (f *flowRun) elapse(ctx context.Context, length time.Duration, start time.Time, show func(time.Time) string) (stepResult, error) {
	if f.virtual {
		st, err := f.sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{Duration: length})
		if err != nil {
			return stepResult{}, fmt.Errorf("advance the mock's clock: %w", err)
		}
		return stepResult{detail: fmt.Sprintf("%s on the mock's virtual clock, now %s", length, show(st.Now))}, nil
	}
	started := time.Now()
	for {
		now, err := f.a.serverNow(ctx)
		if err != nil {
			return stepResult{}, err
		}
		if now.Truncate(time.Second).After(start.Truncate(time.Second)) {
			return stepResult{detail: fmt.Sprintf("%s of real time, now %s", time.Since(started).Round(time.Second), show(now))}, nil
		}
		t := time.NewTimer(time.Second)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return stepResult{}, ctx.Err()
		}
	}
}
