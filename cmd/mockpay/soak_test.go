package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	sandboxapi "github.com/mockpay/mockpay/client/sandbox"
)

var (
	soak    = flag.Bool("soak", false, "run TestSoak, the soak check of the built binary that .ci/run runs")
	soakFor = flag.Duration("soak-for", 30*time.Second, "how long TestSoak's mixed traffic runs")
	soakBin = flag.String("soak-bin", "", "the mockpay binary TestSoak runs; empty: it builds one")
)

// Soak bounds, checked at the end of TestSoak.
const (
	// soakRSSBound is the most resident memory the server may reach during
	// the soak. Its stored rows are a few thousand orders with their
	// callbacks (resets drop them), a few MB; what a bound has to allow
	// for is the answers and bodies in flight, the request log (at most
	// 4 KiB kept per request, 1 MB bad bodies included) and the
	// collector's headroom. Before the request log was capped, 1,000 bad
	// 1 MB bodies alone took the server to 1.5 GB.
	soakRSSBound = 128 << 20
	// soakGoroutineSlack is how many goroutines more than before the load
	// the server may run once it is idle again: none of the load's work
	// may be left behind, but the runtime and the HTTP server may keep a
	// few of their own.
	soakGoroutineSlack = 5
	// soakReadTimeout is MOCKPAY_READ_TIMEOUT during the soak: a
	// connection that sends its body a byte a second must be dropped
	// soon after it.
	soakReadTimeout = 3 * time.Second
	// soakHangingBurst is how many orders call back to the receiver that
	// never answers after each reset.
	soakHangingBurst = 20
	// soakClockStart is where the virtual clock starts.
	soakClockStart = "2027-01-01T08:00:00+08:00"
)

