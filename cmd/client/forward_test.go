package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	"github.com/mockpay/mockpay/internal/deploy"
	"github.com/mockpay/mockpay/mock"
)

// merchantApp is the developer's app: a notify_url that verifies and
// decrypts every callback with the merchant's own client, as it would
// WeChat Pay's, and answers what answer says (204 by default).
type merchantApp struct {
	url string

	mu       sync.Mutex
	verified []*client.Notification
	rejected []string
	answer   int
}

func newMerchantApp(t *testing.T, h *harness, mchid string) *merchantApp {
	t.Helper()
	rec, err := h.srv.Merchant(mchid)
	require.NoError(t, err)
	key, err := protocol.ParsePrivateKey([]byte(rec.PrivateKeyPEM))
	require.NoError(t, err)
	c, err := client.New(client.Config{MchID: rec.MchID, SerialNo: rec.SerialNo, PrivateKey: key, APIv3Key: rec.APIv3Key}, client.WithBaseURL(h.url))
	require.NoError(t, err)
	app := &merchantApp{answer: http.StatusNoContent}
	handler := c.NotificationHandler(func(_ context.Context, n *client.Notification) error {
		app.mu.Lock()
		defer app.mu.Unlock()
		app.verified = append(app.verified, n)
		if app.answer != http.StatusNoContent {
			return fmt.Errorf("the app answers %d", app.answer)
		}
		return nil
	}, client.WithRejectHook(func(_ *http.Request, err *client.NotificationError) {
		app.mu.Lock()
		defer app.mu.Unlock()
		app.rejected = append(app.rejected, err.Reason)
	}))
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	app.url = ts.URL + "/wechatpay/notify"
	return app
}

func (app *merchantApp) failing(fail bool) {
	app.mu.Lock()
	defer app.mu.Unlock()
	app.answer = http.StatusNoContent
	if fail {
		app.answer = http.StatusInternalServerError
	}
}

func (app *merchantApp) events() (verified []string, rejected []string) {
	app.mu.Lock()
	defer app.mu.Unlock()
	for _, n := range app.verified {
		verified = append(verified, n.EventType)
	}
	return verified, append([]string(nil), app.rejected...)
}

