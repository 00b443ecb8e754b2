package payscore

import (
	"fmt"

	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// expiryJob is the timer that expires a CREATED order: ExpiryAfter (a
// service order) or PayAfterExpiry (a payafter order) after its creation.
// Its Seq is that of the creation's timeline entry, noted just before the
// timer was armed.
func (s *Service) expiryJob(o *store.Order) clock.Job {
	after := ExpiryAfter
	if o.Kind == store.KindPayAfter {
		after = PayAfterExpiry
	}
	var seq uint64
	if len(o.Events) > 0 {
		seq = o.Events[0].Seq
	}
	key := keyOf(o)
	return clock.Job{At: o.CreatedAt.Add(after), Seq: seq, Label: "expire " + key.String(), Run: func() { s.expire(key) }, Owner: o.MchID}
}

// deductionJob is the timer of a scheduled deduction attempt of o.
func (s *Service) deductionJob(o *store.Order, due store.DeductionDue) clock.Job {
	key := keyOf(o)
	return clock.Job{
		At: due.At, Seq: due.Seq, Label: "deduct " + key.String() + " (" + due.Why + ")",
		Run: func() { s.deduct(key, due.Seq) }, Owner: o.MchID,
	}
}

// Resume returns the timers the orders in tx are waiting for, for a server
// restored from a saved state to arm: the expiry of each CREATED order, the
// deduction attempts scheduled for each order being collected, and the
// decision of each PROCESSING binding application. An order the state
// machines cannot place fails the restore.
//
// What a scenario's user was going to do later (confirm an order, close
// the service) is not resumed: scenarios are not part of a saved state, and
// the decision was taken when the order was created or started.
func (s *Service) Resume(tx store.ReadTxn) ([]clock.Job, error) {
	orders, err := tx.Orders("")
	if err != nil {
		return nil, err
	}
	var jobs []clock.Job
	for _, o := range orders {
		if _, _, err := stageOf(o); err != nil {
			return nil, err // every call on it would fail: refuse the state at once
		}
		if o.Kind == store.KindServiceOrder && o.State == store.StateDoing && o.StateDescription == store.DescMchComplete && o.Collection == nil {
			// Deductions, pay, modify and sync would dereference it.
			return nil, fmt.Errorf("order %s/%s is %s with no collection", o.MchID, o.OutOrderNo, stageName(o))
		}
		if o.State == store.StateCreated {
			jobs = append(jobs, s.expiryJob(o))
		}
		if allow(o, OpDeduct) != nil {
			continue
		}
		for _, due := range o.DeductionsDue {
			jobs = append(jobs, s.deductionJob(o, due))
		}
	}
	apps, err := tx.Applications()
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if a.State == store.ApplicationProcessing {
			jobs = append(jobs, s.decisionJob(a))
		}
	}
	return jobs, nil
}
