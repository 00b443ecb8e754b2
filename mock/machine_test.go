package mock_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// stages are the stages of protocol.md §4.11, in the table's order.
var stages = []string{"CREATED", "DOING/USER_CONFIRM", "DOING/MCH_COMPLETE", "DONE", "REVOKED", "EXPIRED"}

// toStage puts a new order into a stage the way a real flow would.
func (f *fixture) toStage(stage, no string) {
	f.t.Helper()
	switch stage {
	case "CREATED":
		f.mustCreate(no, true, "")
	case "DOING/USER_CONFIRM":
		f.mustCreate(no, true, "")
		_, err := f.srv.ConfirmOrder(f.me.mchid, "", no, mock.ConfirmRequest{OpenID: "oStage" + no})
		require.NoError(f.t, err)
	case "DOING/MCH_COMPLETE":
		f.toStage("DOING/USER_CONFIRM", no)
		f.advance(time.Minute)
		f.mustComplete(no, 1200)
	case "DONE":
		f.toStage("DOING/MCH_COMPLETE", no)
		f.advance(time.Minute) // the deduction runs
	case "REVOKED":
		f.mustCreate(no, true, "")
		status, e := f.v3("POST", "/v3/payscore/serviceorder/"+no+"/cancel", f.cancelBody("用户取消"), nil)
		require.Equal(f.t, 200, status, "%+v", e)
	case "EXPIRED":
		f.mustCreate(no, true, "")
		f.advance(30 * 24 * time.Hour)
	default:
		f.t.Fatalf("no stage %q", stage)
	}
}

func (f *fixture) mustCreate(no string, needConfirm bool, openid string) orderView {
	f.t.Helper()
	var v orderView
	status, e := f.v3("POST", "/v3/payscore/serviceorder", f.createBody(no, needConfirm, openid), &v)
	require.Equal(f.t, 200, status, "%+v", e)
	return v
}

func (f *fixture) mustComplete(no string, amount int64) {
	f.t.Helper()
	status, e := f.v3("POST", "/v3/payscore/serviceorder/"+no+"/complete", f.completeBody(amount), nil)
	require.Equal(f.t, 200, status, "%+v", e)
}

func (f *fixture) cancelBody(reason string) map[string]any {
	return map[string]any{"appid": f.appid(), "service_id": f.serviceID(), "reason": reason}
}

// stageOf reads an order's stage through the query API.
func (f *fixture) stageOf(no string) string {
	v := f.query(no)
	if v.State == "DOING" {
		return "DOING/" + v.StateDescription
	}
	return v.State
}

// opResult is what an operation did: "ok → STAGE", or the error code.
type opResult = string

// operations apply each operation of the state machine to an order.
var operations = map[string]func(f *fixture, no string) opResult{
	"cancel": func(f *fixture, no string) opResult {
		return f.result(no, "POST", "/v3/payscore/serviceorder/"+no+"/cancel", func() any { return f.cancelBody("行程取消") })
	},
	"complete": func(f *fixture, no string) opResult {
		return f.result(no, "POST", "/v3/payscore/serviceorder/"+no+"/complete", func() any { return f.completeBody(900) })
	},
	"modify": func(f *fixture, no string) opResult {
		return f.result(no, "POST", "/v3/payscore/serviceorder/"+no+"/modify", func() any {
			return map[string]any{
				"appid": f.appid(), "service_id": f.serviceID(), "reason": "少收",
				"post_payments": []map[string]any{{"name": "里程费", "amount": 1000}}, "total_amount": 1000,
			}
		})
	},
	"pay": func(f *fixture, no string) opResult {
		return f.result(no, "POST", "/v3/payscore/serviceorder/"+no+"/pay", func() any { return map[string]any{"appid": f.appid(), "service_id": f.serviceID()} })
	},
	"sync": func(f *fixture, no string) opResult {
		return f.result(no, "POST", "/v3/payscore/serviceorder/"+no+"/sync", func() any {
			return map[string]any{
				"appid": f.appid(), "service_id": f.serviceID(), "type": "Order_Paid",
				"detail": map[string]any{"paid_time": protocol.Format14(f.now())},
			}
		})
	},
	"user confirms": func(f *fixture, no string) opResult {
		_, err := f.srv.ConfirmOrder(f.me.mchid, "", no, mock.ConfirmRequest{})
		return f.sandboxResult(no, err)
	},
	"user pays": func(f *fixture, no string) opResult {
		_, err := f.srv.UserPay(f.me.mchid, "", no)
		return f.sandboxResult(no, err)
	},
}

// result calls the API a second after the order's last change (so that
// times in body, made after the wait, fall strictly between calls).
func (f *fixture) result(no, method, uri string, body func() any) opResult {
	f.t.Helper()
	f.advance(time.Second)
	status, e := f.v3(method, uri, body(), nil)
	if status >= 300 {
		return e.Code
	}
	return "ok → " + f.stageOf(no)
}

func (f *fixture) sandboxResult(no string, err error) opResult {
	if err != nil {
		var code string
		if strings.Contains(err.Error(), "CONFLICT") {
			code = "sandbox CONFLICT"
		} else {
			code = err.Error()
		}
		return code
	}
	f.settle()
	return "ok → " + f.stageOf(no)
}

