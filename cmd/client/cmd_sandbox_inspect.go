package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/client/sandbox"
)

func (a *app) sbClockCmd() *command {
	var to string
	show := func(headline string, st *sandbox.Clock) error {
		if a.out.jsonMode() {
			return a.out.result("", st.Raw())
		}
		a.out.say("%s%s (%s clock)", headline, st.Now.In(protocol.Beijing).Format(time.RFC3339), st.Mode)
		if len(st.Fired) > 0 {
			a.out.say("ran:")
			a.out.table([]string{"  AT", "WHAT"}, eventRows(st.Fired))
		}
		if len(st.Pending) > 0 {
			a.out.say("scheduled:")
			a.out.table([]string{"  AT", "WHAT"}, eventRows(st.Pending))
		}
		return nil
	}
	advance := &command{
		name:  "advance",
		args:  "[<duration>]",
		short: "move a virtual clock forward, running what falls due (POST /sandbox/clock/advance)",
		long: `Advance moves the mock's virtual clock forward by a Go duration (15s, 30m, 720h) or --to a
time: a time of day such as 09:00 (the next one on the mock's clock, Beijing time) or an
RFC 3339 time. It returns once everything that fell due has run: deductions, refunds,
expiries and callback deliveries (with their retries). 'advance 0s' just waits for the work
already due. A real clock cannot be moved (start the mock with MOCKPAY_CLOCK=virtual).`,
		examples: []string{
			"go run ./cmd/client sandbox clock advance 5s     # the deduction after a completion",
			"go run ./cmd/client sandbox clock advance 15s    # the first callback retry",
			"go run ./cmd/client sandbox clock advance --to 09:00   # the next 09:00, Beijing time",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&to, "to", "", "move to this `time` instead: 09:00 (the next one) or RFC 3339")
		},
		maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			move, err := parseClockMove(args, to)
			if err != nil {
				return err
			}
			sb, err := a.requireMock(ctx, "sandbox clock advance")
			if err != nil {
				return err
			}
			req := move.req
			if move.daily {
				now, err := sb.GetClock(ctx)
				if err != nil {
					return err
				}
				req.To = nextTimeOfDay(now.Now, move.timeOfDay)
			}
			st, err := sb.AdvanceClock(ctx, req)
			if err != nil {
				return err
			}
			return show("clock advanced to ", st)
		},
	}
	return &command{
		name:  "clock",
		short: "show the mock's clock; 'clock advance 30m' moves a virtual one",
		long: `Clock shows the mock's domain time (order times, deductions, expiry, callback retries), its
mode (real or virtual) and the work scheduled on it. With --to, or 'clock advance <duration>',
it moves a virtual clock.`,
		examples: []string{
			"go run ./cmd/client sandbox clock",
			"go run ./cmd/client sandbox clock advance 30m",
			"go run ./cmd/client sandbox clock --to 09:00   # the next 09:00, Beijing time",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&to, "to", "", "move a virtual clock to this `time`: 09:00 (the next one) or RFC 3339")
		},
		subs: []*command{advance},
		run: func(ctx context.Context, _ []string) error {
			if to != "" {
				return advance.run(ctx, nil)
			}
			sb, err := a.requireMock(ctx, "sandbox clock")
			if err != nil {
				return err
			}
			st, err := sb.GetClock(ctx)
			if err != nil {
				return err
			}
			return show("now ", st)
		},
	}
}

func eventRows(es []sandbox.ClockEvent) [][]string {
	rows := make([][]string, 0, len(es))
	for _, e := range es {
		rows = append(rows, []string{"  " + e.At.In(protocol.Beijing).Format(time.RFC3339), e.Label})
	}
	return rows
}

