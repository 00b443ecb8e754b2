package mock_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/scenario"
)

// Every cell of the parking state machines (protocol-parking.md §9), each
// a named case driven through the API and the sandbox as a merchant and a
// user would drive it.

const otherPlate = "粤B666666"

// loadScenario loads a scenario for the fixture's merchant only.
func (f *fixture) loadScenario(src string) {
	f.t.Helper()
	_, err := f.srv.LoadScenarios("test.yaml", []byte(src), scenario.Scope{MchID: f.m.MchID})
	require.NoError(f.t, err)
}

// owe puts the user in arrears: a deduction for otherPlate is paid by
// WeChat Pay's advance, which the user has not repaid.
func (f *fixture) owe(openid string) string {
	f.t.Helper()
	f.setPlate(openid, otherPlate, "NORMAL")
	e := f.enter("IN-OWED", otherPlate)
	f.loadScenario("name: advance\ndescription: the user is short\nmatch: {out_order_no: PK-OWED}\ndeduction: {advance: true}\n")
	f.mustDeduct("PK-OWED", e, 900)
	f.advance(time.Minute)
	require.Equal(f.t, "BPA", f.queryParking("PK-OWED").BankType)
	return "PK-OWED"
}

// §9.1: the plate service, per user and plate.
func TestParkingMachine_Plate(t *testing.T) {
	const openid = "oPlate"
	tests := []struct {
		name    string
		path    []string // the states the user sets first
		to      string
		refused bool   // 409
		want    string // services/find after
	}{
		{"OUT_SERVICE → NORMAL: the user opens the service", nil, "NORMAL", false, "NORMAL"},
		{"NORMAL → PAUSE: the user pauses", []string{"NORMAL"}, "PAUSE", false, "PAUSE"},
		{"PAUSE → NORMAL: the user resumes", []string{"NORMAL", "PAUSE"}, "NORMAL", false, "NORMAL"},
		{"NORMAL → OUT_SERVICE: the user closes the service", []string{"NORMAL"}, "OUT_SERVICE", false, "OUT_SERVICE"},
		{"PAUSE → OUT_SERVICE: the user closes a paused service", []string{"NORMAL", "PAUSE"}, "OUT_SERVICE", false, "OUT_SERVICE"},
		{"OUT_SERVICE → NORMAL again: the user reopens a closed service", []string{"NORMAL", "OUT_SERVICE"}, "NORMAL", false, "NORMAL"},
		{"OUT_SERVICE → PAUSE: refused, nothing to pause", nil, "PAUSE", true, "OUT_SERVICE"},
		{"closed, OUT_SERVICE → PAUSE: refused", []string{"NORMAL", "OUT_SERVICE"}, "PAUSE", true, "OUT_SERVICE"},
		{"NORMAL → NORMAL: nothing changes", []string{"NORMAL"}, "NORMAL", false, "NORMAL"},
		{"PAUSE → PAUSE: nothing changes", []string{"NORMAL", "PAUSE"}, "PAUSE", false, "PAUSE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			for _, st := range tt.path {
				f.setPlate(openid, testPlate, st)
			}
			before := f.findPlate(openid, testPlate)
			_, err := f.srv.SetPlate(openid, testPlate, mock.PlateRequest{MchID: f.m.MchID, State: tt.to})
			if tt.refused {
				assertSandboxCode(t, err, http.StatusConflict)
				assert.Equal(t, before, f.findPlate(openid, testPlate), "a refused change changes nothing")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, f.findPlate(openid, testPlate)["service_state"])
		})
	}
	t.Run("a plate another user holds: opening it is refused until they close it", func(t *testing.T) {
		f := newFixture(t)
		f.setPlate("oFirst", testPlate, "NORMAL")
		_, err := f.srv.SetPlate("oSecond", testPlate, mock.PlateRequest{MchID: f.m.MchID, State: "NORMAL"})
		assertSandboxCode(t, err, http.StatusConflict)
		assert.Equal(t, "OUT_SERVICE", f.findPlate("oSecond", testPlate)["service_state"], "services/find of another user's plate")
		f.setPlate("oFirst", testPlate, "OUT_SERVICE")
		f.setPlate("oSecond", testPlate, "NORMAL")
		assert.Equal(t, "NORMAL", f.findPlate("oSecond", testPlate)["service_state"])
	})
}

// assertSandboxCode checks that a sandbox call failed with an HTTP status.
func assertSandboxCode(t *testing.T, err error, status int) {
	t.Helper()
	require.Error(t, err)
	var se interface{ Status() int }
	require.ErrorAs(t, err, &se)
	assert.Equal(t, status, se.Status(), "%v", err)
}

