package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

func TestSandbox_health(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	assert.Contains(t, h.ok(t, "sandbox", "health"), "mockpay "+mock.Version+" at "+h.url+": ok, virtual clock")
	var health struct{ Status, Clock string }
	h.okJSON(t, &health, "sandbox", "health")
	assert.Equal(t, "ok", health.Status)

	r := runWith(t, map[string]string{"MOCKPAY_URL": notWeChat(t)}, "sandbox", "health")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "sandbox health needs a mockpay sandbox")
}

func TestSandbox_merchant(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	keyFile := filepath.Join(t.TempDir(), "apiclient_key.pem")
	out := h.ok(t, "sandbox", "merchant", "new", "--key-out", keyFile, "--platform-mode", "public_key")
	m := regexp.MustCompile(`merchant (\d+) registered`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	mchid := m[1]
	assert.Contains(t, out, "act as it: MOCKPAY_MCHID="+mchid)
	assert.Regexp(t, `private_key_pem\s+-----BEGIN PRIVATE KEY----- … \(\d+ lines; --json shows it all\)`, out, "PEM shortened for people")
	key, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	_, err = protocol.ParsePrivateKey(key)
	require.NoError(t, err, "--key-out writes apiclient_key.pem")

	assert.Contains(t, h.ok(t, "sandbox", "merchant", "list"), mchid)
	assert.Regexp(t, `1230000109\s+wxd678efh567hg6787\s+500001\s+certificate`, h.ok(t, "sandbox", "merchant", "list"))
	assert.Contains(t, h.ok(t, "sandbox", "merchant", "get"), "merchant 1230000109")
	var rec struct {
		PlatformMode  string `json:"platform_mode"`
		PrivateKeyPEM string `json:"private_key_pem"`
	}
	h.okJSON(t, &rec, "sandbox", "merchant", "get", mchid)
	assert.Equal(t, "public_key", rec.PlatformMode)
	assert.Equal(t, string(key), rec.PrivateKeyPEM)

	// The merchant is usable with only its mchid.
	assert.Contains(t, h.ok(t, "user-state", "--openid", "oX", "--mchid", mchid), "UNAVAILABLE")

	assert.Contains(t, h.ok(t, "sandbox", "merchant", "delete", mchid), "merchant "+mchid+" deleted")
	assert.Regexp(t, `^NOT_FOUND: \S`, h.fails(t, exitFailure, "sandbox", "merchant", "get", mchid))
	assert.Regexp(t, `^CONFLICT: \S`, h.fails(t, exitFailure, "sandbox", "merchant", "new", "--new-mchid", "1230000109"))
}

func TestSandbox_merchantUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	out := h.ok(t, "sandbox", "merchant", "update", "--notify-url", "http://127.0.0.1:9100/notify")
	assert.Contains(t, out, "merchant 1230000109 updated: notify_url http://127.0.0.1:9100/notify, platform_mode certificate")
	rec, err := h.srv.Merchant(defaultMchID)
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9100/notify", rec.NotifyURL)

	fresh := regexp.MustCompile(`merchant (\d+) registered`).FindStringSubmatch(h.ok(t, "sandbox", "merchant", "new"))
	require.NotNil(t, fresh)
	var m struct {
		NotifyURL    string `json:"notify_url"`
		PlatformMode string `json:"platform_mode"`
	}
	// The harness's MOCKPAY_NOTIFY_URL changes nothing: only flags do.
	h.okJSON(t, &m, "sandbox", "merchant", "update", "--mchid", fresh[1], "--platform-mode", "public_key")
	assert.Equal(t, "public_key", m.PlatformMode)
	assert.Equal(t, h.sink, m.NotifyURL, "registered with the harness's notify URL, and kept")
	assert.Contains(t, h.ok(t, "user-state", "--openid", "oX", "--mchid", fresh[1]), "UNAVAILABLE", "answers verify in the new mode")

	t.Run("unknown merchant", func(t *testing.T) {
		stderr := h.fails(t, exitFailure, "sandbox", "merchant", "update", "--mchid", "1999999999", "--notify-url", "http://127.0.0.1:9100/notify")
		assert.Regexp(t, `^NOT_FOUND: merchant 1999999999 is not registered\n`, stderr)
	})
	t.Run("bad platform mode", func(t *testing.T) {
		assert.Regexp(t, `^PARAM_ERROR: \S`, h.fails(t, exitFailure, "sandbox", "merchant", "update", "--platform-mode", "rsa"))
	})
	t.Run("nothing to change", func(t *testing.T) {
		assert.Contains(t, h.fails(t, exitUsage, "sandbox", "merchant", "update"), "give what to change: --notify-url, --platform-mode or both")
	})
}

