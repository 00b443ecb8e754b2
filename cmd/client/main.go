// Command client is a command-line client of the WeChat Pay Score API v3
// (微信支付分), built on package client: the tool a developer drives from a
// terminal while writing an integration, against the mockpay sandbox or the
// real WeChat Pay.
//
//	go run ./cmd/client --help
//	go run ./cmd/client flow ride
//	go run ./cmd/client order create --out-order-no RIDE-1 --amount 5000
//	go run ./cmd/client listen
//
// Every command has --help with examples. Output is for people by default
// and the API object as JSON with --json; the exit status is 0 on success,
// 1 when the API or the network failed (stderr starts with "CODE: message")
// and 2 for a usage error.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// environ returns the process environment as a map, the form run takes so
// that tests pass their own.
func environ() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the API, the network or the flow failed
	exitUsage   = 2 // bad flags or arguments; nothing was sent
)

// run executes one command line and returns the exit status. It reads no
// global state: the environment, the output streams and the context
// (cancelled on Ctrl-C) are its parameters.
func run(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) int {
	a := newApp(env, stdout, stderr)
	err := a.execute(ctx, a.root(), []string{progName}, args)
	return a.report(err)
}
