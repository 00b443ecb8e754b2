package payscore

import (
	"fmt"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/store"
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

// Legacy payafter-order states (protocol.md §5.6). CREATED, REVOKED and
// EXPIRED are shared with service orders.
const (
	StateUserAccepted = "USER_ACCEPTED"
	StateFinished     = "FINISHED"
	StateUserPaid     = "USER_PAID"
)

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
	OpConfirm  Op = "confirm"  // the user confirms (accepts) in the Pay Score mini-program
	OpUserPay  Op = "user_pay" // the user pays what is outstanding
	OpDeduct   Op = "deduct"   // WeChat Pay's automatic deduction
	OpExpire   Op = "expire"   // the order was never confirmed
)

// refusal is a cell of a table that does not allow the operation.
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
	notAccepted   = &refusal{apierr.InvalidOrderState, "用户未确认订单，无法完结"}
)

// machine is one order kind's state machine: its stages, how an order maps
// onto them, and for each operation what each stage allows. A nil cell
// allows it; any other cell is the error the merchant gets. What an allowed
// operation does is the operation's own business; the table tests walk
// every cell.
type machine struct {
	stages  []string
	stageOf func(o *store.Order) int
	cells   map[Op][]*refusal
}

// serviceOrders is the service-order state machine (protocol.md §4.11 and
// its precondition matrix).
var serviceOrders = machine{
	stages: []string{"CREATED", "DOING/USER_CONFIRM", "DOING/MCH_COMPLETE", "DONE", "REVOKED", "EXPIRED"},
	stageOf: func(o *store.Order) int {
		switch o.State {
		case StateCreated:
			return 0
		case StateDoing:
			if o.StateDescription == DescMchComplete {
				return 2
			}
			return 1
		case StateDone:
			return 3
		case StateRevoked:
			return 4
		}
		return 5
	},
	cells: map[Op][]*refusal{
		//           CREATED        USER_CONFIRM   MCH_COMPLETE  DONE         REVOKED    EXPIRED
		OpCancel:   {ok, ok, ok, alreadyDone, cancelled, badState},
		OpComplete: {notConfirmed, ok, badState, alreadyDone, cancelled, badState},
		OpModify:   {badState, badState, ok, alreadyDone, cancelled, badState},
		OpPay:      {notUserPaying, notUserPaying, ok, alreadyDone, cancelled, badState},
		OpSync:     {badState, badState, ok, alreadyDone, cancelled, badState},
		OpConfirm:  {ok, notCreated, notCreated, notCreated, notCreated, notCreated},
		OpUserPay:  {notUserPaying, notUserPaying, ok, alreadyDone, cancelled, badState},
		OpDeduct:   {badState, badState, ok, alreadyDone, cancelled, badState},
		OpExpire:   {ok, badState, badState, alreadyDone, cancelled, badState},
	},
}

// payAfterOrders is the legacy 先享后付 state machine (protocol.md §5.6).
var payAfterOrders = machine{
	stages: []string{StateCreated, StateUserAccepted, StateFinished, StateUserPaid, StateRevoked, StateExpired},
	stageOf: func(o *store.Order) int {
		switch o.State {
		case StateCreated:
			return 0
		case StateUserAccepted:
			return 1
		case StateFinished:
			return 2
		case StateUserPaid:
			return 3
		case StateRevoked:
			return 4
		}
		return 5
	},
	cells: map[Op][]*refusal{
		//           CREATED       USER_ACCEPTED  FINISHED       USER_PAID    REVOKED    EXPIRED
		OpCancel:   {ok, ok, badState, alreadyDone, cancelled, badState},
		OpComplete: {notAccepted, ok, badState, alreadyDone, cancelled, badState},
		OpSync:     {badState, badState, ok, alreadyDone, cancelled, badState},
		OpConfirm:  {ok, notCreated, notCreated, notCreated, notCreated, notCreated},
		OpUserPay:  {notUserPaying, notUserPaying, ok, alreadyDone, cancelled, badState},
		OpDeduct:   {badState, badState, ok, alreadyDone, cancelled, badState},
		OpExpire:   {ok, badState, badState, alreadyDone, cancelled, badState},
	},
}

func machineOf(o *store.Order) *machine {
	if o.Kind == store.KindPayAfter {
		return &payAfterOrders
	}
	return &serviceOrders
}

// StageName names where an order stands: its state, with the description
// of a DOING service order.
func StageName(o *store.Order) string {
	m := machineOf(o)
	return m.stages[m.stageOf(o)]
}

// allow returns the error for op on o's stage, or nil if its table allows it.
func allow(o *store.Order, op Op) error {
	m := machineOf(o)
	row, known := m.cells[op]
	if !known {
		panic(fmt.Sprintf("payscore: operation %q is not in the %s state machine", op, o.Kind))
	}
	r := row[m.stageOf(o)]
	if r == nil {
		return nil
	}
	return apierr.New(r.code, r.message).WithDetail(apierr.Detail{
		Field: "state", Value: StageName(o),
		Issue: fmt.Sprintf("%s is not allowed while the order is %s", op, StageName(o)),
	})
}