func (a *app) sbScenarioCmd() *command {
	var scope struct{ mchid, openid, outOrderNo, serviceID string }
	load := &command{
		name:  "load",
		args:  "<file.yaml>",
		short: "load the scenarios of a YAML file (POST /sandbox/scenarios)",
		long: `Load sends a scenario file (YAML, e.g. scenarios/deduct-failure.yaml) to the mock, which
checks it strictly (unknown keys and bad values are refused with file, line and reason) and
applies it to the calls, events and callbacks it matches. The --scope-* flags narrow every
scenario of the file to one merchant, user, order or service, so parallel tests can share it.`,
		examples: []string{
			"go run ./cmd/client sandbox scenario load scenarios/deduct-failure.yaml",
			"go run ./cmd/client sandbox scenario load scenarios/delayed-notify.yaml --scope-out-order-no RIDE-1",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&scope.mchid, "scope-mchid", "", "apply only to this merchant")
			fs.StringVar(&scope.openid, "scope-openid", "", "apply only to this user")
			fs.StringVar(&scope.outOrderNo, "scope-out-order-no", "", "apply only to this order")
			fs.StringVar(&scope.serviceID, "scope-service-id", "", "apply only to this service")
		},
		minArgs: 1, maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return &usageError{msg: err.Error()}
			}
			sb, err := a.requireMock(ctx, "sandbox scenario load")
			if err != nil {
				return err
			}
			loaded, err := sb.LoadScenarios(ctx, sandbox.LoadScenariosRequest{
				File: filepath.Base(args[0]), Data: data,
				MchID: scope.mchid, OpenID: scope.openid, OutOrderNo: scope.outOrderNo, ServiceID: scope.serviceID,
			})
			if err != nil {
				return err
			}
			return a.printScenarios(fmt.Sprintf("loaded from %s:", args[0]), loaded)
		},
	}
	list := &command{
		name:     "list",
		short:    "the loaded scenarios and how often each applied (GET /sandbox/scenarios)",
		long:     "List shows the scenarios loaded in the mock, what they match and do, and how often each took effect.",
		examples: []string{"go run ./cmd/client sandbox scenario list"},
		run: func(ctx context.Context, _ []string) error {
			sb, err := a.requireMock(ctx, "sandbox scenario list")
			if err != nil {
				return err
			}
			list, err := sb.ListScenarios(ctx)
			if err != nil {
				return err
			}
			return a.printScenarios("", list)
		},
	}
	unload := &command{
		name:     "unload",
		args:     "<id>",
		short:    "remove a loaded scenario (DELETE /sandbox/scenarios/{id})",
		long:     "Unload removes one loaded scenario by the id 'load' and 'list' show.",
		examples: []string{"go run ./cmd/client sandbox scenario unload sc-1"},
		minArgs:  1, maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			sb, err := a.requireMock(ctx, "sandbox scenario unload")
			if err != nil {
				return err
			}
			if err := sb.UnloadScenario(ctx, sandbox.UnloadScenarioRequest{ID: args[0]}); err != nil {
				return err
			}
			a.out.say("scenario %s unloaded", args[0])
			return nil
		},
	}
	return &command{
		name:  "scenario",
		short: "load, list and unload failure scenarios (/sandbox/scenarios)",
		long: `Scenario manages the mock's failure scenarios: YAML files (the library is in scenarios/)
that make API calls fail or slow, users confirm late or never, deductions fail, and callbacks
arrive late, twice, out of order, tampered or not at all.`,
		examples: []string{
			"go run ./cmd/client sandbox scenario load scenarios/deduct-failure.yaml",
			"go run ./cmd/client sandbox scenario list",
			"go run ./cmd/client sandbox scenario unload sc-1",
		},
		subs: []*command{load, list, unload},
	}
}

// printScenarios renders a list of scenarios under headline.
func (a *app) printScenarios(headline string, list []sandbox.Scenario) error {
	if headline != "" {
		a.out.say("%s", headline)
	}
	return printList(a, list, []string{"ID", "NAME", "MATCH", "APPLIED", "EFFECTS"}, func(in sandbox.Scenario) []string {
		return []string{in.ID, in.Name, matchText(in.Match), strconv.Itoa(in.Applied), strings.Join(in.Effects, ", ")}
	})
}

