package payscore

import (
	"fmt"

	"github.com/mockpay/mockpay/mock/apierr"
	"github.com/mockpay/mockpay/mock/store"
)

// Service-order states and descriptions (protocol.md §4.11).
const (
	StateCreated = "CREATED"
	StateDoing   = "DOING"
	StateDone    = "DONE"
	StateRevoked = "REVOKED"
	StateExpired = "EXPIRED"

	DescUserConfirm = "USER_CONFIRM"
	DescMchComplete = "MCH_COMPLETE"

	CollectionPaying = "USER_PAYING"
	CollectionPaid   = "USER_PAID"

	PaidTypeNewton = "NEWTON" // collected by Pay Score (a WeChat Pay deduction)
	PaidTypeMch    = "MCH"    // paid through the merchant's own channel, reported by sync
)

// Stage is where an order stands in the state machine: its state, with the
// description while DOING.
type Stage int

// The stages, in the columns of the table below.
const (
	Created   Stage = iota // CREATED
	Confirmed              // DOING / USER_CONFIRM
	Completed              // DOING / MCH_COMPLETE, collection USER_PAYING
	Done                   // DONE
	Revoked                // REVOKED
	Expired                // EXPIRED
	numStages
)

var stageNames = [numStages]string{"CREATED", "DOING/USER_CONFIRM", "DOING/MCH_COMPLETE", "DONE", "REVOKED", "EXPIRED"}

func (s Stage) String() string { return stageNames[s] }

// StageOf places an order in the state machine.
func StageOf(o *store.Order) Stage {
	switch o.State {
	case StateCreated:
		return Created
	case StateDoing:
		if o.StateDescription == DescMchComplete {
			return Completed
		}
		return Confirmed
	case StateDone:
		return Done
	case StateRevoked:
		return Revoked
	}
	return Expired
}

// Op is something that may happen to an existing order.
type Op string

// Operations: the merchant's API calls, the user's actions in WeChat (via
// the sandbox), and what WeChat Pay does on its own.
const (
	OpCancel   Op = "cancel"
	OpComplete Op = "complete"
	OpModify   Op = "modify"
	OpPay      Op = "pay"
	OpSync     Op = "sync"
	OpConfirm  Op = "confirm"  // the user confirms in the Pay Score mini-program
	OpUserPay  Op = "user_pay" // the user pays what is outstanding
	OpDeduct   Op = "deduct"   // WeChat Pay's automatic deduction
	OpExpire   Op = "expire"   // 30 days without change
)

// refusal is a cell of the table that does not allow the operation.
type refusal struct {
	code    apierr.Code
	message string
}

var (
	ok            = (*refusal)(nil)
	badState      = &refusal{apierr.InvalidOrderState, "当前订单状态不合法"}
	notConfirmed  = &refusal{apierr.InvalidRequest, "当前订单状态不合法"} // the observed answer to complete on a CREATED order
	alreadyDone   = &refusal{apierr.OrderDone, "订单已完成"}
	cancelled     = &refusal{apierr.OrderCanceled, "订单已取消"}
	notUserPaying = &refusal{apierr.InvalidOrderState, "订单不是待支付状态"}
	notCreated    = &refusal{apierr.InvalidOrderState, "只有已创建的订单可以由用户确认"}
)

// machine is the whole service-order state machine (protocol.md §4.11, the
// precondition matrix): for each operation, what each stage allows. A nil
// cell allows it; any other cell is the error the merchant gets. The
// resulting state of an allowed operation is the operation's own business
// (orders.go), and the table test in machine_test walks every cell.
var machine = map[Op][numStages]*refusal{
	//           CREATED       USER_CONFIRM   MCH_COMPLETE   DONE         REVOKED    EXPIRED
	OpCancel:   {ok, ok, ok, alreadyDone, cancelled, badState},
	OpComplete: {notConfirmed, ok, badState, alreadyDone, cancelled, badState},
	OpModify:   {badState, badState, ok, alreadyDone, cancelled, badState},
	OpPay:      {notUserPaying, notUserPaying, ok, alreadyDone, cancelled, badState},
	OpSync:     {badState, badState, ok, alreadyDone, cancelled, badState},
	OpConfirm:  {ok, notCreated, notCreated, notCreated, notCreated, notCreated},
	OpUserPay:  {notUserPaying, notUserPaying, ok, alreadyDone, cancelled, badState},
	OpDeduct:   {badState, badState, ok, alreadyDone, cancelled, badState},
	OpExpire:   {ok, badState, badState, alreadyDone, cancelled, badState},
}

// allow returns the error for op on o's stage, or nil if the table allows it.
func allow(o *store.Order, op Op) error {
	row, known := machine[op]
	if !known {
		panic(fmt.Sprintf("payscore: operation %q is not in the state machine", op))
	}
	r := row[StageOf(o)]
	if r == nil {
		return nil
	}
	return apierr.New(r.code, r.message).WithDetail(apierr.Detail{
		Field: "state", Value: stageNames[StageOf(o)],
		Issue: fmt.Sprintf("%s is not allowed while the order is %s", op, StageOf(o)),
	})
}
