package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/sandbox"
)

// parkingOptions are the flags of `flow parking`.
type parkingOptions struct {
	flowOptions
	plate  string
	color  colorFlag
	amount fenFlag
}

// stayLength is how long the car stays on a virtual clock.
const stayLength = 2 * time.Hour

// plateEvery is how often the flow asks whether a real user has opened the
// plate's service: no callback says so.
const plateEvery = 2 * time.Second

func (a *app) flowParkingCmd() *command {
	var o parkingOptions
	return &command{
		name:  "parking",
		short: "the Pay Score parking flow: plate, entry, exit and deduction, step by step",
		long: `Parking runs a car park's Pay Score parking integration (微信支付分停车) with live progress:
services/find for the plate → the user opens the service for it (against the mock the
sandbox plays the user; against WeChat Pay a real user opens it in WeChat's parking
mini-program and the flow asks services/find until it is NORMAL) → the car enters (an entry,
NORMAL) → the stay → the car leaves and the deduction is accepted (ACCEPTED) → the deduction
and TRANSACTION.SUCCESS → query (SUCCESS, with its transaction_id). The first failure stops
the flow, naming the step and the error.

Callbacks go where they go for 'flow ride' (see 'flow ride --help'): to the flow's own
listener, which verifies and decrypts them, or with --notify-url against the mock to that
receiver, followed through the sandbox. Against the mock a fresh merchant, user and plate
are used, and on a virtual clock the stay lasts two hours of it; once the flow has passed,
it removes that merchant with its entries and deductions (--keep keeps them).`,
		examples: []string{
			"go run ./cmd/client flow parking",
			"go run ./cmd/client flow parking --plate 粤B888888 --amount 2500 --json",
			"go run ./cmd/client flow parking --notify-url http://127.0.0.1:9000/notify   # to 'listen' in another terminal",
			"go run ./cmd/client flow parking --url https://api.mch.weixin.qq.com --openid oReal… --plate 粤B888888 --notify-url https://tunnel.example/notify --listen 127.0.0.1:9000 --timeout 5m",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.plate, "plate", "", "the plate (default against the mock: a fresh 粤B… plate)")
			fs.Var(&o.color, "color", "the plate's `colour` (default BLUE)")
			fs.Var(&o.amount, "amount", "the fee in `fen` (default 1500)")
			o.setFlags(fs, "the driver (default against the mock: a fresh oPark_… user)")
		},
		run: func(ctx context.Context, _ []string) error {
			return a.runParking(ctx, o)
		},
	}
}

// parkingFlow is one run of the parking flow.
type parkingFlow struct {
	*flowRun
	o parkingOptions

	appID, plate             string
	color                    client.PlateColor
	outParkingNo, outTradeNo string
	fee                      int64
	alreadyOpen              bool
	entry                    *client.Parking
	transactionID            string
	scenarios                []string // the ids of the scenarios a trigger loaded for the deduction
}

func (a *app) runParking(ctx context.Context, o parkingOptions) error {
	f := &parkingFlow{flowRun: &flowRun{a: a, o: o.flowOptions, name: "parking"}, o: o, fee: o.amount.orDefault(1500), color: o.color.color()}
	if f.fee <= 0 {
		return &usageError{msg: "--amount must be positive"}
	}
	stop, err := f.start(ctx, "oPark_", nil)
	if err != nil {
		return err
	}
	defer stop()
	if f.appID = f.m.appID; f.appID == "" {
		return &usageError{msg: "the appid is not configured", hint: "set --appid (MOCKPAY_APPID)"}
	}
	f.plate = o.plate
	switch {
	case f.plate == "" && f.sb != nil:
		f.plate = freshPlate()
	case f.plate == "":
		return &usageError{msg: "against WeChat Pay the flow needs the user's plate: give --plate"}
	}
	f.outParkingNo, f.outTradeNo = newNumber("IN"), newNumber("PK")
	took, cleanUp, err := f.run(ctx, []step{
		{"plate service", f.plateService},
		{"user opens the service", f.userOpens},
		{"car enters", f.carEnters},
		{"stay", f.stay},
		{"car leaves", f.carLeaves},
		{"deduction", f.awaitDeduction},
		{"query", f.queryDeduction},
	})
	if err != nil {
		return err
	}
	a.out.say("parking flow complete: plate %s charged %s for entry %s (transaction_id %s); merchant %s%s, user %s, %d steps in %s",
		f.plate, yuan(f.fee), f.entry.ID, f.transactionID, f.mchID, cleanUp, f.openid, len(f.p.steps), took)
	return nil
}