func (a *app) sbNotificationsCmd() *command {
	var outOrderNo, eventType, state string
	var follow bool
	var limit int
	return &command{
		name:  "notifications",
		short: "callbacks, newest first, with their plaintext and every delivery attempt (GET /sandbox/notifications)",
		long: `Notifications lists the callbacks the mock made, oldest first: event type, state (pending,
delivered, failed, dropped), where they went and every attempt with its HTTP status. --json
adds the decrypted resource. 'notifications redeliver <id>' sends one again now. --follow
shows each callback and each of its attempts as it happens, until Ctrl-C (the filters apply;
--json prints one object per line).`,
		examples: []string{
			"go run ./cmd/client sandbox notifications",
			"go run ./cmd/client sandbox notifications --out-order-no RIDE-1 --json | jq '.[].attempts'",
			"go run ./cmd/client sandbox notifications --state failed",
			"go run ./cmd/client sandbox notifications --follow --event-type PAYSCORE.USER_PAID",
			"go run ./cmd/client sandbox notifications redeliver 5f0c2a8e-…",
		},
		subs: []*command{a.sbRedeliverCmd()},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&outOrderNo, "out-order-no", "", "only the callbacks of this order")
			fs.StringVar(&eventType, "event-type", "", "only this event type, e.g. PAYSCORE.USER_PAID")
			fs.StringVar(&state, "state", "", "only pending, delivered, failed or dropped")
			fs.BoolVar(&follow, "follow", false, "show callbacks and their attempts as they happen, until Ctrl-C")
			fs.IntVar(&limit, "limit", 0, "at most the newest `N` (0: all, read page after page)")
		},
		run: func(ctx context.Context, _ []string) error {
			if follow {
				return a.follow(ctx, "notifications", sandbox.EventNotification, notificationLine(outOrderNo, eventType, sandbox.NotificationState(state)))
			}
			mchid, subMchID, err := a.listMchID()
			if err != nil {
				return err
			}
			sb, err := a.requireMock(ctx, "sandbox notifications")
			if err != nil {
				return err
			}
			if limit < 0 {
				return &usageError{msg: "--limit cannot be negative"}
			}
			ns, err := sb.ListNotifications(ctx, sandbox.ListNotificationsRequest{
				MchID: mchid, SubMchID: subMchID, OutOrderNo: outOrderNo, EventType: eventType, State: sandbox.NotificationState(state), Limit: limit,
			})
			if err != nil {
				return err
			}
			return printList(a, ns, []string{"ID", "EVENT_TYPE", "STATE", "ATTEMPTS", "OUT_ORDER_NO", "NOTIFY_URL"}, func(n sandbox.Notification) []string {
				return []string{n.ID, n.EventType, string(n.State), attemptsText(n.Attempts), dash(n.OutOrderNo), n.NotifyURL}
			})
		},
	}
}

// attemptsText sums up delivery attempts: "3: 500 500 204".
func attemptsText(as []sandbox.Attempt) string {
	parts := make([]string, 0, len(as))
	for _, at := range as {
		switch {
		case at.Error != "" && at.Status == 0:
			parts = append(parts, "ERR")
		default:
			parts = append(parts, strconv.Itoa(at.Status))
		}
	}
	return fmt.Sprintf("%d: %s", len(as), strings.Join(parts, " "))
}

