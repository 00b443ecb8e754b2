package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/client/sandbox"
)

// The follow modes, `sandbox requests --follow` and `sandbox notifications
// --follow` (like `stripe logs tail`): a line per API call or callback as
// the mock reports it on GET /sandbox/events, until Ctrl-C; with --json,
// the event's data, one object per line.

// eventLine renders one event for people, or reports that the filters
// leave it out.
type eventLine func(ev sandbox.Event) (line string, keep bool, err error)

// follow prints the events of type typ (what names them for people) that
// line keeps, for the configured merchant if --mchid is given, else for
// every merchant. A stream the mock ends is followed again, once in a row
// when it ends without an event; Ctrl-C ends the command with success.
func (a *app) follow(ctx context.Context, what string, typ sandbox.EventType, line eventLine) error {
	sb, err := a.requireMock(ctx, "sandbox "+what+" --follow")
	if err != nil {
		return err
	}
	mchid, _, err := a.listMchID() // the stream filters by merchant only
	if err != nil {
		return err
	}
	cfg, _ := a.settings()
	whose := "every merchant"
	if mchid != "" {
		whose = "merchant " + mchid
	}
	fmt.Fprintf(a.stderr, "following the %s of the mock at %s (%s) as they happen; Ctrl-C to stop\n", what, cfg.URL, whose)
	for {
		seen, err := a.followOnce(ctx, sb, mchid, typ, line)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, sandbox.ErrStreamEnded) && seen:
			fmt.Fprintf(a.stderr, "%v; following again (what happened meanwhile is not shown: 'sandbox %s' lists it)\n", err, what)
		case sandbox.IsCode(err, sandbox.CodeNotFound):
			return &hintError{err: fmt.Errorf("follow the mock's %s: %w", what, err),
				hint: "this mock has no live events (GET /sandbox/events); 'sandbox " + what + "' without --follow lists them"}
		default:
			return fmt.Errorf("follow the mock's %s: %w", what, err)
		}
	}
}

// followOnce reads one stream until it ends, and reports whether it
// carried any event.
func (a *app) followOnce(ctx context.Context, sb *sandbox.Client, mchid string, typ sandbox.EventType, line eventLine) (bool, error) {
	seen := false
	for ev, err := range sb.Events(ctx, sandbox.EventsRequest{MchID: mchid}) {
		if err != nil {
			return seen, err
		}
		seen = true
		if ev.Type != typ {
			continue
		}
		text, keep, err := line(ev)
		switch {
		case err != nil:
			return seen, err
		case !keep:
		case a.out.jsonMode():
			a.out.jsonLine(ev.Data)
		default:
			a.out.write(text + "\n")
		}
	}
	return seen, nil
}

// requestLine is a v3 API call for `sandbox requests --follow`.
func requestLine(ev sandbox.Event) (string, bool, error) {
	r, err := ev.Request()
	if err != nil {
		return "", false, err
	}
	sig := string(r.Signature)
	if r.SignatureIssue != "" {
		sig += ": " + r.SignatureIssue
	}
	line := fmt.Sprintf("%s  %-6s %s  %d %s  signature %s", clockTime(r.Time), r.Method, r.Path, r.Status, dash(r.Code), sig)
	if r.MchID != "" {
		line += "  mchid " + r.MchID
	}
	if r.Scenario != "" {
		line += "  [" + r.Scenario + "]"
	}
	return line, true, nil
}

// notificationLine is a callback for `sandbox notifications --follow`,
// left out unless it passes the command's filters.
func notificationLine(outOrderNo, eventType string, state sandbox.NotificationState) eventLine {
	return func(ev sandbox.Event) (string, bool, error) {
		n, err := ev.Notification()
		if err != nil {
			return "", false, err
		}
		if (outOrderNo != "" && n.OutOrderNo != outOrderNo) || (eventType != "" && n.EventType != eventType) || (state != "" && n.State != state) {
			return "", false, nil
		}
		at, attempt := "-", "no attempt yet"
		if a := n.Attempt; a != nil {
			at = clockTime(a.At)
			attempt = fmt.Sprintf("attempt %d: %d in %.0fms", n.Attempts, a.Status, a.DurationMS)
			if a.Status == 0 && a.Error != "" {
				attempt = fmt.Sprintf("attempt %d: %s", n.Attempts, a.Error)
			}
			if a.Kind != "" {
				attempt += " (" + a.Kind + ")"
			}
		}
		state := string(n.State)
		if n.Removed {
			state = "removed"
		}
		line := fmt.Sprintf("%s  %s  %s  %s  %s", at, n.EventType, n.ID, state, attempt)
		if n.OutOrderNo != "" {
			line += "  " + n.OutOrderNo
		}
		return line, true, nil
	}
}

// clockTime shows an RFC 3339 time of the mock's clock as the time of day
// in Beijing, to the millisecond when it has them; anything else as it is.
func clockTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	layout := "15:04:05"
	if strings.Contains(s, ".") {
		layout = "15:04:05.000"
	}
	return t.In(protocol.Beijing).Format(layout)
}