// freshPlate is a plate against the mock: 粤B and five random digits, so
// that runs side by side do not share one (a plate is one user's).
func freshPlate() string {
	return fmt.Sprintf("粤B%05d", rand.IntN(100000))
}

func (f *parkingFlow) queryPlate(ctx context.Context) (*client.PlateService, error) {
	return f.c.QueryPlateService(ctx, client.QueryPlateServiceRequest{AppID: f.appID, PlateNumber: f.plate, PlateColor: f.color, OpenID: f.openid})
}

func (f *parkingFlow) plateService(ctx context.Context) (stepResult, error) {
	ps, err := f.queryPlate(ctx)
	if err != nil {
		return stepResult{}, err
	}
	f.alreadyOpen = ps.ServiceState == client.PlateServiceNormal
	detail := fmt.Sprintf("%s %s of %s: %s", ps.PlateNumber, ps.PlateColor, ps.OpenID, ps.ServiceState)
	if !f.alreadyOpen {
		detail += ": the merchant sends the user to open it"
	}
	return stepResult{detail, ps}, nil
}

// userOpens has the user open the service for the plate and asks
// services/find until it is NORMAL: no callback tells the merchant.
func (f *parkingFlow) userOpens(ctx context.Context) (stepResult, error) {
	if f.alreadyOpen {
		return stepResult{detail: "skipped: the service is on for the plate"}, nil
	}
	if f.sb != nil {
		if _, err := f.sb.SetPlate(ctx, sandbox.SetPlateRequest{
			OpenID: f.openid, PlateNumber: f.plate, MchID: f.mchID, AppID: f.appID, PlateColor: f.color, State: client.PlateServiceNormal,
		}); err != nil {
			return stepResult{}, fmt.Errorf("sandbox: the user opens the service: %w", err)
		}
	} else {
		f.p.note("a real user must open the parking service for %s in WeChat (mini-program wxbcad394b3d99dac9, page pages/auth-creditpay/auth-creditpay) as %s", f.plate, f.openid)
	}
	deadline := time.Now().Add(f.o.timeout)
	for {
		ps, err := f.queryPlate(ctx)
		if err != nil {
			return stepResult{}, err
		}
		if ps.ServiceState == client.PlateServiceNormal {
			return stepResult{fmt.Sprintf("services/find says %s, opened %s", ps.ServiceState, ps.ServiceOpenTime), ps}, nil
		}
		if f.sb != nil || time.Now().After(deadline) {
			return stepResult{}, fmt.Errorf("the service for %s is %s, not NORMAL", f.plate, ps.ServiceState)
		}
		t := time.NewTimer(plateEvery)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return stepResult{}, ctx.Err()
		}
	}
}

func (f *parkingFlow) carEnters(ctx context.Context) (stepResult, error) {
	now, err := f.a.serverNow(ctx)
	if err != nil {
		return stepResult{}, err
	}
	p, err := f.c.CreateParking(ctx, client.CreateParkingRequest{
		OutParkingNo: f.outParkingNo, PlateNumber: f.plate, PlateColor: f.color, NotifyURL: f.notifyURL,
		StartTime: client.TimeRFC3339(now), ParkingName: defaultParkingName, FreeDuration: 900,
	})
	if err != nil {
		return stepResult{}, err
	}
	if p.State != client.ParkingNormal {
		return stepResult{}, fmt.Errorf("entry %s is %s (%s): Pay Score cannot pay for this stay", p.OutParkingNo, p.State, p.BlockReason)
	}
	f.entry = p
	return stepResult{fmt.Sprintf("entry %s %s, id %s, at %s", p.OutParkingNo, p.State, p.ID, p.StartTime), p}, nil
}

