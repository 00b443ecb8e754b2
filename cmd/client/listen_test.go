package main

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/mock"
)

// listener is `listen` running in the background on a free port.
type listener struct {
	url         string // where it says it listens
	info        string // the line that says so
	out, errOut *syncBuffer
	stop        func() int // cancels the context, returns the exit status
}

var listeningRe = regexp.MustCompile(`listening on (http://\S+)`)

// startListen runs `listen --addr 127.0.0.1:0 args…` until the test ends
// (or stop) and returns once it printed where it listens. The harness's
// MOCKPAY_NOTIFY_URL is left out, so that listen advertises its own
// address unless args say otherwise.
func startListen(t *testing.T, env map[string]string, args ...string) *listener {
	t.Helper()
	env = maps.Clone(env)
	delete(env, "MOCKPAY_NOTIFY_URL")
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{out: &syncBuffer{}, errOut: &syncBuffer{}}
	done := make(chan int, 1)
	go func() {
		args := append([]string{"listen", "--addr", "127.0.0.1:0"}, args...)
		code := run(ctx, args, env, l.out, l.errOut)
		record(args, code)
		done <- code
	}()
	var code *int
	l.stop = func() int {
		if code == nil {
			cancel()
			c := <-done
			code = &c
		}
		return *code
	}
	t.Cleanup(func() { l.stop() })
	where := l.out
	if strings.Contains(strings.Join(args, " "), "--json") {
		where = l.errOut // stdout carries only callbacks
	}
	l.info = where.waitFor(t, "Ctrl-C to stop")
	m := listeningRe.FindStringSubmatch(l.info)
	require.NotNil(t, m)
	l.url = m[1]
	return l
}

// preAuthorizeTo pre-authorises code with notify_url and lets openid
// authorise it through the sandbox: PAYSCORE.USER_OPEN_SERVICE goes to
// notifyURL.
func preAuthorizeTo(t *testing.T, h *harness, notifyURL, code, openid string) {
	t.Helper()
	h.ok(t, "permission", "create", "--code", code, "--notify-url", notifyURL)
	h.ok(t, "sandbox", "authorize", openid, "--code", code)
	h.settle() // the delivery, and so the listener's report, is done
}

func attemptStatuses(t *testing.T, h *harness, eventType string) []int {
	t.Helper()
	ns, err := h.srv.Notifications(mock.NotificationFilter{EventType: eventType})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	var out []int
	for _, a := range ns[0].Attempts {
		out = append(out, a.Status)
	}
	return out
}

