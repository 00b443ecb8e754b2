package mock_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/scenario"
)

func loadScenario(t *testing.T, f *fixture, query, yaml string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", f.ts.URL+"/sandbox/scenarios?"+query, strings.NewReader(yaml))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

func TestSandbox_Scenarios(t *testing.T) {
	f := newFixture(t)
	status, body := loadScenario(t, f, "file=mine.yaml&mchid="+f.me.mchid, "name: two-fails\ndescription: d\nmatch:\n  endpoint: serviceorder.create\n  times: 1\napi:\n  status: 500\n")
	require.Equal(t, http.StatusCreated, status, string(body))
	var infos []scenario.Info
	require.NoError(t, json.Unmarshal(body, &infos))
	require.Len(t, infos, 1)
	assert.Equal(t, f.me.mchid, infos[0].Match.MchID, "the query scopes the scenario")
	assert.Equal(t, "mine.yaml", infos[0].File)

	status, e := f.v3("POST", "/v3/payscore/serviceorder", f.createBody("SC-1", true, ""), nil)
	assert.Equal(t, 500, status)
	assert.Equal(t, "SYSTEM_ERROR", e.Code)
	orders, err := f.srv.Orders(mock.OrderFilter{MchID: f.me.mchid})
	require.NoError(t, err)
	assert.Empty(t, orders, "a fault answers instead of the call: nothing was created")
	recs := f.srv.Requests(mock.RequestFilter{Limit: 1})
	assert.Equal(t, "scenario two-fails (sc-1)", recs[0].Scenario)
	assert.Equal(t, "answered 500 SYSTEM_ERROR", recs[0].Injected)
	status, _ = f.v3("POST", "/v3/payscore/serviceorder", f.createBody("SC-1", true, ""), nil)
	assert.Equal(t, 200, status, "times: 1")

	// Another merchant is out of the scenario's scope.
	m, err := f.srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	other := &fixture{t: t, srv: f.srv, ts: f.ts, me: keyOf(t, m), m: m, rc: f.rc}
	loadStatus, _ := loadScenario(t, f, "mchid="+f.me.mchid, "name: always\ndescription: d\napi:\n  status: 503\n")
	require.Equal(t, http.StatusCreated, loadStatus)
	status, _ = other.v3("GET", "/v3/certificates", nil, nil)
	assert.Equal(t, 200, status)
	status, _ = f.v3("GET", "/v3/certificates", nil, nil)
	assert.Equal(t, 503, status)

	status, body = sandboxCall(t, f.ts, "GET", "/sandbox/scenarios", "", nil)
	require.Equal(t, 200, status)
	require.NoError(t, json.Unmarshal(body, &infos))
	require.Len(t, infos, 2)
	assert.Equal(t, 1, infos[0].Applied)
	status, _ = sandboxCall(t, f.ts, "DELETE", "/sandbox/scenarios/"+infos[1].ID, "", nil)
	assert.Equal(t, http.StatusNoContent, status)
	status, _ = sandboxCall(t, f.ts, "DELETE", "/sandbox/scenarios/"+infos[1].ID, "", nil)
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = f.v3("GET", "/v3/certificates", nil, nil)
	assert.Equal(t, 200, status, "unloaded")

	status, body = loadScenario(t, f, "file=typo.yaml", "name: typo\ndescription: d\ncallback:\n  delai: 5s\n")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(body), "typo.yaml:4: callback.delai: unknown key")
	e = decodeError(t, body)
	assert.Equal(t, "/callback/delai", e.Detail["field"], "the detail names the field by its JSON Pointer")
	assert.Equal(t, "body", e.Detail["location"])
	assert.EqualValues(t, 4, e.Detail["value"], "and gives its line")
	status, body = loadScenario(t, f, "file=forge.yaml", "name: forge\ndescription: d\ncallback:\n  forge: [probe, bogus]\n")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "/callback/forge/1", decodeError(t, body).Detail["field"], "list items by index: %s", body)
	assert.Len(t, f.srv.Scenarios(), 1, "a bad file loads nothing")

	status, _ = sandboxCall(t, f.ts, "POST", "/sandbox/reset", "", nil)
	require.Equal(t, http.StatusNoContent, status)
	assert.Empty(t, f.srv.Scenarios(), "reset unloads scenarios")
}

