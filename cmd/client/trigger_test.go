package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

// trigger --list is every callback the mock sends, one per line: a new
// callback type in the mock needs its recipe here.
func TestTrigger_list(t *testing.T) {
	t.Parallel()
	r := runWith(t, map[string]string{"MOCKPAY_URL": "http://127.0.0.1:1"}, "trigger", "--list") // nothing is sent
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, mock.CallbackTypes(), strings.Split(strings.TrimSpace(r.stdout), "\n"))
}

// Every event type reaches a receiver that verifies it as the merchant's
// app would, with the fixtures' callbacks before it.
func TestTrigger_everyEvent(t *testing.T) {
	t.Parallel()
	for _, eventType := range mock.CallbackTypes() {
		t.Run(eventType, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, mock.Options{})
			mchid, args := defaultMchID, []string{"trigger", eventType, "--notify-url"}
			if eventType == client.EventBindServiceAccount { // a service provider's callback
				p, err := h.srv.CreateMerchant(mock.MerchantSpec{Kind: "partner"})
				require.NoError(t, err)
				mchid, args = p.MchID, append([]string{"--mchid", p.MchID}, args...)
			}
			app := newMerchantApp(t, h, mchid)
			out := h.ok(t, append(args, app.url)...)
			assert.Contains(t, out, "trigger "+eventType+" as merchant "+mchid+", user oTrigger_")
			assert.Regexp(t, `(?m)^triggered `+regexp.QuoteMeta(eventType)+`: `+regexp.QuoteMeta(eventType)+` delivered to `+regexp.QuoteMeta(app.url)+` \(answered 204\), id \S+$`, out)
			assert.NotContains(t, out, "✗")
			h.settle()
			verified, rejected := app.events()
			assert.Contains(t, verified, eventType, "the app verified and decrypted it")
			assert.Empty(t, rejected)
		})
	}
}

func TestTrigger(t *testing.T) {
	t.Parallel()

	t.Run("to the merchant's registered notify_url", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		app := newMerchantApp(t, h, defaultMchID)
		h.ok(t, "sandbox", "merchant", "update", "--notify-url", app.url)
		out := runWith(t, without(h.env, "MOCKPAY_NOTIFY_URL"), "trigger", "payscore.user_open_service") // in any case
		require.Equal(t, exitOK, out.code, out.stderr)
		verified, _ := app.events()
		assert.Equal(t, []string{client.EventUserOpenService}, verified)
	})
	t.Run("a service provider's callback needs a service provider", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		r := runWith(t, h.env, "trigger", client.EventBindServiceAccount)
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "PAYSCORE.BIND_SERVICE_ACCOUNT is a service provider's callback, and merchant "+defaultMchID+" is a direct merchant")
	})
	t.Run("a legacy callback makes --notify-url the registered one, and says so", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		app := newMerchantApp(t, h, defaultMchID)
		out := h.ok(t, "trigger", "PAYSCORE.USER_ACCEPTED", "--notify-url", app.url)
		assert.Contains(t, out, "merchant "+defaultMchID+": registered notify_url set to "+app.url)
		rec, err := h.srv.Merchant(defaultMchID)
		require.NoError(t, err)
		assert.Equal(t, app.url, rec.NotifyURL)
	})
	t.Run("on a real clock", func(t *testing.T) {
		t.Parallel()
		fast, err := clock.NewReal(1000) // the 5 s deduction in 5 ms; the ride still waits out a second
		require.NoError(t, err)
		h := newHarness(t, mock.Options{Clock: fast})
		app := newMerchantApp(t, h, defaultMchID)
		out := h.ok(t, "trigger", "REFUND.SUCCESS", "--notify-url", app.url, "--timeout", "10s")
		assert.Contains(t, out, "real clock: waiting up to 10s")
		assert.Contains(t, out, "triggered REFUND.SUCCESS")
	})
	t.Run("the receiver refuses it", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		app := newMerchantApp(t, h, defaultMchID)
		app.failing(true)
		r := h.run(t, "trigger", "PAYSCORE.USER_CONFIRM", "--notify-url", app.url, "--ascii")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stdout, "FAIL 2/2 user confirms: PAYSCORE.USER_CONFIRM")
		assert.Contains(t, r.stderr, "the receiver answered 500")
	})
	t.Run("a merchant with no notify_url and none given", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		m, err := h.srv.CreateMerchant(mock.MerchantSpec{})
		require.NoError(t, err)
		r := runWith(t, without(h.env, "MOCKPAY_NOTIFY_URL"), "trigger", "PAYSCORE.USER_PAID", "--mchid", m.MchID)
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "merchant "+m.MchID+" has no registered notify_url, and no --notify-url was given")
	})
	t.Run("against WeChat Pay", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, map[string]string{"MOCKPAY_URL": notWeChat(t)}, "trigger", "PAYSCORE.USER_PAID")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "trigger needs a mockpay sandbox")
	})
	t.Run("usage", func(t *testing.T) {
		t.Parallel()
		env := map[string]string{"MOCKPAY_URL": "http://127.0.0.1:1"} // nothing is sent
		tests := []struct {
			args []string
			want string
		}{
			{[]string{"trigger"}, "missing argument <event_type>\nhint: 'trigger --list' lists them"},
			{[]string{"trigger", "PAYSCORE.USER_PAD"}, "the mock sends no PAYSCORE.USER_PAD callback\nhint: did you mean PAYSCORE.USER_PAID?"},
			{[]string{"trigger", "PAYSCORE.USER_PAID", "--list"}, "give an event type or --list, not both"},
			{[]string{"trigger", "PAYSCORE.USER_PAID", "--timeout", "0s"}, "--timeout must be positive"},
		}
		for _, tt := range tests {
			r := runWith(t, env, tt.args...)
			assert.Equal(t, exitUsage, r.code, tt.args)
			assert.Contains(t, r.stderr, tt.want)
		}
	})
}
