package payscore

import (
	"fmt"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/store"
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
	// notCancellable is the observed answer to cancelling an order that is
	// over (docs/fidelity.md).
	notCancellable = &refusal{apierr.ParamError, "当前订单状态不满足撤销条件"}
)

// stage is where an order stands in its machine: a state, and for a DOING
// service order its description.
type stage struct {
	state store.State
	desc  store.Description
}

func (s stage) String() string {
	if s.desc != "" {
		return string(s.state) + "/" + string(s.desc)
	}
	return string(s.state)
}

// machine is one order kind's state machine: its stages, and for each
// operation what each stage allows. A nil cell allows it; any other cell
// is the error the merchant gets. What an allowed operation does is the
// operation's own business; the table tests walk every cell.
type machine struct {
	stages []stage
	cells  map[Op][]*refusal
}

// serviceOrders is the service-order state machine (protocol.md §4.11 and
// its precondition matrix).
var serviceOrders = machine{
	stages: []stage{
		{store.StateCreated, ""}, {store.StateDoing, store.DescUserConfirm}, {store.StateDoing, store.DescMchComplete},
		{store.StateDone, ""}, {store.StateRevoked, ""}, {store.StateExpired, ""},
	},
	cells: map[Op][]*refusal{
		//           CREATED        USER_CONFIRM   MCH_COMPLETE  DONE         REVOKED    EXPIRED
		OpCancel:   {ok, ok, ok, notCancellable, cancelled, notCancellable},
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
	stages: []stage{
		{store.StateCreated, ""}, {store.StateUserAccepted, ""}, {store.StateFinished, ""},
		{store.StateUserPaid, ""}, {store.StateRevoked, ""}, {store.StateExpired, ""},
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

// machineOf is the machine of an order's kind.
func machineOf(o *store.Order) (*machine, error) {
	switch o.Kind {
	case store.KindServiceOrder:
		return &serviceOrders, nil
	case store.KindPayAfter:
		return &payAfterOrders, nil
	}
	return nil, fmt.Errorf("order %s/%s is of no kind the mock knows (%q)", o.MchID, o.OutOrderNo, o.Kind)
}

// stageOf finds an order's stage in its machine. A state (or a DOING
// description) outside the machine is an error, never a stage by default:
// a stored order the mock cannot place is corrupt.
func stageOf(o *store.Order) (*machine, int, error) {
	m, err := machineOf(o)
	if err != nil {
		return nil, 0, err
	}
	here := stage{o.State, ""}
	if o.Kind == store.KindServiceOrder && o.State == store.StateDoing {
		here.desc = o.StateDescription
	}
	for i, st := range m.stages {
		if st == here {
			return m, i, nil
		}
	}
	return nil, 0, fmt.Errorf("order %s/%s stands at %s, which is no stage of the %s state machine", o.MchID, o.OutOrderNo, here, o.Kind)
}

// stageName names where an order stands: its state, with the description
// of a DOING service order.
func stageName(o *store.Order) string {
	if o.State == store.StateDoing {
		return stage{o.State, o.StateDescription}.String()
	}
	return string(o.State)
}

// allow returns the error for op on o's stage, or nil if its table allows
// it. An order the machine cannot place is an internal error.
func allow(o *store.Order, op Op) error {
	m, i, err := stageOf(o)
	if err != nil {
		return err
	}
	row, known := m.cells[op]
	if !known {
		panic(fmt.Sprintf("payscore: operation %q is not in the %s state machine", op, o.Kind))
	}
	r := row[i]
	if r == nil {
		return nil
	}
	return apierr.New(r.code, r.message).WithDetail(apierr.Detail{
		Field: "state", Value: stageName(o),
		Issue: fmt.Sprintf("%s is not allowed while the order is %s", op, stageName(o)),
	})
}