func TestScenario_DropAndLoseConnection(t *testing.T) {
	f := newFixture(t)
	_, err := f.srv.LoadScenarios("t.yaml", []byte(`name: drop
description: d
match: {endpoint: serviceorder.create, nth: 1}
api: {drop_connection: true}
---
name: lose
description: d
match: {endpoint: serviceorder.cancel}
api: {lose_response: true}
`), scenario.Scope{MchID: f.me.mchid})
	require.NoError(t, err)

	body, err := json.Marshal(f.createBody("DROP-1", true, ""))
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(f.me.request(t, f.ts, "POST", "/v3/payscore/serviceorder", body))
	require.Error(t, err, "the connection closes without an answer")
	orders, err := f.srv.Orders(mock.OrderFilter{MchID: f.me.mchid})
	require.NoError(t, err)
	assert.Empty(t, orders, "a dropped call is not carried out")

	f.mustCreate("DROP-1", true, "")
	raw, err := json.Marshal(f.cancelBody("取消"))
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(f.me.request(t, f.ts, "POST", "/v3/payscore/serviceorder/DROP-1/cancel", raw))
	require.Error(t, err, "the answer is lost")
	assert.Equal(t, "REVOKED", f.query("DROP-1").State, "but the change was made")
	recs := f.srv.Requests(mock.RequestFilter{Limit: 2})
	assert.Contains(t, recs[1].Injected, "the call ran (status 200) and its answer was dropped")
}

func TestScenario_Latency(t *testing.T) {
	var mu sync.Mutex
	var slept []time.Duration
	srv, ts := mock.NewTestServer(t, mock.Options{
		Sleep:     func(_ context.Context, d time.Duration) { mu.Lock(); slept = append(slept, d); mu.Unlock() },
		Scenarios: fstest.MapFS{"slow.yaml": {Data: []byte("name: slow\ndescription: d\nmatch: {endpoint: certificates}\napi: {latency: 3s}\n")}},
	})
	me := defaultMerchant(t)
	resp, body := me.call(t, ts, "GET", "/v3/certificates", nil)
	assert.Equal(t, 200, resp.StatusCode, string(body))
	assert.Equal(t, []time.Duration{3 * time.Second}, slept, "latency is transport time, through Options.Sleep")
	assert.Equal(t, "latency 3s", srv.Requests(mock.RequestFilter{Limit: 1})[0].Injected)
	_, err := mock.New(mock.Options{Scenarios: fstest.MapFS{"bad.yaml": {Data: []byte("name: x\n")}}})
	assert.ErrorContains(t, err, "bad.yaml:1")
}

// Deductions, refunds and user behaviour follow scenarios; each decision
// is on the order's timeline.
func TestScenario_DomainEffects(t *testing.T) {
	f := newFixture(t)
	f.authorize("oScen")
	_, err := f.srv.LoadScenarios("t.yaml", []byte(`name: flaky
description: d
deduction: {fail_attempts: 2, retry_after: 10m}
---
name: frozen
description: d
refund: {outcome: CLOSED}
---
name: later
description: d
match: {out_order_no: "LATER-*"}
user: {confirm_after: 2m}
`), scenario.Scope{MchID: f.me.mchid})
	require.NoError(t, err)

	f.mustCreate("FLAKY", false, "oScen")
	f.advance(time.Minute)
	f.mustComplete("FLAKY", 1000)
	f.advance(5 * time.Second)
	assert.Equal(t, "DOING/MCH_COMPLETE", f.stageOf("FLAKY"), "attempt 1 fails")
	f.advance(10 * time.Minute)
	assert.Equal(t, "DOING/MCH_COMPLETE", f.stageOf("FLAKY"), "attempt 2 fails")
	f.advance(10 * time.Minute)
	q := f.query("FLAKY")
	assert.Equal(t, "DONE", q.State, "attempt 3 succeeds")
	so, err := f.srv.Order(f.me.mchid, "", "FLAKY")
	require.NoError(t, err)
	var failed int
	for _, e := range so.Timeline {
		if strings.Contains(e.Summary, "failed by scenario flaky") {
			failed++
		}
	}
	assert.Equal(t, 2, failed)

	status, _ := f.v3("POST", "/v3/refund/domestic/refunds", f.refundBody(q.Collection.Details[0].TransactionID, "SR-1", 1000, 1000), nil)
	require.Equal(t, 200, status)
	f.advance(time.Minute)
	var r map[string]any
	f.v3("GET", "/v3/refund/domestic/refunds/SR-1", nil, &r)
	assert.Equal(t, "CLOSED", r["status"])

	f.mustCreate("LATER-1", true, "")
	f.mustCreate("NOW-1", true, "")
	f.advance(2 * time.Minute)
	assert.Equal(t, "DOING/USER_CONFIRM", f.stageOf("LATER-1"), "the user confirmed on their own")
	assert.Equal(t, "CREATED", f.stageOf("NOW-1"), "out of the scenario's scope")
}