// TestSoak runs the built binary under mixed load for -soak-for, then
// kills it and restarts it:
//   - signed traffic through package client (create, query, the user's
//     confirm, complete, cancel) from three merchants' workers;
//   - bad input: unsigned and badly signed requests, 1 MB bodies, broken
//     JSON and wrong types under a valid signature, unknown paths, bad
//     sandbox input; and bodies sent a byte a second;
//   - sandbox resets, each followed by a burst of orders calling back to a
//     receiver that never answers, and clock advances that fire callbacks
//     and their retries.
//
// It then requires no 5xx and no request without an answer, the server's
// goroutines back to where they were once the load stops, and its resident
// memory under soakRSSBound. Last, writers create and confirm orders while
// the process is killed with SIGKILL; after a restart every acknowledged
// write must be there. It prints its figures (go test -v).
func TestSoak(t *testing.T) {
	if !*soak {
		t.Skip("the soak check runs with -soak (.ci/run runs it)")
	}
	dir := t.TempDir()
	bin := *soakBin
	if bin == "" {
		bin = buildBinary(t, dir)
	}
	environ := map[string]string{
		"MOCKPAY_STATE_FILE":   filepath.Join(dir, "state.json"),
		"MOCKPAY_CLOCK":        "virtual",
		"MOCKPAY_CLOCK_START":  soakClockStart,
		"MOCKPAY_READ_TIMEOUT": soakReadTimeout.String(),
		"MOCKPAY_LOG_LEVEL":    "warn",
	}
	cmd, addr, out := startBinary(t, bin, environ)
	s := newSoaker(t, addr, cmd.Process.Pid)

	goroutinesBefore := s.settle(t, -1) // the first requests start the server's own workers
	rssBefore := s.rss()

	ctx, cancel := context.WithTimeout(context.Background(), *soakFor)
	start := time.Now()
	stopSampling := s.sampleRSS()
	var wg sync.WaitGroup
	for i := range 3 {
		m := s.merchant(t)
		wg.Go(func() { s.orders(ctx, m, fmt.Sprintf("W%d", i)) })
	}
	wg.Go(func() { s.badInput(ctx) })
	for range 3 {
		wg.Go(func() { s.slowBodies(ctx) })
	}
	hangs := s.merchant(t)
	wg.Go(func() { s.resets(ctx, hangs) })
	wg.Go(func() { s.advances(ctx) })
	wg.Wait()
	cancel()
	elapsed := time.Since(start)
	peak := stopSampling()

	s.closeReceivers()
	goroutinesAfter := s.settle(t, goroutinesBefore+soakGoroutineSlack)
	rssAfter := s.rss()

	// Durability: kill -9 while writers run, restart, count.
	acked, confirmed := s.killDuringWrites(t, cmd.Process)
	_, addr2, out2 := startBinary(t, bin, environ)
	lost, unconfirmed := s.lostWrites(t, addr2, acked, confirmed)

	st := s.tally.snapshot()
	t.Logf("soak: %.0fs of mixed traffic: %d answers (2xx %d, 4xx %d, 5xx %d), %d requests without an answer",
		elapsed.Seconds(), st.total, st.class[2], st.class[4], st.class[5], st.noAnswer)
	t.Logf("soak: orders: %d created, %d confirmed, %d completed, %d cancelled; %d to a receiver that never answers",
		s.created.Load(), s.confirmed.Load(), s.completed.Load(), s.cancelled.Load(), s.hanging.Load())
	if err := s.completeErr.Load(); err != nil {
		t.Logf("soak: the first complete refused: %v", *err)
	}
	t.Logf("soak: bad input: %d requests, %d not refused with a 4xx error body", s.bad.Load(), s.badAccepted.Load())
	t.Logf("soak: slow bodies: %d connections sending a byte a second, %d dropped within %s + 5s",
		s.slow.Load(), s.slowDropped.Load(), soakReadTimeout)
	t.Logf("soak: %d resets, %d clock advances of 1m (longest %s)",
		s.resetCount.Load(), s.advanceCount.Load(), time.Duration(s.longestAdvance.Load()).Round(10*time.Millisecond))
	t.Logf("soak: goroutines: %d idle before the load, %d idle after it (slack %d)", goroutinesBefore, goroutinesAfter, soakGoroutineSlack)
	t.Logf("soak: RSS: %d MiB before, peak %d MiB, %d MiB idle after (bound %d MiB)",
		rssBefore>>20, peak>>20, rssAfter>>20, soakRSSBound>>20)
	t.Logf("soak: kill -9 during writes: %d acknowledged creates and %d confirms; after the restart %d missing, %d not confirmed",
		len(acked), len(confirmed), len(lost), len(unconfirmed))

	assert.Zero(t, st.class[5], "5xx answers: %v", st.fiveXX)
	assert.Zero(t, st.noAnswer, "requests without an answer: %v", st.noAnswerSample)
	assert.Zero(t, s.badAccepted.Load(), "bad input not refused: %v", s.badSample())
	assert.Equal(t, s.slow.Load(), s.slowDropped.Load(), "every slow body is dropped")
	assert.LessOrEqual(t, goroutinesAfter, goroutinesBefore+soakGoroutineSlack, "goroutines left behind by the load")
	assert.LessOrEqual(t, peak, int64(soakRSSBound), "peak RSS")
	assert.Positive(t, s.completed.Load(), "the load completed orders")
	assert.Positive(t, s.resetCount.Load(), "the load reset the sandbox")
	assert.NotEmpty(t, acked, "writes were acknowledged before the kill")
	assert.Empty(t, lost, "acknowledged creates missing after kill -9")
	assert.Empty(t, unconfirmed, "acknowledged confirms missing after kill -9")
	for _, o := range []*syncBuffer{out, out2} {
		assert.NotContains(t, o.String(), "panic", "the server's log")
	}
}

// soaker holds the soak's clients, receivers and counters.
type soaker struct {
	addr, base string
	pid        int
	tr         *http.Transport
	hc         *http.Client
	tally      *tally
	sb         *sandboxapi.Client

	good, hang *httptest.Server
	release    chan struct{} // closed to let the hanging receiver's requests go

	created, confirmed, completed, cancelled, hanging atomic.Int64
	bad, badAccepted, slow, slowDropped               atomic.Int64
	resetCount, advanceCount, longestAdvance          atomic.Int64

	completeErr atomic.Pointer[error] // the first complete refused, for the log
	// domainNow is the virtual clock's time as the last advance answered it.
	domainMu  sync.Mutex
	domainNow time.Time

	mu        sync.Mutex
	badAnswer []string
}

func newSoaker(t *testing.T, addr string, pid int) *soaker {
	s := &soaker{addr: addr, base: "http://" + addr, pid: pid, tally: newTally(), release: make(chan struct{})}
	s.tr = &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	s.hc = &http.Client{Transport: countingTransport{s.tally, s.tr}, Timeout: 60 * time.Second}
	sb, err := sandboxapi.New(s.base, sandboxapi.WithHTTPClient(s.hc))
	require.NoError(t, err)
	s.sb = sb
	s.good = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	s.hang = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // the server gives up first (its 5 s delivery timeout)
		case <-r.Context().Done():
		case <-s.release:
		}
	}))
	t.Cleanup(s.closeReceivers)
	c, err := s.sb.GetClock(context.Background())
	require.NoError(t, err)
	s.domainNow = c.Now
	return s
}