func (a *app) sbRedeliverCmd() *command {
	return &command{
		name:     "redeliver",
		args:     "<id>",
		short:    "send a callback again now (POST /sandbox/notifications/{id}/redeliver)",
		long:     "Redeliver sends a callback again at once, with the same envelope id, and shows the new attempt: handy to replay an event into a handler you are fixing. The id may be cut short, as long as it is the start of one callback's id (of the configured merchant's, with --mchid).",
		examples: []string{"go run ./cmd/client sandbox notifications redeliver 5f0c2a8e-…", "go run ./cmd/client sandbox notifications redeliver 5f0c2a8e"},
		minArgs:  1, maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			sb, err := a.requireMock(ctx, "sandbox notifications redeliver")
			if err != nil {
				return err
			}
			n, err := a.redeliver(ctx, sb, args[0])
			if err != nil {
				return err
			}
			last := "no attempt"
			if len(n.Attempts) > 0 {
				at := n.Attempts[len(n.Attempts)-1]
				last = fmt.Sprintf("HTTP %d", at.Status)
				if at.Error != "" {
					last = at.Error
				}
			}
			return a.out.result(fmt.Sprintf("%s %s redelivered to %s: %s", n.EventType, n.ID, n.NotifyURL, last), n.Raw())
		},
	}
}

func (a *app) sbRequestsCmd() *command {
	var limit int
	var follow bool
	return &command{
		name:  "requests",
		short: "recent v3 API calls with their signature verdict (GET /sandbox/requests)",
		long: `Requests lists the latest v3 API calls the mock received, newest first: method, path,
status, error code and the signature verdict; for a failed signature, the exact message the
mock verified, to compare with the one you signed. --follow shows each call as it is answered,
until Ctrl-C (--json: one object per line).`,
		examples: []string{
			"go run ./cmd/client sandbox requests --limit 5",
			"go run ./cmd/client sandbox requests --limit 1 --json | jq -r '.[0].verified_message'",
			"go run ./cmd/client sandbox requests --follow --mchid 1230000109",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.IntVar(&limit, "limit", 20, "at most `N` calls (0: all the mock keeps)")
			fs.BoolVar(&follow, "follow", false, "show calls as they are answered, until Ctrl-C")
		},
		run: func(ctx context.Context, _ []string) error {
			if follow {
				return a.follow(ctx, "requests", sandbox.EventRequest, requestLine)
			}
			if limit < 0 {
				return &usageError{msg: "--limit cannot be negative"}
			}
			mchid, _, err := a.listMchID()
			if err != nil {
				return err
			}
			sb, err := a.requireMock(ctx, "sandbox requests")
			if err != nil {
				return err
			}
			rs, err := sb.ListRequests(ctx, sandbox.ListRequestsRequest{MchID: mchid, Limit: limit})
			if err != nil {
				return err
			}
			err = printList(a, rs, []string{"TIME", "METHOD", "URL", "STATUS", "CODE", "SIGNATURE"}, func(r sandbox.RequestRecord) []string {
				sig := string(r.Signature)
				if r.SignatureIssue != "" {
					sig += ": " + r.SignatureIssue
				}
				return []string{r.Time, r.Method, r.URL, strconv.Itoa(r.Status), dash(string(r.Code)), sig}
			})
			if err != nil {
				return err
			}
			for _, r := range rs { // says nothing with --json
				if r.VerifiedMessage != "" {
					a.out.say("\n%s %s %s: the mock verified this message (%q)", r.RequestID, r.Method, r.URL, r.VerifiedMessage)
				}
			}
			return nil
		},
	}
}