func TestListen(t *testing.T) {
	t.Parallel()

	t.Run("verifies, decrypts and prints a callback", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		l := startListen(t, h.env)
		assert.True(t, strings.HasSuffix(l.url, "/notify"))
		preAuthorizeTo(t, h, l.url, "AUTH-L1", "oL1")

		out := l.out.String()
		assert.Contains(t, out, "PAYSCORE.USER_OPEN_SERVICE")
		assert.Contains(t, out, "→ 204")
		assert.Contains(t, out, "user oL1 USER_OPEN_SERVICE (authorization_code AUTH-L1)")
		assert.Contains(t, out, `"openid": "oL1"`, "the decrypted resource")
		assert.Equal(t, []int{http.StatusNoContent}, attemptStatuses(t, h, "PAYSCORE.USER_OPEN_SERVICE"))
		assert.Equal(t, exitOK, l.stop(), "Ctrl-C ends it cleanly")
	})
	t.Run("fail-first answers 500 and the retry gets 204", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		l := startListen(t, h.env, "--fail-first", "1")
		preAuthorizeTo(t, h, l.url, "AUTH-L2", "oL2")
		assert.Contains(t, l.out.String(), "→ 500")
		assert.Equal(t, []int{http.StatusInternalServerError}, attemptStatuses(t, h, "PAYSCORE.USER_OPEN_SERVICE"))

		h.advance(t, 15*time.Second) // WeChat Pay's first retry
		assert.Contains(t, l.out.String(), "→ 204")
		assert.Equal(t, []int{http.StatusInternalServerError, http.StatusNoContent}, attemptStatuses(t, h, "PAYSCORE.USER_OPEN_SERVICE"))
	})
	t.Run("rejects what does not verify with 401", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		l := startListen(t, h.env)
		resp, err := http.Post(l.url, "application/json", strings.NewReader(`{"id":"forged"}`))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.JSONEq(t, `{"code":"FAIL","message":"missing header Wechatpay-Timestamp"}`, string(body))
		assert.Contains(t, l.errOut.String(), "✗ rejected a callback from 127.0.0.1:")
		assert.Contains(t, l.errOut.String(), "missing header Wechatpay-Timestamp → 401")
		assert.NotContains(t, l.out.String(), "→ 204")
	})
	t.Run("another merchant's callback does not decrypt", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		l := startListen(t, h.env, "--sandbox") // a fresh merchant, another APIv3 key
		preAuthorizeTo(t, h, l.url, "AUTH-L3", "oL3")
		assert.Contains(t, l.errOut.String(), "→ 401")
		assert.Equal(t, []int{http.StatusUnauthorized}, attemptStatuses(t, h, "PAYSCORE.USER_OPEN_SERVICE"))
	})
	t.Run("sandbox merchant receives its registered callbacks", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		l := startListen(t, h.env, "--sandbox", "--json")
		m := regexp.MustCompile(`registered sandbox merchant (\d+)`).FindStringSubmatch(l.errOut.String())
		require.NotNil(t, m)
		rec, err := h.srv.Merchant(m[1])
		require.NoError(t, err)
		assert.Equal(t, l.url, rec.NotifyURL)

		h.ok(t, "sandbox", "authorize", "oL4", "--mchid", m[1]) // no pre-authorization: the registered notify_url
		h.settle()
		lines := strings.Split(strings.TrimSpace(l.out.String()), "\n")
		require.Len(t, lines, 1, "one JSON object per callback")
		var cb struct {
			ID        string `json:"id"`
			EventType string `json:"event_type"`
			Answer    int    `json:"answer"`
			Resource  struct {
				OpenID string `json:"openid"`
				MchID  string `json:"mchid"`
			} `json:"resource"`
		}
		require.NoError(t, json.Unmarshal([]byte(lines[0]), &cb))
		assert.Equal(t, "PAYSCORE.USER_OPEN_SERVICE", cb.EventType)
		assert.Equal(t, http.StatusNoContent, cb.Answer)
		assert.Equal(t, "oL4", cb.Resource.OpenID)
		assert.Equal(t, m[1], cb.Resource.MchID)
		assert.NotEmpty(t, cb.ID)
	})
	t.Run("an unspecified host is advertised as loopback", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		l := startListen(t, h.env, "--addr", "0.0.0.0:0")
		assert.Regexp(t, `^http://127\.0\.0\.1:[1-9]\d*/notify$`, l.url)
		preAuthorizeTo(t, h, l.url, "AUTH-L5", "oL5")
		assert.Contains(t, l.out.String(), "→ 204", "the advertised URL reaches the listener")
	})
	t.Run("advertises --notify-url, on any path", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		// A proxy in front of the listener, as docker compose's service
		// name or a tunnel would be, forwarding every path as it is.
		var mu sync.Mutex
		var listenerAddr string
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			to := &url.URL{Scheme: "http", Host: listenerAddr}
			mu.Unlock()
			httputil.NewSingleHostReverseProxy(to).ServeHTTP(w, r)
		}))
		t.Cleanup(proxy.Close)
		public := proxy.URL + "/merchant/wechatpay"

		l := startListen(t, h.env, "--sandbox", "--notify-url", public)
		assert.Equal(t, public, l.url, "listen says where callbacks reach it")
		m := regexp.MustCompile(`bound to (\S+), merchant (\d+)\)`).FindStringSubmatch(l.info)
		require.NotNil(t, m, l.info)
		mu.Lock()
		listenerAddr = m[1]
		mu.Unlock()
		rec, err := h.srv.Merchant(m[2])
		require.NoError(t, err)
		assert.Equal(t, public, rec.NotifyURL, "--sandbox registers the advertised URL")

		h.ok(t, "sandbox", "authorize", "oL6", "--mchid", m[2]) // to the registered notify_url
		h.settle()
		assert.Contains(t, l.out.String(), "user oL6 USER_OPEN_SERVICE")
		assert.Equal(t, []int{http.StatusNoContent}, attemptStatuses(t, h, "PAYSCORE.USER_OPEN_SERVICE"))
	})
	t.Run("register makes it the merchant's registered notify_url", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		before, err := h.srv.Merchant(defaultMchID)
		require.NoError(t, err)
		l := startListen(t, h.env, "--register")
		assert.Contains(t, l.info, "merchant "+defaultMchID+": registered notify_url set to "+l.url+" (was "+before.NotifyURL+")")
		rec, err := h.srv.Merchant(defaultMchID)
		require.NoError(t, err)
		assert.Equal(t, l.url, rec.NotifyURL)

		h.ok(t, "sandbox", "authorize", "oL7") // no pre-authorization: the registered notify_url
		h.settle()
		assert.Contains(t, l.out.String(), "user oL7 USER_OPEN_SERVICE")

		// A legacy flow to it finds it registered already and leaves it.
		out := h.ok(t, "flow", "ride", "--legacy", "--notify-url", l.url)
		assert.NotContains(t, out, "registered notify_url set to")
		assert.Contains(t, out, "✓ 8/10 deduction: PAYSCORE.USER_PAID delivered to "+l.url+" (answered 204)")
		assert.Contains(t, l.out.String(), "PAYSCORE.USER_ACCEPTED")

		again := startListen(t, h.env, "--register", "--notify-url", l.url) // advertises l's URL, so nothing changes
		assert.Contains(t, again.info, "merchant "+defaultMchID+": registered notify_url is this listener already")
	})
	t.Run("register fails for a merchant the mock does not know", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		env := explicitEnv(t, h) // complete credentials: nothing is read from the mock
		env["MOCKPAY_MCHID"] = "1999999999"
		env["MOCKPAY_PLATFORM_CERT"] = filepath.Join(certsDir, "platform_cert.pem")
		r := runWith(t, env, "listen", "--addr", "127.0.0.1:0", "--register")
		assert.Equal(t, exitFailure, r.code, r.stdout)
		assert.Regexp(t, `^NOT_FOUND: merchant 1999999999 is not registered\n`, r.stderr)
		assert.Contains(t, r.stderr, "while: read merchant 1999999999 from the mock")
		assert.NotContains(t, r.stdout, "listening on")
	})
	t.Run("--notify-url must be an http(s) URL", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		stderr := h.fails(t, exitUsage, "listen", "--addr", "127.0.0.1:0", "--notify-url", "merchant:9000/notify")
		assert.Contains(t, stderr, `--notify-url / MOCKPAY_NOTIFY_URL "merchant:9000/notify" is not an http(s) URL`)
	})
	t.Run("address in use", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		l := startListen(t, h.env)
		addr := strings.TrimSuffix(strings.TrimPrefix(l.url, "http://"), "/notify")
		stderr := h.fails(t, exitUsage, "listen", "--addr", addr)
		assert.Contains(t, stderr, "address already in use")
	})
}

