package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

type refund struct {
	OutRefundNo string `json:"out_refund_no"`
	Status      string `json:"status"`
	Amount      struct {
		Total  int64 `json:"total"`
		Refund int64 `json:"refund"`
	} `json:"amount"`
}

func TestRefund(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	deductedOrder(t, h, "oRider", "RIDE-R", "4200")
	var o serviceOrder
	h.okJSON(t, &o, "order", "query", "--out-order-no", "RIDE-R")
	require.NotNil(t, o.Collection)
	require.NotEmpty(t, o.Collection.Details)
	txn := o.Collection.Details[0].TransactionID

	out := h.ok(t, "refund", "create", "--transaction-id", txn, "--out-refund-no", "RF-1", "--amount", "1000", "--total", "4200", "--reason", "行程费用调整")
	assert.Contains(t, out, "refund RF-1 created: PROCESSING, ¥10.00 of ¥42.00")
	assert.Contains(t, out, "REFUND.SUCCESS follows")

	h.advance(t, 5*time.Second)
	var r refund
	h.okJSON(t, &r, "refund", "query", "--out-refund-no", "RF-1")
	assert.Equal(t, "SUCCESS", r.Status)
	assert.EqualValues(t, 1000, r.Amount.Refund)
	assert.Contains(t, h.ok(t, "refund", "query", "--out-refund-no", "RF-1"), "refund RF-1 is: SUCCESS, ¥10.00 of ¥42.00")

	checkRefusals(t, h, []refusal{
		{name: "unknown refund", code: "RESOURCE_NOT_EXISTS", args: []string{"refund", "query", "--out-refund-no", "RF-NOPE"}},
		{name: "the out_order_no is not a trade", code: "RESOURCE_NOT_EXISTS", args: []string{"refund", "create", "--out-trade-no", "RIDE-R", "--amount", "100"}},
		{name: "more than what is left", code: "INVALID_REQUEST", args: []string{"refund", "create", "--transaction-id", txn, "--amount", "4000", "--total", "4200"}},
	})
	t.Run("one of transaction and trade", func(t *testing.T) {
		t.Parallel()
		assert.Contains(t, h.fails(t, exitUsage, "refund", "create", "--amount", "1"), "exactly one of --transaction-id and --out-trade-no")
	})
}
