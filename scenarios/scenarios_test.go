package scenarios_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/identity"
	"github.com/mockpay/mockpay/mock/scenario"
	"github.com/mockpay/mockpay/scenarios"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from this run")

// TestScenarios runs one merchant's flow against the in-process mock with
// each scenario of the library loaded, on the virtual clock, and compares
// the transcript (calls and answers, what the scenario injected, every
// callback and its attempts, the orders' timelines) with a golden file.
// The ids, the clock and the merchant are fixed, so a run is reproducible.
func TestScenarios(t *testing.T) {
	files, err := fs.Glob(scenarios.Files, "*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 16)
	for _, file := range files {
		name := strings.TrimSuffix(file, ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := run(t, file, flowOf(file))
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./scenarios -update to write the golden file")
			if string(want) != got {
				t.Errorf("transcript differs from %s (go test ./scenarios -update rewrites it after a reviewed change)\n%s", golden, diff(string(want), got))
			}
		})
	}
}

// TestScenarios_NoScenario is each flow with nothing loaded: the baseline
// every golden file of its flow differs from.
func TestScenarios_NoScenario(t *testing.T) {
	for name, flow := range map[string]func(*harness){"no-scenario": (*harness).flow, "no-scenario-parking": (*harness).parkingFlow} {
		t.Run(name, func(t *testing.T) {
			got := run(t, "", flow)
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), got)
		})
	}
}

// flowOf is the merchant's day a scenario file is run against: a car
// park's for the parking scenarios, a ride-hailing service's for the
// others.
func flowOf(file string) func(*harness) {
	if strings.HasPrefix(file, "parking-") {
		return (*harness).parkingFlow
	}
	return (*harness).flow
}

// diff shows the first differing lines.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, a, b)
		}
	}
	return ""
}

// harness is one run: a server, the merchant and its callback receiver.
type harness struct {
	t        *testing.T
	srv      *mock.Server
	ts       *httptest.Server
	rcv      *httptest.Server
	key      *rsa.PrivateKey
	serial   string
	mchid    string
	appid    string
	service  string
	out      strings.Builder
	rcvMu    sync.Mutex
	verdicts []string // what the receiver made of each callback
}

func run(t *testing.T, file string, flow func(*harness)) string {
	b, err := identity.Default()
	require.NoError(t, err)
	spec, err := mock.DefaultMerchantSpec(b)
	require.NoError(t, err)
	h := &harness{t: t, key: b.MerchantKey, serial: protocol.SerialNumber(b.MerchantCert), mchid: spec.MchID, appid: spec.AppIDs[0], service: spec.ServiceIDs[0]}

	// The receiver is a correct merchant: mockpay's client verifies and
	// decrypts every callback; anything it refuses gets a 401.
	verifier := client.NewCertificateVerifier(b.PlatformCert)
	cl, err := client.New(client.Config{MchID: spec.MchID, SerialNo: h.serial, PrivateKey: b.MerchantKey, APIv3Key: spec.APIv3Key}, client.WithVerifier(verifier))
	require.NoError(t, err)
	h.rcv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := cl.ParseNotification(r)
		h.rcvMu.Lock()
		defer h.rcvMu.Unlock()
		if err != nil {
			// The sentinel, not the text: the text holds wall-clock times.
			reason := "other: " + err.Error()
			for _, s := range []error{client.ErrStaleTimestamp, client.ErrSignatureProbe, client.ErrUnknownSerial, client.ErrSignatureMismatch, client.ErrDecrypt, client.ErrMissingHeader} {
				if errors.Is(err, s) {
					reason = s.Error()
					break
				}
			}
			h.verdicts = append(h.verdicts, "rejected: "+reason)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.verdicts = append(h.verdicts, "accepted "+n.EventType)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.rcv.Close)
	spec.NotifyURL = h.rcv.URL + "/notify"

	var mu sync.Mutex
	n := 0
	opts := mock.Options{
		Merchants: []mock.MerchantSpec{spec},
		NewID: func() string {
			mu.Lock()
			defer mu.Unlock()
			n++
			return fmt.Sprintf("id%05d", n)
		},
		Sleep: func(context.Context, time.Duration) {}, // latency is recorded, not waited out
	}
	h.srv, h.ts = mock.NewTestServer(t, opts)
	h.printf("# scenario %s\n", file)
	if file != "" {
		data, err := fs.ReadFile(scenarios.Files, file)
		require.NoError(t, err)
		_, err = h.srv.LoadScenarios(file, data, scenario.Scope{})
		require.NoError(t, err)
	}
	flow(h)
	return strings.ReplaceAll(h.out.String(), h.rcv.URL, "http://receiver")
}

