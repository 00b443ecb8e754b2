package main

import (
	"context"
	"encoding/json"
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

// receiver is a merchant's callback endpoint: it verifies and decrypts
// every callback with the merchant's client (ParseNotification), keeps it,
// reports it, and answers as WeChat Pay expects: 204, or 500 for the first
// failFirst deliveries (so WeChat Pay retries), or 401 with
// {"code":"FAIL"} when verification fails. listen and flow both use it.
type receiver struct {
	c         *client.Client
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
	return &receiver{c: c, failFirst: failFirst, changed: make(chan struct{}),
		onCallback: func(received) {}, onReject: func(*http.Request, string) {}}
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, err := rv.c.ParseNotification(r)
	if err != nil {
		reason := err.Error()
		var ne *client.NotificationError
		if errors.As(err, &ne) {
			reason = ne.Reason
		}
		rv.onReject(r, reason)
		writeFail(w, http.StatusUnauthorized, reason)
		return
	}
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
		writeFail(w, rc.status, fmt.Sprintf("--fail-first %d: delivery %d answered %d so that WeChat Pay delivers again", rv.failFirst, rc.seq, rc.status))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeFail answers a callback with WeChat Pay's failure body.
func writeFail(w http.ResponseWriter, status int, message string) {
	body, _ := json.Marshal(map[string]string{"code": "FAIL", "message": message})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
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
