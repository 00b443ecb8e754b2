package main

import (
	"io"
)

// app is one run of the CLI: its streams, the global flags as parsed, and
// what it resolved lazily (settings, target, merchant, client). Nothing is
// shared between runs, so tests run commands in parallel.
type app struct {
	environ        map[string]string
	stdout, stderr io.Writer
	out            *printer

	// Global flags, bound by globalFlags.
	flagSettings settings
	configPath   string
	jsonOut      bool
	sandbox      bool

	sess session
}

func newApp(environ map[string]string, stdout, stderr io.Writer) *app {
	a := &app{environ: environ, stdout: stdout, stderr: stderr}
	a.out = &printer{app: a}
	return a
}

// root builds the command tree. It is built per run because commands bind
// their flags to variables in closures.
func (a *app) root() *command {
	root := &command{
		name: progName,
		long: `client drives the WeChat Pay Score API v3 (微信支付分, 先享后付) from a terminal, with the
same Go client (package client) a merchant's server would use. It targets the mockpay
sandbox by default (http://127.0.0.1:8080; start it with 'go run ./cmd/mockpay') and
the real WeChat Pay with --url https://api.mch.weixin.qq.com. Every request is signed,
every answer verified; 'listen' receives and decrypts callbacks; 'flow ride' runs the
whole ride-hailing integration step by step; 'sandbox' plays the WeChat user and moves
the mock's clock.`,
		examples: []string{
			"go run ./cmd/mockpay                      # the sandbox, in another terminal",
			"go run ./cmd/client flow ride             # the whole flow, every step reported",
			"go run ./cmd/client listen                # receive callbacks on http://127.0.0.1:9000/notify",
			"go run ./cmd/client trigger PAYSCORE.USER_PAID   # any callback on demand, to that listener",
			"go run ./cmd/client flow ride --notify-url http://127.0.0.1:9000/notify   # its callbacks to that listener",
			"go run ./cmd/client order create --out-order-no RIDE-1 --amount 5000 --openid oUser1",
			"go run ./cmd/client order query --out-order-no RIDE-1 --json | jq .state",
			"go run ./cmd/client sandbox clock advance 30m",
			"go run ./cmd/client sandbox health --url https://127.0.0.1:8443 --ca-cert testdata/certs/ca_cert.pem",
		},
	}
	api := []*command{a.certificatesCmd(), a.userStateCmd(), a.permissionCmd(), a.orderCmd(), a.payafterCmd(), a.refundCmd(), a.parkingCmd()}
	for _, c := range api {
		c.group = "API commands (signed v3 calls, as the merchant)"
	}
	tools := []*command{a.listenCmd(), a.triggerCmd(), a.flowCmd(), a.sandboxCmd()}
	for _, c := range tools {
		c.group = "Developer tools"
	}
	root.subs = append(api, tools...)
	help := a.helpCmd(root)
	help.group = "Developer tools"
	root.subs = append(root.subs, help)
	return root
}