func (h *harness) printf(format string, args ...any) { fmt.Fprintf(&h.out, format, args...) }

func (h *harness) now() time.Time { return h.srv.Clock().Now() }

// step waits for work due at once (callbacks) so that the next step starts
// from a settled state, then notes the time.
func (h *harness) settle() { h.srv.Clock().(*clock.Virtual).Settle() }

func (h *harness) advance(d time.Duration) {
	_, err := h.srv.Advance(d)
	require.NoError(h.t, err)
	h.printf("\n~ advance %s to %s\n", d, protocol.FormatRFC3339(h.now()))
}

// result is one API call's outcome.
type result struct {
	status int
	body   map[string]any
	lost   bool // the connection closed without an answer
}

// call signs and sends one API call and writes it to the transcript.
func (h *harness) call(method, uri string, body any) result {
	h.t.Helper()
	var raw []byte
	if body != nil {
		var err error
		raw, err = protocol.MarshalJSON(body)
		require.NoError(h.t, err)
	}
	req, err := http.NewRequest(method, h.ts.URL+uri, bytes.NewReader(raw))
	require.NoError(h.t, err)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "mockpay-scenarios")
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	ts, nonce := time.Now().Unix(), protocol.NewNonce(32)
	sig, err := protocol.Sign(h.key, protocol.RequestMessage(method, req.URL.RequestURI(), ts, nonce, raw))
	require.NoError(h.t, err)
	req.Header.Set("Authorization", protocol.Authorization{MchID: h.mchid, NonceStr: nonce, Timestamp: ts, SerialNo: h.serial, Signature: sig}.String())

	h.printf("→ %s %s %s\n", method, uri, raw)
	var res result
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		res.lost = true
		h.printf("← connection closed without an answer\n")
	} else {
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res.status = resp.StatusCode
		_ = json.Unmarshal(data, &res.body)
		h.printf("← %d %s\n", resp.StatusCode, data)
	}
	if recs := h.srv.Requests(mock.RequestFilter{Limit: 1}); len(recs) == 1 && recs[0].Scenario != "" {
		h.printf("  [%s: %s]\n", recs[0].Scenario, recs[0].Injected)
	}
	h.settle()
	return res
}

// callRetrying is how a careful merchant calls: a 5xx, a 429 or a lost
// answer is retried with the identical request, three times at most.
func (h *harness) callRetrying(method, uri string, body any) result {
	var res result
	for range 4 {
		res = h.call(method, uri, body)
		if !res.lost && res.status != http.StatusTooManyRequests && res.status < 500 {
			break
		}
	}
	return res
}

// sandbox records a sandbox action's outcome.
func (h *harness) sandbox(what string, err error) {
	if err != nil {
		h.printf("⚙ %s: %v\n", what, err)
	} else {
		h.printf("⚙ %s: ok\n", what)
	}
	h.settle()
}

func (h *harness) query(no string) map[string]any {
	q := url.Values{"out_order_no": {no}, "service_id": {h.service}, "appid": {h.appid}}
	return h.callRetrying("GET", "/v3/payscore/serviceorder?"+q.Encode(), nil).body
}

