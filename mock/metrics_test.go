package mock_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// scrape reads /metrics with the Prometheus text parser and returns the
// value of every mockpay_ series: name{label="value",...} for counters and
// gauges, name_count{...} for histograms.
func scrape(t *testing.T, ts *httptest.Server, token string) map[string]float64 {
	t.Helper()
	req, err := http.NewRequest("GET", ts.URL+"/metrics", nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4"), resp.Header.Get("Content-Type"))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)

	out := map[string]float64{}
	for name, fam := range fams {
		if !strings.HasPrefix(name, "mockpay_") {
			continue
		}
		for _, m := range fam.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			slices.Sort(labels)
			key := "{" + strings.Join(labels, ",") + "}"
			switch fam.GetType() {
			case dto.MetricType_COUNTER:
				out[name+key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[name+key] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count"+key] = float64(m.GetHistogram().GetSampleCount())
			default:
				t.Errorf("%s is a %s", name, fam.GetType())
			}
		}
	}
	return out
}

// delta is what changed from before to after, series by series.
func delta(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok {
			out[k] = -v
		}
	}
	return out
}

// calls are the request counter and histogram series of n calls to an
// endpoint answered with status.
func calls(endpoint string, status, n int) map[string]float64 {
	return map[string]float64{
		fmt.Sprintf(`mockpay_api_requests_total{code="%d",endpoint=%q}`, status, endpoint): float64(n),
		fmt.Sprintf(`mockpay_api_request_duration_seconds_count{endpoint=%q}`, endpoint):   float64(n),
	}
}

func merge(ms ...map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		for k, v := range m {
			out[k] += v
		}
	}
	return out
}

const (
	ordersCreated = `mockpay_orders{kind="serviceorder",state="CREATED"}`
	ordersDoing   = `mockpay_orders{kind="serviceorder",state="DOING"}`
)

func callbacks(eventType, outcome string, n int) map[string]float64 {
	return map[string]float64{fmt.Sprintf(`mockpay_callbacks_total{event_type=%q,outcome=%q}`, eventType, outcome): float64(n)}
}

func signFailure(reason string) map[string]float64 {
	return map[string]float64{fmt.Sprintf(`mockpay_signature_failures_total{reason=%q}`, reason): 1}
}