// TestStateMachine walks every (stage × operation) cell of the service-order
// state machine (protocol.md §4.11 and its precondition matrix).
func TestStateMachine(t *testing.T) {
	cells := []struct {
		stage, op string
		want      opResult
	}{
		{"CREATED", "cancel", "ok → REVOKED"},
		{"CREATED", "complete", "INVALID_REQUEST"},
		{"CREATED", "modify", "INVALID_ORDER_STATE"},
		{"CREATED", "pay", "INVALID_ORDER_STATE"},
		{"CREATED", "sync", "INVALID_ORDER_STATE"},
		{"CREATED", "user confirms", "ok → DOING/USER_CONFIRM"},
		{"CREATED", "user pays", "sandbox CONFLICT"},

		{"DOING/USER_CONFIRM", "cancel", "ok → REVOKED"},
		{"DOING/USER_CONFIRM", "complete", "ok → DOING/MCH_COMPLETE"},
		{"DOING/USER_CONFIRM", "modify", "INVALID_ORDER_STATE"},
		{"DOING/USER_CONFIRM", "pay", "INVALID_ORDER_STATE"},
		{"DOING/USER_CONFIRM", "sync", "INVALID_ORDER_STATE"},
		{"DOING/USER_CONFIRM", "user confirms", "sandbox CONFLICT"},
		{"DOING/USER_CONFIRM", "user pays", "sandbox CONFLICT"},

		{"DOING/MCH_COMPLETE", "cancel", "ok → REVOKED"},
		{"DOING/MCH_COMPLETE", "complete", "INVALID_ORDER_STATE"},
		{"DOING/MCH_COMPLETE", "modify", "ok → DOING/MCH_COMPLETE"},
		{"DOING/MCH_COMPLETE", "pay", "ok → DOING/MCH_COMPLETE"},
		{"DOING/MCH_COMPLETE", "sync", "ok → DONE"},
		{"DOING/MCH_COMPLETE", "user confirms", "sandbox CONFLICT"},
		{"DOING/MCH_COMPLETE", "user pays", "ok → DONE"},

		{"DONE", "cancel", "PARAM_ERROR"}, // 当前订单状态不满足撤销条件, as observed
		{"DONE", "complete", "ORDER_DONE"},
		{"DONE", "modify", "ORDER_DONE"},
		{"DONE", "pay", "ORDER_DONE"},
		{"DONE", "sync", "ORDER_DONE"},
		{"DONE", "user confirms", "sandbox CONFLICT"},
		{"DONE", "user pays", "sandbox CONFLICT"},

		{"REVOKED", "cancel", "ORDER_CANCELED"}, // another reason; an identical retry succeeds (TestCancel_IdempotentRetry)
		{"REVOKED", "complete", "ORDER_CANCELED"},
		{"REVOKED", "modify", "ORDER_CANCELED"},
		{"REVOKED", "pay", "ORDER_CANCELED"},
		{"REVOKED", "sync", "ORDER_CANCELED"},
		{"REVOKED", "user confirms", "sandbox CONFLICT"},
		{"REVOKED", "user pays", "sandbox CONFLICT"},

		{"EXPIRED", "cancel", "PARAM_ERROR"},
		{"EXPIRED", "complete", "INVALID_ORDER_STATE"},
		{"EXPIRED", "modify", "INVALID_ORDER_STATE"},
		{"EXPIRED", "pay", "INVALID_ORDER_STATE"},
		{"EXPIRED", "sync", "INVALID_ORDER_STATE"},
		{"EXPIRED", "user confirms", "sandbox CONFLICT"},
		{"EXPIRED", "user pays", "sandbox CONFLICT"},
	}
	require.Len(t, cells, len(stages)*len(operations), "every cell has a case")
	f := newFixture(t)
	for i, c := range cells {
		t.Run(c.stage+"×"+c.op, func(t *testing.T) {
			f.t = t
			no := fmt.Sprintf("SM%03d", i)
			f.toStage(c.stage, no)
			require.Equal(t, c.stage, f.stageOf(no), "the builder reached the stage")
			got := operations[c.op](f, no)
			assert.Equal(t, c.want, got)
			if !strings.HasPrefix(c.want, "ok") {
				assert.Equal(t, c.stage, f.stageOf(no), "a refused operation changes nothing")
			}
		})
	}
}

// The machine's own transitions: the deduction after completion and the
// 30-day expiry of an unconfirmed order.
func TestStateMachine_ClockTransitions(t *testing.T) {
	f := newFixture(t)
	f.toStage("DOING/MCH_COMPLETE", "DEDUCT")
	f.advance(4 * time.Second)
	assert.Equal(t, "DOING/MCH_COMPLETE", f.stageOf("DEDUCT"), "the deduction waits its delay")
	f.advance(time.Second)
	assert.Equal(t, "DONE", f.stageOf("DEDUCT"))

	f.mustCreate("EXPIRE", true, "")
	f.advance(30*24*time.Hour - time.Second)
	assert.Equal(t, "CREATED", f.stageOf("EXPIRE"))
	f.advance(time.Second)
	assert.Equal(t, "EXPIRED", f.stageOf("EXPIRE"))

	f.mustCreate("CONFIRMED", true, "")
	_, err := f.srv.ConfirmOrder(f.me.mchid, "", "CONFIRMED", mock.ConfirmRequest{})
	require.NoError(t, err)
	f.advance(31 * 24 * time.Hour)
	assert.Equal(t, "DOING/USER_CONFIRM", f.stageOf("CONFIRMED"), "only CREATED orders expire")
}

func TestCancel_IdempotentRetry(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("C1", true, "")
	var first, again map[string]any
	status, _ := f.v3("POST", "/v3/payscore/serviceorder/C1/cancel", f.cancelBody("行程取消"), &first)
	require.Equal(t, http.StatusOK, status)
	status, _ = f.v3("POST", "/v3/payscore/serviceorder/C1/cancel", f.cancelBody("行程取消"), &again)
	require.Equal(t, http.StatusOK, status, "an identical retry succeeds (原参重入)")
	assert.Equal(t, first, again)
	status, e := f.v3("POST", "/v3/payscore/serviceorder/C1/cancel", f.cancelBody("另一个原因"), nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "ORDER_CANCELED", e.Code)
}