// closeReceivers stops the merchants' receivers, closing their
// connections, so that no delivery connection outlives the load.
func (s *soaker) closeReceivers() {
	select {
	case <-s.release:
		return
	default:
		close(s.release)
	}
	s.good.Close()
	s.hang.Close()
}

// soakMerchant is a merchant of the soak's own, with its client.
type soakMerchant struct {
	c             *client.Client
	mchid         string
	appid, servID string
}

func (s *soaker) merchant(t *testing.T) soakMerchant {
	m, err := s.sb.CreateMerchant(context.Background(), sandboxapi.CreateMerchantRequest{})
	require.NoError(t, err)
	key, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM))
	require.NoError(t, err)
	c, err := client.New(client.Config{MchID: m.MchID, SerialNo: m.SerialNo, PrivateKey: key, APIv3Key: m.APIv3Key},
		client.WithBaseURL(s.base), client.WithHTTPClient(s.hc))
	require.NoError(t, err)
	return soakMerchant{c: c, mchid: m.MchID, appid: m.AppIDs[0], servID: m.ServiceIDs[0]}
}

// orders runs service orders through their life until ctx ends: create,
// query, the user's confirm, then complete or cancel. A reset in between
// makes the next call 404, which is what the API answers; the worker then
// starts another order.
func (s *soaker) orders(ctx context.Context, m soakMerchant, worker string) {
	for n := 0; ctx.Err() == nil; n++ {
		no := fmt.Sprintf("SOAK%s-%d", worker, n)
		if err := s.create(ctx, m, no, s.good.URL+"/notify"); err != nil {
			continue
		}
		if _, err := m.c.QueryServiceOrder(ctx, client.QueryServiceOrderRequest{OutOrderNo: no, AppID: m.appid, ServiceID: m.servID}); err != nil {
			continue
		}
		if n%5 == 4 {
			if _, err := m.c.CancelServiceOrder(ctx, client.CancelServiceOrderRequest{OutOrderNo: no, AppID: m.appid, ServiceID: m.servID, Reason: "soak"}); err == nil {
				s.cancelled.Add(1)
			}
			continue
		}
		if _, err := s.sb.ConfirmOrder(ctx, sandboxapi.ConfirmOrderRequest{MchID: m.mchid, OutOrderNo: no, OpenID: "oSoak" + worker}); err != nil {
			continue
		}
		s.confirmed.Add(1)
		_, err := m.c.CompleteServiceOrder(ctx, client.CompleteServiceOrderRequest{
			OutOrderNo: no, AppID: m.appid, ServiceID: m.servID,
			PostPayments: []client.Payment{{Name: "车费", Amount: client.Fen(2500)}},
			TotalAmount:  2500,
			TimeRange:    client.TimeRange{EndTime: s.today()},
		})
		if err == nil {
			s.completed.Add(1)
		} else if s.completeErr.Load() == nil {
			s.completeErr.Store(&err)
		}
	}
}

// today is the virtual clock's date (yyyyMMdd) as the last advance
// answered it. The soak's rides start and end on a date: it need not know
// the clock to the second, which the advances move meanwhile.
func (s *soaker) today() string {
	s.domainMu.Lock()
	defer s.domainMu.Unlock()
	return s.domainNow.Format("20060102")
}

// create creates a service order that the user is to confirm.
func (s *soaker) create(ctx context.Context, m soakMerchant, no, notifyURL string) error {
	_, err := m.c.CreateServiceOrder(ctx, client.CreateServiceOrderRequest{
		OutOrderNo: no, AppID: m.appid, ServiceID: m.servID, ServiceIntroduction: "soak",
		PostPayments: []client.Payment{{Name: "车费", Amount: client.Fen(3000)}},
		RiskFund:     client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: 3000},
		TimeRange:    client.TimeRange{StartTime: s.today()},
		NotifyURL:    notifyURL,
	})
	if err == nil {
		s.created.Add(1)
	}
	return err
}

