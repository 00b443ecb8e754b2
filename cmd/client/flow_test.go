package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

// newFlowHarness is a harness for the flow with its own listener. The
// harness's MOCKPAY_NOTIFY_URL (its sink, for the commands that send a
// notify_url) is dropped, because against a mock a notify URL sends the
// flow's callbacks to that receiver instead (see TestFlowRide_receiver).
func newFlowHarness(t *testing.T, opts mock.Options) *harness {
	t.Helper()
	h := newHarness(t, opts)
	delete(h.env, "MOCKPAY_NOTIFY_URL")
	return h
}

// TestFlowRide runs every variant of the ride-hailing flow against the
// in-process mock on a virtual clock and checks that every step is
// reported, in order, and that the money went round.
func TestFlowRide(t *testing.T) {
	t.Parallel()
	common := []string{"user-service-state", "pre-authorize", "user authorizes"}
	tests := []struct {
		name  string
		args  []string
		steps []string
		kind  string // what the sandbox shows the order as
	}{
		{"免确认", nil, append(common, "create order", "ride", "complete", "deduction", "query", "refund"), "serviceorder"},
		{"需确认", []string{"--confirm"}, append(common, "create order", "user confirms", "ride", "complete", "deduction", "query", "refund"), "serviceorder"},
		{"legacy", []string{"--legacy"}, append(common, "create payafter order", "query finish_ticket", "ride", "complete", "deduction", "query", "refund"), "payafter-order"},
		{"legacy, user accepts", []string{"--legacy", "--confirm", "--ascii"}, append(common, "create payafter order", "user accepts", "query finish_ticket", "ride", "complete", "deduction", "query", "refund"), "payafter-order"},
		{"a service provider", []string{"--partner"}, append(common, "create order", "ride", "complete", "deduction", "query", "refund"), "serviceorder"},
		{"a service provider, 需确认", []string{"--partner", "--confirm"}, append(common, "create order", "user confirms", "ride", "complete", "deduction", "query", "refund"), "serviceorder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newFlowHarness(t, mock.Options{})
			out := h.ok(t, append([]string{"flow", "ride", "--amount", "3800", "--keep"}, tt.args...)...)
			mark := "✓"
			if strings.Contains(strings.Join(tt.args, " "), "--ascii") {
				mark = "ok"
			}
			var last int
			for i, name := range tt.steps {
				line := fmt.Sprintf("%s %d/%d %s: ", mark, i+1, len(tt.steps), name)
				at := strings.Index(out, line)
				require.GreaterOrEqual(t, at, 0, "step %q in:\n%s", line, out)
				assert.Greater(t, at, last, "steps in order")
				last = at
			}
			assert.Contains(t, out, "virtual clock: advanced instead of waiting")
			assert.Contains(t, out, "paid ¥38.00 and refunded ¥38.00")
			assert.Contains(t, out, "REFUND.SUCCESS received")

			m := regexp.MustCompile(`order (RIDE-\S+) paid; merchant (\d+),`).FindStringSubmatch(strings.ReplaceAll(out, " ¥38.00 and refunded ¥38.00", ""))
			require.NotNil(t, m, out)
			o, err := h.srv.Order(m[2], "", m[1])
			require.NoError(t, err)
			assert.Equal(t, tt.kind, o.Kind)
			paid := map[string]string{"serviceorder": "DONE", "payafter-order": "USER_PAID"}[tt.kind]
			assert.Equal(t, paid, o.State)
			if strings.Contains(strings.Join(tt.args, " "), "--partner") {
				require.NotEmpty(t, o.SubMchID, "the service provider's order is its sub-merchant's")
				assert.Contains(t, out, "service provider "+m[2]+" for sub-merchant "+o.SubMchID)
				assert.Contains(t, out, "complete: answered 204, queried: DOING/MCH_COMPLETE")
				assert.Contains(t, out, "PAYSCORE.USER_PAID received: DONE, collection USER_PAID, paid ¥38.00, sub_mchid "+o.SubMchID)
				var partnerCalls int
				for _, r := range h.srv.Requests(mock.RequestFilter{MchID: m[2]}) {
					if strings.HasPrefix(r.URL, "/v3/payscore/partner/") {
						partnerCalls++
					}
				}
				assert.Equal(t, 5, partnerCalls, "pre-authorize, create, complete, the query after its 204 and the query step go to the partner API")
			}
		})
	}
}