func TestSandbox_user(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	h.ok(t, "permission", "create", "--code", "AUTH-S1")
	out := h.ok(t, "sandbox", "authorize", "oS", "--code", "AUTH-S1")
	assert.Contains(t, out, "user oS authorised the service of merchant 1230000109")
	assert.Contains(t, out, "authorization_state         AVAILABLE")
	assert.Contains(t, h.ok(t, "sandbox", "revoke", "oS"), "UNAVAILABLE")
	assert.Regexp(t, `^CONFLICT: \S`, h.fails(t, exitFailure, "sandbox", "revoke", "oS"))

	assert.Contains(t, h.ok(t, "sandbox", "wallet", "oS", "--balance", "1000"), "wallet of oS: ¥10.00")
	var u struct {
		Wallet struct {
			Balance       *int64 `json:"balance"`
			RefundOutcome string `json:"refund_outcome"`
		} `json:"wallet"`
		Authorizations []json.RawMessage `json:"authorizations"`
	}
	h.okJSON(t, &u, "sandbox", "user", "oS")
	require.NotNil(t, u.Wallet.Balance)
	assert.EqualValues(t, 1000, *u.Wallet.Balance)
	assert.Len(t, u.Authorizations, 1)

	h.okJSON(t, &u, "sandbox", "wallet", "oS", "--unlimited", "--refund-outcome", "ABNORMAL")
	assert.Nil(t, u.Wallet.Balance)
	assert.Equal(t, "ABNORMAL", u.Wallet.RefundOutcome)
	assert.Regexp(t, `^PARAM_ERROR: \S`, h.fails(t, exitFailure, "sandbox", "wallet", "oS", "--unlimited", "--refund-outcome", "BOGUS"))
}

func TestSandbox_confirmAndPay(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	h.ok(t, "order", "create", "--out-order-no", "SB-1", "--amount", "2000")
	out := h.ok(t, "sandbox", "confirm", "SB-1", "--openid", "oPayer")
	assert.Contains(t, out, "serviceorder order SB-1 confirmed by the user: DOING")
	assert.Contains(t, out, "timeline:")
	assert.Regexp(t, `^CONFLICT: \S`, h.fails(t, exitFailure, "sandbox", "confirm", "SB-1"))

	h.ok(t, "sandbox", "wallet", "oPayer", "--balance", "0")
	h.advance(t, 10*time.Minute)
	h.ok(t, "order", "complete", "--out-order-no", "SB-1", "--amount", "2000")
	h.advance(t, 5*time.Second) // the deduction fails
	assert.Contains(t, h.ok(t, "sandbox", "pay", "SB-1"), "order SB-1 paid by the user: DONE")
	assert.Regexp(t, `^NOT_FOUND: \S`, h.fails(t, exitFailure, "sandbox", "pay", "NOPE"))
}