// Each metric of the contract moves when what it counts happens, and
// nothing else moves: every step lists every mockpay_ series it changes.
func TestMetrics_Move(t *testing.T) {
	f := newFixture(t, http.StatusInternalServerError) // the first callback fails, then 204
	failing := newReceiver(t, f.srv, f.m.APIv3Key, slices.Repeat([]int{http.StatusInternalServerError}, 10)...)
	query := "/v3/payscore/serviceorder?out_order_no=R0&service_id=" + f.serviceID() + "&appid=" + f.appid()
	signedAs := func(k merchantKey, ts int64) func() {
		return func() {
			req := f.me.request(t, f.ts, "GET", query, nil)
			req.Header.Set("Authorization", k.authorization(t, "GET", query, nil, ts))
			send(t, req)
		}
	}
	stranger, wrongSerial := f.me, f.me
	stranger.mchid = "1999999999"
	wrongSerial.serial = strings.Repeat("AB", 20)
	var stream *mock.EventStream

	steps := []struct {
		name string
		do   func()
		want map[string]float64
	}{
		{"a call", func() { f.v3("GET", query, nil, nil) }, calls("serviceorder.query", 404, 1)},
		{"a path the API does not serve", func() { send(t, f.me.request(t, f.ts, "GET", "/v3/nothing", nil)) }, calls("unknown", 404, 1)},
		{"no Authorization header", func() {
			req := f.me.request(t, f.ts, "GET", query, nil)
			req.Header.Del("Authorization")
			send(t, req)
		}, merge(calls("serviceorder.query", 400, 1), signFailure(mock.SignReasonMalformed))},
		{"an unknown merchant", signedAs(stranger, time.Now().Unix()), merge(calls("serviceorder.query", 401, 1), signFailure(mock.SignReasonUnknownMerchant))},
		{"a wrong serial", signedAs(wrongSerial, time.Now().Unix()), merge(calls("serviceorder.query", 401, 1), signFailure(mock.SignReasonWrongSerial))},
		{"a stale timestamp", signedAs(f.me, time.Now().Add(-10*time.Minute).Unix()), merge(calls("serviceorder.query", 401, 1), signFailure(mock.SignReasonTimestamp))},
		{"a signature that does not match", func() {
			req := f.me.request(t, f.ts, "GET", query, nil)
			req.URL.RawQuery += "&x=1"
			send(t, req)
		}, merge(calls("serviceorder.query", 401, 1), signFailure(mock.SignReasonMismatch))},

		{"an order is created", func() { f.mustCreate("RIDE-1", true, "oMetrics") },
			merge(calls("serviceorder.create", 200, 1), map[string]float64{ordersCreated: 1})},
		{"the user confirms, the callback's first attempt fails", func() {
			_, err := f.srv.ConfirmOrder(f.me.mchid, "", "RIDE-1", mock.ConfirmRequest{})
			require.NoError(t, err)
			f.settle()
		}, merge(map[string]float64{ordersCreated: -1, ordersDoing: 1}, callbacks("PAYSCORE.USER_CONFIRM", mock.CallbackRetried, 1))},
		{"the retry is delivered", func() { f.advance(15 * time.Second) }, callbacks("PAYSCORE.USER_CONFIRM", mock.CallbackDelivered, 1)},
		{"every attempt fails", func() {
			body := f.createBody("RIDE-2", true, "oMetrics")
			body["notify_url"] = failing.url()
			status, e := f.v3("POST", "/v3/payscore/serviceorder", body, nil)
			require.Equal(t, http.StatusOK, status, "%+v", e)
			_, err := f.srv.ConfirmOrder(f.me.mchid, "", "RIDE-2", mock.ConfirmRequest{})
			require.NoError(t, err)
			f.settle()
			f.advance(4 * time.Hour)
		}, merge(calls("serviceorder.create", 200, 1), map[string]float64{ordersDoing: 1},
			callbacks("PAYSCORE.USER_CONFIRM", mock.CallbackRetried, 9), callbacks("PAYSCORE.USER_CONFIRM", mock.CallbackFailed, 1))},
		{"a callback with nowhere to go", func() {
			m, err := f.srv.CreateMerchant(mock.MerchantSpec{})
			require.NoError(t, err)
			_, err = f.srv.AuthorizeUser("oMetrics", mock.AuthorizeRequest{MchID: m.MchID})
			require.NoError(t, err)
		}, callbacks("PAYSCORE.USER_OPEN_SERVICE", mock.CallbackDropped, 1)},
		{"a reset", func() { require.NoError(t, f.srv.Reset()) }, map[string]float64{ordersDoing: -2}},

		{"an event stream opens", func() { stream = f.srv.Subscribe(mock.SubscribeOptions{Buffer: 1}) },
			map[string]float64{"mockpay_event_streams{}": 1}},
		{"its reader falls behind", func() {
			f.advance(time.Second)
			f.advance(time.Second)
			assert.ErrorIs(t, stream.Err(), mock.ErrSlowReader)
		}, map[string]float64{"mockpay_event_streams{}": -1, "mockpay_event_streams_dropped_total{}": 1}},
	}
	before := scrape(t, f.ts, "")
	for _, r := range []string{"malformed", "unknown_merchant", "wrong_serial", "timestamp", "mismatch"} {
		assert.Contains(t, before, fmt.Sprintf(`mockpay_signature_failures_total{reason=%q}`, r), "every reason is there from the start")
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.do()
			after := scrape(t, f.ts, "")
			assert.Equal(t, step.want, delta(before, after))
			before = after
		})
	}
}

// /metrics is behind the sandbox token when one is set.
func TestMetrics_Token(t *testing.T) {
	_, ts := mock.NewTestServer(t, mock.Options{SandboxToken: "s3cret"})
	status, body := sandboxCall(t, ts, "GET", "/metrics", "", nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, string(body), `"code":"UNAUTHORIZED"`)
	assert.Contains(t, scrape(t, ts, "s3cret"), "mockpay_event_streams{}")
}