func (a *app) sbOrdersCmd() *command {
	var state, openid, kind string
	var limit int
	return &command{
		name:  "orders",
		short: "orders, newest first (GET /sandbox/orders)",
		long:  "Orders lists the mock's orders, service orders and legacy payafter orders alike, newest first.",
		examples: []string{
			"go run ./cmd/client sandbox orders",
			"go run ./cmd/client sandbox orders --state DOING --openid oUser1",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&state, "state", "", "only this state, e.g. DOING, DONE, USER_ACCEPTED")
			fs.StringVar(&openid, "openid", "", "only this user's")
			fs.StringVar(&kind, "kind", "", "only serviceorder or payafter-order")
			fs.IntVar(&limit, "limit", 0, "at most the newest `N` (0: all, read page after page)")
		},
		run: func(ctx context.Context, _ []string) error {
			mchid, subMchID, err := a.listMchID()
			if err != nil {
				return err
			}
			sb, err := a.requireMock(ctx, "sandbox orders")
			if err != nil {
				return err
			}
			if limit < 0 {
				return &usageError{msg: "--limit cannot be negative"}
			}
			orders, err := sb.ListOrders(ctx, sandbox.ListOrdersRequest{MchID: mchid, SubMchID: subMchID, State: state, OpenID: openid, Kind: sandbox.OrderKind(kind), Limit: limit})
			if err != nil {
				return err
			}
			return printList(a, orders, []string{"OUT_ORDER_NO", "KIND", "STATE", "COLLECTION", "OPENID", "CREATED_AT"}, func(o sandbox.Order) []string {
				no, st, openid := orderFields(&o)
				return []string{no, string(o.Kind), st, collectionText(&o), dash(openid), o.CreatedAt}
			})
		},
	}
}

func (a *app) sbOrderCmd() *command {
	return &command{
		name:  "order",
		args:  "<out_order_no>",
		short: "one order with its timeline (GET /sandbox/orders/{mchid}/{out_order_no})",
		long: `Order shows one order of the configured merchant as the mock stores it, with its timeline:
every API call about it, state change, deduction, refund and callback attempt, in order.`,
		examples: []string{
			"go run ./cmd/client sandbox order RIDE-1",
			"go run ./cmd/client sandbox order RIDE-1 --json | jq '.timeline'",
		},
		minArgs: 1, maxArgs: 1,
		run: func(ctx context.Context, args []string) error {
			mchid, subMchID, err := a.sandboxAccount()
			if err != nil {
				return err
			}
			sb, err := a.requireMock(ctx, "sandbox order")
			if err != nil {
				return err
			}
			o, err := sb.GetOrder(ctx, sandbox.GetOrderRequest{MchID: mchid, SubMchID: subMchID, OutOrderNo: args[0]})
			if err != nil {
				return err
			}
			return a.printSandboxOrder("", o)
		},
	}
}

// orderFields are an order's number, state and user, whichever its kind.
func orderFields(o *sandbox.Order) (outOrderNo, state, openid string) {
	switch {
	case o.ServiceOrder != nil:
		return o.ServiceOrder.OutOrderNo, string(o.ServiceOrder.State), o.ServiceOrder.OpenID
	case o.PayAfterOrder != nil:
		return o.PayAfterOrder.OutOrderNo, string(o.PayAfterOrder.State), o.PayAfterOrder.OpenID
	case o.ParkingTransaction != nil:
		return o.ParkingTransaction.OutTradeNo, string(o.ParkingTransaction.TradeState), o.ParkingTransaction.Payer.OpenID
	}
	return "", "", ""
}

// printSandboxOrder renders a sandbox order: its fields, then its timeline.
func (a *app) printSandboxOrder(verb string, o *sandbox.Order) error {
	if a.out.jsonMode() {
		return a.out.result("", o.Raw())
	}
	no, state, _ := orderFields(o)
	headline := fmt.Sprintf("%s order %s: %s", o.Kind, no, state)
	if verb != "" {
		headline = fmt.Sprintf("%s order %s %s: %s", o.Kind, no, verb, state)
	}
	a.out.write(headline + "\n" + fieldsText(o.Raw(), "  ", func(path string) bool { return strings.HasPrefix(path, "timeline") }))
	if len(o.Timeline) > 0 {
		a.out.say("timeline:")
		rows := make([][]string, 0, len(o.Timeline))
		for _, e := range o.Timeline {
			rows = append(rows, []string{"  " + e.At, e.Type, e.Summary})
		}
		a.out.table([]string{"  AT", "TYPE", "WHAT"}, rows)
	}
	return nil
}