// TestCallbackURL checks the notify_url a listener advertises for the
// address it was given: never an unspecified host, always the real port.
func TestCallbackURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ addr, host string }{
		{"127.0.0.1:0", "127.0.0.1"},
		{"0.0.0.0:0", "127.0.0.1"},
		{":0", "127.0.0.1"}, // dual-stack: 127.0.0.1 reaches it too
		{"[::]:0", "[::1]"},
		{"[::1]:0", "[::1]"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", tt.addr)
			if err != nil && strings.Contains(tt.addr, "[") {
				t.Skipf("no IPv6 here: %v", err)
			}
			require.NoError(t, err)
			defer ln.Close()
			_, port, err := net.SplitHostPort(ln.Addr().String())
			require.NoError(t, err)
			assert.Equal(t, "http://"+tt.host+":"+port+"/notify", callbackURL(ln, tt.addr))
		})
	}
}

// TestEventSummary checks what listen says of each callback, above all
// that PAYSCORE.USER_PAID, shared by both order APIs, is told apart by its
// payload.
func TestEventSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, eventType, plaintext, want string
	}{
		{"authorization", "PAYSCORE.USER_OPEN_SERVICE", `{"openid":"oU1","user_service_status":"USER_OPEN_SERVICE","authorization_code":"AUTH-1"}`,
			"user oU1 USER_OPEN_SERVICE (authorization_code AUTH-1)"},
		{"service order confirmed", "PAYSCORE.USER_CONFIRM", `{"out_order_no":"RIDE-1","state":"DOING","state_description":"USER_CONFIRM"}`,
			"order RIDE-1 is: DOING/USER_CONFIRM"},
		{"service order paid", "PAYSCORE.USER_PAID", `{"out_order_no":"RIDE-1","state":"DONE","total_amount":4200}`,
			"order RIDE-1 is: DONE, total ¥42.00"},
		{"payafter order accepted", "PAYSCORE.USER_ACCEPTED", `{"out_order_no":"PA-1","state":"USER_ACCEPTED","finish_ticket":"T1"}`,
			"payafter order PA-1: USER_ACCEPTED, finish_ticket T1"},
		{"payafter order paid", "PAYSCORE.USER_PAID", `{"out_order_no":"PA-1","state":"USER_PAID","total_amount":4200}`,
			"payafter order PA-1: USER_PAID, total ¥42.00"},
		{"refund", "REFUND.SUCCESS", `{"out_refund_no":"RF-1","refund_status":"SUCCESS","transaction_id":"42","amount":{"total":4200,"refund":4200}}`,
			"refund RF-1: SUCCESS, ¥42.00 of ¥42.00 (transaction 42)"},
		{"parking entry blocked", "VEHICLE.ENTRANCE_STATE_CHANGE", `{"out_parking_no":"IN-1","plate_number":"粤B888888","parking_id":"P1","parking_state":"BLOCKED","blocked_state_description":"PAUSE"}`,
			"entry IN-1 of 粤B888888 (id P1): BLOCKED (PAUSE)"},
		{"parking deduction paid by an advance", "TRANSACTION.SUCCESS", `{"out_trade_no":"PK-1","trade_state":"SUCCESS","transaction_id":"42","bank_type":"BPA","user_repaid":"N","amount":{"total":1500}}`,
			"deduction PK-1 is: SUCCESS, ¥15.00, transaction_id 42, advanced by WeChat Pay (BPA), user_repaid N"},
		{"parking deduction failed", "TRANSACTION.FAIL", `{"out_trade_no":"PK-2","trade_state":"PAY_FAIL","trade_state_description":"支付失败，请重新下单支付","amount":{"total":1500}}`,
			"deduction PK-2 is: PAY_FAIL, ¥15.00: 支付失败，请重新下单支付"},
		{"an event listen does not know", "PAYSCORE.SOMETHING_NEW", `{}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := &client.Notification{ID: "n1", EventType: tt.eventType, Plaintext: []byte(tt.plaintext)}
			assert.Equal(t, tt.want, eventSummary(n))
		})
	}
}
