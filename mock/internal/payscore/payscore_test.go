package payscore

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// Every operation has a row, every row a cell per stage, and every state
// maps onto its own stage.
func TestMachine_Complete(t *testing.T) {
	tables := map[string]struct {
		m      *machine
		ops    []Op
		orders []*store.Order
	}{
		"service orders": {&serviceOrders, []Op{OpCancel, OpComplete, OpModify, OpPay, OpSync, OpConfirm, OpUserPay, OpDeduct, OpExpire}, []*store.Order{
			{State: store.StateCreated}, {State: store.StateDoing, StateDescription: store.DescUserConfirm},
			{State: store.StateDoing, StateDescription: store.DescMchComplete},
			{State: store.StateDone}, {State: store.StateRevoked}, {State: store.StateExpired},
		}},
		"payafter orders": {&payAfterOrders, []Op{OpCancel, OpComplete, OpSync, OpConfirm, OpUserPay, OpDeduct, OpExpire}, []*store.Order{
			{State: store.StateCreated}, {State: store.StateUserAccepted}, {State: store.StateFinished},
			{State: store.StateUserPaid}, {State: store.StateRevoked}, {State: store.StateExpired},
		}},
	}
	kinds := map[string]store.Kind{"service orders": store.KindServiceOrder, "payafter orders": store.KindPayAfter}
	for name, tt := range tables {
		t.Run(name, func(t *testing.T) {
			assert.Len(t, tt.m.cells, len(tt.ops))
			for _, op := range tt.ops {
				row, ok := tt.m.cells[op]
				require.True(t, ok, "%s has a row", op)
				assert.Len(t, row, len(tt.m.stages))
			}
			require.Len(t, tt.orders, len(tt.m.stages))
			for i, o := range tt.orders {
				o.Kind = kinds[name]
				m, got, err := stageOf(o)
				require.NoError(t, err)
				assert.Same(t, tt.m, m)
				assert.Equal(t, i, got, "%s/%s", o.State, o.StateDescription)
			}
		})
	}
	err := allow(&store.Order{Kind: store.KindServiceOrder, State: store.StateDone}, OpPay)
	var ae *apierr.Error
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, apierr.OrderDone, ae.Code)
	assert.Equal(t, "state", ae.Detail.Field)
	assert.NoError(t, allow(&store.Order{Kind: store.KindServiceOrder, State: store.StateDoing, StateDescription: store.DescMchComplete}, OpPay))
	assert.Panics(t, func() {
		_ = allow(&store.Order{Kind: store.KindServiceOrder, State: store.StateDone}, Op("refund"))
	}, "an operation outside the table is a programming error")
}

// An order the machines cannot place is an error, never a stage by default.
func TestMachine_UnknownStagesFailLoudly(t *testing.T) {
	tests := []struct {
		name string
		o    store.Order
	}{
		{"unknown state", store.Order{Kind: store.KindServiceOrder, State: "PAUSED"}},
		{"payafter state on a service order", store.Order{Kind: store.KindServiceOrder, State: store.StateFinished}},
		{"service-order state on a payafter order", store.Order{Kind: store.KindPayAfter, State: store.StateDoing}},
		{"DOING without a description", store.Order{Kind: store.KindServiceOrder, State: store.StateDoing}},
		{"DOING with an unknown description", store.Order{Kind: store.KindServiceOrder, State: store.StateDoing, StateDescription: "USER_PAYING"}},
		{"unknown kind", store.Order{Kind: "smartretail", State: store.StateCreated}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := stageOf(&tt.o)
			require.Error(t, err)
			err = allow(&tt.o, OpCancel)
			require.Error(t, err)
			var ae *apierr.Error
			assert.False(t, errors.As(err, &ae), "an internal error, not an answer to the merchant: %v", err)
		})
	}
}

func TestIDs(t *testing.T) {
	n := 0
	s := New(Config{NewID: func() string { n++; return fmt.Sprint(n) }})
	a := s.ids.Digits(31)
	assert.Regexp(t, `^\d{31}$`, a)
	n = 0
	assert.Equal(t, a, s.ids.Digits(31), "ids follow the injected id source, so transcripts are reproducible")
	assert.Len(t, s.ids.Token(64), 64)
	assert.Regexp(t, `^oMock[A-Za-z0-9_-]{23}$`, defaultOpenID("1000000000202612010000000000001"))
	assert.Equal(t, defaultOpenID("x"), defaultOpenID("x"))
}
