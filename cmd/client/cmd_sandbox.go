package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/sandbox"
)

// sandboxCmd groups the mock's control API (/sandbox/*).
func (a *app) sandboxCmd() *command {
	return &command{
		name:  "sandbox",
		short: "the mock's control API: merchants, the WeChat user, clock, scenarios, callbacks",
		long: `Sandbox drives the mock's control API (/sandbox/*, plain JSON, with
"Authorization: Bearer <MOCKPAY_SANDBOX_TOKEN>" when set): register merchants, play the
WeChat user (authorize, confirm, pay, wallet), move the clock, load failure scenarios, and
read back what happened (orders with their timeline, callbacks with every delivery attempt,
the request log with signature verdicts). --json prints the control API's JSON as is.
Commands about one merchant act as the configured merchant (--mchid / MOCKPAY_MCHID,
default 1230000109); lists show every merchant unless --mchid is given.`,
		examples: []string{
			"go run ./cmd/client sandbox health",
			"go run ./cmd/client sandbox authorize oUser1 --code AUTH-1",
			"go run ./cmd/client sandbox clock advance 30m",
			"go run ./cmd/client sandbox order RIDE-1",
			"go run ./cmd/client sandbox notifications --out-order-no RIDE-1",
		},
		subs: []*command{
			a.sbHealthCmd(), a.sbMerchantCmd(),
			a.sbAuthorizeCmd(), a.sbRevokeCmd(), a.sbWalletCmd(), a.sbPlateCmd(), a.sbUserCmd(), a.sbConfirmCmd(), a.sbPayCmd(),
			a.sbClockCmd(), a.sbScenarioCmd(),
			a.sbNotificationsCmd(), a.sbRequestsCmd(), a.sbOrdersCmd(), a.sbOrderCmd(),
			a.sbResetCmd(),
		},
	}
}

// sandboxMchID is the merchant sandbox commands act for.
func (a *app) sandboxMchID() (string, error) {
	cfg, err := a.settings()
	if err != nil {
		return "", err
	}
	if cfg.MchID != "" {
		return cfg.MchID, nil
	}
	return defaultMchID, nil
}

// sandboxAccount is whom the sandbox's user-side commands act for: the
// merchant, and a service provider's sub-merchant (--sub-mchid; the mock
// takes the service provider's first when it is left out).
func (a *app) sandboxAccount() (mchid, subMchID string, err error) {
	if mchid, err = a.sandboxMchID(); err != nil {
		return "", "", err
	}
	cfg, err := a.settings()
	return mchid, cfg.SubMchID, err
}

// listMchID is the merchant a list command filters on: the configured
// mchid, if any, else none (the list has every merchant's), and the
// sub-merchant (--sub-mchid), if any.
func (a *app) listMchID() (mchid, subMchID string, err error) {
	cfg, err := a.settings()
	return cfg.MchID, cfg.SubMchID, err
}

// printList prints a list the sandbox answered: each element's JSON as the
// sandbox sent it with --json, else a table with one row per element.
func printList[T interface{ Raw() json.RawMessage }](a *app, items []T, header []string, row func(T) []string) error {
	if a.out.jsonMode() {
		raws := make([]json.RawMessage, 0, len(items))
		for _, it := range items {
			raws = append(raws, it.Raw())
		}
		return a.out.result("", raws)
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		rows = append(rows, row(it))
	}
	a.out.table(header, rows)
	return nil
}

func (a *app) sbHealthCmd() *command {
	return &command{
		name:  "health",
		short: "is the target a mock, and which clock it runs (GET /sandbox/health)",
		long:  "Health asks the target for GET /sandbox/health: its version and whether its clock is real or virtual. It fails against the real WeChat Pay.",
		examples: []string{
			"go run ./cmd/client sandbox health",
			"go run ./cmd/client sandbox health --url http://127.0.0.1:8081 --json",
		},
		run: func(ctx context.Context, _ []string) error {
			sb, err := a.requireMock(ctx, "sandbox health")
			if err != nil {
				return err
			}
			h, err := sb.GetHealth(ctx)
			if err != nil {
				return err
			}
			cfg, _ := a.settings()
			return a.out.result(fmt.Sprintf("mockpay %s at %s: %s, %s clock", h.Version, cfg.URL, h.Status, h.Clock), h.Raw())
		},
	}
}

