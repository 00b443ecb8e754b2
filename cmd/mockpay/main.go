// Command mockpay runs the WeChat Pay Score API v3 sandbox on a port.
//
//	go run ./cmd/mockpay
//
// It is configured only through MOCKPAY_* environment variables (see the
// README); with none set it serves http://127.0.0.1:8080 with the default
// test merchant 1230000109 and the embedded test identity.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/scenario"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := environ()
	tuneGC(env)
	if err := run(ctx, os.Args[1:], env, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "mockpay:", err)
		os.Exit(1)
	}
}

func environ() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// run starts the server and blocks until ctx is cancelled, then shuts down
// gracefully. ready, when not nil, receives the listening address.
func run(ctx context.Context, args []string, environ map[string]string, stdout, stderr io.Writer, ready chan<- string) (err error) {
	if len(args) > 0 {
		switch args[0] {
		case "-h", "--help", "help":
			fmt.Fprint(stdout, usage)
			return nil
		case "health":
			return health(ctx, environ, stdout)
		}
		return fmt.Errorf("unexpected argument %q: mockpay is configured with MOCKPAY_* environment variables (mockpay --help)", args[0])
	}
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	log := cfg.logger(stderr)
	opts, err := cfg.options(log)
	if err != nil {
		return err
	}
	srv, err := mock.New(opts)
	if err != nil {
		if errors.Is(err, mock.ErrInvalidState) {
			return &configError{"MOCKPAY_STATE_FILE", fmt.Sprintf("%s: %v", cfg.StateFile, err)}
		}
		if cfg.Merchants != "" {
			// With the embedded identity, only a merchant spec can be refused.
			return &configError{"MOCKPAY_MERCHANTS", err.Error()}
		}
		return err
	}
	defer srv.Close()
	if cfg.Scenarios != "" {
		if err := loadScenarios(srv, cfg.Scenarios); err != nil {
			return err
		}
	}
	stopSaving, err := startStateSaver(cfg.StateFile, srv, log)
	if err != nil {
		return err
	}
	// Saved last, whichever way run ends: after the listener has stopped
	// taking requests and before the clock stops.
	defer func() { err = errors.Join(err, stopSaving()) }()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return &configError{"MOCKPAY_ADDR", err.Error()}
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return &configError{"MOCKPAY_TLS_CERT", err.Error()}
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	hs := cfg.httpServer(srv)

	base := scheme + "://" + ln.Addr().String()
	banner(stdout, base, srv)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadScenarios loads MOCKPAY_SCENARIOS, all or nothing.
func loadScenarios(srv *mock.Server, list string) error {
	files, err := scenarioFiles(list)
	if err != nil {
		return err
	}
	staged := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return &configError{"MOCKPAY_SCENARIOS", err.Error()}
		}
		if err := srv.CheckScenarios(f, data); err != nil {
			return &configError{"MOCKPAY_SCENARIOS", err.Error()}
		}
		staged[f] = data
	}
	for _, f := range files {
		if _, err := srv.LoadScenarios(f, staged[f], scenario.Scope{}); err != nil {
			return &configError{"MOCKPAY_SCENARIOS", err.Error()}
		}
	}
	return nil
}

// banner tells a developer where the server is and how to get credentials.
func banner(w io.Writer, base string, srv *mock.Server) {
	fmt.Fprintf(w, "mockpay %s: WeChat Pay Score API v3 sandbox (test keys only)\n", mock.Version)
	fmt.Fprintf(w, "  listening on  %s   (clock: %s)\n", base, srv.Health().Clock)
	if ms, err := srv.Merchants(); err == nil {
		for _, m := range ms {
			fmt.Fprintf(w, "  merchant      mchid %s  serial_no %s  appid %s  service_id %s\n", m.MchID, m.SerialNo, m.AppIDs[0], m.ServiceIDs[0])
			if m.NotifyURL != "" {
				// Where its callbacks without a notify_url of their own go:
				// for the default merchant, "client listen" by default.
				fmt.Fprintf(w, "                callbacks to %s\n", m.NotifyURL)
			}
		}
	}
	if sc := srv.Scenarios(); len(sc) > 0 {
		names := make([]string, len(sc))
		for i, in := range sc {
			names[i] = in.Name
		}
		fmt.Fprintf(w, "  scenarios     %s\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(w, "  credentials   curl %s/sandbox/merchants   (private key, APIv3 key, certificate)\n", base)
	fmt.Fprintf(w, "  verify with   curl %s/sandbox/platform    (platform certificate, WeChat Pay public key)\n", base)
}

const usage = `mockpay: a WeChat Pay Score (微信支付分) API v3 sandbox.

Usage:
  go run ./cmd/mockpay          serve
  go run ./cmd/mockpay health   probe the server this environment configures
                                (exit 0 when /sandbox/health answers ok)

Configuration (environment):
  MOCKPAY_ADDR            listen address (default 127.0.0.1:8080)
  MOCKPAY_SANDBOX_TOKEN   require "Authorization: Bearer <token>" on /sandbox/*
  MOCKPAY_CLOCK           real (default) or virtual
  MOCKPAY_TIME_SCALE      run mock-side delays this many times faster (default 1)
  MOCKPAY_CLOCK_START     RFC 3339 start of a virtual clock (default now)
  MOCKPAY_SCENARIOS       comma-separated scenario files or globs to load (scenarios/*.yaml)
  MOCKPAY_MERCHANTS       YAML/JSON list of merchants to preload instead of the default one
  MOCKPAY_PLATFORM_KEY    PEM private key of the platform certificate (with MOCKPAY_PLATFORM_CERT)
  MOCKPAY_PLATFORM_CERT   PEM platform certificate
  MOCKPAY_STATE_FILE      restore state from this file at start; save it every 30 s and on shutdown,
                          journaling every change beside it before it is answered
  MOCKPAY_TLS_CERT        serve HTTPS with this certificate (with MOCKPAY_TLS_KEY)
  MOCKPAY_TLS_KEY         its key
  MOCKPAY_LOG_FORMAT      text (default) or json
  MOCKPAY_LOG_LEVEL       debug, info (default), warn or error
  MOCKPAY_READ_TIMEOUT    time to read a whole request, headers and body (default 30s)
  MOCKPAY_READ_HEADER_TIMEOUT  time to read a request's headers (default 10s)
  MOCKPAY_WRITE_TIMEOUT   time to write an answer before it is abandoned (default 60s)
  MOCKPAY_IDLE_TIMEOUT    time an idle keep-alive connection is kept (default 120s)
  GOGC                    Go's garbage collector setting; mockpay runs at 25 unless it is set,
                          trading a little CPU for less memory per stored order

Credentials of the default merchant are in testdata/certs and at /sandbox/merchants.
`
