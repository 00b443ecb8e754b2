package mock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/identity"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/parking"
	"github.com/mockpay/mockpay/mock/internal/payscore"
	"github.com/mockpay/mockpay/mock/internal/refund"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// Version is reported by /sandbox/health.
const Version = "0.1.0"

// Options configure a Server. The zero value is a working server: the
// embedded test identity, the default merchant, real time, no sandbox token.
type Options struct {
	// Identity is WeChat Pay's side (platform certificate, public key) and
	// the default merchant; nil means the embedded test identity.
	Identity *identity.Bundle
	// Merchants are registered at start. Nil registers the default
	// merchant of Identity; an empty non-nil slice registers none. With a
	// State, a merchant the state holds keeps its restored record (and
	// keys), and a spec without a mchid is skipped: it was registered, under
	// the mchid it drew, when the state began.
	Merchants []MerchantSpec
	// State, when set, is restored at start (ReadState, SaveState): the
	// tables, then the timers their rows wait for. A virtual Clock behind
	// the state's domain time is moved up to it.
	State *State
	// Clock is domain time; nil means the wall clock.
	Clock clock.Clock
	// SandboxToken, when set, is required as a bearer token on /sandbox/*.
	SandboxToken string
	// Logger receives one line per request and lifecycle events; nil discards.
	Logger *slog.Logger
	// NewID makes request ids and other opaque ids; nil means random UUIDs.
	// Tests inject a counter to get byte-stable transcripts.
	NewID func() string
	// RequestLogSize bounds /sandbox/requests; 0 means 1000.
	RequestLogSize int
	// CallbackClient sends callbacks; nil means a plain client. Every
	// attempt is bounded by CallbackTimeout whatever the client.
	CallbackClient *http.Client
	// CallbackTimeout is how long a merchant has to answer a callback;
	// 0 means WeChat Pay's 5 s.
	CallbackTimeout time.Duration
	// CallbackConcurrency bounds the callback deliveries in flight; 0
	// means 64. Deliveries of one order to one address never overtake one
	// another; the others run in parallel, so that a receiver that hangs
	// delays only its own.
	CallbackConcurrency int
	// DeductionDelay is how long after completion (or a pay call) the
	// deduction happens, and after a parking deduction's acceptance its
	// attempt, in domain time; 0 means 5 s.
	DeductionDelay time.Duration
	// RefundDelay is how long a refund stays PROCESSING, in domain time;
	// 0 means 5 s.
	RefundDelay time.Duration
	// Scenarios, when set, are loaded at start: every *.yaml and *.yml file
	// at the root of the file system (os.DirFS("scenarios"), an embed.FS,
	// an fstest.MapFS). More are loaded at run time through LoadScenarios.
	Scenarios fs.FS
	// Sleep waits out a scenario's API latency, which is transport time;
	// nil means a real wait. Tests inject a recorder.
	Sleep func(ctx context.Context, d time.Duration)
}

// sleep waits d of wall time or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Server is the mock WeChat Pay Score API. It is an http.Handler: mount it
// on a listener (cmd/mockpay) or use it in-process (httptest.NewServer).
type Server struct {
	opts      Options
	log       *slog.Logger
	clock     clock.Clock
	store     *store.Store
	journal   atomic.Pointer[func([]byte)] // Journal
	platform  *platform
	ca        *identity.CA
	requests  *requestLog
	newID     func() string
	router    *mux.Router
	notifier  *notify.Notifier
	payscore  *payscore.Service
	refunds   *refund.Service
	parking   *parking.Service
	scenarios *scenario.Engine
	sleep     func(ctx context.Context, d time.Duration)

	// What sees every change (events.go, metrics.go).
	events        *eventBus
	metrics       *metrics
	scenarioWatch scenarioWatch
}

