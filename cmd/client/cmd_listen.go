package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client"
)

// listenCmd is a local callback receiver.
func (a *app) listenCmd() *command {
	var addr, forwardTo string
	var failFirst int
	var register bool
	return &command{
		name:  "listen",
		short: "receive, verify and decrypt callbacks on a local port",
		long: `Listen is the merchant's notify_url on your machine: it receives WeChat Pay's callbacks,
verifies each signature and decrypts the resource with the APIv3 key (exactly as the
merchant's server must, with client.ParseNotification), and prints the event type, id,
summary and decrypted resource. It answers 204; --fail-first N answers the first N
deliveries 500 {"code":"FAIL",…} so that you can watch the retries (15 s, 15 s, 30 s, 3 m…
on the mock's clock); a callback that fails verification is answered 401 with the reason,
which is printed. It prints where it listens first and runs until Ctrl-C. With --json,
stdout has one JSON object per callback (its decrypted resource included) and the
"listening on" line goes to stderr.

Against the mock, orders and pre-authorizations send their callbacks to
http://127.0.0.1:9000/notify unless --notify-url says otherwise, so 'listen' with no flags
receives them. Legacy payafter callbacks, and authorizations without a pre-authorization, go
to the merchant's registered notify_url: --register sets it to this listener (PATCH
/sandbox/merchants/{mchid}), so that those come here too; 'listen --sandbox' registers a
fresh merchant whose notify_url is this listener. 'flow ride --notify-url
http://127.0.0.1:9000/notify' in another terminal sends a whole flow's callbacks here.

The listener's address is what it advertises (prints, and registers with --register or
--sandbox), with 127.0.0.1 or [::1] for an unspecified host such as --addr 0.0.0.0:9000.
Where the sender reaches it by another name, as in docker compose (the mock posts to
http://merchant:9000/notify) or through a tunnel, give that URL as --notify-url: listen
advertises it instead. The listener answers on every path, so the path of --notify-url is
free (a proxy may keep its own).

--forward-to URL relays every callback to your app instead, as WeChat Pay would send it:
the same bytes with their Wechatpay-* headers, so that the app's own notify handler
verifies and decrypts them. Listen prints each one's event type (it verifies a copy too;
one that does not verify, such as a scenario's forgery, is forwarded all the same), the
app's status and how long the app took, and answers the mock with the app's answer, so
that the mock retries what the app failed, on WeChat Pay's schedule. An app that does not
answer within 5 s is a 502 to the mock. With the mock in docker compose and the app on
your machine, listen on the host and advertise the name the mock's container reaches it
by: --addr 0.0.0.0:9100 --notify-url http://host.docker.internal:9100/notify --register.`,
		examples: []string{
			"go run ./cmd/client listen",
			"go run ./cmd/client listen --addr 127.0.0.1:9100 --fail-first 2",
			"go run ./cmd/client listen --json | jq -c '{event_type, resource}'",
			"go run ./cmd/client listen --register  # the merchant's registered notify_url = this listener",
			"go run ./cmd/client listen --sandbox   # a fresh merchant, notify_url = this listener",
			"go run ./cmd/client listen --register --addr 0.0.0.0:9000 --notify-url http://merchant:9000/notify   # in docker compose",
			"go run ./cmd/client listen --register --forward-to http://127.0.0.1:3000/notify   # your app verifies them",
			"go run ./cmd/client listen --register --addr 0.0.0.0:9100 --notify-url http://host.docker.internal:9100/notify --forward-to http://127.0.0.1:3000/notify   # the mock in compose, your app on the host",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", defaultListenAddr, "`host:port` to listen on (port 0 picks a free one)")
			fs.IntVar(&failFirst, "fail-first", 0, "answer the first `N` verified deliveries 500, to watch WeChat Pay retry")
			fs.BoolVar(&register, "register", false, "against the mock, make this listener the merchant's registered notify_url")
			fs.StringVar(&forwardTo, "forward-to", "", "relay every callback to your app at this `URL`, headers and all, and answer with its answer")
		},
		run: func(ctx context.Context, _ []string) error {
			if failFirst < 0 {
				return &usageError{msg: "--fail-first cannot be negative"}
			}
			if forwardTo != "" {
				if err := checkForwardTo(forwardTo); err != nil {
					return err
				}
				if failFirst > 0 {
					return &usageError{msg: "--fail-first and --forward-to do not go together: with --forward-to, your app's answer is the answer"}
				}
			}
			cfg, err := a.settings()
			if err != nil {
				return err
			}
			if err := checkNotifyURL(cfg.NotifyURL); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return &usageError{msg: fmt.Sprintf("--addr %s: %v", addr, err), hint: "pick another port, e.g. --addr 127.0.0.1:0"}
			}
			defer ln.Close()
			notifyURL, where := cfg.NotifyURL, ""
			if notifyURL == "" {
				notifyURL = callbackURL(ln, addr)
			} else {
				where = fmt.Sprintf("bound to %s, ", ln.Addr())
			}
			m, err := a.merchant(ctx, notifyURL)
			if err != nil {
				return err
			}
			c, err := a.newClient(ctx, m)
			if err != nil {
				return err
			}
			if err := warmVerifier(ctx, c); err != nil {
				return err
			}
			registered := ""
			if register {
				if registered, err = a.registerListener(ctx, m.cfg.MchID, notifyURL); err != nil {
					return err
				}
			}
			var handler http.Handler
			if forwardTo != "" {
				handler = newForwarder(forwardTo, c, func(fw forwarded) { a.printForwarded(forwardTo, fw) })
			} else {
				rv := newReceiver(c, failFirst)
				rv.onCallback = a.printCallback
				rv.onReject = a.printRejection
				handler = rv
			}

			info := fmt.Sprintf("listening on %s (%smerchant %s); Ctrl-C to stop", notifyURL, where, m.cfg.MchID)
			if forwardTo != "" {
				info = fmt.Sprintf("listening on %s (%smerchant %s), forwarding to %s; Ctrl-C to stop", notifyURL, where, m.cfg.MchID, forwardTo)
			}
			if registered != "" {
				info = registered + "\n" + info
			}
			if a.out.jsonMode() {
				fmt.Fprintln(a.stderr, info) // stdout carries one JSON object per callback
			} else {
				a.out.say("%s", info)
				if m.notifyURL != notifyURL && m.notifyURL != "" {
					a.out.say("note: commands send notify_url %s; pass --notify-url %s to send callbacks here", m.notifyURL, notifyURL)
				}
			}
			if err := <-serveCallbacks(ctx, ln, handler); err != nil {
				return fmt.Errorf("listener: %w", err)
			}
			return nil
		},
	}
}

