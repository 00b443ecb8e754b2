package mock_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

// BenchmarkRSASign is the floor: one RSA-2048 SHA256withRSA signature, which
// every response must carry.
func BenchmarkRSASign(b *testing.B) {
	me := defaultMerchant(b)
	msg := protocol.ResponseMessage(1796000000, protocol.NewNonce(32), bytes.Repeat([]byte("x"), 600))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := protocol.Sign(me.key, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServeSignedRequest is one already-signed request served through
// the handler: parse and verify the Authorization, look up the merchant,
// handle, sign the response, log the call. Compare with BenchmarkRSASign.
func BenchmarkServeSignedRequest(b *testing.B) {
	srv, ts := mock.NewTestServer(b, mock.Options{})
	me := defaultMerchant(b)
	signed := me.request(b, ts, "GET", "/v3/certificates", nil)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/v3/certificates", nil)
		req.Header = signed.Header
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// countingReceiver is a callback endpoint that only counts, so a benchmark
// measures the mock's side of a delivery.
func countingReceiver(b *testing.B) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(ts.Close)
	return ts, &n
}

// BenchmarkOrderLifecycle is one whole order: create → the user confirms →
// complete → the deduction → both callbacks delivered to an in-process
// receiver. The merchant's two request signatures are in the time too;
// rsa-signs/op counts the mock's own (responses and callbacks).
func BenchmarkOrderLifecycle(b *testing.B) {
	srv, ts := mock.NewTestServer(b, mock.Options{})
	me := defaultMerchant(b)
	rcv, delivered := countingReceiver(b)
	var mockSigns int64
	call := func(method, uri string, body any) {
		resp, raw := me.call(b, ts, method, uri, body)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s %s: %d %s", method, uri, resp.StatusCode, raw)
		}
		if resp.Header.Get("Wechatpay-Signature") != "" {
			mockSigns++
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		no := fmt.Sprintf("LIFE%08d", i)
		now := srv.Clock().Now()
		call("POST", "/v3/payscore/serviceorder", map[string]any{
			"out_order_no": no, "appid": "wxd678efh567hg6787", "service_id": "500001", "service_introduction": "网约车",
			"time_range": map[string]any{"start_time": protocol.Format14(now)}, "notify_url": rcv.URL,
			"risk_fund": map[string]any{"name": "ESTIMATE_ORDER_COST", "amount": 10000},
		})
		if _, err := srv.ConfirmOrder("1230000109", "", no, mock.ConfirmRequest{}); err != nil {
			b.Fatal(err)
		}
		if _, err := srv.Advance(time.Minute); err != nil {
			b.Fatal(err)
		}
		call("POST", "/v3/payscore/serviceorder/"+no+"/complete", map[string]any{
			"appid": "wxd678efh567hg6787", "service_id": "500001", "total_amount": 2500,
			"post_payments": []map[string]any{{"name": "车费", "amount": 2500}},
			"time_range":    map[string]any{"end_time": protocol.Format14(srv.Clock().Now())},
		})
		if _, err := srv.Advance(5 * time.Second); err != nil {
			b.Fatal(err)
		}
	}
	if got := delivered.Load(); got != int64(2*i) {
		b.Fatalf("%d callbacks delivered, want %d", got, 2*i)
	}
	b.ReportMetric(float64(mockSigns+delivered.Load())/float64(i), "rsa-signs/op")
}

// BenchmarkCallbackDelivery measures callback throughput to a local
// receiver: each op is one PAYSCORE.USER_CONFIRM sealed, signed and POSTed.
func BenchmarkCallbackDelivery(b *testing.B) {
	srv, ts := mock.NewTestServer(b, mock.Options{})
	me := defaultMerchant(b)
	rcv, delivered := countingReceiver(b)
	nos := make([]string, b.N)
	for i := range nos {
		nos[i] = fmt.Sprintf("CB%08d", i)
		resp, raw := me.call(b, ts, "POST", "/v3/payscore/serviceorder", map[string]any{
			"out_order_no": nos[i], "appid": "wxd678efh567hg6787", "service_id": "500001", "service_introduction": "网约车",
			"time_range": map[string]any{"start_time": protocol.Format14(srv.Clock().Now())}, "notify_url": rcv.URL,
			"risk_fund": map[string]any{"name": "ESTIMATE_ORDER_COST", "amount": 10000},
		})
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("create: %d %s", resp.StatusCode, raw)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for _, no := range nos {
		if _, err := srv.ConfirmOrder("1230000109", "", no, mock.ConfirmRequest{}); err != nil {
			b.Fatal(err)
		}
	}
	srv.Clock().(*clock.Virtual).Settle()
	elapsed := time.Since(start)
	b.StopTimer()
	if got := delivered.Load(); got != int64(b.N) {
		b.Fatalf("%d callbacks delivered, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "callbacks/s")
}

// BenchmarkServeOrderQuery is one already-signed order query served
// through the handler, by a direct merchant and by a service provider for
// its sub-merchant: the partner call adds the sub-merchant's resolution and
// a longer key to the same work, one RSA signature of the answer.
func BenchmarkServeOrderQuery(b *testing.B) {
	srv, ts := mock.NewTestServer(b, mock.Options{})
	direct := defaultMerchant(b)
	p, err := srv.CreateMerchant(mock.MerchantSpec{Kind: "partner", ServiceIDs: []string{"500001"}, AppIDs: []string{"wxd678efh567hg6787"}})
	if err != nil {
		b.Fatal(err)
	}
	partner, sub := keyOf(b, p), p.SubMerchants[0].SubMchID
	for _, c := range []struct {
		name, create, query string
		as                  merchantKey
		extra               map[string]any
	}{
		{"direct", "/v3/payscore/serviceorder", "/v3/payscore/serviceorder?appid=wxd678efh567hg6787&out_order_no=BQ-1&service_id=500001", direct, nil},
		{"partner", "/v3/payscore/partner/serviceorder", "/v3/payscore/partner/serviceorder?out_order_no=BQ-1&service_id=500001&sub_mchid=" + sub, partner, map[string]any{"sub_mchid": sub}},
	} {
		body := map[string]any{
			"out_order_no": "BQ-1", "appid": "wxd678efh567hg6787", "service_id": "500001", "service_introduction": "网约车",
			"time_range": map[string]any{"start_time": protocol.Format14(srv.Clock().Now())}, "notify_url": "https://m.example.com/notify",
			"risk_fund": map[string]any{"name": "ESTIMATE_ORDER_COST", "amount": 10000},
		}
		for k, v := range c.extra {
			body[k] = v
		}
		if resp, raw := c.as.call(b, ts, "POST", c.create, body); resp.StatusCode != http.StatusOK {
			b.Fatalf("%s create: %d %s", c.name, resp.StatusCode, raw)
		}
		signed := c.as.request(b, ts, "GET", c.query, nil)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", c.query, nil)
				req.Header = signed.Header
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