// hangingBurst creates and confirms orders whose callbacks go to the
// receiver that never answers: each attempt holds a delivery for the
// server's 5 s timeout, and the advances pass their retries.
func (s *soaker) hangingBurst(ctx context.Context, m soakMerchant, burst int) {
	for i := range soakHangingBurst {
		no := fmt.Sprintf("HANG%d-%d", burst, i)
		if s.create(ctx, m, no, s.hang.URL+"/notify") != nil {
			continue
		}
		if _, err := s.sb.ConfirmOrder(ctx, sandboxapi.ConfirmOrderRequest{MchID: m.mchid, OutOrderNo: no, OpenID: "oSoakHang"}); err == nil {
			s.hanging.Add(1)
		}
	}
}

// badRequest is one kind of bad input and how to make it.
type badRequest struct {
	name string
	make func() (*http.Request, error)
}

// badInput sends bad requests until ctx ends. Each must be refused with a
// 4xx and a JSON error body naming a code.
func (s *soaker) badInput(ctx context.Context) {
	key, m := s.badSigner()
	big := strings.Repeat("x", 1<<20)
	signed := func(method, path, body string) func() (*http.Request, error) {
		return func() (*http.Request, error) {
			r, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
			if err != nil {
				return nil, err
			}
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json")
			if key != nil {
				ts := time.Now().Unix()
				nonce := rand.Text()
				sig, err := protocol.Sign(key, protocol.RequestMessage(method, path, ts, nonce, []byte(body)))
				if err != nil {
					return nil, err
				}
				r.Header.Set("Authorization", protocol.Authorization{MchID: m.MchID, NonceStr: nonce, Timestamp: ts, SerialNo: m.SerialNo, Signature: sig}.String())
			}
			return r, nil
		}
	}
	raw := func(method, path, auth, body string) func() (*http.Request, error) {
		return func() (*http.Request, error) {
			r, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
			if err == nil && auth != "" {
				r.Header.Set("Authorization", auth)
			}
			return r, err
		}
	}
	forged := protocol.Authorization{MchID: "1230000109", NonceStr: "n", Timestamp: time.Now().Unix(), SerialNo: "00", Signature: base64.StdEncoding.EncodeToString([]byte("forged"))}.String()
	reqs := []badRequest{
		{"unsigned create", raw("POST", "/v3/payscore/serviceorder", "", `{"out_order_no":"X"}`)},
		{"forged signature, 1 MB body", raw("POST", "/v3/payscore/serviceorder", forged, `{"attach":"`+big+`"}`)},
		{"garbage Authorization", raw("GET", "/v3/payscore/serviceorder?out_order_no=X", `WECHATPAY2-SHA256-RSA2048 mchid="1230000109",,,signature=`, "")},
		{"broken JSON", signed("POST", "/v3/payscore/serviceorder", `{"appid":`)},
		{"wrong types", signed("POST", "/v3/payscore/serviceorder", `{"appid":1,"risk_fund":"x","post_payments":{}}`)},
		{"NUL in out_order_no", signed("POST", "/v3/payscore/serviceorder", `{"out_order_no":"A\u0000B"}`)},
		{"5,000-character out_order_no", signed("GET", "/v3/payscore/serviceorder?out_order_no="+strings.Repeat("9", 5000), "")},
		{"amount overflow", signed("POST", "/v3/payscore/serviceorder", `{"risk_fund":{"amount":99999999999999999999}}`)},
		{"unknown order", signed("POST", "/v3/payscore/serviceorder/NOPE/cancel", `{"reason":"x"}`)},
		{"unknown path", signed("GET", "/v3/payscore/nothing-here", "")},
		{"sandbox: NUL openid", raw("POST", "/sandbox/users/a%00b/authorize", "", `{"mchid":"1230000109"}`)},
		{"sandbox: negative advance", raw("POST", "/sandbox/clock/advance", "", `{"duration":"-1h"}`)},
		{"sandbox: bad limit", raw("GET", "/sandbox/orders?limit=-1", "", "")},
		{"sandbox: unknown query parameter", raw("GET", "/sandbox/orders?colour=red", "", "")},
		{"sandbox: broken merchant", raw("POST", "/sandbox/merchants", "", `{"mchid":`)},
	}
	for i := 0; ctx.Err() == nil; i++ {
		b := reqs[i%len(reqs)]
		r, err := b.make()
		if err != nil {
			s.note(b.name, err.Error())
			continue
		}
		resp, err := s.hc.Do(r.WithContext(ctx))
		if err != nil {
			continue // counted by the transport, unless ctx ended
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		s.bad.Add(1)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || !strings.Contains(string(body), `"code"`) {
			s.note(b.name, fmt.Sprintf("%d %.200s", resp.StatusCode, body))
		}
	}
}

// badSigner is a merchant whose key signs the bad requests that need a
// valid signature to reach the field checks.
func (s *soaker) badSigner() (*rsa.PrivateKey, *sandboxapi.Merchant) {
	m, err := s.sb.CreateMerchant(context.Background(), sandboxapi.CreateMerchantRequest{})
	if err != nil {
		s.note("bad input's merchant", err.Error())
		return nil, &sandboxapi.Merchant{}
	}
	key, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM))
	if err != nil {
		s.note("bad input's merchant key", err.Error())
		return nil, m
	}
	return key, m
}

