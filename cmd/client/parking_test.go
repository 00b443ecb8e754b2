package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/scenario"
)

// TestParking walks a car's stay with the parking commands against the
// mock: the user opens the plate in the sandbox, the car enters, leaves
// and is charged; and every command's refusals.
func TestParking(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	const openid, plate = "oCLIDriver", "粤B888888"

	assert.Contains(t, h.ok(t, "parking", "plate", "--plate", plate, "--openid", openid), "plate 粤B888888 BLUE of oCLIDriver: OUT_SERVICE")
	out := h.ok(t, "sandbox", "plate", openid, plate, "--state", "NORMAL")
	assert.Contains(t, out, "user oCLIDriver, plate 粤B888888 BLUE with merchant 1230000109: NORMAL")
	var ps client.PlateService
	h.okJSON(t, &ps, "parking", "plate", "--plate", plate, "--openid", openid)
	assert.Equal(t, client.PlateServiceNormal, ps.ServiceState)

	out = h.ok(t, "parking", "enter", "--plate", plate, "--out-parking-no", "IN-CLI-1", "--start", "now-2h", "--parking-name", "欢乐海岸停车场")
	m := regexp.MustCompile(`entry IN-CLI-1 of 粤B888888: NORMAL, id (\w+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	id := m[1]
	assert.Contains(t, out, "parking deduct --parking-id "+id)
	start := client.TimeRFC3339(h.srv.Clock().Now().Add(-2 * time.Hour))
	assert.Contains(t, h.ok(t, "sandbox", "user", openid), id, "the user's plate shows its open entry")

	out = h.ok(t, "parking", "deduct", "--parking-id", id, "--plate", plate, "--start", start, "--parking-name", "欢乐海岸停车场", "--amount", "2500", "--out-trade-no", "PK-CLI-1")
	assert.Contains(t, out, "deduction PK-CLI-1 accepted: ACCEPTED, ¥25.00 from oCLIDriver")
	assert.Contains(t, h.ok(t, "parking", "query", "--out-trade-no", "PK-CLI-1"), "deduction PK-CLI-1 is: ACCEPTED, ¥25.00")
	h.advance(t, 5*time.Second)
	var tx client.ParkingTransaction
	h.okJSON(t, &tx, "parking", "query", "--out-trade-no", "PK-CLI-1")
	assert.Equal(t, client.TradeSuccess, tx.TradeState)
	assert.Equal(t, int64(7200), tx.ParkingInfo.ChargingDuration, "end − start by default")
	assert.Contains(t, h.ok(t, "sandbox", "orders", "--kind", "parking"), "PK-CLI-1")

	out = h.ok(t, "sandbox", "plate", openid, plate, "--state", "pause")
	assert.Contains(t, out, ": PAUSE")
	out = h.ok(t, "parking", "enter", "--plate", plate, "--out-parking-no", "IN-CLI-2")
	assert.Contains(t, out, ": BLOCKED (PAUSE)")

	checkRefusals(t, h, []refusal{
		{name: "a plate in lower case", code: "PARAM_ERROR", args: []string{"parking", "plate", "--plate", "粤b888888", "--openid", openid}, detail: "plate_number"},
		{name: "an entry again with other parameters", code: "INVALID_REQUEST", args: []string{"parking", "enter", "--plate", "粤B666666", "--out-parking-no", "IN-CLI-1"}},
		{name: "a deduction of a consumed entry", code: "INVALID_REQUEST", args: []string{"parking", "deduct", "--parking-id", id, "--plate", plate, "--start", start, "--parking-name", "欢乐海岸停车场", "--amount", "100"}, detail: "/parking_info/parking_id"},
		{name: "an unknown deduction", code: "ORDER_NOT_EXIST", args: []string{"parking", "query", "--out-trade-no", "PK-NOPE"}},
	})
	t.Run("usage", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"parking", "plate", "--openid", openid}, "--plate is required"},
			{[]string{"parking", "enter", "--plate", plate, "--start", "yesterday"}, `--start "yesterday" is not a time`},
			{[]string{"parking", "deduct", "--parking-id", id, "--plate", plate, "--start", start}, "--amount is required"},
			{[]string{"parking", "query"}, "--out-trade-no is required"},
			{[]string{"parking", "plate", "--plate", plate, "--openid", openid, "--color", "RED"}, "not a plate colour"},
		} {
			assert.Contains(t, h.fails(t, exitUsage, tt.args...), tt.want, "%v", tt.args)
		}
	})
	t.Run("the sandbox refuses to pause a plate never opened", func(t *testing.T) {
		t.Parallel()
		assert.Contains(t, h.fails(t, exitFailure, "sandbox", "plate", "oNobody", "粤B123456", "--state", "PAUSE"), "CONFLICT")
		assert.Contains(t, h.fails(t, exitUsage, "sandbox", "plate", "oNobody", "粤B123456"), "--state is required")
	})
}

// TestFlowParking runs the parking flow against the mock on a virtual
// clock, with its own listener and with an external receiver, and checks
// that every step is reported, in order.
func TestFlowParking(t *testing.T) {
	t.Parallel()
	steps := []string{"plate service", "user opens the service", "car enters", "stay", "car leaves", "deduction", "query"}
	t.Run("own listener", func(t *testing.T) {
		t.Parallel()
		h := newFlowHarness(t, mock.Options{})
		out := h.ok(t, "flow", "parking", "--amount", "1800", "--ascii", "--keep")
		var last int
		for i, name := range steps {
			line := fmt.Sprintf("ok %d/%d %s: ", i+1, len(steps), name)
			at := strings.Index(out, line)
			require.GreaterOrEqual(t, at, 0, "step %q in:\n%s", line, out)
			assert.Greater(t, at, last, "steps in order")
			last = at
		}
		assert.Contains(t, out, "TRANSACTION.SUCCESS received")
		assert.Contains(t, out, "2h0m0s on the mock's virtual clock")
		m := regexp.MustCompile(`parking flow complete: plate (\S+) charged ¥18.00 for entry \w+ \(transaction_id \d{28}\); merchant (\d+)`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		orders, err := h.srv.Orders(mock.OrderFilter{MchID: m[2], Kind: "parking"})
		require.NoError(t, err)
		require.Len(t, orders, 1)
		assert.Equal(t, "SUCCESS", orders[0].State)
	})
	t.Run("an external receiver, followed through the sandbox", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		out := h.ok(t, "flow", "parking", "--plate", "粤B777777")
		assert.Contains(t, out, "followed through the sandbox")
		assert.Contains(t, out, "TRANSACTION.SUCCESS delivered to "+h.sink)
	})
	t.Run("the fee fails", func(t *testing.T) {
		t.Parallel()
		h := newFlowHarness(t, mock.Options{})
		_, err := h.srv.LoadScenarios("fail.yaml", []byte("name: fail\ndescription: every deduction fails\ndeduction: {fail: true}\n"), scenario.Scope{})
		require.NoError(t, err)
		r := h.run(t, "flow", "parking", "--ascii")
		require.Equal(t, exitFailure, r.code, r.stdout)
		assert.Contains(t, r.stdout, "FAIL 6/7 deduction: TRANSACTION.FAIL received: deduction")
		assert.Contains(t, r.stdout, "PAY_FAIL")
	})
	t.Run("usage", func(t *testing.T) {
		t.Parallel()
		h := newFlowHarness(t, mock.Options{})
		assert.Contains(t, h.fails(t, exitUsage, "flow", "parking", "--amount", "0"), "--amount must be positive")
	})
}
