package parking

import (
	"fmt"
	"slices"

	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// Resume checks the parking rows of a restored state and returns the
// timers they wait for: each accepted deduction's scheduled attempts and
// each scenario user's repayment still to come. A row the domain cannot
// place fails the restore.
func (s *Service) Resume(tx store.ReadTxn) ([]clock.Job, error) {
	if err := checkRestored(tx); err != nil {
		return nil, err
	}
	ts, err := tx.ParkingTransactions("")
	if err != nil {
		return nil, err
	}
	var jobs []clock.Job
	for _, t := range ts {
		k := keyOf(t)
		switch {
		case !slices.Contains([]string{store.TradeAccepted, store.TradeSuccess, store.TradePayFail}, t.TradeState):
			return nil, fmt.Errorf("parking transaction %s is %q, no trade_state the mock knows", k, t.TradeState)
		case t.TradeState == store.TradeAccepted && len(t.AttemptsDue) == 0:
			return nil, fmt.Errorf("parking transaction %s is ACCEPTED with no deduction attempt due: it would never settle", k)
		}
		for _, due := range t.AttemptsDue {
			jobs = append(jobs, s.attemptJob(t, due))
		}
		if t.Owes() && !t.RepayDue.At.IsZero() {
			jobs = append(jobs, s.repayJob(t))
		}
	}
	return jobs, nil
}

// checkRestored refuses plates and entries in states the domain does not
// know, which every later call on them would trip over.
func checkRestored(tx store.ReadTxn) error {
	ps, err := tx.Plates()
	if err != nil {
		return err
	}
	for _, p := range ps {
		if _, ok := plateMoves[p.State]; !ok {
			return fmt.Errorf("plate %s %s of %s/%s is %q, no service_state the mock knows", p.PlateNumber, p.PlateColor, p.MchID, p.OpenID, p.State)
		}
	}
	es, err := tx.Parkings()
	if err != nil {
		return err
	}
	reasons := []string{store.BlockPause, store.BlockOverdue, store.BlockOutService, store.BlockEvaluationFailed}
	for _, e := range es {
		switch {
		case e.State == store.ParkingNormal && e.BlockReason == "":
		case e.State == store.ParkingBlocked && slices.Contains(reasons, e.BlockReason):
		default:
			return fmt.Errorf("parking entry %s is %q (%q), no state the mock knows", e.ID, e.State, e.BlockReason)
		}
		if !slices.Contains([]string{"", store.ParkingSuperseded, store.ParkingDeducted}, e.Closed) {
			return fmt.Errorf("parking entry %s is closed as %q, which the mock does not know", e.ID, e.Closed)
		}
	}
	return nil
}