// registerListener is listen --register: against a mock, it makes the
// listener's advertised URL the merchant's registered notify_url and
// returns the line that says so.
func (a *app) registerListener(ctx context.Context, mchid, notifyURL string) (string, error) {
	sb, err := a.requireMock(ctx, "listen --register")
	if err != nil {
		return "", err
	}
	was, changed, err := registerNotifyURL(ctx, sb, mchid, notifyURL)
	if err != nil {
		return "", err
	}
	if !changed {
		return fmt.Sprintf("merchant %s: registered notify_url is this listener already", mchid), nil
	}
	return fmt.Sprintf("merchant %s: registered notify_url set to %s (was %s): legacy payafter callbacks and authorizations without a pre-authorization come here too", mchid, notifyURL, dash(was)), nil
}

// checkNotifyURL checks a --notify-url that listen advertises: an absolute
// http(s) URL, as a notify_url must be. Its path is not checked, since the
// receiver answers on every path.
func checkNotifyURL(notifyURL string) error {
	if notifyURL == "" {
		return nil
	}
	u, err := url.Parse(notifyURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &usageError{msg: fmt.Sprintf("--notify-url / MOCKPAY_NOTIFY_URL %q is not an http(s) URL", notifyURL), hint: "e.g. http://merchant:9000/notify"}
	}
	return nil
}

// warmVerifier downloads the platform certificates now when the client
// verifies with its downloading source, so that a listener with the wrong
// credentials fails at start rather than 401 on every callback.
func warmVerifier(ctx context.Context, c *client.Client) error {
	src, ok := c.Verifier().(interface{ Refresh(context.Context) error }) // the certificate source, cached or not
	if !ok {
		return nil
	}
	if err := src.Refresh(ctx); err != nil {
		return &hintError{
			err:  fmt.Errorf("download the platform certificates that verify callbacks: %w", err),
			hint: "a merchant in public-key mode verifies with --public-key and --public-key-id",
		}
	}
	return nil
}

