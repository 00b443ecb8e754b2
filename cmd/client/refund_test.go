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
	h.authorize(t, "oRider")
	completedOrder(t, h, "oRider", "RIDE-R", "4200")
	h.advance(t, 5*time.Second)
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

	failures := []struct {
		name, code string
		args       []string
	}{
		{"unknown refund", "RESOURCE_NOT_EXISTS", []string{"refund", "query", "--out-refund-no", "RF-NOPE"}},
		{"the out_order_no is not a trade", "RESOURCE_NOT_EXISTS", []string{"refund", "create", "--out-trade-no", "RIDE-R", "--amount", "100"}},
		{"more than what is left", "INVALID_REQUEST", []string{"refund", "create", "--transaction-id", txn, "--amount", "4000", "--total", "4200"}},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stderr := h.fails(t, exitFailure, tt.args...)
			assert.Regexp(t, "^"+tt.code+`: \S`, stderr)
		})
	}
	t.Run("one of transaction and trade", func(t *testing.T) {
		t.Parallel()
		assert.Contains(t, h.fails(t, exitUsage, "refund", "create", "--amount", "1"), "exactly one of --transaction-id and --out-trade-no")
	})
}
