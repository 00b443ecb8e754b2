package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// serviceOrder holds the fields of a service order the tests look at.
type serviceOrder struct {
	OutOrderNo       string `json:"out_order_no"`
	State            string `json:"state"`
	StateDescription string `json:"state_description"`
	TotalAmount      int64  `json:"total_amount"`
	TimeRange        struct {
		StartTime string `json:"start_time"`
		EndTime   string `json:"end_time"`
	} `json:"time_range"`
	NotifyURL  string `json:"notify_url"`
	Collection *struct {
		State      string `json:"state"`
		PaidAmount int64  `json:"paid_amount"`
		Details    []struct {
			PaidType      string `json:"paid_type"`
			TransactionID string `json:"transaction_id"`
		} `json:"details"`
	} `json:"collection"`
}

// deductedOrder makes openid an authorised user, creates a 免确认 order
// for them, lets the ride last, completes the order with amount and lets
// the deduction run: the order is paid unless the user's wallet is short.
func deductedOrder(t *testing.T, h *harness, openid, outOrderNo, amount string) {
	t.Helper()
	h.authorize(t, openid)
	h.ok(t, "order", "create", "--out-order-no", outOrderNo, "--amount", "5000", "--openid", openid)
	h.advance(t, 20*time.Minute)
	h.ok(t, "order", "complete", "--out-order-no", outOrderNo, "--amount", amount)
	h.advance(t, 5*time.Second)
}

// unpaidOrder is a deductedOrder of a user whose wallet is empty: the
// deduction fails and the order stays DOING/MCH_COMPLETE, USER_PAYING.
func unpaidOrder(t *testing.T, h *harness, openid, outOrderNo, amount string) {
	t.Helper()
	h.ok(t, "sandbox", "wallet", openid, "--balance", "0")
	deductedOrder(t, h, openid, outOrderNo, amount)
}