// callbackJSON is one callback as `listen --json` prints it.
type callbackJSON struct {
	ID           string          `json:"id"`
	CreateTime   string          `json:"create_time"`
	EventType    string          `json:"event_type"`
	ResourceType string          `json:"resource_type"`
	Summary      string          `json:"summary"`
	RequestID    string          `json:"request_id,omitempty"`
	Serial       string          `json:"serial"`
	Resource     json.RawMessage `json:"resource"` // decrypted
	Delivery     int             `json:"delivery"`
	Answer       int             `json:"answer"`
}

// printCallback reports a verified callback.
func (a *app) printCallback(rc received) {
	n := rc.n
	if a.out.jsonMode() {
		res := json.RawMessage(n.Plaintext)
		if !json.Valid(res) {
			res, _ = json.Marshal(string(n.Plaintext))
		}
		a.out.jsonLine(callbackJSON{
			ID: n.ID, CreateTime: n.CreateTime, EventType: n.EventType, ResourceType: n.ResourceType, Summary: n.Summary,
			RequestID: n.RequestID, Serial: n.Serial, Resource: res, Delivery: rc.seq, Answer: rc.status,
		})
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s  %s  id %s  → %d\n", time.Now().Format("15:04:05"), n.EventType, n.Summary, n.ID, rc.status)
	if s := eventSummary(n); s != "" {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	b.WriteString("  " + strings.ReplaceAll(indentJSON(n.Plaintext), "\n", "\n  ") + "\n")
	a.out.write(b.String())
}

// printRejection reports a callback that failed verification (401).
func (a *app) printRejection(r *http.Request, reason string) {
	msg := fmt.Sprintf("✗ rejected a callback from %s: %s → 401", r.RemoteAddr, reason)
	if id := r.Header.Get("Request-ID"); id != "" {
		msg += " (Request-ID " + id + ")"
	}
	fmt.Fprintln(a.stderr, msg)
	if a.out.jsonMode() {
		a.out.jsonLine(map[string]any{"answer": http.StatusUnauthorized, "error": reason})
	}
}

// eventSummary describes what a callback says, from its typed payload.
func eventSummary(n *client.Notification) string {
	switch n.EventType {
	case client.EventUserOpenService, client.EventUserCloseService:
		if ev, err := n.PermissionEvent(); err == nil {
			return fmt.Sprintf("user %s %s (authorization_code %s)", ev.OpenID, ev.UserServiceStatus, ev.AuthorizationCode)
		}
	case client.EventUserConfirm, client.EventUserPaid, client.EventUserAccepted:
		// PayAfterEvent refuses a service order's USER_PAID payload (its
		// state is DONE), which ServiceOrderEvent then decodes.
		if ev, err := n.PayAfterEvent(); err == nil {
			return payAfterHeadline(&ev.PayAfterOrder)
		}
		if ev, err := n.ServiceOrderEvent(); err == nil && ev.State != "" {
			return orderHeadline("is", &ev.ServiceOrder)
		}
	case client.EventRefundSuccess, client.EventRefundAbnormal, client.EventRefundClosed:
		if ev, err := n.RefundEvent(); err == nil {
			return fmt.Sprintf("refund %s: %s, %s of %s (transaction %s)", ev.OutRefundNo, ev.RefundStatus, yuan(ev.Amount.Refund), yuan(ev.Amount.Total), ev.TransactionID)
		}
	case client.EventEntranceStateChange:
		if ev, err := n.ParkingEntranceEvent(); err == nil {
			s := fmt.Sprintf("entry %s of %s (id %s): %s", ev.OutParkingNo, ev.PlateNumber, ev.ParkingID, ev.ParkingState)
			if ev.BlockedStateDescription != "" {
				s += " (" + string(ev.BlockedStateDescription) + ")"
			}
			return s
		}
	case client.EventTransactionSuccess, client.EventTransactionFail, client.EventTransactionPayBack:
		if ev, err := n.ParkingTransactionEvent(); err == nil {
			return parkingHeadline(&ev.ParkingTransaction)
		}
	}
	return ""
}