// flow is the merchant's day: a user authorises, a 需确认 ride and a 免确认
// ride are created, completed and paid, one is refunded; then a month goes by.
func (h *harness) flow() {
	const openid = "oScenarioUser"
	h.callRetrying("POST", "/v3/payscore/permissions", map[string]any{
		"service_id": h.service, "appid": h.appid, "authorization_code": "AUTH-1", "notify_url": h.rcv.URL + "/notify",
	})
	_, err := h.srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: h.mchid, AuthorizationCode: "AUTH-1"})
	h.sandbox("the user authorizes", err)

	// A ride the user confirms.
	h.callRetrying("POST", "/v3/payscore/serviceorder", map[string]any{
		"out_order_no": "RIDE-1", "appid": h.appid, "service_id": h.service, "service_introduction": "网约车行程",
		"time_range": map[string]any{"start_time": protocol.Format14(h.now())}, "notify_url": h.rcv.URL + "/notify",
		"risk_fund": map[string]any{"name": "ESTIMATE_ORDER_COST", "amount": 10000},
	})
	_, err = h.srv.ConfirmOrder(h.mchid, "", "RIDE-1", mock.ConfirmRequest{OpenID: openid})
	h.sandbox("the user confirms RIDE-1", err)
	h.advance(5 * time.Minute)
	h.complete("RIDE-1", 2500)

	// A 免确认 ride for the authorised user.
	h.advance(time.Minute)
	h.callRetrying("POST", "/v3/payscore/serviceorder", map[string]any{
		"out_order_no": "RIDE-2", "appid": h.appid, "service_id": h.service, "service_introduction": "网约车行程",
		"time_range": map[string]any{"start_time": protocol.Format14(h.now())}, "notify_url": h.rcv.URL + "/notify",
		"risk_fund": map[string]any{"name": "ESTIMATE_ORDER_COST", "amount": 10000}, "need_user_confirm": false, "openid": openid,
	})
	h.advance(2 * time.Minute)
	h.complete("RIDE-2", 1800)

	for _, d := range []time.Duration{5 * time.Second, 10 * time.Minute, 30 * time.Minute} {
		h.advance(d)
	}
	for _, no := range []string{"RIDE-1", "RIDE-2"} {
		o := h.query(no)
		if col, _ := o["collection"].(map[string]any); col != nil && col["state"] == "USER_PAYING" {
			h.callRetrying("POST", "/v3/payscore/serviceorder/"+no+"/pay", map[string]any{"appid": h.appid, "service_id": h.service})
			h.advance(time.Minute)
			h.query(no)
		}
	}
	if tid := transactionID(h.query("RIDE-1")); tid != "" {
		h.callRetrying("POST", "/v3/refund/domestic/refunds", map[string]any{
			"transaction_id": tid, "out_refund_no": "REFUND-1", "reason": "行程投诉退款", "notify_url": h.rcv.URL + "/notify",
			"amount": map[string]any{"refund": 500, "total": 2500, "currency": "CNY"},
		})
		h.advance(time.Minute)
		h.callRetrying("GET", "/v3/refund/domestic/refunds/REFUND-1", nil)
	}
	h.advance(31 * 24 * time.Hour)
	for _, no := range []string{"RIDE-1", "RIDE-2"} {
		h.query(no)
	}
	h.report()
}

// parkingFlow is a car park's day: a driver opens the parking service for
// two plates; both cars enter; the driver pauses one plate a while; the
// cars leave half an hour apart and are charged; a day goes by.
func (h *harness) parkingFlow() {
	const driver = "oScenarioDriver"
	plates := []string{"粤B888888", "粤B666666"}
	h.findPlate(driver, plates[0])
	for _, p := range plates {
		_, err := h.srv.SetPlate(driver, p, mock.PlateRequest{MchID: h.mchid, State: "NORMAL"})
		h.sandbox("the driver opens the parking service for "+p, err)
	}
	h.findPlate(driver, plates[0])
	entries := make([]map[string]any, len(plates))
	for i, p := range plates {
		entries[i] = h.callRetrying("POST", "/v3/vehicle/parking/parkings", map[string]any{
			"out_parking_no": fmt.Sprintf("IN-%d", i+1), "plate_number": p, "plate_color": "BLUE", "notify_url": h.rcv.URL + "/notify",
			"start_time": protocol.FormatRFC3339(h.now()), "parking_name": "欢乐海岸停车场", "free_duration": 900,
		}).body
	}
	h.advance(time.Hour)
	_, err := h.srv.SetPlate(driver, plates[1], mock.PlateRequest{MchID: h.mchid, State: "PAUSE"})
	h.sandbox("the driver pauses the service for "+plates[1], err)
	h.advance(10 * time.Minute)
	_, err = h.srv.SetPlate(driver, plates[1], mock.PlateRequest{MchID: h.mchid, State: "NORMAL"})
	h.sandbox("the driver resumes it", err)
	h.advance(50 * time.Minute)

	var accepted []string
	for i := range plates {
		if i > 0 {
			h.advance(20 * time.Minute) // the second car leaves half an hour after the first
		}
		no := fmt.Sprintf("PK-%d", i+1)
		if h.leave(no, entries[i], int64(1500+1000*i)) {
			accepted = append(accepted, no)
		}
		for _, d := range []time.Duration{5 * time.Second, 10 * time.Minute} {
			h.advance(d)
			if slices.Contains(accepted, no) {
				h.queryParking(no)
			}
		}
	}
	for _, d := range []time.Duration{2 * time.Hour, 24 * time.Hour} {
		h.advance(d)
		for _, no := range accepted {
			h.queryParking(no)
		}
	}
	u, err := h.srv.User(driver)
	require.NoError(h.t, err)
	h.printf("\n== the driver's plates\n")
	for _, p := range u.Plates {
		h.printf("%s %s %s", p.PlateNumber, p.PlateColor, p.ServiceState)
		if e := p.Entry; e != nil {
			h.printf(", open entry %s %s %s", e.OutParkingNo, e.State, e.BlockReason)
		}
		h.printf("\n")
	}
	h.report()
}