func TestOrder(t *testing.T) {
	t.Parallel()

	t.Run("免确认 create, complete, deduction, query", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		h.authorize(t, "oRider")
		out := h.ok(t, "order", "create", "--out-order-no", "RIDE-1", "--amount", "5000", "--openid", "oRider", "--start-location", "望京SOHO")
		assert.Contains(t, out, "order RIDE-1 created: DOING/USER_CONFIRM")
		assert.Contains(t, out, "time_range.start_time    20261201090000", "start defaults to now on the mock's clock")
		assert.Contains(t, out, "→ at the end of the service: client order complete --out-order-no RIDE-1")

		h.advance(t, 20*time.Minute)
		out = h.ok(t, "order", "complete", "--out-order-no", "RIDE-1", "--amount", "4200", "--end-location", "国贸")
		assert.Contains(t, out, "order RIDE-1 completed: DOING/MCH_COMPLETE, total ¥42.00")

		h.advance(t, 5*time.Second)
		var o serviceOrder
		h.okJSON(t, &o, "order", "query", "--out-order-no", "RIDE-1")
		assert.Equal(t, "DONE", o.State)
		assert.Equal(t, "20261201092000", o.TimeRange.EndTime, "end defaults to now on the mock's clock")
		require.NotNil(t, o.Collection)
		assert.Equal(t, "USER_PAID", o.Collection.State)
		assert.EqualValues(t, 4200, o.Collection.PaidAmount)
		assert.Equal(t, h.sink, o.NotifyURL)

		sbo, err := h.srv.Order(defaultMchID, "", "RIDE-1")
		require.NoError(t, err)
		assert.Contains(t, h.ok(t, "order", "query", "--query-id", sbo.QueryID), "order RIDE-1 is: DONE, total ¥42.00, collection USER_PAID (paid ¥42.00)")
	})
	t.Run("需确认 create and the user confirms", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		out := h.ok(t, "order", "create", "--out-order-no", "RIDE-2", "--amount", "3000", "--start", "now+5m", "--end", "now+1h")
		assert.Contains(t, out, "order RIDE-2 created: CREATED")
		assert.Contains(t, out, "time_range.start_time    20261201090500")
		assert.Contains(t, out, "time_range.end_time      20261201100000")
		assert.Contains(t, out, "client sandbox confirm RIDE-2 --openid <openid>")
		h.ok(t, "sandbox", "confirm", "RIDE-2", "--openid", "oConfirmer")
		assert.Contains(t, h.ok(t, "order", "query", "--out-order-no", "RIDE-2"), "order RIDE-2 is: DOING/USER_CONFIRM")
	})
	t.Run("cancel, and a different reason afterwards", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		h.ok(t, "order", "create", "--out-order-no", "RIDE-3")
		assert.Contains(t, h.ok(t, "order", "cancel", "--out-order-no", "RIDE-3"), "order RIDE-3 cancelled (REVOKED)")
		assert.Contains(t, h.ok(t, "order", "cancel", "--out-order-no", "RIDE-3"), "REVOKED", "an identical retry succeeds")
		stderr := h.fails(t, exitFailure, "order", "cancel", "--out-order-no", "RIDE-3", "--reason", "别的原因")
		assert.Regexp(t, `^ORDER_CANCELED: \S`, stderr)
	})
	t.Run("unpaid: modify, then pay", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		unpaidOrder(t, h, "oPoor", "RIDE-4", "4200")
		assert.Contains(t, h.ok(t, "order", "query", "--out-order-no", "RIDE-4"), "DOING/MCH_COMPLETE, total ¥42.00, collection USER_PAYING")

		assert.Contains(t, h.ok(t, "order", "modify", "--out-order-no", "RIDE-4", "--amount", "3000"), "order RIDE-4 modified: DOING/MCH_COMPLETE, total ¥30.00")
		h.ok(t, "sandbox", "wallet", "oPoor", "--unlimited")
		assert.Contains(t, h.ok(t, "order", "pay", "--out-order-no", "RIDE-4"), "order RIDE-4: deduction requested")
		h.advance(t, 5*time.Second)
		assert.Contains(t, h.ok(t, "order", "query", "--out-order-no", "RIDE-4"), "DONE, total ¥30.00, collection USER_PAID (paid ¥30.00)")
	})
	t.Run("unpaid: sync an off-platform payment", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		unpaidOrder(t, h, "oCash", "RIDE-5", "2500")
		var o serviceOrder
		h.okJSON(t, &o, "order", "sync", "--out-order-no", "RIDE-5")
		assert.Equal(t, "DONE", o.State)
		require.NotNil(t, o.Collection)
		require.NotEmpty(t, o.Collection.Details)
		assert.Equal(t, "MCH", o.Collection.Details[0].PaidType)
	})
	t.Run("direct-complete", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		h.authorize(t, "oPark")
		h.advance(t, time.Hour) // the default start, ten minutes ago, must be after the authorization
		out := h.ok(t, "order", "direct-complete", "--out-order-no", "PARK-1", "--openid", "oPark", "--amount", "1500")
		assert.Contains(t, out, "order PARK-1 created and completed:")
		assert.Contains(t, out, "total ¥15.00")
		h.advance(t, 5*time.Second)
		assert.Contains(t, h.ok(t, "order", "query", "--out-order-no", "PARK-1"), "DONE")
	})

	failures := []refusal{
		{"unknown order", "ORDER_NOT_EXIST", []string{"order", "query", "--out-order-no", "NOPE"}, ""},
		{"免确认 without authorization", "INVALID_REQUEST", []string{"order", "create", "--out-order-no", "RIDE-X", "--openid", "oStranger"}, `"field": "/openid"`},
		{"complete at the start time", "PARAM_ERROR", []string{"order", "complete", "--out-order-no", "RIDE-F", "--amount", "100"}, `"field": "/time_range/end_time"`},
		{"pay an order not completed", "INVALID_ORDER_STATE", []string{"order", "pay", "--out-order-no", "RIDE-F"}, ""},
		{"modify an order not completed", "INVALID_ORDER_STATE", []string{"order", "modify", "--out-order-no", "RIDE-F", "--amount", "100"}, ""},
		{"sync an order not completed", "INVALID_ORDER_STATE", []string{"order", "sync", "--out-order-no", "RIDE-F"}, ""},
		{"direct-complete without authorization", "INVALID_REQUEST", []string{"order", "direct-complete", "--openid", "oStranger", "--amount", "100"}, ""},
	}
	h := newHarness(t, mock.Options{})
	h.authorize(t, "oF")
	h.ok(t, "order", "create", "--out-order-no", "RIDE-F", "--openid", "oF")
	checkRefusals(t, h, failures)
	t.Run("local validation is not sent", func(t *testing.T) {
		t.Parallel()
		stderr := h.fails(t, exitUsage, "order", "create", "--introduction", "这段服务介绍写得实在是太长太长太长了已经超过二十个字")
		assert.Contains(t, stderr, "invalid request, not sent: /service_introduction")
	})
	t.Run("json create", func(t *testing.T) {
		t.Parallel()
		var o map[string]json.RawMessage
		h.okJSON(t, &o, "order", "create", "--out-order-no", "RIDE-J")
		assert.JSONEq(t, `"CREATED"`, string(o["state"]))
		assert.Contains(t, o, "package")
	})
}