// TestFlowRide_cleanUp checks that the merchant a flow registers is gone
// once the flow has passed, so that runs do not pile up in the mock, and
// that a failed flow keeps it, to be looked at.
func TestFlowRide_cleanUp(t *testing.T) {
	t.Parallel()
	h := newFlowHarness(t, mock.Options{})
	before, err := h.srv.Merchants()
	require.NoError(t, err)
	for range 2 {
		out := h.ok(t, "flow", "ride")
		assert.Regexp(t, `; merchant \d+ \(removed with its orders; --keep keeps them\), user `, out)
	}
	after, err := h.srv.Merchants()
	require.NoError(t, err)
	assert.Len(t, after, len(before), "two flows, no merchant more")

	require.NoError(t, h.srv.SetWallet("oBroke", mock.Wallet{Balance: new(int64)}))
	r := h.run(t, "flow", "ride", "--openid", "oBroke")
	require.Equal(t, exitFailure, r.code)
	m := regexp.MustCompile(`merchant (\d+) is kept, to be looked at; 'go run ./cmd/client sandbox merchant delete (\d+)' removes it`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	_, err = h.srv.Merchant(m[1])
	assert.NoError(t, err, "kept")
}

// TestFlowRide_json checks the one-object-per-step output.
func TestFlowRide_json(t *testing.T) {
	t.Parallel()
	h := newFlowHarness(t, mock.Options{})
	out := h.ok(t, "flow", "ride", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 9)
	for i, l := range lines {
		var s struct {
			Step int             `json:"step"`
			Of   int             `json:"of"`
			Name string          `json:"name"`
			OK   bool            `json:"ok"`
			Data json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &s), l)
		assert.Equal(t, i+1, s.Step)
		assert.Equal(t, 9, s.Of)
		assert.True(t, s.OK, l)
	}
	assert.Contains(t, lines[7], `"state":"DONE"`, "the query step carries the order")
}

