// Package payscore is the domain of the mock: Pay Score service orders and
// their state machine, legacy payafter orders, user authorizations,
// deductions from the sandbox wallet, and when callbacks fire. It changes
// the store, one write transaction per change, with the callbacks enqueued
// in the same transaction. It never sees an HTTP request: the HTTP layer
// decodes a request into its wire type (package wire) and passes it here,
// where its fields are checked (package rules) before anything changes;
// callbacks are assembled by package callback.
package payscore

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/ids"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// Defaults of the domain's timing.
const (
	// DefaultDeductionDelay is how long after completion (or a pay call)
	// WeChat Pay's deduction happens, in domain time.
	DefaultDeductionDelay = 5 * time.Second
	// ExpiryAfter is how long a CREATED service order lives unchanged.
	ExpiryAfter = 30 * 24 * time.Hour
)

// Service is the Pay Score domain.
type Service struct {
	store          *store.Store
	clock          clock.Clock
	notifier       *notify.Notifier
	newID          func() string
	ids            ids.Source
	deductionDelay time.Duration
	decrypt        func(serial, ciphertext string) (string, error)
	scenarios      *scenario.Engine
	log            *slog.Logger
}

// Config assembles a Service.
type Config struct {
	Store          *store.Store
	Clock          clock.Clock
	Notifier       *notify.Notifier
	NewID          func() string
	DeductionDelay time.Duration // 0 means DefaultDeductionDelay
	// Decrypt opens a sensitive field encrypted for the key serial names
	// (protocol.EncryptSensitive).
	Decrypt func(serial, ciphertext string) (string, error)
	// Scenarios may change what users and deductions do; nil means none.
	Scenarios *scenario.Engine
	Logger    *slog.Logger
}

// New returns the domain service.
func New(c Config) *Service {
	d := c.DeductionDelay
	if d <= 0 {
		d = DefaultDeductionDelay
	}
	return &Service{
		store: c.Store, clock: c.Clock, notifier: c.Notifier, newID: c.NewID, ids: ids.Source{NewID: c.NewID},
		deductionDelay: d, decrypt: c.Decrypt, scenarios: c.Scenarios, log: c.Logger,
	}
}

// newOrderID is a 31-digit WeChat Pay service-order id: 1000000000, the
// date, and 13 digits (like 1000000000201912021121095610061).
func (s *Service) newOrderID(now time.Time) string {
	return "1000000000" + now.In(protocol.Beijing).Format(protocol.Layout8) + s.ids.Digits(13)
}

// defaultOpenID is the openid a user gets when the merchant never named
// one: derived from the order, so it is stable for that order.
func defaultOpenID(orderID string) string {
	sum := sha256.Sum256([]byte(orderID))
	return "oMock" + base64.RawURLEncoding.EncodeToString(sum[:])[:23]
}

// errOrderNotExist is the answer for an order the merchant does not have,
// including another merchant's or another sub-merchant's, named by the parameter that named it: the
// path's out_order_no of a call on an order, or a query's out_order_no or
// query_id.
func errOrderNotExist(param, value, loc string) error {
	return apierr.New(apierr.OrderNotExist, "订单不存在").WithDetail(apierr.Detail{
		Field: param, Value: value, Location: loc, Issue: "no such order for this merchant",
	})
}

// loadOrder reads the order a call's path names in tx, mapping absence to
// ORDER_NOT_EXIST.
func loadOrder(tx store.ReadTxn, a store.Account, kind store.Kind, outOrderNo string) (*store.Order, error) {
	o, err := tx.Order(a, kind, outOrderNo)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errOrderNotExist("out_order_no", outOrderNo, apierr.LocPath)
	}
	return o, err
}

// digest fingerprints a request's parameters for idempotency checks.
func digest(v any) store.Digest {
	dg, err := store.DigestOf(v)
	if err != nil {
		panic(fmt.Sprintf("payscore: %v", err)) // request structs always encode
	}
	return dg
}