func (s *soaker) note(name, what string) {
	s.badAccepted.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.badAnswer) < 10 {
		s.badAnswer = append(s.badAnswer, name+": "+what)
	}
}

func (s *soaker) badSample() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.badAnswer
}

// slowBodies opens connections that announce a body and send it a byte a
// second; the server must drop each within its read timeout.
func (s *soaker) slowBodies(ctx context.Context) {
	for ctx.Err() == nil {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			return
		}
		s.slow.Add(1)
		opened := time.Now()
		fmt.Fprintf(conn, "POST /v3/payscore/serviceorder HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", s.addr)
		dropped := make(chan struct{})
		go func() { // the server's answer, or its closing of the connection
			defer close(dropped)
			_, _ = io.Copy(io.Discard, bufio.NewReader(conn))
		}()
	trickle:
		for {
			select {
			case <-dropped:
				break trickle
			case <-time.After(time.Second):
				if _, err := conn.Write([]byte("{")); err != nil {
					<-dropped
					break trickle
				}
			}
		}
		if time.Since(opened) <= soakReadTimeout+5*time.Second {
			s.slowDropped.Add(1)
		}
		conn.Close()
	}
}

// resets resets the sandbox every 6 s, each time followed by a burst of
// orders calling back to the receiver that never answers.
func (s *soaker) resets(ctx context.Context, m soakMerchant) {
	for burst := 0; ; burst++ {
		s.hangingBurst(ctx, m, burst)
		if !sleepCtx(ctx, 6*time.Second) {
			return
		}
		if err := s.sb.Reset(ctx); err == nil {
			s.resetCount.Add(1)
		}
	}
}

// advances moves the virtual clock 1 minute every 1.5 s: due callbacks
// and their retries, the hanging receiver's included, are delivered.
func (s *soaker) advances(ctx context.Context) {
	for sleepCtx(ctx, 1500*time.Millisecond) {
		began := time.Now()
		c, err := s.sb.AdvanceClock(context.WithoutCancel(ctx), sandboxapi.AdvanceClockRequest{Duration: time.Minute})
		if err == nil {
			s.domainMu.Lock()
			s.domainNow = c.Now
			s.domainMu.Unlock()
		}
		if err != nil {
			continue
		}
		s.advanceCount.Add(1)
		took := int64(time.Since(began))
		for {
			longest := s.longestAdvance.Load()
			if took <= longest || s.longestAdvance.CompareAndSwap(longest, took) {
				break
			}
		}
	}
}

// sleepCtx waits d and reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// killDuringWrites creates and confirms orders from two writers and kills
// the server with SIGKILL while they run. It returns the creates and the
// confirms the server acknowledged.
func (s *soaker) killDuringWrites(t *testing.T, cmd interface{ Signal(os.Signal) error }) (acked, confirmed []string) {
	m := s.merchant(t)
	var mu sync.Mutex
	var killed atomic.Bool
	s.tally.expectDown(&killed)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for n := 0; ctx.Err() == nil && !killed.Load(); n++ {
				no := fmt.Sprintf("KILL%d-%d", w, n)
				if err := s.create(ctx, m, no, "https://merchant.example.com/notify"); err != nil {
					continue
				}
				mu.Lock()
				acked = append(acked, m.mchid+"/"+no)
				mu.Unlock()
				if n%2 == 0 {
					if _, err := s.sb.ConfirmOrder(ctx, sandboxapi.ConfirmOrderRequest{MchID: m.mchid, OutOrderNo: no, OpenID: "oKill"}); err == nil {
						mu.Lock()
						confirmed = append(confirmed, m.mchid+"/"+no)
						mu.Unlock()
					}
				}
			}
		})
	}
	time.Sleep(2 * time.Second)
	killed.Store(true)
	require.NoError(t, cmd.Signal(syscall.SIGKILL))
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return acked, confirmed
}