func (a *app) sbResetCmd() *command {
	return &command{
		name:     "reset",
		short:    "drop orders, users, callbacks and scenarios; keep merchants (POST /sandbox/reset)",
		long:     "Reset drops every order, user, callback, scenario and the request log of the mock, for everyone using it; merchants and the platform identity stay.",
		examples: []string{"go run ./cmd/client sandbox reset"},
		run: func(ctx context.Context, _ []string) error {
			sb, err := a.requireMock(ctx, "sandbox reset")
			if err != nil {
				return err
			}
			if err := sb.Reset(ctx); err != nil {
				return err
			}
			a.out.say("sandbox reset: orders, users, callbacks, scenarios and the request log dropped; merchants kept")
			return nil
		},
	}
}

func (a *app) sbMerchantCmd() *command {
	return &command{
		name:  "merchant",
		short: "register, list, inspect, change and remove merchants",
		long: `Merchant manages the mock's merchants (/sandbox/merchants). 'new' registers one with a
generated key, certificate, APIv3 key, appid and service_id; act as it with only
MOCKPAY_MCHID=<mchid> (the CLI reads the rest from the mock), or save its key with --key-out.
'update' changes a merchant's registered notify_url or platform mode.`,
		examples: []string{
			"go run ./cmd/client sandbox merchant new --notify-url http://127.0.0.1:9000/notify",
			"go run ./cmd/client sandbox merchant list",
			"go run ./cmd/client sandbox merchant update --notify-url http://127.0.0.1:9100/notify",
			"go run ./cmd/client sandbox merchant get 1230000109 --json | jq -r .private_key_pem > apiclient_key.pem",
		},
		subs: []*command{a.sbMerchantNewCmd(), a.sbMerchantListCmd(), a.sbMerchantGetCmd(), a.sbMerchantUpdateCmd(), a.sbMerchantDeleteCmd()},
	}
}

func (a *app) sbMerchantNewCmd() *command {
	var spec sandbox.CreateMerchantRequest
	var platformMode, keyOut string
	var partner bool
	return &command{
		name:  "new",
		short: "register a merchant (POST /sandbox/merchants)",
		long: `New registers a merchant in the mock; what is not given is generated (mchid, RSA key and
certificate, APIv3 key, appid, service_id). --notify-url (the global setting) becomes its
registered callback address: the target of legacy payafter callbacks and of authorization
events without a pre-authorization of their own.`,
		examples: []string{
			"go run ./cmd/client sandbox merchant new",
			"go run ./cmd/client sandbox merchant new --notify-url http://127.0.0.1:9000/notify --key-out /tmp/apiclient_key.pem",
			"go run ./cmd/client sandbox merchant new --platform-mode public_key --risk-fund-cap 200000",
			"go run ./cmd/client sandbox merchant new --partner",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&spec.MchID, "new-mchid", "", "the mchid to register (default: generated)")
			fs.StringVar(&platformMode, "platform-mode", "", "certificate (default) or public_key: how the mock signs for it")
			fs.Int64Var(&spec.RiskFundCap, "risk-fund-cap", 0, "per-order risk cap in `fen` (default 100000)")
			fs.StringVar(&keyOut, "key-out", "", "write the generated private key (apiclient_key.pem) to this `file`")
			fs.BoolVar(&partner, "partner", false, "register a service provider (服务商) with one sub-merchant")
		},
		run: func(ctx context.Context, _ []string) error {
			cfg, err := a.settings()
			if err != nil {
				return err
			}
			spec.NotifyURL, spec.PlatformMode = cfg.NotifyURL, sandbox.PlatformMode(platformMode)
			if partner {
				spec.Kind = sandbox.KindPartner
			}
			sb, err := a.requireMock(ctx, "sandbox merchant new")
			if err != nil {
				return err
			}
			m, err := sb.CreateMerchant(ctx, spec)
			if err != nil {
				return err
			}
			if keyOut != "" {
				if err := os.WriteFile(keyOut, []byte(m.PrivateKeyPEM), 0o600); err != nil {
					return fmt.Errorf("--key-out: %w", err)
				}
			}
			if err := a.out.result(fmt.Sprintf("merchant %s registered (appid %s, service_id %s)", m.MchID, first(m.AppIDs), first(m.ServiceIDs)), m.Raw()); err != nil {
				return err
			}
			if len(m.SubMerchants) > 0 {
				a.out.hint("act as it for its sub-merchant: MOCKPAY_MCHID=%s MOCKPAY_SUB_MCHID=%s go run ./cmd/client …  (or --mchid %s --sub-mchid %s)",
					m.MchID, m.SubMerchants[0].SubMchID, m.MchID, m.SubMerchants[0].SubMchID)
			} else {
				a.out.hint("act as it: MOCKPAY_MCHID=%s go run ./cmd/client …  (or --mchid %s)", m.MchID, m.MchID)
			}
			if keyOut != "" {
				a.out.say("private key written to %s (MOCKPAY_PRIVATE_KEY), serial_no %s, apiv3_key %s", keyOut, m.SerialNo, m.APIv3Key)
			}
			return nil
		},
	}
}