func TestListen_forwardTo(t *testing.T) {
	t.Parallel()

	t.Run("the app verifies the callback as WeChat Pay's", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		app := newMerchantApp(t, h, defaultMchID)
		l := startListen(t, h.env, "--forward-to", app.url)
		assert.Contains(t, l.info, "forwarding to "+app.url)
		preAuthorizeTo(t, h, l.url, "AUTH-F1", "oF1")

		verified, rejected := app.events()
		assert.Equal(t, []string{client.EventUserOpenService}, verified, "the same bytes and headers: the app's own verification passed")
		assert.Empty(t, rejected)
		assert.Equal(t, []int{http.StatusNoContent}, attemptStatuses(t, h, client.EventUserOpenService), "the app's answer is the mock's")
		out := l.out.String()
		assert.Regexp(t, `PAYSCORE.USER_OPEN_SERVICE  授权成功  id \S+  → `+regexp.QuoteMeta(app.url)+`  204 in \d+ms`, out)
		assert.Contains(t, out, "user oF1 USER_OPEN_SERVICE (authorization_code AUTH-F1)")
	})
	t.Run("the app's failure goes back to the mock, which retries", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		app := newMerchantApp(t, h, defaultMchID)
		app.failing(true)
		l := startListen(t, h.env, "--forward-to", app.url)
		preAuthorizeTo(t, h, l.url, "AUTH-F2", "oF2")
		assert.Equal(t, []int{http.StatusInternalServerError}, attemptStatuses(t, h, client.EventUserOpenService))
		assert.Regexp(t, `→ \S+  500 in `, l.out.String())

		app.failing(false)
		h.advance(t, 15*time.Second) // WeChat Pay's first retry
		assert.Equal(t, []int{http.StatusInternalServerError, http.StatusNoContent}, attemptStatuses(t, h, client.EventUserOpenService))
		verified, _ := app.events()
		assert.Len(t, verified, 2, "the retry reached the app too")
	})
	t.Run("an app that does not answer is a 502 to the mock", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		gone := httptest.NewServer(http.NotFoundHandler())
		gone.Close()
		l := startListen(t, h.env, "--forward-to", gone.URL+"/notify")
		preAuthorizeTo(t, h, l.url, "AUTH-F3", "oF3")
		assert.Equal(t, []int{http.StatusBadGateway}, attemptStatuses(t, h, client.EventUserOpenService))
		assert.Contains(t, l.out.String(), "no answer: ")
		assert.Contains(t, l.out.String(), "→ 502 to the mock, which retries")
	})
	t.Run("what does not verify is forwarded all the same, for the app to refuse", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		app := newMerchantApp(t, h, defaultMchID)
		l := startListen(t, h.env, "--forward-to", app.url, "--json")
		resp, err := http.Post(l.url, "application/json", strings.NewReader(`{"id":"forged"}`))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the app's answer")
		assert.JSONEq(t, `{"code":"FAIL","message":"missing header Wechatpay-Timestamp"}`, string(body), "the app's body")
		_, rejected := app.events()
		assert.Equal(t, []string{"missing header Wechatpay-Timestamp"}, rejected)

		var line struct {
			Verified    bool    `json:"verified"`
			Rejection   string  `json:"rejection"`
			ForwardedTo string  `json:"forwarded_to"`
			Status      int     `json:"status"`
			LatencyMS   float64 `json:"latency_ms"`
		}
		require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(l.out.String())), &line), l.out.String())
		assert.False(t, line.Verified)
		assert.Equal(t, "missing header Wechatpay-Timestamp", line.Rejection)
		assert.Equal(t, app.url, line.ForwardedTo)
		assert.Equal(t, http.StatusUnauthorized, line.Status)
		assert.Positive(t, line.LatencyMS)
	})
	t.Run("the mock reaching the listener by another name, with --register", func(t *testing.T) {
		t.Parallel()
		// As in docker compose with the app on the host: the mock posts to
		// a name of the host (here a proxy), the listener binds to every
		// interface, and --register makes that name the merchant's
		// registered notify_url.
		h := newHarness(t, mock.Options{})
		app := newMerchantApp(t, h, defaultMchID)
		var mu sync.Mutex
		var listenerAddr string
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			to := &url.URL{Scheme: "http", Host: listenerAddr}
			mu.Unlock()
			httputil.NewSingleHostReverseProxy(to).ServeHTTP(w, r)
		}))
		t.Cleanup(proxy.Close)
		public := proxy.URL + "/notify"

		l := startListen(t, h.env, "--addr", "0.0.0.0:0", "--notify-url", public, "--register", "--forward-to", app.url)
		m := regexp.MustCompile(`bound to (\S+), merchant`).FindStringSubmatch(l.info)
		require.NotNil(t, m, l.info)
		mu.Lock()
		listenerAddr = strings.Replace(m[1], "0.0.0.0", "127.0.0.1", 1)
		mu.Unlock()
		rec, err := h.srv.Merchant(defaultMchID)
		require.NoError(t, err)
		assert.Equal(t, public, rec.NotifyURL)

		h.ok(t, "sandbox", "authorize", "oF5") // no pre-authorization: the registered notify_url
		h.settle()
		verified, _ := app.events()
		assert.Equal(t, []string{client.EventUserOpenService}, verified)
	})
	t.Run("usage", func(t *testing.T) {
		t.Parallel()
		env := map[string]string{"MOCKPAY_URL": "http://127.0.0.1:1"}
		r := runWith(t, env, "listen", "--forward-to", "localhost:3000/notify")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, `--forward-to "localhost:3000/notify" is not an http(s) URL`)
		r = runWith(t, env, "listen", "--forward-to", "http://127.0.0.1:3000/notify", "--fail-first", "2")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "--fail-first and --forward-to do not go together")
	})
}

// The walkthrough's recipe for an app on the host and the mock in docker
// compose needs the mock's container to reach the host by name.
func TestCompose_mockReachesTheHost(t *testing.T) {
	c, err := deploy.LoadCompose()
	require.NoError(t, err)
	svc, ok := c.Services["mockpay"]
	require.True(t, ok)
	assert.Contains(t, svc.ExtraHosts, "host.docker.internal:host-gateway")
}