// TestFlowRide_failures checks that a failing step stops the flow, named,
// with the error (WeChat Pay's code and message first on stderr).
func TestFlowRide_failures(t *testing.T) {
	t.Parallel()

	t.Run("the deduction fails and no callback comes", func(t *testing.T) {
		t.Parallel()
		h := newFlowHarness(t, mock.Options{})
		require.NoError(t, h.srv.SetWallet("oBroke", mock.Wallet{Balance: new(int64)}))
		r := h.run(t, "flow", "ride", "--openid", "oBroke")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stdout, "✓ 6/9 complete: ")
		assert.Contains(t, r.stdout, "✗ 7/9 deduction: PAYSCORE.USER_PAID did not arrive")
		assert.NotContains(t, r.stdout, "8/9")
		assert.Contains(t, r.stderr, "error: step 7/9 deduction: ")
		assert.Regexp(t, `hint: 'go run ./cmd/client sandbox order RIDE-\S+ --mchid \d+' shows what happened to the order`, r.stderr)
		assert.NotContains(t, r.stderr, "scenario", "none is loaded")
	})
	// A loaded scenario that explains the missing callback is named, on a
	// virtual clock and on a real one, where the flow waits --timeout.
	for _, clk := range []string{"virtual", "real"} {
		t.Run("a loaded scenario fails every deduction, "+clk+" clock", func(t *testing.T) {
			t.Parallel()
			opts := mock.Options{}
			if clk == "real" {
				fast, err := clock.NewReal(1000) // the 5 s deduction delay in 5 ms
				require.NoError(t, err)
				opts.Clock = fast
			}
			h := newFlowHarness(t, opts)
			h.ok(t, "sandbox", "scenario", "load", "../../scenarios/deduct-failure.yaml")
			r := h.run(t, "flow", "ride", "--timeout", "300ms")
			assert.Equal(t, exitFailure, r.code)
			assert.Contains(t, r.stdout, "✗ 7/9 deduction: PAYSCORE.USER_PAID did not arrive")
			assert.Contains(t, r.stderr, "hint: the loaded scenario deduct-failure (sc-1, applied once) explains it: Every deduction fails; the order stays USER_PAYING and no PAYSCORE.USER_PAID comes; ")
			assert.Regexp(t, `'go run ./cmd/client sandbox order RIDE-\S+ --mchid \d+' shows what happened to the order`, r.stderr)
		})
	}
	t.Run("WeChat Pay refuses the order", func(t *testing.T) {
		t.Parallel()
		h := newFlowHarness(t, mock.Options{})
		r := h.run(t, "flow", "ride", "--amount", "500000") // over the merchant's risk cap
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stdout, "✗ 4/9 create order: ")
		assert.Regexp(t, `^[A-Z_]+: \S`, r.stderr)
		assert.Contains(t, r.stderr, "while: step 4/9 create order")
	})
	t.Run("WeChat Pay needs a user and a reachable notify_url", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		env := explicitEnv(t, h)
		delete(env, "_PUBLIC_KEY_ID")
		delete(env, "MOCKPAY_NOTIFY_URL")
		env["MOCKPAY_URL"] = notWeChat(t)
		r := runWith(t, env, "flow", "ride")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "give --openid")
		r = runWith(t, env, "flow", "ride", "--openid", "oReal")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "give --notify-url")
	})
	t.Run("bad amounts", func(t *testing.T) {
		t.Parallel()
		h := newFlowHarness(t, mock.Options{})
		assert.Contains(t, h.fails(t, exitUsage, "flow", "ride", "--amount", "100", "--refund", "200"), "--refund between 1 and --amount")
	})
	t.Run("a service provider has no legacy API", func(t *testing.T) {
		t.Parallel()
		h := newFlowHarness(t, mock.Options{})
		assert.Contains(t, h.fails(t, exitUsage, "flow", "ride", "--partner", "--legacy"), "--partner and --legacy do not go together")
	})
	t.Run("a direct merchant is no service provider", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		assert.Contains(t, h.fails(t, exitUsage, "flow", "ride", "--partner"), "--partner: merchant 1230000109 is a direct merchant")
	})
}

// TestFlowRide_weChatPay runs the flow against a target that is not a
// mock, as against the real WeChat Pay: a proxy to a real-clock mock that
// hides /sandbox, a "tunnel" that forwards callbacks to the flow's
// listener, and the test playing the WeChat user when the flow asks.
func TestFlowRide_weChatPay(t *testing.T) {
	t.Parallel()
	realClock, err := clock.NewReal(1)
	require.NoError(t, err)
	h := newHarness(t, mock.Options{Clock: realClock, DeductionDelay: 10 * time.Millisecond, RefundDelay: 10 * time.Millisecond})

	target, err := url.Parse(h.url)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	wechat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/sandbox/") {
			http.NotFound(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(wechat.Close)

	var mu sync.Mutex
	var listenerURL *url.URL
	tunnel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		to := listenerURL
		mu.Unlock()
		if to == nil {
			http.Error(w, "no listener yet", http.StatusBadGateway)
			return
		}
		httputil.NewSingleHostReverseProxy(to).ServeHTTP(w, r)
	}))
	t.Cleanup(tunnel.Close)

	env := explicitEnv(t, h)
	delete(env, "_PUBLIC_KEY_ID")
	env["MOCKPAY_URL"] = wechat.URL
	env["MOCKPAY_NOTIFY_URL"] = tunnel.URL + "/notify"

	out := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		args := []string{"flow", "ride", "--openid", "oRealUser", "--timeout", "20s"}
		code := run(context.Background(), args, env, out, &syncBuffer{})
		record(args, code)
		done <- code
	}()
	m := regexp.MustCompile(`\(listener (http://[^)]+)\)`).FindStringSubmatch(out.waitFor(t, "(listener "))
	require.NotNil(t, m)
	u, err := url.Parse(m[1])
	require.NoError(t, err)
	mu.Lock()
	listenerURL = u
	mu.Unlock()

	out.waitFor(t, "a real user must authorise")
	_, err = h.srv.AuthorizeUser("oRealUser", mock.AuthorizeRequest{MchID: defaultMchID})
	require.NoError(t, err)

	require.Equal(t, exitOK, <-done, out.String())
	text := out.String()
	assert.Contains(t, text, "✓ 3/9 user authorizes: PAYSCORE.USER_OPEN_SERVICE received: user oRealUser")
	assert.Contains(t, text, "waiting up to 20s for PAYSCORE.USER_PAID")
	assert.Contains(t, text, "✓ 9/9 refund: ")
}