func (a *app) sbMerchantListCmd() *command {
	return &command{
		name:     "list",
		short:    "list merchants (GET /sandbox/merchants)",
		long:     "List shows every merchant registered in the mock.",
		examples: []string{"go run ./cmd/client sandbox merchant list", "go run ./cmd/client sandbox merchant list --json | jq -r '.[].mchid'"},
		run: func(ctx context.Context, _ []string) error {
			sb, err := a.requireMock(ctx, "sandbox merchant list")
			if err != nil {
				return err
			}
			ms, err := sb.ListMerchants(ctx)
			if err != nil {
				return err
			}
			return printList(a, ms, []string{"MCHID", "APPID", "SERVICE_ID", "MODE", "SERIAL_NO", "NOTIFY_URL"}, func(m sandbox.Merchant) []string {
				return []string{m.MchID, first(m.AppIDs), first(m.ServiceIDs), string(m.PlatformMode), m.SerialNo, dash(m.NotifyURL)}
			})
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) sbMerchantGetCmd() *command {
	return &command{
		name:  "get",
		args:  "[mchid]",
		short: "one merchant with its credentials (GET /sandbox/merchants/{mchid})",
		long:  "Get shows one merchant's record, credentials included (--json prints the PEM blocks whole). The default is the configured merchant.",
		examples: []string{
			"go run ./cmd/client sandbox merchant get",
			"go run ./cmd/client sandbox merchant get 1230000109 --json | jq -r .apiv3_key",
		},
		maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			mchid, err := a.sandboxMchID()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				mchid = args[0]
			}
			sb, err := a.requireMock(ctx, "sandbox merchant get")
			if err != nil {
				return err
			}
			m, err := sb.GetMerchant(ctx, sandbox.GetMerchantRequest{MchID: mchid})
			if err != nil {
				return err
			}
			return a.out.result("merchant "+mchid, m.Raw())
		},
	}
}