// New builds a server: store, routes and workers. It opens no socket.
func New(opts Options) (*Server, error) {
	s := &Server{opts: opts, store: store.New()}
	s.log = opts.Logger
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.clock = opts.Clock
	if s.clock == nil {
		real, err := clock.NewReal(1)
		if err != nil {
			return nil, err
		}
		s.clock = real
	}
	s.newID = opts.NewID
	if s.newID == nil {
		s.newID = uuid.NewString
	}
	bundle := opts.Identity
	if bundle == nil {
		var err error
		if bundle, err = identity.Default(); err != nil {
			return nil, fmt.Errorf("mock: %w", err)
		}
	}
	var err error
	if s.platform, err = newPlatform(bundle); err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	s.ca = bundle.CA
	size := opts.RequestLogSize
	if size <= 0 {
		size = 1000
	}
	s.requests = newRequestLog(size)
	s.scenarios = scenario.NewEngine(scenarioVocabulary())
	if opts.Scenarios != nil {
		if _, err := s.scenarios.LoadFS(opts.Scenarios); err != nil {
			return nil, fmt.Errorf("mock: scenarios: %w", err)
		}
	}
	s.watch()
	s.sleep = opts.Sleep
	if s.sleep == nil {
		s.sleep = sleep
	}
	s.notifier = notify.New(notify.Config{
		Store: s.store, Clock: s.clock, Client: opts.CallbackClient, Signer: callbackSigner{s}, NewID: s.newID,
		Scenarios: s.scenarios, Logger: s.log, Concurrency: opts.CallbackConcurrency, Timeout: opts.CallbackTimeout,
	})
	s.payscore = payscore.New(payscore.Config{
		Store: s.store, Clock: s.clock, Notifier: s.notifier, NewID: s.newID, DeductionDelay: opts.DeductionDelay,
		Decrypt: s.platform.decrypt, Scenarios: s.scenarios, Logger: s.log,
	})
	s.refunds = refund.New(refund.Config{
		Store: s.store, Clock: s.clock, Notifier: s.notifier, NewID: s.newID, Delay: opts.RefundDelay,
		Scenarios: s.scenarios, Logger: s.log,
	})
	s.parking = parking.New(parking.Config{
		Store: s.store, Clock: s.clock, Notifier: s.notifier, NewID: s.newID, DeductionDelay: opts.DeductionDelay,
		Scenarios: s.scenarios, Logger: s.log,
	})

	if opts.State != nil {
		if err := s.restore(opts.State); err != nil {
			return nil, fmt.Errorf("mock: %w", err)
		}
	}
	specs := opts.Merchants
	if specs == nil {
		def, err := DefaultMerchantSpec(bundle)
		if err != nil {
			return nil, fmt.Errorf("mock: default merchant: %w", err)
		}
		specs = []MerchantSpec{def}
	}
	for _, spec := range specs {
		if opts.State != nil && (spec.MchID == "" || s.hasMerchant(spec.MchID)) {
			continue
		}
		if _, err := s.CreateMerchant(spec); err != nil {
			return nil, fmt.Errorf("mock: register merchant %q: %w", spec.MchID, err)
		}
	}
	if opts.State != nil {
		if err := s.resume(); err != nil {
			return nil, fmt.Errorf("mock: %w", err)
		}
	}
	s.router = s.routes()
	return s, nil
}

// hasMerchant reports whether mchid is registered.
func (s *Server) hasMerchant(mchid string) bool {
	_, err := s.store.Read().Merchant(mchid)
	return err == nil
}

// ServeHTTP serves the v3 API under /v3 and the sandbox control API under /sandbox.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	normalizeSandboxPath(r)
	s.router.ServeHTTP(w, r)
}

// Close stops the server's timers (deductions, callback retries, expiry).
// In-flight HTTP requests are the listener's business.
func (s *Server) Close() error {
	s.clock.Stop()
	s.events.endAll(true)
	return nil
}

// Clock returns the server's domain clock. With a *clock.Virtual, tests
// advance it directly or through Advance.
func (s *Server) Clock() clock.Clock { return s.clock }

// ErrNotVirtual is returned when moving a clock that is not virtual.
var ErrNotVirtual = errors.New("the mock clock is not virtual (set MOCKPAY_CLOCK=virtual)")

// Advance moves a virtual clock forward by d and returns what ran.
func (s *Server) Advance(d time.Duration) ([]clock.Event, error) {
	v, ok := s.clock.(*clock.Virtual)
	if !ok {
		return nil, ErrNotVirtual
	}
	fired, err := v.Advance(d)
	if err == nil {
		s.clockMoved()
	}
	return fired, err
}

// AdvanceTo moves a virtual clock forward to t and returns what ran.
func (s *Server) AdvanceTo(t time.Time) ([]clock.Event, error) {
	v, ok := s.clock.(*clock.Virtual)
	if !ok {
		return nil, ErrNotVirtual
	}
	fired, err := v.AdvanceTo(t)
	if err == nil {
		s.clockMoved()
	}
	return fired, err
}