// §9.2: parking entries, per entry id.
func TestParkingMachine_Entry(t *testing.T) {
	const openid = "oEntry"
	tests := []struct {
		name    string
		before  func(f *fixture)                 // the plate and the user before the entry
		during  func(f *fixture, e parkingEntry) // what happens while the car is parked
		state   string                           // the entry's answer: NORMAL or BLOCKED/<block_reason>
		events  []string                         // VEHICLE.ENTRANCE_STATE_CHANGE received about it
		deduct  int                              // the deduction's status, leaving after during
		code    string                           // and its code when refused
		message string
	}{
		{"create, plate usable → NORMAL",
			func(f *fixture) { f.setPlate(openid, testPlate, "NORMAL") }, nil,
			"NORMAL", nil, 200, "", ""},
		{"create, plate never opened → BLOCKED/OUT_SERVICE",
			func(*fixture) {}, nil,
			"BLOCKED/OUT_SERVICE", nil, 400, "INVALID_REQUEST", "停车入场状态不可扣费"},
		{"create, plate paused → BLOCKED/PAUSE",
			func(f *fixture) { f.setPlate(openid, testPlate, "NORMAL"); f.setPlate(openid, testPlate, "PAUSE") }, nil,
			"BLOCKED/PAUSE", nil, 400, "INVALID_REQUEST", "停车入场状态不可扣费"},
		{"create, user owes an advance → BLOCKED/OVERDUE",
			func(f *fixture) { f.owe(openid); f.setPlate(openid, testPlate, "NORMAL") }, nil,
			"BLOCKED/OVERDUE", nil, 400, "INVALID_REQUEST", "停车入场状态不可扣费"},
		{"create, the user's assessment fails → BLOCKED/EVALUATION_FAILED",
			func(f *fixture) {
				f.setPlate(openid, testPlate, "NORMAL")
				f.loadScenario("name: risk\ndescription: the assessment fails\nuser: {risk_rejected: true}\n")
			}, func(f *fixture, _ parkingEntry) {
				f.setPlate(openid, testPlate, "PAUSE")
				f.setPlate(openid, testPlate, "NORMAL")
			},
			"BLOCKED/EVALUATION_FAILED", nil, 400, "INVALID_REQUEST", "停车入场状态不可扣费"},
		{"NORMAL, the user pauses → BLOCKED/PAUSE with a callback",
			func(f *fixture) { f.setPlate(openid, testPlate, "NORMAL") },
			func(f *fixture, _ parkingEntry) { f.setPlate(openid, testPlate, "PAUSE") },
			"NORMAL", []string{"BLOCKED/PAUSE"}, 400, "INVALID_REQUEST", "停车入场状态不可扣费"},
		{"NORMAL, the user removes the plate → BLOCKED/REMOVE with a callback",
			func(f *fixture) { f.setPlate(openid, testPlate, "NORMAL") },
			func(f *fixture, _ parkingEntry) { f.setPlate(openid, testPlate, "OUT_SERVICE") },
			"NORMAL", []string{"BLOCKED/REMOVE"}, 400, "INVALID_REQUEST", "停车入场状态不可扣费"},
		{"NORMAL, the user falls into arrears → BLOCKED/OVERDUE with a callback",
			func(f *fixture) { f.setPlate(openid, testPlate, "NORMAL") },
			func(f *fixture, _ parkingEntry) { f.owe(openid) },
			"NORMAL", []string{"BLOCKED/OVERDUE"}, 400, "INVALID_REQUEST", "停车入场状态不可扣费"},
		{"BLOCKED, the user resumes → NORMAL with a callback",
			func(f *fixture) { f.setPlate(openid, testPlate, "NORMAL"); f.setPlate(openid, testPlate, "PAUSE") },
			func(f *fixture, _ parkingEntry) { f.setPlate(openid, testPlate, "NORMAL") },
			"BLOCKED/PAUSE", []string{"NORMAL"}, 200, "", ""},
		{"BLOCKED, the user opens the service → NORMAL with a callback",
			func(*fixture) {},
			func(f *fixture, _ parkingEntry) { f.setPlate(openid, testPlate, "NORMAL") },
			"BLOCKED/OUT_SERVICE", []string{"NORMAL"}, 200, "", ""},
		{"BLOCKED, the user repays the advance → NORMAL with a callback",
			func(f *fixture) { f.owe(openid); f.setPlate(openid, testPlate, "NORMAL") },
			func(f *fixture, _ parkingEntry) {
				_, err := f.srv.UserPay(f.m.MchID, "", "PK-OWED")
				require.NoError(f.t, err)
				f.settle()
			},
			"BLOCKED/OVERDUE", []string{"NORMAL"}, 200, "", ""},
		{"BLOCKED, paused then closed → BLOCKED/REMOVE with a callback",
			func(f *fixture) { f.setPlate(openid, testPlate, "NORMAL"); f.setPlate(openid, testPlate, "PAUSE") },
			func(f *fixture, _ parkingEntry) { f.setPlate(openid, testPlate, "OUT_SERVICE") },
			"BLOCKED/PAUSE", []string{"BLOCKED/REMOVE"}, 400, "INVALID_REQUEST", "停车入场状态不可扣费"},
		{"any, a newer entry of the plate → superseded: 停车入场id不存在",
			func(f *fixture) { f.setPlate(openid, testPlate, "NORMAL") },
			func(f *fixture, _ parkingEntry) { f.enter("IN-NEWER", testPlate) },
			"NORMAL", nil, 400, "INVALID_REQUEST", "停车入场id不存在"},
		{"NORMAL, a deduction accepted → consumed: 场景信息和停车入场id不匹配",
			func(f *fixture) { f.setPlate(openid, testPlate, "NORMAL") },
			func(f *fixture, e parkingEntry) { f.mustDeduct("PK-FIRST", e, 500) },
			"NORMAL", nil, 400, "INVALID_REQUEST", "场景信息和停车入场id不匹配"},
		{"consumed, the user pauses → no callback: the entry is no longer open",
			func(f *fixture) { f.setPlate(openid, testPlate, "NORMAL") },
			func(f *fixture, e parkingEntry) {
				f.mustDeduct("PK-FIRST", e, 500)
				f.setPlate(openid, testPlate, "PAUSE")
			},
			"NORMAL", nil, 400, "INVALID_REQUEST", "场景信息和停车入场id不匹配"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			tt.before(f)
			e := f.enter("IN-1", testPlate)
			got := e.State
			if e.BlockReason != "" {
				got += "/" + e.BlockReason
			}
			assert.Equal(t, tt.state, got)
			f.advance(time.Hour)
			if tt.during != nil {
				tt.during(f, e)
			}
			f.settle()
			assert.Equal(t, tt.events, f.entryEvents("IN-1"))
			status, eb, tx := f.deduct("PK-1", e, 1200)
			require.Equal(t, tt.deduct, status, "%+v", eb)
			if status == 200 {
				assert.Equal(t, "ACCEPTED", tx.TradeState)
				return
			}
			assert.Equal(t, tt.code, eb.Code)
			assert.Equal(t, tt.message, eb.Message)
			_, err := f.srv.Order(f.m.MchID, "", "PK-1")
			assert.Error(t, err, "a refused deduction leaves no transaction")
		})
	}
}