func (a *app) sbMerchantUpdateCmd() *command {
	var platformMode string
	return &command{
		name:  "update",
		short: "change a merchant's notify_url or platform mode (PATCH /sandbox/merchants/{mchid})",
		long: `Update changes the configured merchant (--mchid / MOCKPAY_MCHID, default 1230000109) in the
mock: --notify-url sets its registered callback address, where legacy payafter callbacks and
authorization events without a pre-authorization of their own go; --platform-mode
certificate or public_key switches how the mock signs answers and callbacks for it (and so
what verifies them). Only what is given on the command line changes: a MOCKPAY_NOTIFY_URL
in the environment does not.`,
		examples: []string{
			"go run ./cmd/client sandbox merchant update --notify-url http://127.0.0.1:9000/notify",
			"go run ./cmd/client sandbox merchant update --mchid 1900000001 --platform-mode public_key",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&platformMode, "platform-mode", "", "certificate or public_key: how the mock signs for the merchant")
		},
		run: func(ctx context.Context, _ []string) error {
			// The flag only: the environment's notify URL (docker compose
			// sets one for listen) must not change a merchant unasked.
			// The mock checks the values, as it does at registration.
			patch := sandbox.UpdateMerchantRequest{NotifyURL: a.flagSettings.NotifyURL, PlatformMode: sandbox.PlatformMode(platformMode)}
			if patch.NotifyURL == "" && patch.PlatformMode == "" {
				return &usageError{msg: "give what to change: --notify-url, --platform-mode or both"}
			}
			mchid, err := a.sandboxMchID()
			if err != nil {
				return err
			}
			patch.MchID = mchid
			sb, err := a.requireMock(ctx, "sandbox merchant update")
			if err != nil {
				return err
			}
			m, err := sb.UpdateMerchant(ctx, patch)
			if err != nil {
				return err
			}
			return a.out.result(fmt.Sprintf("merchant %s updated: notify_url %s, platform_mode %s", m.MchID, dash(m.NotifyURL), m.PlatformMode), m.Raw())
		},
	}
}

// registerNotifyURL makes notifyURL the merchant's registered notify_url
// in the mock, where WeChat Pay sends the callbacks that carry no
// notify_url of their own: legacy payafter orders', and authorizations'
// without a pre-authorization. It returns the previous one, and changed
// false when it was notifyURL already.
func registerNotifyURL(ctx context.Context, sb *sandbox.Client, mchid, notifyURL string) (was string, changed bool, err error) {
	rec, err := sb.GetMerchant(ctx, sandbox.GetMerchantRequest{MchID: mchid})
	if err != nil {
		return "", false, fmt.Errorf("read merchant %s from the mock: %w", mchid, err)
	}
	if rec.NotifyURL == notifyURL {
		return rec.NotifyURL, false, nil
	}
	if _, err := sb.UpdateMerchant(ctx, sandbox.UpdateMerchantRequest{MchID: mchid, NotifyURL: notifyURL}); err != nil {
		err = fmt.Errorf("set the registered notify_url of merchant %s (%s) to %s: %w", mchid, dash(rec.NotifyURL), notifyURL, err)
		var se *sandbox.Error
		if errors.As(err, &se) && se.StatusCode == http.StatusMethodNotAllowed {
			return "", false, &hintError{err: err, hint: fmt.Sprintf(
				"this mock cannot change a merchant (it has no PATCH /sandbox/merchants/{mchid}): register one with that notify_url, 'go run ./cmd/client sandbox merchant new --notify-url %s', and act as it with --mchid", notifyURL)}
		}
		return "", false, err
	}
	return rec.NotifyURL, true, nil
}

func (a *app) sbMerchantDeleteCmd() *command {
	return &command{
		name:     "delete",
		args:     "<mchid>",
		short:    "remove a merchant and all its data (DELETE /sandbox/merchants/{mchid})",
		long:     "Delete removes a merchant from the mock with its orders, authorizations and callbacks.",
		examples: []string{"go run ./cmd/client sandbox merchant delete 1900000001"},
		minArgs:  1, maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			sb, err := a.requireMock(ctx, "sandbox merchant delete")
			if err != nil {
				return err
			}
			if err := sb.DeleteMerchant(ctx, sandbox.DeleteMerchantRequest{MchID: args[0]}); err != nil {
				return err
			}
			a.out.say("merchant %s deleted", args[0])
			return nil
		},
	}
}