// lostWrites looks up, on the restarted server, every create and confirm
// the killed one acknowledged.
func (s *soaker) lostWrites(t *testing.T, addr string, acked, confirmed []string) (lost, unconfirmed []string) {
	sb, err := sandboxapi.New("http://" + addr)
	require.NoError(t, err)
	wasConfirmed := map[string]bool{}
	for _, k := range confirmed {
		wasConfirmed[k] = true
	}
	for _, k := range acked {
		mchid, no, _ := strings.Cut(k, "/")
		o, err := sb.GetOrder(context.Background(), sandboxapi.GetOrderRequest{MchID: mchid, OutOrderNo: no})
		switch {
		case err != nil:
			lost = append(lost, k+": "+err.Error())
		case wasConfirmed[k] && o.ServiceOrder.State != client.StateDoing:
			unconfirmed = append(unconfirmed, k+": "+string(o.ServiceOrder.State))
		}
	}
	return lost, unconfirmed
}

// metric reads one sample of the server's /metrics.
func (s *soaker) metric(name string) (float64, error) {
	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /metrics", name)
}

func (s *soaker) goroutines(t *testing.T) int {
	n, err := s.metric("go_goroutines")
	require.NoError(t, err)
	return int(n)
}

// settle closes the soak's idle connections and waits, at most 20 s, until
// the server's goroutine count is at most target, or with target < 0 until
// it has stopped falling for a second; it returns the count. Work still
// running when the load stops (a delivery to the hanging receiver) ends
// within its 5 s timeout.
func (s *soaker) settle(t *testing.T, target int) int {
	s.tr.CloseIdleConnections()
	deadline := time.Now().Add(20 * time.Second)
	last, steady := -1, 0
	for time.Now().Before(deadline) && steady < 4 {
		time.Sleep(250 * time.Millisecond)
		n := s.goroutines(t)
		// /metrics answers on a connection of its own; let it go.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		if target >= 0 && n <= target {
			return n
		}
		if n >= last && last >= 0 {
			steady++
		} else {
			steady = 0
		}
		if target >= 0 {
			steady = 0 // only the target ends the wait
		}
		last = n
	}
	return last
}

// rss reads the server's resident set from /proc, in bytes.
func (s *soaker) rss() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// sampleRSS reads the server's RSS every 100 ms until the returned
// function is called, which returns the peak.
func (s *soaker) sampleRSS() func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			peak.Store(max(peak.Load(), s.rss()))
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}

// tally counts the soak's answers by status class, and the requests that
// got none.
type tally struct {
	mu             sync.Mutex
	class          [6]int
	total          int
	noAnswer       int
	fiveXX         []string
	noAnswerSample []string
	down           *atomic.Bool // set once the server is killed on purpose
}

func newTally() *tally { return &tally{} }

func (t *tally) expectDown(down *atomic.Bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.down = down
}

func (t *tally) record(r *http.Request, resp *http.Response, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || (t.down != nil && t.down.Load()) {
			return // the soak's own end, or the kill
		}
		t.noAnswer++
		if len(t.noAnswerSample) < 10 {
			t.noAnswerSample = append(t.noAnswerSample, fmt.Sprintf("%s %s: %v", r.Method, r.URL.Path, err))
		}
		return
	}
	t.total++
	if c := resp.StatusCode / 100; c >= 1 && c <= 5 {
		t.class[c]++
	}
	if resp.StatusCode >= 500 && len(t.fiveXX) < 10 {
		t.fiveXX = append(t.fiveXX, fmt.Sprintf("%s %s: %d", r.Method, r.URL.Path, resp.StatusCode))
	}
}

type tallySnapshot struct {
	class                  [6]int
	total, noAnswer        int
	fiveXX, noAnswerSample []string
}

func (t *tally) snapshot() tallySnapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return tallySnapshot{t.class, t.total, t.noAnswer, append([]string(nil), t.fiveXX...), append([]string(nil), t.noAnswerSample...)}
}

// countingTransport tallies every answer of the requests it carries.
type countingTransport struct {
	t    *tally
	base http.RoundTripper
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	c.t.record(r, resp, err)
	return resp, err
}