// §9.3: deductions, per out_trade_no.
func TestParkingMachine_Transaction(t *testing.T) {
	const openid = "oTx"
	tests := []struct {
		name   string
		setUp  func(f *fixture)
		then   func(f *fixture) // after the settlement
		state  string           // trade_state, with /bank_type/user_repaid when paid
		events []string
	}{
		{"— acceptance → ACCEPTED, until the attempt",
			func(f *fixture) { f.loadScenario("name: held\ndescription: held\ndeduction: {delay: 2h}\n") }, nil,
			"ACCEPTED", nil},
		{"ACCEPTED, the deduction succeeds → SUCCESS with TRANSACTION.SUCCESS",
			func(*fixture) {}, nil,
			"SUCCESS/OTHERS/", []string{"TRANSACTION.SUCCESS SUCCESS"}},
		{"ACCEPTED, the user is short and WeChat Pay advances → SUCCESS/BPA/N with TRANSACTION.SUCCESS",
			func(f *fixture) { f.loadScenario("name: advance\ndescription: advance\ndeduction: {advance: true}\n") }, nil,
			"SUCCESS/BPA/N", []string{"TRANSACTION.SUCCESS SUCCESS user_repaid=N"}},
		{"SUCCESS/BPA/N, the user repays → user_repaid Y with TRANSACTION.PAY_BACK",
			func(f *fixture) { f.loadScenario("name: advance\ndescription: advance\ndeduction: {advance: true}\n") },
			func(f *fixture) {
				_, err := f.srv.UserPay(f.m.MchID, "", "PK-1")
				require.NoError(f.t, err)
				f.settle()
			},
			"SUCCESS/BPA/Y", []string{"TRANSACTION.SUCCESS SUCCESS user_repaid=N", "TRANSACTION.PAY_BACK SUCCESS user_repaid=Y"}},
		{"ACCEPTED, the wallet is too low → PAY_FAIL with TRANSACTION.FAIL",
			func(f *fixture) { require.NoError(f.t, f.srv.SetWallet(openid, mock.Wallet{Balance: ptr64(1199)})) }, nil,
			"PAY_FAIL", []string{"TRANSACTION.FAIL PAY_FAIL"}},
		{"ACCEPTED, the deduction fails → PAY_FAIL with TRANSACTION.FAIL",
			func(f *fixture) { f.loadScenario("name: fail\ndescription: fail\ndeduction: {fail: true}\n") }, nil,
			"PAY_FAIL", []string{"TRANSACTION.FAIL PAY_FAIL"}},
		{"SUCCESS, refunded → REFUND, with REFUND.SUCCESS and no TRANSACTION callback",
			func(*fixture) {},
			func(f *fixture) {
				tid := f.queryParking("PK-1").TransactionID
				status, eb := f.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(tid, "RF-1", 1200, 1200), nil)
				require.Equal(f.t, 200, status, "%+v", eb)
				f.advance(time.Minute)
			},
			"REFUND/OTHERS/", []string{"TRANSACTION.SUCCESS SUCCESS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.setPlate(openid, testPlate, "NORMAL")
			e := f.enter("IN-1", testPlate)
			tt.setUp(f)
			f.advance(time.Hour)
			tx := f.mustDeduct("PK-1", e, 1200)
			assert.Equal(t, "ACCEPTED", tx.TradeState)
			f.advance(time.Minute)
			if tt.then != nil {
				tt.then(f)
			}
			q := f.queryParking("PK-1")
			got := q.TradeState
			if q.BankType != "" {
				got += "/" + q.BankType + "/" + q.UserRepaid
			}
			assert.Equal(t, tt.state, got)
			assert.Equal(t, tt.events, f.transactionEvents("PK-1"))
			if q.TradeState == "PAY_FAIL" {
				assert.Equal(t, "支付失败，请重新下单支付", q.TradeStateDescription)
				assert.Empty(t, q.TransactionID)
				assert.Empty(t, q.SuccessTime)
			}
		})
	}
	t.Run("repaying a deduction that owes nothing is refused", func(t *testing.T) {
		f := newFixture(t)
		f.setPlate(openid, testPlate, "NORMAL")
		e := f.enter("IN-1", testPlate)
		f.advance(time.Hour)
		f.mustDeduct("PK-1", e, 1200)
		_, err := f.srv.UserPay(f.m.MchID, "", "PK-1")
		assertSandboxCode(t, err, http.StatusConflict)
		f.advance(time.Minute)
		_, err = f.srv.UserPay(f.m.MchID, "", "PK-1")
		assertSandboxCode(t, err, http.StatusConflict)
		assert.Equal(t, []string{"TRANSACTION.SUCCESS SUCCESS"}, f.transactionEvents("PK-1"))
	})
	t.Run("after PAY_FAIL, the same deduction again answers it as it stands; a new one is refused", func(t *testing.T) {
		f := newFixture(t)
		f.setPlate(openid, testPlate, "NORMAL")
		require.NoError(t, f.srv.SetWallet(openid, mock.Wallet{Balance: ptr64(0)}))
		e := f.enter("IN-1", testPlate)
		f.advance(time.Hour)
		body := f.deductBody("PK-1", e, 1200)
		status, eb := f.v3("POST", "/v3/vehicle/transactions/parking", body, nil)
		require.Equal(t, 200, status, "%+v", eb)
		f.advance(time.Minute)
		var again parkingTx
		status, eb = f.v3("POST", "/v3/vehicle/transactions/parking", body, &again)
		require.Equal(t, 200, status, "%+v", eb)
		assert.Equal(t, "PAY_FAIL", again.TradeState)
		status, eb, _ = f.deduct("PK-2", e, 1200)
		assert.Equal(t, 400, status)
		assert.Equal(t, "场景信息和停车入场id不匹配", eb.Message)
		assert.Equal(t, []string{"TRANSACTION.FAIL PAY_FAIL"}, f.transactionEvents("PK-1"))
	})
}

func ptr64(v int64) *int64 { return &v }