func TestSandbox_clock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	assert.Contains(t, h.ok(t, "sandbox", "clock"), "now 2026-12-01T09:00:00+08:00 (virtual clock)")
	assert.Contains(t, h.ok(t, "sandbox", "clock", "advance", "30m"), "clock advanced to 2026-12-01T09:30:00+08:00")
	assert.Contains(t, h.ok(t, "sandbox", "clock", "advance", "--to", "2026-12-01T10:00:00+08:00"), "clock advanced to 2026-12-01T10:00:00+08:00")
	assert.Contains(t, h.ok(t, "sandbox", "clock", "--to", "2026-12-02T10:00:00+08:00"), "clock advanced to 2026-12-02T10:00:00+08:00")

	h.ok(t, "order", "create", "--out-order-no", "CL-1")
	out := h.ok(t, "sandbox", "clock")
	assert.Contains(t, out, "scheduled:")
	assert.Contains(t, out, "expire 1230000109/CL-1")
	var st struct {
		Now     time.Time `json:"now"` // the instant, whatever precision the sandbox writes it with
		Pending []struct {
			Label string `json:"label"`
		} `json:"pending"`
	}
	h.okJSON(t, &st, "sandbox", "clock", "advance", "0s")
	assert.Equal(t, "2026-12-02T10:00:00+08:00", st.Now.Format(time.RFC3339))

	// A time of day is the next one on the mock's clock: 09:00 is
	// tomorrow's, 10:30 today's; now (10:00) itself is a day ahead.
	assert.Contains(t, h.ok(t, "sandbox", "clock", "--to", "09:00"), "clock advanced to 2026-12-03T09:00:00+08:00")
	assert.Contains(t, h.ok(t, "sandbox", "clock", "advance", "--to", "10:30"), "clock advanced to 2026-12-03T10:30:00+08:00")
	assert.Contains(t, h.ok(t, "sandbox", "clock", "--to", "10:30"), "clock advanced to 2026-12-04T10:30:00+08:00")

	assert.Regexp(t, `^PARAM_ERROR: \S`, h.fails(t, exitFailure, "sandbox", "clock", "--to", "2026-01-01T00:00:00+08:00"))

	realClock, err := clock.NewReal(1)
	require.NoError(t, err)
	real := newHarness(t, mock.Options{Clock: realClock})
	assert.Regexp(t, `^CONFLICT: \S`, real.fails(t, exitFailure, "sandbox", "clock", "advance", "1m"))
}

func TestSandbox_scenario(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	out := h.ok(t, "sandbox", "scenario", "load", "../../scenarios/deduct-failure.yaml", "--scope-openid", "oUnlucky")
	assert.Contains(t, out, "loaded from ../../scenarios/deduct-failure.yaml:")
	m := regexp.MustCompile(`(?m)^(\S+)\s+deduct-failure\s+openid=oUnlucky\s+0\s`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	var infos []struct {
		ID    string `json:"id"`
		Match struct {
			OpenID string `json:"openid"`
		} `json:"match"`
	}
	h.okJSON(t, &infos, "sandbox", "scenario", "list")
	require.Len(t, infos, 1)
	assert.Equal(t, "oUnlucky", infos[0].Match.OpenID, "scoped to the user")
	assert.Regexp(t, `(?m)^ID\s+NAME\s+MATCH\s+APPLIED\s+EFFECTS$`, h.ok(t, "sandbox", "scenario", "list"), "id, match, effects, how often it applied (qa.md)")

	assert.Contains(t, h.ok(t, "sandbox", "scenario", "unload", m[1]), "scenario "+m[1]+" unloaded")
	h.okJSON(t, &infos, "sandbox", "scenario", "list")
	assert.Empty(t, infos)
	assert.Regexp(t, `^NOT_FOUND: \S`, h.fails(t, exitFailure, "sandbox", "scenario", "unload", m[1]))

	bad := writeFile(t, "bad.yaml", "name: x\nmatch:\n  bogus: 1\n")
	stderr := h.fails(t, exitFailure, "sandbox", "scenario", "load", bad)
	assert.Regexp(t, `^PARAM_ERROR: bad.yaml:3: match.bogus: unknown key`, stderr)
	assert.Contains(t, h.fails(t, exitUsage, "sandbox", "scenario", "load", "no-such-file.yaml"), "no such file")
}

func TestSandbox_notificationsAndRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	deductedOrder(t, h, "oN", "NT-1", "1200")

	out := h.ok(t, "sandbox", "notifications", "--out-order-no", "NT-1")
	assert.Regexp(t, `PAYSCORE.USER_PAID\s+delivered\s+1: 204\s+NT-1\s+`+regexp.QuoteMeta(h.sink), out)
	var ns []struct {
		ID       string          `json:"id"`
		Resource json.RawMessage `json:"resource"`
	}
	h.okJSON(t, &ns, "sandbox", "notifications", "--event-type", "PAYSCORE.USER_PAID")
	require.Len(t, ns, 1)
	var res struct {
		OutOrderNo string `json:"out_order_no"`
	}
	require.NoError(t, json.Unmarshal(ns[0].Resource, &res))
	assert.Equal(t, "NT-1", res.OutOrderNo, "the plaintext of the resource")

	out = h.ok(t, "sandbox", "notifications", "redeliver", ns[0].ID)
	assert.Contains(t, out, "PAYSCORE.USER_PAID "+ns[0].ID+" redelivered to "+h.sink+": HTTP 204")
	assert.Regexp(t, `^NOT_FOUND: \S`, h.fails(t, exitFailure, "sandbox", "notifications", "redeliver", "nope"))
	// The id cut short, as lists and docs show it, names the same callback.
	for _, short := range []string{ns[0].ID[:8], ns[0].ID[:8] + "-…", ns[0].ID[:13] + "..."} {
		out = h.ok(t, "sandbox", "notifications", "redeliver", short)
		assert.Contains(t, out, "PAYSCORE.USER_PAID "+ns[0].ID+" redelivered to "+h.sink+": HTTP 204", short)
	}
	stderr := h.fails(t, exitUsage, "sandbox", "notifications", "redeliver", "…")
	assert.Contains(t, stderr, "give the callback's id, or the start of it")
	assert.Contains(t, h.fails(t, exitUsage, "sandbox", "redeliver", ns[0].ID), `unknown command "redeliver" for client sandbox`, "one way to redeliver: under notifications")

	// A request signed under the wrong serial: SIGN_ERROR, and the request
	// log shows what the mock verified.
	stderr = h.fails(t, exitFailure, "user-state", "--openid", "oN", "--serial-no", "0123456789ABCDEF")
	assert.Regexp(t, `^SIGN_ERROR: \S`, stderr)
	assert.Contains(t, stderr, "sandbox requests --limit 1")
	out = h.ok(t, "sandbox", "requests", "--limit", "1")
	assert.Contains(t, out, "/v3/payscore/user-service-state")
	assert.Contains(t, out, "401")
	var rs []struct {
		Signature string `json:"signature"`
	}
	h.okJSON(t, &rs, "sandbox", "requests", "--limit", "3", "--mchid", defaultMchID)
	require.Len(t, rs, 3)
	assert.Equal(t, "invalid", rs[0].Signature)
}