func (f *parkingFlow) stay(ctx context.Context) (stepResult, error) {
	start, err := time.Parse(time.RFC3339, f.entry.StartTime)
	if err != nil {
		return stepResult{}, fmt.Errorf("the entry's start_time: %w", err)
	}
	return f.elapse(ctx, stayLength, start, client.TimeRFC3339)
}

func (f *parkingFlow) carLeaves(ctx context.Context) (stepResult, error) {
	now, err := f.a.serverNow(ctx)
	if err != nil {
		return stepResult{}, err
	}
	start, err := time.Parse(time.RFC3339, f.entry.StartTime)
	if err != nil {
		return stepResult{}, fmt.Errorf("the entry's start_time: %w", err)
	}
	e := f.entry
	tx, err := f.c.CreateParkingTransaction(ctx, client.CreateParkingTransactionRequest{
		AppID: f.appID, Description: "停车费", OutTradeNo: f.outTradeNo, NotifyURL: f.notifyURL,
		Amount: client.ParkingOrderAmount{Total: f.fee, Currency: client.CurrencyCNY},
		ParkingInfo: client.ParkingInfo{
			ParkingID: e.ID, PlateNumber: e.PlateNumber, PlateColor: e.PlateColor, StartTime: e.StartTime,
			EndTime: client.TimeRFC3339(now), ParkingName: e.ParkingName,
			ChargingDuration: int64(now.Sub(start) / time.Second), DeviceID: "GATE-1",
		},
	})
	if err != nil {
		return stepResult{}, err
	}
	f.order = tx.OutTradeNo
	if tx.TradeState != client.TradeAccepted {
		return stepResult{}, fmt.Errorf("deduction %s is %s, want %s", tx.OutTradeNo, tx.TradeState, client.TradeAccepted)
	}
	return stepResult{fmt.Sprintf("deduction %s %s, %s from %s; WeChat Pay now deducts", tx.OutTradeNo, tx.TradeState, yuan(tx.Amount.Total), tx.Payer.OpenID), tx}, nil
}

// awaitDeduction waits for the deduction's outcome: TRANSACTION.SUCCESS,
// or TRANSACTION.FAIL, which fails the step.
func (f *parkingFlow) awaitDeduction(ctx context.Context) (stepResult, error) {
	n, err := f.await(ctx, "TRANSACTION.*", f.outTradeNo, func(n *client.Notification) bool {
		return f.aboutDeduction(n) && n.EventType != client.EventTransactionPayBack
	})
	if err != nil {
		return stepResult{}, err
	}
	r, err := deductionResult(n)
	if err == nil && n.EventType != client.EventTransactionSuccess {
		return stepResult{}, errors.New(r.detail)
	}
	return r, err
}

// aboutDeduction reports whether a callback is about the flow's deduction.
func (f *parkingFlow) aboutDeduction(n *client.Notification) bool {
	ev, err := n.ParkingTransactionEvent()
	return err == nil && ev.OutTradeNo == f.outTradeNo
}

// deductionResult is the step's result for a callback about a deduction:
// what was seen, and the deduction as it says.
func deductionResult(n *callback) (stepResult, error) {
	ev, err := n.ParkingTransactionEvent()
	if err != nil {
		return stepResult{}, err
	}
	return stepResult{fmt.Sprintf("%s: %s", n.seen, parkingHeadline(&ev.ParkingTransaction)), ev}, nil
}

func (f *parkingFlow) queryDeduction(ctx context.Context) (stepResult, error) {
	tx, err := f.c.QueryParkingTransaction(ctx, client.QueryParkingTransactionRequest{OutTradeNo: f.outTradeNo})
	if err != nil {
		return stepResult{}, err
	}
	if tx.TradeState != client.TradeSuccess || tx.TransactionID == "" {
		return stepResult{}, fmt.Errorf("deduction %s is %s, want SUCCESS with a transaction_id", tx.OutTradeNo, tx.TradeState)
	}
	f.transactionID = tx.TransactionID
	return stepResult{parkingHeadline(tx) + ", paid at " + tx.SuccessTime, tx}, nil
}