// findPlate asks services/find about the driver's plate.
func (h *harness) findPlate(openid, plate string) {
	q := url.Values{"appid": {h.appid}, "openid": {openid}, "plate_number": {plate}, "plate_color": {"BLUE"}}
	h.callRetrying("GET", "/v3/vehicle/parking/services/find?"+q.Encode(), nil)
}

// leave charges a car's stay as a careful merchant does: it deducts the
// entry it was given, and reports whether the deduction was accepted; a
// refusal (a BLOCKED entry) means the fee is collected another way.
func (h *harness) leave(no string, entry map[string]any, amount int64) bool {
	if entry == nil {
		h.printf("  (the car of %s entered without an entry: the fee is collected another way)\n", no)
		return false
	}
	res := h.callRetrying("POST", "/v3/vehicle/transactions/parking", map[string]any{
		"appid": h.appid, "description": "停车费", "out_trade_no": no, "trade_scene": "PARKING", "notify_url": h.rcv.URL + "/notify",
		"amount": map[string]any{"total": amount},
		"parking_info": map[string]any{
			"parking_id": entry["id"], "plate_number": entry["plate_number"], "plate_color": entry["plate_color"],
			"start_time": entry["start_time"], "end_time": protocol.FormatRFC3339(h.now()), "parking_name": entry["parking_name"],
			"charging_duration": 7200, "device_id": "GATE-1",
		},
	})
	if res.status != http.StatusOK {
		h.printf("  (%s is not paid by Pay Score: the fee is collected another way)\n", no)
		return false
	}
	return true
}

func (h *harness) queryParking(no string) {
	h.callRetrying("GET", "/v3/vehicle/transactions/out-trade-no/"+no, nil)
}

// complete completes a ride the way a careful merchant does: only from
// DOING / USER_CONFIRM, and after a lost answer it queries instead of
// completing again.
func (h *harness) complete(no string, amount int64) {
	o := h.query(no)
	if o["state"] != "DOING" || o["state_description"] != "USER_CONFIRM" {
		h.printf("  (not completing %s: it is %v %v)\n", no, o["state"], o["state_description"])
		return
	}
	res := h.call("POST", "/v3/payscore/serviceorder/"+no+"/complete", map[string]any{
		"appid": h.appid, "service_id": h.service, "total_amount": amount,
		"post_payments": []map[string]any{{"name": "车费", "amount": amount}},
		"time_range":    map[string]any{"end_time": protocol.Format14(h.now())},
	})
	if res.lost || res.status >= 500 {
		h.query(no)
	}
}

func transactionID(o map[string]any) string {
	col, _ := o["collection"].(map[string]any)
	details, _ := col["details"].([]any)
	for _, d := range details {
		if tid, _ := d.(map[string]any)["transaction_id"].(string); tid != "" {
			return tid
		}
	}
	return ""
}

// report writes every callback with its attempts, what the merchant made of
// the deliveries, and each order's timeline.
func (h *harness) report() {
	ns, err := h.srv.Notifications(mock.NotificationFilter{MchID: h.mchid})
	require.NoError(h.t, err)
	h.printf("\n== callbacks\n")
	for _, n := range ns {
		h.printf("%s %s %s %s", n.CreateTime, n.EventType, n.ID, n.State)
		if n.Scenario != "" {
			h.printf(" [%s]", n.Scenario)
		}
		if n.Note != "" {
			h.printf(" (%s)", n.Note)
		}
		h.printf("\n  resource %s\n", n.Resource)
		for _, a := range n.Attempts {
			kind := a.Kind
			if kind == "" {
				kind = "attempt"
			}
			h.printf("  %s %s → %d %s\n", a.At, kind, a.Status, a.Error)
		}
	}
	h.rcvMu.Lock()
	verdicts := map[string]int{}
	for _, v := range h.verdicts {
		verdicts[v]++
	}
	h.rcvMu.Unlock()
	h.printf("\n== the merchant's verdicts on deliveries\n")
	for _, v := range sortedKeys(verdicts) {
		h.printf("%3d × %s\n", verdicts[v], v)
	}
	orders, err := h.srv.Orders(mock.OrderFilter{MchID: h.mchid})
	require.NoError(h.t, err)
	for i := len(orders) - 1; i >= 0; i-- {
		so, err := h.srv.Order(h.mchid, "", orders[i].OutOrderNo)
		require.NoError(h.t, err)
		h.printf("\n== timeline %s (%s)\n", so.OutOrderNo, so.State)
		for _, e := range so.Timeline {
			h.printf("%s %s %s\n", e.At, e.Type, e.Summary)
		}
	}
}

func sortedKeys(m map[string]int) []string {
	return slices.Sorted(maps.Keys(m))
}
