package mock_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// Deductions race each other and the user: whatever the interleaving, an
// entry pays for one transaction, and each change fires one callback.

// racer is the outcome of one signed POST sent from a goroutine, which
// reports instead of failing the test: only the test's own goroutine may.
type racer struct {
	status int
	code   string // the error's message
	err    error
}

// racing prepares a signed POST in the test's goroutine and returns what
// sends it from another.
func (f *fixture) racing(uri string, body any) func() racer {
	raw, err := json.Marshal(body)
	require.NoError(f.t, err)
	req := f.me.request(f.t, f.ts, "POST", uri, raw)
	return func() racer { return sendRacing(req) }
}

func sendRacing(req *http.Request) racer {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return racer{err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return racer{err: err}
	}
	var e errorBody
	if resp.StatusCode >= 300 {
		if err := json.Unmarshal(data, &e); err != nil {
			return racer{err: fmt.Errorf("%w: %s", err, data)}
		}
	}
	return racer{status: resp.StatusCode, code: e.Message}
}

// together runs fns at once and waits for all.
func together(fns ...func()) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for _, fn := range fns {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn()
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

func TestParkingRace_DeductionsForOneEntry(t *testing.T) {
	f := newFixture(t)
	const openid, n = "oRace", 12
	f.setPlate(openid, testPlate, "NORMAL")
	e := f.enter("IN-RACE", testPlate)
	f.advance(time.Hour)
	results := make([]racer, n)
	var fns []func()
	for i := range n {
		send := f.racing("/v3/vehicle/transactions/parking", f.deductBody(fmt.Sprintf("PK-RACE-%d", i), e, 600))
		fns = append(fns, func() { results[i] = send() })
	}
	together(fns...)
	accepted := 0
	for i, r := range results {
		require.NoError(t, r.err, "call %d", i)
		switch r.status {
		case 200:
			accepted++
		default:
			assert.Equal(t, 400, r.status)
			assert.Equal(t, "场景信息和停车入场id不匹配", r.code, "the entry was consumed by another")
		}
	}
	assert.Equal(t, 1, accepted, "one deduction for one entry")
	f.advance(time.Minute)
	orders, err := f.srv.Orders(mock.OrderFilter{MchID: f.m.MchID, Kind: "parking"})
	require.NoError(t, err)
	require.Len(t, orders, 1)
	assert.Equal(t, "SUCCESS", orders[0].State)
	assert.Equal(t, []string{"TRANSACTION.SUCCESS SUCCESS"}, f.transactionEvents(orders[0].OutOrderNo))
}

func TestParkingRace_IdenticalRetries(t *testing.T) {
	f := newFixture(t)
	const openid, n = "oRetry", 8
	f.setPlate(openid, testPlate, "NORMAL")
	e := f.enter("IN-RETRY", testPlate)
	f.advance(time.Hour)
	body := f.deductBody("PK-RETRY", e, 600)
	results := make([]racer, n)
	var fns []func()
	for i := range n {
		send := f.racing("/v3/vehicle/transactions/parking", body)
		fns = append(fns, func() { results[i] = send() })
	}
	together(fns...)
	for i, r := range results {
		require.NoError(t, r.err, "call %d", i)
		assert.Equal(t, 200, r.status, "an identical retry is answered with the transaction: %s", r.code)
	}
	f.advance(time.Minute)
	orders, err := f.srv.Orders(mock.OrderFilter{MchID: f.m.MchID, Kind: "parking"})
	require.NoError(t, err)
	assert.Len(t, orders, 1)
	assert.Equal(t, []string{"TRANSACTION.SUCCESS SUCCESS"}, f.transactionEvents("PK-RETRY"))
}

// A deduction and the user pausing the plate, at once, many times: either
// the deduction is accepted first (one transaction and its
// TRANSACTION.SUCCESS; the consumed entry fires nothing), or the pause
// blocks the entry first (its one VEHICLE.ENTRANCE_STATE_CHANGE; the
// deduction is refused and leaves nothing).
func TestParkingRace_DeductionAndPause(t *testing.T) {
	f := newFixture(t)
	outcomes := map[string]int{}
	for i := range 20 {
		openid, in, no := fmt.Sprintf("oPause%d", i), fmt.Sprintf("IN-PAUSE-%d", i), fmt.Sprintf("PK-PAUSE-%d", i)
		plate := fmt.Sprintf("粤B%06d", i)
		f.setPlate(openid, plate, "NORMAL")
		e := f.enter(in, plate)
		f.advance(time.Hour)
		var deducted racer
		var paused error
		send := f.racing("/v3/vehicle/transactions/parking", f.deductBody(no, e, 600))
		together(
			func() { deducted = send() },
			func() {
				_, paused = f.srv.SetPlate(openid, plate, mock.PlateRequest{MchID: f.m.MchID, State: "PAUSE"})
			},
		)
		require.NoError(t, deducted.err)
		require.NoError(t, paused)
		f.advance(time.Minute)
		txs, err := f.srv.Orders(mock.OrderFilter{MchID: f.m.MchID, Kind: "parking", OpenID: openid})
		require.NoError(t, err)
		entries, payments := f.entryEvents(in), f.transactionEvents(no)
		switch deducted.status {
		case 200:
			outcomes["deduction first"]++
			assert.Len(t, txs, 1)
			assert.Empty(t, entries, "the consumed entry is not blocked")
			assert.Equal(t, []string{"TRANSACTION.SUCCESS SUCCESS"}, payments)
		default:
			outcomes["pause first"]++
			assert.Equal(t, "停车入场状态不可扣费", deducted.code)
			assert.Empty(t, txs)
			assert.Equal(t, []string{"BLOCKED/PAUSE"}, entries)
			assert.Empty(t, payments)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}
