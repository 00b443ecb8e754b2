package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mockpay/mockpay/client"
)

// receiver is a merchant's callback endpoint: client.NotificationHandler
// verifies and decrypts every callback with the merchant's client, and the
// receiver keeps each verified one, reports it and answers 204, or 500 for
// the first failFirst deliveries (so that WeChat Pay delivers again); a
// callback that fails verification is reported and answered 401 by the
// handler. listen and flow both use it.
type receiver struct {
	http.Handler
	failFirst int
	// onCallback and onReject report, before the answer is written, so
	// that whoever triggered the delivery sees the report once the
	// delivery returns.
	onCallback func(received)
	onReject   func(r *http.Request, reason string)

	mu        sync.Mutex
	delivered int
	got       []received
	changed   chan struct{} // closed and replaced when got grows
}

// received is one verified delivery.
type received struct {
	n      *client.Notification
	seq    int // 1 for the first verified delivery
	status int // what was answered: 204, or 500 under --fail-first
}

func newReceiver(c *client.Client, failFirst int) *receiver {
	rv := &receiver{failFirst: failFirst, changed: make(chan struct{}),
		onCallback: func(received) {}, onReject: func(*http.Request, string) {}}
	rv.Handler = c.NotificationHandler(rv.handle, client.WithRejectHook(func(r *http.Request, err *client.NotificationError) {
		rv.onReject(r, err.Reason)
	}))
	return rv
}

// handle keeps and reports a verified callback. Its error makes the
// handler answer 500, which is how --fail-first has WeChat Pay retry.
func (rv *receiver) handle(_ context.Context, n *client.Notification) error {
	rv.mu.Lock()
	rv.delivered++
	rc := received{n: n, seq: rv.delivered, status: http.StatusNoContent}
	if rc.seq <= rv.failFirst {
		rc.status = http.StatusInternalServerError
	}
	rv.got = append(rv.got, rc)
	close(rv.changed)
	rv.changed = make(chan struct{})
	rv.mu.Unlock()

	rv.onCallback(rc)
	if rc.status != http.StatusNoContent {
		return fmt.Errorf("--fail-first %d: delivery %d answered %d so that WeChat Pay delivers again", rv.failFirst, rc.seq, rc.status)
	}
	return nil
}

// find returns the first kept callback that matches, and a channel that
// is closed when another arrives.
func (rv *receiver) find(match func(*client.Notification) bool) (*client.Notification, <-chan struct{}) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	for _, rc := range rv.got {
		if rc.status == http.StatusNoContent && match(rc.n) {
			return rc.n, nil
		}
	}
	return nil, rv.changed
}

// serveCallbacks serves h on ln until ctx is done, then shuts down
// gracefully. The returned channel yields the server's end.
func serveCallbacks(ctx context.Context, ln net.Listener, h http.Handler) <-chan error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	go func() {
		select {
		case err := <-serveErr:
			done <- err
			return
		case <-ctx.Done():
		}
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := hs.Shutdown(shutdownCtx)
		if serr := <-serveErr; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
		done <- err
	}()
	return done
}

// callbackURL is the notify_url of a listener started on addr (as given to
// net.Listen): its address, except that an unspecified host, which no one
// can send to, becomes the loopback address with the real port: [::1] for
// "::", else 127.0.0.1 (for 0.0.0.0, and for an empty host as in ":9000",
// which Go listens on dual-stack). The receiver answers on every path;
// /notify is only the conventional one.
func callbackURL(ln net.Listener, addr string) string {
	hostport := ln.Addr().String()
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		loopback := "127.0.0.1"
		if host, _, err := net.SplitHostPort(addr); err == nil && strings.Contains(host, ":") {
			loopback = "::1"
		}
		hostport = net.JoinHostPort(loopback, strconv.Itoa(ta.Port))
	}
	return "http://" + hostport + defaultNotifyPath
}
