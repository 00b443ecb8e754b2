// Package parking is the mock's Pay Score parking service (微信支付分停车,
// protocol-parking.md): the plates users open the service for, the
// parking entries car parks announce, and the deductions that pay for a
// stay, accepted at once and settled on the clock, with their callbacks
// (VEHICLE.ENTRANCE_STATE_CHANGE, TRANSACTION.SUCCESS / FAIL / PAY_BACK).
//
// Every change is one write transaction, with the callbacks it fires
// enqueued in it. Direct merchants and service providers call the same
// API: a service provider names a bound sub-merchant in every call, and the
// sub-merchant is part of every lookup. The package never sees an HTTP
// request: the HTTP layer decodes a call into its wire type.
package parking

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/ids"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// DefaultDeductionDelay is how long after its acceptance a deduction is
// attempted, in domain time: within the minute architecture.md promises.
const DefaultDeductionDelay = 5 * time.Second

// Service is the parking domain.
type Service struct {
	store     *store.Store
	clock     clock.Clock
	notifier  *notify.Notifier
	ids       ids.Source
	delay     time.Duration
	scenarios *scenario.Engine
	log       *slog.Logger
}

// Config assembles a Service.
type Config struct {
	Store    *store.Store
	Clock    clock.Clock
	Notifier *notify.Notifier
	NewID    func() string
	// DeductionDelay is how long after acceptance the deduction is
	// attempted; 0 means DefaultDeductionDelay.
	DeductionDelay time.Duration
	// Scenarios may change what users and deductions do; nil means none.
	Scenarios *scenario.Engine
	Logger    *slog.Logger
}

// New returns the parking domain.
func New(c Config) *Service {
	d := c.DeductionDelay
	if d <= 0 {
		d = DefaultDeductionDelay
	}
	return &Service{store: c.Store, clock: c.Clock, notifier: c.Notifier, ids: ids.Source{NewID: c.NewID}, delay: d, scenarios: c.Scenarios, log: c.Logger}
}

// Timeline entry types of a transaction.
const (
	timelineState        = "state"
	timelineDeduction    = "deduction"
	timelineNotification = "notification"
	timelineUser         = "user"
)

// note adds an entry to t's timeline.
func (s *Service) note(t *store.ParkingTransaction, now time.Time, typ, summary string) {
	t.AddEvent(store.Event{Seq: s.store.NextSeq(), At: now, Type: typ, Summary: summary})
}

// digest fingerprints a request's parameters for idempotency checks.
func digest(v any) store.Digest {
	dg, err := store.DigestOf(v)
	if err != nil {
		panic(fmt.Sprintf("parking: %v", err)) // request structs always encode
	}
	return dg
}

// refusal is the sandbox's answer to a user action the state does not
// allow: a conflict whose detail names the state, as the state machines'
// refusals do.
func refusal(state, issue string) error {
	return apierr.New(apierr.Conflict, issue).WithDetail(apierr.Detail{Field: "state", Value: state, Issue: issue})
}