func (a *app) sbAuthorizeCmd() *command {
	var code string
	return &command{
		name:  "authorize",
		args:  "<openid>",
		short: "the user opens the service (PAYSCORE.USER_OPEN_SERVICE)",
		long: `Authorize plays the WeChat user who opens the merchant's service, as if they accepted the
pre-authorization in the Pay Score mini-program: the authorization becomes AVAILABLE and
PAYSCORE.USER_OPEN_SERVICE goes to the pre-authorization's notify_url (else the merchant's).
--code completes that pre-authorization; without it, the merchant's latest unfinished one.`,
		examples: []string{
			"go run ./cmd/client sandbox authorize oUser1 --code AUTH-1",
			"go run ./cmd/client sandbox authorize oUser2",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&code, "code", "", "the authorization_code of the pre-authorization")
		},
		minArgs: 1, maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			req, err := a.userRequest(args[0], code)
			if err != nil {
				return err
			}
			sb, err := a.requireMock(ctx, "sandbox authorize")
			if err != nil {
				return err
			}
			auth, err := sb.AuthorizeUser(ctx, req)
			if err != nil {
				return err
			}
			return a.out.result(fmt.Sprintf("user %s authorised the service of merchant %s: PAYSCORE.USER_OPEN_SERVICE sent", args[0], req.MchID), auth.Raw())
		},
	}
}

// userRequest is what authorize and revoke send for openid: the
// configured merchant, and its appid and service_id if configured (else
// the mock picks the merchant's first).
func (a *app) userRequest(openid, code string) (sandbox.AuthorizeUserRequest, error) {
	cfg, err := a.settings()
	if err != nil {
		return sandbox.AuthorizeUserRequest{}, err
	}
	mchid, subMchID, err := a.sandboxAccount()
	return sandbox.AuthorizeUserRequest{OpenID: openid, MchID: mchid, SubMchID: subMchID, ServiceID: cfg.ServiceID, AppID: cfg.AppID, AuthorizationCode: code}, err
}

func (a *app) sbRevokeCmd() *command {
	return &command{
		name:  "revoke",
		args:  "<openid>",
		short: "the user closes the service (PAYSCORE.USER_CLOSE_SERVICE)",
		long:  "Revoke plays the WeChat user who closes the merchant's service: the authorization becomes UNAVAILABLE and PAYSCORE.USER_CLOSE_SERVICE is sent.",
		examples: []string{
			"go run ./cmd/client sandbox revoke oUser1",
		},
		minArgs: 1, maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			req, err := a.userRequest(args[0], "")
			if err != nil {
				return err
			}
			sb, err := a.requireMock(ctx, "sandbox revoke")
			if err != nil {
				return err
			}
			auth, err := sb.RevokeUser(ctx, sandbox.RevokeUserRequest{OpenID: req.OpenID, MchID: req.MchID, SubMchID: req.SubMchID, ServiceID: req.ServiceID})
			if err != nil {
				return err
			}
			return a.out.result(fmt.Sprintf("user %s closed the service of merchant %s: PAYSCORE.USER_CLOSE_SERVICE sent", args[0], req.MchID), auth.Raw())
		},
	}
}

func (a *app) sbWalletCmd() *command {
	var balance fenFlag
	var unlimited bool
	var outcome string
	return &command{
		name:  "wallet",
		args:  "<openid>",
		short: "what deductions may take, and how refunds end (PUT /sandbox/users/{openid}/wallet)",
		long: `Wallet sets what the user's deductions may take: --balance N fen (a larger deduction fails
and the order stays unpaid until 'order pay' or 'sandbox pay'), or --unlimited (the default
of every user). --refund-outcome ABNORMAL (or CLOSED) makes the user's refunds end that way.`,
		examples: []string{
			"go run ./cmd/client sandbox wallet oUser1 --balance 1000",
			"go run ./cmd/client sandbox wallet oUser1 --unlimited",
			"go run ./cmd/client sandbox wallet oUser1 --unlimited --refund-outcome ABNORMAL",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.Var(&balance, "balance", "what deductions may take, in `fen`")
			fs.BoolVar(&unlimited, "unlimited", false, "no limit")
			fs.StringVar(&outcome, "refund-outcome", "", "SUCCESS (default), ABNORMAL or CLOSED")
		},
		minArgs: 1, maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			if balance.set == unlimited {
				return &usageError{msg: "give exactly one of --balance and --unlimited"}
			}
			req := sandbox.SetWalletRequest{OpenID: args[0], Wallet: sandbox.Wallet{RefundOutcome: client.RefundStatus(outcome)}}
			if balance.set {
				req.Balance = &balance.v
			}
			sb, err := a.requireMock(ctx, "sandbox wallet")
			if err != nil {
				return err
			}
			u, err := sb.SetWallet(ctx, req)
			if err != nil {
				return err
			}
			limit := "unlimited"
			if balance.set {
				limit = yuan(balance.v)
			}
			return a.out.result(fmt.Sprintf("wallet of %s: %s", args[0], limit), u.Raw())
		},
	}
}

