package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// listener is `listen` running in the background on a free port.
type listener struct {
	url         string
	out, errOut *syncBuffer
	stop        func() int // cancels the context, returns the exit status
}

var listeningRe = regexp.MustCompile(`listening on (http://\S+)`)

// startListen runs `listen --addr 127.0.0.1:0 args…` until the test ends
// (or stop) and returns once it printed where it listens.
func startListen(t *testing.T, env map[string]string, args ...string) *listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{out: &syncBuffer{}, errOut: &syncBuffer{}}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"listen", "--addr", "127.0.0.1:0"}, args...), env, l.out, l.errOut)
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
	m := listeningRe.FindStringSubmatch(where.waitFor(t, "Ctrl-C to stop"))
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
	t.Run("address in use", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		l := startListen(t, h.env)
		addr := strings.TrimSuffix(strings.TrimPrefix(l.url, "http://"), "/notify")
		stderr := h.fails(t, exitUsage, "listen", "--addr", addr)
		assert.Contains(t, stderr, "address already in use")
	})
}
