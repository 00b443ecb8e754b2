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

func TestDecodeBody(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		field string
	}{
		{"empty", "", ""},
		{"spaces", "  \n", ""},
		{"truncated", `{"appid":`, ""},
		{"not an object", `"text"`, ""},
		{"string for number", `{"risk_fund":{"name":"DEPOSIT","amount":"100"}}`, "/risk_fund/amount"},
		{"fraction for an integer", `{"post_payments":[{"name":"a","amount":1},{"name":"b","amount":2.5}]}`, "/post_payments/1/amount"},
		{"object for an array", `{"post_payments":{"name":"a"}}`, "/post_payments"},
		{"array for an object", `{"time_range":[]}`, "/time_range"},
		{"string for a boolean", `{"need_user_confirm":"false"}`, "/need_user_confirm"},
		{"number for a string", `{"out_order_no":123}`, "/out_order_no"},
		{"nested array element", `{"post_discounts":[{"name":"a","amount":1},{"name":"b","amount":1},{"name":7}]}`, "/post_discounts/2/name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req CreateOrderRequest
			err := DecodeBody([]byte(tt.body), &req)
			var ae *apierr.Error
			require.True(t, errors.As(err, &ae), "%v", err)
			assert.Equal(t, apierr.ParamError, ae.Code)
			require.NotNil(t, ae.Detail)
			assert.Equal(t, tt.field, ae.Detail.Field)
			assert.Equal(t, apierr.LocBody, ae.Detail.Location)
		})
	}
	var req CreateOrderRequest
	require.NoError(t, DecodeBody([]byte(`{"out_order_no":"A","extra":"ignored like WeChat Pay ignores it"}`), &req))
	assert.Equal(t, "A", req.OutOrderNo)
}

func TestCheck_Strings(t *testing.T) {
	tests := []struct {
		name string
		v    string
		ok   bool
	}{
		{"20 Chinese characters", "一二三四五六七八九十一二三四五六七八九十", true},
		{"21 characters", "一二三四五六七八九十一二三四五六七八九十一", false},
		{"emoji (4-byte UTF-8)", "车🚕", false},
		{"control character", "a\x01b", false},
		{"invalid UTF-8", "\xff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCheck(apierr.LocBody)
			c.str("/service_introduction", tt.v, 20)
			assert.Equal(t, tt.ok, c.result() == nil, "%v", c.result())
		})
	}
	var none *check = newCheck(apierr.LocBody)
	assert.NoError(t, none.result(), "no violation is a nil error, not a typed nil")
}

// Every operation has a row, every row a cell per stage, and every state
// maps onto its own stage.
func TestMachine_Complete(t *testing.T) {
	tables := map[string]struct {
		m      *machine
		ops    []Op
		states []*store.Order
	}{
		"service orders": {&serviceOrders, []Op{OpCancel, OpComplete, OpModify, OpPay, OpSync, OpConfirm, OpUserPay, OpDeduct, OpExpire}, []*store.Order{
			{State: StateCreated}, {State: StateDoing, StateDescription: DescUserConfirm}, {State: StateDoing, StateDescription: DescMchComplete},
			{State: StateDone}, {State: StateRevoked}, {State: StateExpired},
		}},
		"payafter orders": {&payAfterOrders, []Op{OpCancel, OpComplete, OpSync, OpConfirm, OpUserPay, OpDeduct, OpExpire}, []*store.Order{
			{State: StateCreated}, {State: StateUserAccepted}, {State: StateFinished}, {State: StateUserPaid}, {State: StateRevoked}, {State: StateExpired},
		}},
	}
	for name, tt := range tables {
		t.Run(name, func(t *testing.T) {
			assert.Len(t, tt.m.cells, len(tt.ops))
			for _, op := range tt.ops {
				row, ok := tt.m.cells[op]
				require.True(t, ok, "%s has a row", op)
				assert.Len(t, row, len(tt.m.stages))
			}
			for i, o := range tt.states {
				assert.Equal(t, i, tt.m.stageOf(o), "%s/%s", o.State, o.StateDescription)
			}
		})
	}
	err := allow(&store.Order{State: StateDone}, OpCancel)
	var ae *apierr.Error
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, apierr.OrderDone, ae.Code)
	assert.Equal(t, "state", ae.Detail.Field)
	assert.NoError(t, allow(&store.Order{State: StateDoing, StateDescription: DescMchComplete}, OpPay))
	assert.Panics(t, func() { _ = allow(&store.Order{}, Op("refund")) }, "an operation outside the table is a programming error")
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