func (a *app) sbUserCmd() *command {
	return &command{
		name:     "user",
		args:     "<openid>",
		short:    "a user's wallet, authorizations and plates (GET /sandbox/users/{openid})",
		long:     "User shows a sandbox user: their wallet, their authorizations with every merchant and their Pay Score parking plates with the entries open on them.",
		examples: []string{"go run ./cmd/client sandbox user oUser1"},
		minArgs:  1, maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			sb, err := a.requireMock(ctx, "sandbox user")
			if err != nil {
				return err
			}
			u, err := sb.GetUser(ctx, sandbox.GetUserRequest{OpenID: args[0]})
			if err != nil {
				return err
			}
			return a.out.result("user "+args[0], u.Raw())
		},
	}
}

func (a *app) sbConfirmCmd() *command {
	var openid string
	return &command{
		name:  "confirm",
		args:  "<out_order_no>",
		short: "the user confirms an order (PAYSCORE.USER_CONFIRM / USER_ACCEPTED)",
		long: `Confirm plays the WeChat user who confirms a 需确认 service order (CREATED →
DOING/USER_CONFIRM, PAYSCORE.USER_CONFIRM to the order's notify_url) or accepts a legacy
payafter order (→ USER_ACCEPTED with its finish_ticket, PAYSCORE.USER_ACCEPTED to the
merchant's notify_url). --openid names the user of an order created without one.`,
		examples: []string{
			"go run ./cmd/client sandbox confirm RIDE-1 --openid oUser1",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&openid, "openid", "", "the user who confirms, for an order created without an openid")
		},
		minArgs: 1, maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			mchid, subMchID, err := a.sandboxAccount()
			if err != nil {
				return err
			}
			sb, err := a.requireMock(ctx, "sandbox confirm")
			if err != nil {
				return err
			}
			o, err := sb.ConfirmOrder(ctx, sandbox.ConfirmOrderRequest{MchID: mchid, SubMchID: subMchID, OutOrderNo: args[0], OpenID: openid})
			if err != nil {
				return err
			}
			return a.printSandboxOrder("confirmed by the user", o)
		},
	}
}

func (a *app) sbPayCmd() *command {
	return &command{
		name:  "pay",
		args:  "<out_order_no>",
		short: "the user pays what is outstanding (PAYSCORE.USER_PAID), or repays an advance",
		long: `Pay plays the WeChat user who pays what a completed order still owes (after a failed
deduction): the order is paid whatever the wallet holds, and PAYSCORE.USER_PAID is sent. For
a Pay Score parking deduction WeChat Pay paid by advance (bank_type BPA), named by its
out_trade_no, the user repays the advance: user_repaid becomes Y and TRANSACTION.PAY_BACK is
sent.`,
		examples: []string{"go run ./cmd/client sandbox pay RIDE-1"},
		minArgs:  1, maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			mchid, subMchID, err := a.sandboxAccount()
			if err != nil {
				return err
			}
			sb, err := a.requireMock(ctx, "sandbox pay")
			if err != nil {
				return err
			}
			o, err := sb.PayOrder(ctx, sandbox.PayOrderRequest{MchID: mchid, SubMchID: subMchID, OutOrderNo: args[0]})
			if err != nil {
				return err
			}
			return a.printSandboxOrder("paid by the user", o)
		},
	}
}
