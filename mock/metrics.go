package mock

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/notify"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// Metrics (architecture.md, Metrics): GET /metrics in Prometheus text
// format, for the operators of a shared sandbox. Every label value comes
// from a fixed set (the endpoint table, HTTP statuses, the reasons and
// outcomes below, the callbacks' event types, the orders' kinds and
// states), never from what a caller sends, so the number of series stays
// bounded whatever the traffic.

// unknownEndpoint labels calls to paths and methods the API does not serve.
const unknownEndpoint = "unknown"

// Signature failure reasons: mockpay_signature_failures_total{reason}.
const (
	SignReasonMalformed       = "malformed"        // no Authorization header, an unreadable one, or no Accept/User-Agent
	SignReasonUnknownMerchant = "unknown_merchant" // the mchid is not registered
	SignReasonWrongSerial     = "wrong_serial"     // serial_no is not the merchant's certificate
	SignReasonTimestamp       = "timestamp"        // more than 5 minutes from the server's wall clock
	SignReasonMismatch        = "mismatch"         // the signature does not verify
)

var signReasons = []string{SignReasonMalformed, SignReasonUnknownMerchant, SignReasonWrongSerial, SignReasonTimestamp, SignReasonMismatch}

// Callback outcomes: mockpay_callbacks_total{event_type,outcome}.
const (
	CallbackDelivered = "delivered" // it became delivered: a 2xx came back
	CallbackFailed    = "failed"    // every scheduled attempt failed
	CallbackDropped   = "dropped"   // never sent: no notify_url, or a scenario dropped it
	CallbackRetried   = "retried"   // a scheduled attempt failed and the next is scheduled
)

// metrics are one server's collectors, in a registry of its own so that
// servers in one process (tests) never share counts.
type metrics struct {
	registry          *prometheus.Registry
	requests          *prometheus.CounterVec
	duration          *prometheus.HistogramVec
	signatureFailures *prometheus.CounterVec
	callbacks         *prometheus.CounterVec
	streamsDropped    prometheus.Counter
}

func newMetrics(st *store.Store, streams func() int) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mockpay_api_requests_total",
			Help: "v3 API calls answered, by endpoint (the scenario name of the call, or unknown) and HTTP status.",
		}, []string{"endpoint", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mockpay_api_request_duration_seconds",
			Help: "Time to answer a v3 API call, scenario latency included, by endpoint.",
			// From a fraction of a millisecond (the mock itself) to the
			// seconds a slow-api scenario waits.
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint"}),
		signatureFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mockpay_signature_failures_total",
			Help: "v3 API calls refused for their authentication, by reason: malformed, unknown_merchant, wrong_serial, timestamp, mismatch.",
		}, []string{"reason"}),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mockpay_callbacks_total",
			Help: "Callbacks by event type and outcome: delivered, failed (every attempt failed), dropped (never sent), retried (an attempt failed, the next is scheduled).",
		}, []string{"event_type", "outcome"}),
		streamsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mockpay_event_streams_dropped_total",
			Help: "Event streams (GET /sandbox/events) ended because their reader fell behind.",
		}),
	}
	for _, r := range signReasons {
		m.signatureFailures.WithLabelValues(r) // present, at 0, before the first failure
	}
	m.registry.MustRegister(
		m.requests, m.duration, m.signatureFailures, m.callbacks, m.streamsDropped,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mockpay_event_streams",
			Help: "Open event streams (GET /sandbox/events and Server.Subscribe).",
		}, func() float64 { return float64(streams()) }),
		newOrdersCollector(st),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// observeRequest counts a finished v3 call; rep is its answer.
func (m *metrics) observeRequest(e *endpoint, rec *RequestRecord, rep *reply, took time.Duration) {
	name := unknownEndpoint
	if e != nil {
		name = e.Name
	}
	m.requests.WithLabelValues(name, strconv.Itoa(rec.Status)).Inc()
	m.duration.WithLabelValues(name).Observe(took.Seconds())
	if reason := signatureReason(rec.Signature, rep.err); reason != "" {
		m.signatureFailures.WithLabelValues(reason).Inc()
	}
}

// signatureReason is the reason label of a failed authentication, from the
// request log's verdict and the field the SIGN_ERROR names; "" when the
// signature was valid or not checked.
func signatureReason(verdict string, err error) string {
	switch verdict {
	case VerdictMalformed:
		return SignReasonMalformed
	case VerdictInvalid:
	default:
		return ""
	}
	var ae *apierr.Error
	if errors.As(err, &ae) && ae.Detail != nil {
		switch ae.Detail.Field {
		case "mchid":
			return SignReasonUnknownMerchant
		case "serial_no":
			return SignReasonWrongSerial
		case "timestamp":
			return SignReasonTimestamp
		}
	}
	return SignReasonMismatch
}

// observeChanges counts the callback outcomes among committed changes.
func (m *metrics) observeChanges(changes []store.Change) {
	for _, c := range changes {
		after, ok := c.After.(*store.Notification)
		if !ok {
			continue
		}
		before, _ := c.Before.(*store.Notification)
		for _, outcome := range callbackOutcomes(before, after) {
			m.callbacks.WithLabelValues(string(after.EventType), outcome).Inc()
		}
	}
}

// callbackOutcomes are what a change to a notification counts as.
func callbackOutcomes(before, after *store.Notification) []string {
	was, tried := "", 0
	if before != nil {
		was, tried = before.State, len(before.Attempts)
	}
	var out []string
	if after.State != was {
		switch after.State {
		case store.NotificationDelivered:
			out = append(out, CallbackDelivered)
		case store.NotificationFailed:
			out = append(out, CallbackFailed)
		case store.NotificationDropped:
			out = append(out, CallbackDropped)
		}
	}
	if after.State == store.NotificationPending {
		for _, a := range after.Attempts[min(tried, len(after.Attempts)):] {
			if a.Kind == notify.KindScheduled {
				out = append(out, CallbackRetried)
				break
			}
		}
	}
	return out
}

// ordersCollector is mockpay_orders{kind,state}, counted from the store at
// scrape time rather than tracked through every change.
type ordersCollector struct {
	store *store.Store
	desc  *prometheus.Desc
	mu    sync.Mutex
	// seen are the (kind, state) pairs ever counted: one that has no order
	// left reads 0 rather than vanishing.
	seen map[[2]string]bool
}

func newOrdersCollector(st *store.Store) *ordersCollector {
	return &ordersCollector{
		store: st,
		desc:  prometheus.NewDesc("mockpay_orders", "Orders in the sandbox, by kind and state.", []string{"kind", "state"}, nil),
		seen:  map[[2]string]bool{},
	}
}

func (c *ordersCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *ordersCollector) Collect(ch chan<- prometheus.Metric) {
	orders, err := c.store.Read().Orders("")
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	counts := map[[2]string]int{}
	for _, o := range orders {
		k := [2]string{string(o.Kind), string(o.State)}
		counts[k]++
		c.seen[k] = true
	}
	for k := range c.seen {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[k]), k[0], k[1])
	}
}

// serveMetrics is GET /metrics, gated by the sandbox token like /sandbox.
func (s *Server) serveMetrics() http.Handler {
	h := promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.checkToken(r); err != nil {
			status, body := s.encode(fail(err))
			writeBody(w, status, body)
			return
		}
		h.ServeHTTP(w, r)
	})
}