// TestFlowRide_receiver runs the flow against the mock with its callbacks
// going to an external receiver (--notify-url or MOCKPAY_NOTIFY_URL): the
// flow acts as the configured merchant, follows each callback through the
// sandbox and reports its delivery, or fails the step that awaited it.
func TestFlowRide_receiver(t *testing.T) {
	t.Parallel()

	t.Run("listen verifies and decrypts every callback", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		l := startListen(t, h.env)
		out := h.ok(t, "flow", "ride", "--notify-url", l.url) // the flag wins over the harness's MOCKPAY_NOTIFY_URL
		assert.Contains(t, out, "ride flow against the mock: merchant "+defaultMchID+", user oRide_")
		assert.Contains(t, out, "callbacks to "+l.url+", followed through the sandbox")
		delivered := " delivered to " + l.url + " (answered 204)"
		assert.Contains(t, out, "✓ 3/9 user authorizes: PAYSCORE.USER_OPEN_SERVICE"+delivered)
		assert.Contains(t, out, "✓ 7/9 deduction: PAYSCORE.USER_PAID"+delivered+": DONE, collection USER_PAID")
		assert.Contains(t, out, "; REFUND.SUCCESS"+delivered)
		assert.NotContains(t, out, "merchant "+defaultMchID+": registered notify_url", "only legacy callbacks need the registered one")

		m := regexp.MustCompile(`order (RIDE-\S+) paid`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		received := l.out.String()
		for _, ev := range []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_PAID", "REFUND.SUCCESS"} {
			assert.Contains(t, received, ev)
		}
		assert.Contains(t, received, `"out_order_no": "`+m[1]+`"`, "listen decrypted the flow's order")
		assert.NotContains(t, received, "→ 500")
		assert.Empty(t, l.errOut.String(), "nothing rejected")
	})

	t.Run("legacy: the receiver becomes the registered notify_url", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		before, err := h.srv.Merchant(defaultMchID)
		require.NoError(t, err)
		l := startListen(t, h.env)
		out := h.ok(t, "flow", "ride", "--legacy", "--confirm", "--notify-url", l.url)
		assert.Contains(t, out, "merchant "+defaultMchID+": registered notify_url set to "+l.url+" (was "+before.NotifyURL+"), where legacy callbacks go")
		delivered := " delivered to " + l.url + " (answered 204)"
		assert.Contains(t, out, "✓ 5/11 user accepts: PAYSCORE.USER_ACCEPTED"+delivered+": USER_ACCEPTED, finish_ticket ")
		assert.Contains(t, out, "✓ 9/11 deduction: PAYSCORE.USER_PAID"+delivered+": USER_PAID")
		rec, err := h.srv.Merchant(defaultMchID)
		require.NoError(t, err)
		assert.Equal(t, l.url, rec.NotifyURL)
		received := l.out.String()
		assert.Contains(t, received, "PAYSCORE.USER_ACCEPTED")
		assert.Contains(t, received, "PAYSCORE.USER_PAID")
	})

	t.Run("a receiver answering 500 fails the step", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		rec, err := h.srv.Merchant(defaultMchID)
		require.NoError(t, err)
		key, err := protocol.ParsePrivateKey([]byte(rec.PrivateKeyPEM))
		require.NoError(t, err)
		c, err := client.New(client.Config{MchID: rec.MchID, SerialNo: rec.SerialNo, PrivateKey: key, APIv3Key: rec.APIv3Key}, client.WithBaseURL(h.url))
		require.NoError(t, err)
		var mu sync.Mutex
		var got []string
		receiver := httptest.NewServer(c.NotificationHandler(func(_ context.Context, n *client.Notification) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, n.EventType)
			if n.EventType == client.EventUserPaid {
				return errors.New("the merchant's database is down")
			}
			return nil
		}))
		t.Cleanup(receiver.Close)
		notifyURL := receiver.URL + "/notify"

		env := maps.Clone(h.env)
		env["MOCKPAY_NOTIFY_URL"] = notifyURL // the environment, as docker compose sets it
		r := runWith(t, env, "flow", "ride")
		assert.Equal(t, exitFailure, r.code, r.stderr)
		assert.Contains(t, r.stdout, "✓ 3/9 user authorizes: PAYSCORE.USER_OPEN_SERVICE delivered to "+notifyURL+" (answered 204)")
		assert.Regexp(t, `✗ 7/9 deduction: PAYSCORE.USER_PAID \S+ was delivered to `+regexp.QuoteMeta(notifyURL)+` and the receiver answered 500\n`, r.stdout)
		assert.NotContains(t, r.stdout, "8/9")
		assert.Contains(t, r.stderr, "error: step 7/9 deduction: ")
		assert.Contains(t, r.stderr, "the receiver answered 500")
		assert.Contains(t, r.stderr, "hint: WeChat Pay retries it on its schedule; 'go run ./cmd/client sandbox notifications redeliver ")
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, []string{client.EventUserOpenService, client.EventUserPaid}, got)
	})

	t.Run("nothing answers where the mock sends", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		gone := httptest.NewServer(http.NotFoundHandler())
		gone.Close() // a port where nothing listens
		r := h.run(t, "flow", "ride", "--notify-url", gone.URL+"/notify")
		assert.Equal(t, exitFailure, r.code)
		assert.Regexp(t, `✗ 3/9 user authorizes: PAYSCORE.USER_OPEN_SERVICE \S+ could not be delivered to `+regexp.QuoteMeta(gone.URL)+`/notify: .*connection refused`, r.stdout)
		assert.Contains(t, r.stderr, "hint: the URL must reach the receiver from where the mock runs")
	})

	t.Run("a dropped callback fails the step", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{}) // MOCKPAY_NOTIFY_URL: the harness's sink
		h.ok(t, "sandbox", "scenario", "load", "../../scenarios/dropped-notify.yaml", "--scope-openid", "oDropped")
		r := h.run(t, "flow", "ride", "--openid", "oDropped")
		assert.Equal(t, exitFailure, r.code)
		assert.Regexp(t, `✗ 7/9 deduction: PAYSCORE.USER_PAID \S+ was never sent: dropped by `, r.stdout)
	})

	t.Run("nothing delivered within --timeout on a real clock", func(t *testing.T) {
		t.Parallel()
		realClock, err := clock.NewReal(1)
		require.NoError(t, err)
		h := newHarness(t, mock.Options{Clock: realClock, DeductionDelay: 10 * time.Millisecond, RefundDelay: 10 * time.Millisecond})
		h.ok(t, "sandbox", "scenario", "load", "../../scenarios/delayed-notify.yaml", "--scope-openid", "oLate")
		r := h.run(t, "flow", "ride", "--openid", "oLate", "--timeout", "1s")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stdout, "real clock: waiting up to 1s for each callback")
		assert.Contains(t, r.stdout, "✓ 3/9 user authorizes: PAYSCORE.USER_OPEN_SERVICE delivered to "+h.sink)
		assert.Contains(t, r.stdout, "✗ 7/9 deduction: PAYSCORE.USER_PAID did not reach "+h.sink+" within 1s (--timeout)")
	})
}
