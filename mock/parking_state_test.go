package mock_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// populateParking leaves every kind of parking row and timer: plates (one
// paused), an open entry, a deduction held ACCEPTED by a scenario with its
// attempt pending, and one paid by WeChat Pay's advance whose repayment a
// scenario's user is still to make; their callbacks wait for the endpoint,
// which is down.
func (s *stateServer) populateParking() {
	f := s.fixture
	const openid = "oStatePark"
	f.setPlate(openid, testPlate, "NORMAL")
	f.setPlate(openid, otherPlate, "NORMAL")
	f.setPlate(openid, "粤B555555", "NORMAL")
	held := f.enter("IN-HELD", testPlate)
	adv := f.enter("IN-ADV", otherPlate)
	f.enter("IN-OPEN", "粤B555555")
	f.loadScenario("name: held\ndescription: held\nmatch: {out_order_no: PK-HELD}\ndeduction: {delay: 3h}\n")
	f.loadScenario("name: advance\ndescription: advance\nmatch: {out_order_no: PK-ADV}\ndeduction: {advance: true, repay_after: 5h}\n")
	f.mustDeduct("PK-HELD", held, 1000)
	f.mustDeduct("PK-ADV", adv, 700)
	f.advance(time.Minute)
	f.setPlate(openid, testPlate, "PAUSE")
}

// parkingTables are the tables as stateServer.tables has them, less the
// order in which callbacks due at the same instant recorded their
// attempts: the entry's and the deduction's callbacks are made together,
// retried together, and delivered in parallel.
func (s *stateServer) parkingTables() map[string]any {
	m := s.tables()
	for _, n := range m["notifications"].([]any) {
		for _, a := range n.(map[string]any)["Attempts"].([]any) {
			delete(a.(map[string]any), "Seq")
		}
	}
	return m
}

// A restored server has the parking rows and re-arms their timers: the
// held deduction settles and the user repays the advance at the times they
// were due, as on the server that saved them, with the same callbacks.
func TestState_Parking(t *testing.T) {
	orig := newStateServer(t, mock.Options{}, 0)
	orig.populateParking()
	restored := newStateServer(t, mock.Options{State: readState(t, orig.save())}, orig.ids.Load())
	require.Equal(t, orig.parkingTables(), restored.parkingTables())
	pending := clockEvents(restored.srv.Clock().Pending())
	require.Equal(t, clockEvents(orig.srv.Clock().Pending()), pending)
	for _, want := range []string{"deduct parking " + orig.me.mchid + "/PK-HELD (held by scenario held", "the user repays " + orig.me.mchid + "/PK-ADV", "TRANSACTION.SUCCESS", "VEHICLE.ENTRANCE_STATE_CHANGE"} {
		assert.True(t, strings.Contains(strings.Join(pending, "\n"), want), "a timer %q is pending: %v", want, pending)
	}
	u, err := restored.srv.User("oStatePark")
	require.NoError(t, err)
	require.Len(t, u.Plates, 3)
	for _, p := range u.Plates {
		if p.PlateNumber == "粤B555555" {
			require.NotNil(t, p.Entry)
			assert.Equal(t, "BLOCKED", p.Entry.State, "the user owes the advance")
			assert.Equal(t, "OVERDUE", p.Entry.BlockReason)
		}
	}

	for _, step := range []time.Duration{3 * time.Hour, 3 * time.Hour, 24 * time.Hour} {
		want := orig.advance(step)
		assert.Equal(t, want, restored.advance(step), "what advancing %s fired", step)
		assert.Equal(t, orig.parkingTables(), restored.parkingTables(), "the tables after advancing %s", step)
	}
	r := restored.fixture
	assert.Equal(t, "SUCCESS", r.queryParking("PK-HELD").TradeState)
	adv := r.queryParking("PK-ADV")
	assert.Equal(t, "BPA", adv.BankType)
	assert.Equal(t, "Y", adv.UserRepaid)
	ns, err := r.srv.Notifications(mock.NotificationFilter{})
	require.NoError(t, err)
	var got []string
	for _, n := range ns {
		assert.Equal(t, "delivered", n.State, "%s %s", n.EventType, n.ID)
		got = append(got, n.EventType+" "+n.OutOrderNo)
	}
	assert.Equal(t, []string{
		"TRANSACTION.SUCCESS PK-ADV", "VEHICLE.ENTRANCE_STATE_CHANGE IN-OPEN",
		"TRANSACTION.SUCCESS PK-HELD", "TRANSACTION.PAY_BACK PK-ADV", "VEHICLE.ENTRANCE_STATE_CHANGE IN-OPEN",
	}, got)
}

// A saved state whose parking rows the domain cannot place is refused, and
// arms nothing.
func TestNew_RefusesInconsistentParkingState(t *testing.T) {
	orig := newStateServer(t, mock.Options{}, 0)
	orig.populateParking()
	saved := orig.save()
	edit := func(table string, where func(map[string]any) bool, change func(map[string]any)) func(map[string]any) {
		return func(m map[string]any) {
			for _, r := range m[table].([]any) {
				if r := r.(map[string]any); where(r) {
					change(r)
				}
			}
		}
	}
	held := func(r map[string]any) bool { return r["OutTradeNo"] == "PK-HELD" }
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"an accepted deduction with no attempt due", edit("parking_transactions", held, func(r map[string]any) { r["AttemptsDue"] = nil }), "ACCEPTED with no deduction attempt due"},
		{"a deduction in no known state", edit("parking_transactions", held, func(r map[string]any) { r["TradeState"] = "ACCEPT" }), `is "ACCEPT"`},
		{"an entry in no known state", edit("parkings", func(map[string]any) bool { return true }, func(r map[string]any) { r["State"] = "OPEN" }), "no state the mock knows"},
		{"a plate in no known state", edit("plates", func(map[string]any) bool { return true }, func(r map[string]any) { r["State"] = "ON" }), "no service_state the mock knows"},
		{"two open entries of one plate", func(m map[string]any) {
			es := m["parkings"].([]any)
			dup := map[string]any{}
			for k, v := range es[len(es)-1].(map[string]any) {
				dup[k] = v
			}
			dup["ID"], dup["OutParkingNo"] = "DUPLICATE", "IN-DUP"
			m["parkings"] = append(es, dup)
		}, "another row has the same open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { refusesState(t, saved, tt.edit, tt.want) })
	}
}
