package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

type payAfterOrder struct {
	OutOrderNo          string `json:"out_order_no"`
	State               string `json:"state"`
	TotalAmount         int64  `json:"total_amount"`
	FinishTicket        string `json:"finish_ticket"`
	FinishTransactionID string `json:"finish_transaction_id"`
	PayType             string `json:"pay_type"`
}

func TestPayAfter(t *testing.T) {
	t.Parallel()

	t.Run("免确认 create, ticket, complete, paid", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		h.authorize(t, "oRider")
		out := h.ok(t, "payafter", "create", "--out-order-no", "PA-1", "--amount", "5000", "--openid", "oRider", "--start-location", "望京SOHO")
		assert.Contains(t, out, "payafter order PA-1 created (order_id ")
		assert.Contains(t, out, "its finish_ticket: client payafter query --out-order-no PA-1")

		var o payAfterOrder
		h.okJSON(t, &o, "payafter", "query", "--out-order-no", "PA-1")
		assert.Equal(t, "USER_ACCEPTED", o.State)
		require.NotEmpty(t, o.FinishTicket)

		h.advance(t, 20*time.Minute)
		out = h.ok(t, "payafter", "complete", "--out-order-no", "PA-1", "--amount", "4200")
		assert.Regexp(t, regexp.MustCompile(`finish_ticket \S+ \(from a query\)`), out, "the ticket is queried when not given")
		assert.Contains(t, out, "payafter order PA-1 completed: FINISHED")

		h.advance(t, 5*time.Second)
		h.okJSON(t, &o, "payafter", "query", "--out-order-no", "PA-1")
		assert.Equal(t, "USER_PAID", o.State)
		assert.EqualValues(t, 4200, o.TotalAmount)
		assert.NotEmpty(t, o.FinishTransactionID)
		assert.Contains(t, h.ok(t, "payafter", "query", "--out-order-no", "PA-1"), "payafter order PA-1: USER_PAID, total ¥42.00")
	})
	t.Run("the user accepts, then completion with the given ticket", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		out := h.ok(t, "payafter", "create", "--out-order-no", "PA-2")
		assert.Contains(t, out, "client sandbox confirm PA-2 --openid <openid>")
		stderr := h.fails(t, exitFailure, "payafter", "complete", "--out-order-no", "PA-2", "--amount", "100")
		assert.Contains(t, stderr, "order PA-2 is CREATED and has no finish_ticket")

		h.ok(t, "sandbox", "confirm", "PA-2", "--openid", "oAccepter")
		var o payAfterOrder
		h.okJSON(t, &o, "payafter", "query", "--out-order-no", "PA-2")
		require.Equal(t, "USER_ACCEPTED", o.State)
		h.advance(t, time.Minute)
		out = h.ok(t, "payafter", "complete", "--out-order-no", "PA-2", "--amount", "100", "--finish-ticket", o.FinishTicket)
		assert.NotContains(t, out, "(from a query)")
		assert.Contains(t, out, "completed: FINISHED")
	})
	t.Run("not used, cancel and sync", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		h.authorize(t, "oU")
		h.ok(t, "sandbox", "wallet", "oU", "--balance", "0")
		for _, no := range []string{"PA-N", "PA-C", "PA-S"} {
			h.ok(t, "payafter", "create", "--out-order-no", no, "--openid", "oU")
		}
		h.advance(t, 10*time.Minute)

		assert.Contains(t, h.ok(t, "payafter", "complete", "--out-order-no", "PA-N", "--not-used"), "completed: REVOKED")
		assert.Contains(t, h.ok(t, "payafter", "cancel", "--out-order-no", "PA-C"), "payafter order PA-C cancelled (REVOKED)")

		h.ok(t, "payafter", "complete", "--out-order-no", "PA-S", "--amount", "800")
		h.advance(t, 5*time.Second) // the deduction fails: the wallet is empty
		assert.Contains(t, h.ok(t, "payafter", "query", "--out-order-no", "PA-S"), "PA-S: FINISHED")
		assert.Contains(t, h.ok(t, "payafter", "sync", "--out-order-no", "PA-S"), "synced: USER_PAID")
		var o payAfterOrder
		h.okJSON(t, &o, "payafter", "query", "--out-order-no", "PA-S")
		assert.Equal(t, "MchChannelPayType", o.PayType)
	})

	h := newHarness(t, mock.Options{})
	h.ok(t, "payafter", "create", "--out-order-no", "PA-F")
	checkRefusals(t, h, []refusal{
		{name: "unknown order", code: "ORDER_NOT_EXIST", args: []string{"payafter", "query", "--out-order-no", "NOPE"}},
		{name: "cancel an unknown order", code: "ORDER_NOT_EXIST", args: []string{"payafter", "cancel", "--out-order-no", "NOPE", "--reason", "用户取消"}},
		{name: "complete before acceptance", code: "INVALID_ORDER_STATE", args: []string{"payafter", "complete", "--out-order-no", "PA-F", "--amount", "100", "--finish-ticket", "bogus"}},
		{name: "sync before completion", code: "INVALID_ORDER_STATE", args: []string{"payafter", "sync", "--out-order-no", "PA-F"}},
		{name: "免确认 without authorization", code: "INVALID_REQUEST", args: []string{"payafter", "create", "--openid", "oStranger"}},
	})
}
