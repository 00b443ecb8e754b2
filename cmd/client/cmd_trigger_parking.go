package main

import (
	"context"
	"fmt"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/sandbox"
)

// The trigger recipes of Pay Score parking's callbacks reuse the parking
// flow's steps on the trigger's run: a fresh plate whose service the
// user opens through the sandbox, an entry, the stay and the deduction.

// parkingFixture is a parking flow on the trigger's run (merchant, user,
// receiver and clock), with a fresh plate and fresh numbers.
func (f *ride) parkingFixture() *parkingFlow {
	return &parkingFlow{
		flowRun: f.flowRun, o: parkingOptions{flowOptions: f.flowRun.o},
		appID: f.appID, plate: freshPlate(), color: client.PlateBlue,
		outParkingNo: newNumber("IN"), outTradeNo: newNumber("PK"), fee: 1500,
	}
}

// parked are the steps up to an accepted deduction: the user opens the
// plate's service, the car enters, stays and leaves.
func parked(p *parkingFlow) []step {
	return []step{
		{"user opens the plate's service", p.userOpens},
		{"car enters", p.carEnters},
		{"stay", p.stay},
		{"car leaves", p.carLeaves},
	}
}

// userPauses has the user pause the plate's service, which blocks its
// open entry (BLOCKED, PAUSE), and waits for
// VEHICLE.ENTRANCE_STATE_CHANGE.
func (f *parkingFlow) userPauses(ctx context.Context) (stepResult, error) {
	n, err := f.byUser(ctx, userStep{
		what: "the user pauses the plate's service",
		sandbox: func(ctx context.Context, sb *sandbox.Client) error {
			_, err := sb.SetPlate(ctx, sandbox.SetPlateRequest{
				OpenID: f.openid, PlateNumber: f.plate, MchID: f.mchID, AppID: f.appID, PlateColor: f.color, State: client.PlateServicePause,
			})
			return err
		},
		eventType: client.EventEntranceStateChange,
		about:     f.outParkingNo,
		match: func(n *client.Notification) bool {
			ev, err := n.ParkingEntranceEvent()
			return err == nil && ev.OutParkingNo == f.outParkingNo
		},
	})
	if err != nil {
		return stepResult{}, err
	}
	ev, err := n.ParkingEntranceEvent()
	if err != nil {
		return stepResult{}, err
	}
	return stepResult{fmt.Sprintf("%s: entry %s %s %s", n.seen, ev.OutParkingNo, ev.ParkingState, ev.BlockedStateDescription), ev}, nil
}

// walletTooLow empties the user's wallet, so that the deduction fails.
func (f *parkingFlow) walletTooLow(ctx context.Context) (stepResult, error) {
	none := int64(0)
	u, err := f.sb.SetWallet(ctx, sandbox.SetWalletRequest{OpenID: f.openid, Wallet: sandbox.Wallet{Balance: &none}})
	if err != nil {
		return stepResult{}, fmt.Errorf("sandbox: the user's wallet: %w", err)
	}
	return stepResult{fmt.Sprintf("the wallet of user %s holds 0 fen", f.openid), u}, nil
}

// awaitDeductionFails waits for TRANSACTION.FAIL.
func (f *parkingFlow) awaitDeductionFails(ctx context.Context) (stepResult, error) {
	n, err := f.await(ctx, client.EventTransactionFail, f.outTradeNo, f.aboutDeduction)
	if err != nil {
		return stepResult{}, err
	}
	return deductionResult(n)
}

// advanceScenario has WeChat Pay advance a deduction (bank_type BPA); the
// trigger scopes it to its own deduction.
const advanceScenario = `name: trigger-parking-advance
description: WeChat Pay advances the trigger's parking deduction; the user repays it on demand.
deduction:
  advance: true
`

// willAdvance loads a scenario, scoped to the deduction, under which
// WeChat Pay advances it: the user is short.
func (f *parkingFlow) willAdvance(ctx context.Context) (stepResult, error) {
	scs, err := f.sb.LoadScenarios(ctx, sandbox.LoadScenariosRequest{
		File: "trigger-parking-advance.yaml", Data: []byte(advanceScenario), MchID: f.mchID, OutOrderNo: f.outTradeNo,
	})
	if err != nil {
		return stepResult{}, fmt.Errorf("sandbox: load the advance's scenario: %w", err)
	}
	for _, sc := range scs {
		f.scenarios = append(f.scenarios, sc.ID)
	}
	return stepResult{fmt.Sprintf("scenario %s loaded for deduction %s: WeChat Pay advances it", advanceScenarioName(scs), f.outTradeNo), scs}, nil
}

func advanceScenarioName(scs []sandbox.Scenario) string {
	if len(scs) == 0 {
		return "(none)"
	}
	return scs[0].Name + " (" + scs[0].ID + ")"
}

// untilAdvanced waits for the advance to pay the deduction
// (TRANSACTION.SUCCESS, bank_type BPA), then unloads the scenario.
func (f *parkingFlow) untilAdvanced(ctx context.Context) (stepResult, error) {
	r, err := f.awaitDeduction(ctx)
	if err != nil {
		return r, err
	}
	for _, id := range f.scenarios {
		if err := f.sb.UnloadScenario(ctx, sandbox.UnloadScenarioRequest{ID: id}); err != nil {
			return stepResult{}, fmt.Errorf("sandbox: unload scenario %s: %w", id, err)
		}
	}
	f.scenarios = nil
	return r, nil
}

// userRepays has the user repay the advance and waits for
// TRANSACTION.PAY_BACK.
func (f *parkingFlow) userRepays(ctx context.Context) (stepResult, error) {
	n, err := f.byUser(ctx, userStep{
		what: "the user repays the advance",
		sandbox: func(ctx context.Context, sb *sandbox.Client) error {
			_, err := sb.PayOrder(ctx, sandbox.PayOrderRequest{MchID: f.mchID, OutOrderNo: f.outTradeNo})
			return err
		},
		eventType: client.EventTransactionPayBack,
		about:     f.outTradeNo,
		match:     f.aboutDeduction,
	})
	if err != nil {
		return stepResult{}, err
	}
	return deductionResult(n)
}