func TestSandbox_ordersAndReset(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	h.ok(t, "order", "create", "--out-order-no", "OR-1")
	h.authorize(t, "oP")
	h.ok(t, "payafter", "create", "--out-order-no", "OR-2", "--openid", "oP")

	unpaidOrder(t, h, "oBroke", "OR-3", "4200")
	deductedOrder(t, h, "oRich", "OR-4", "4200")

	out := h.ok(t, "sandbox", "orders")
	assert.Regexp(t, `(?m)^OUT_ORDER_NO\s+KIND\s+STATE\s+COLLECTION\s+OPENID\s+CREATED_AT$`, out)
	assert.Regexp(t, `OR-1\s+serviceorder\s+CREATED\s+-\s+-`, out)
	assert.Regexp(t, `OR-2\s+payafter-order\s+USER_ACCEPTED\s+-\s+oP`, out)
	assert.Regexp(t, `OR-3\s+serviceorder\s+DOING\s+USER_PAYING 0/4200\s+oBroke`, out, "the order waits, collection USER_PAYING (walkthrough §6)")
	assert.Regexp(t, `OR-4\s+serviceorder\s+DONE\s+USER_PAID 4200/4200\s+oRich`, out)
	out = h.ok(t, "sandbox", "orders", "--state", "USER_ACCEPTED")
	assert.NotContains(t, out, "OR-1")
	assert.Contains(t, out, "OR-2")

	out = h.ok(t, "sandbox", "order", "OR-2")
	assert.Contains(t, out, "payafter-order order OR-2: USER_ACCEPTED")
	assert.Contains(t, out, "timeline:")
	assert.Contains(t, out, "POST /v3/payscore/payafter-orders → 200")
	var o struct {
		FinishTicket string            `json:"finish_ticket"`
		Timeline     []json.RawMessage `json:"timeline"`
	}
	h.okJSON(t, &o, "sandbox", "order", "OR-2")
	assert.NotEmpty(t, o.FinishTicket, "the API's view and the sandbox's side by side")
	assert.NotEmpty(t, o.Timeline)
	assert.Regexp(t, `^NOT_FOUND: \S`, h.fails(t, exitFailure, "sandbox", "order", "NOPE"))

	assert.Contains(t, h.ok(t, "sandbox", "reset"), "sandbox reset")
	var orders []json.RawMessage
	h.okJSON(t, &orders, "sandbox", "orders")
	assert.Empty(t, orders)
	assert.Contains(t, h.ok(t, "sandbox", "merchant", "list"), "1230000109", "merchants are kept")
}
