package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/sandbox"
)

// report prints err to stderr and returns the exit status. A WeChat Pay
// error (or a sandbox one) starts with "CODE: message", then its detail,
// so that scripts can grep the code and people see why.
func (a *app) report(err error) int {
	if err == nil || errors.Is(err, errHelpShown) {
		return exitOK
	}
	w := a.stderr
	var (
		ue *usageError
		ve *client.ValidationError
		ae *client.APIError
		se *sandbox.Error
	)
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(w, "error: %s\n", ue.msg)
		if ue.hint != "" {
			fmt.Fprintf(w, "hint: %s\n", ue.hint)
		}
		path := ue.path
		if len(path) == 0 {
			path = []string{progName}
		}
		fmt.Fprintf(w, "Run '%s --help' for usage and examples.\n", strings.Join(path, " "))
		return exitUsage
	case errors.As(err, &ve):
		fmt.Fprintf(w, "error: invalid request, not sent: %s %s\n", ve.Field, ve.Issue)
		return exitUsage
	case errors.As(err, &ae):
		writeCoded(a, err, ae, ae.Code, ae.Message, ae.StatusCode, ae.Detail)
		fmt.Fprintf(w, "(HTTP %d", ae.StatusCode)
		if ae.RequestID != "" {
			fmt.Fprintf(w, ", Request-ID %s", ae.RequestID)
		}
		fmt.Fprintln(w, ")")
		if ae.Code == client.CodeSignError {
			fmt.Fprintf(w, "hint: against the mock, '%s sandbox requests --limit 1' shows the exact message it verified\n", progName)
		}
		writeHint(a, err)
		return exitFailure
	case errors.As(err, &se):
		writeCoded(a, err, se, se.Code, se.Message, se.StatusCode, se.Detail)
		writeHint(a, err)
		return exitFailure
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(w, "interrupted")
		return exitFailure
	default:
		fmt.Fprintf(w, "error: %v\n", err)
		writeHint(a, err)
		return exitFailure
	}
}

// writeCoded prints an error answer of WeChat Pay or of the sandbox (the
// cause, in err's chain): "CODE: message", or HTTP_<status> when the
// answer had no code, then its detail and what the CLI was doing.
func writeCoded(a *app, err, cause error, code client.ErrorCode, message string, status int, detail json.RawMessage) {
	if code != "" {
		fmt.Fprintf(a.stderr, "%s: %s\n", code, message)
	} else {
		fmt.Fprintf(a.stderr, "HTTP_%d: %s\n", status, cause.Error())
	}
	if len(detail) > 0 {
		fmt.Fprintf(a.stderr, "detail: %s\n", strings.ReplaceAll(indentJSON(detail), "\n", "\n  "))
	}
	if msg := err.Error(); msg != cause.Error() {
		fmt.Fprintf(a.stderr, "while: %s\n", strings.TrimSuffix(msg, ": "+cause.Error()))
	}
}

// writeHint prints what to do about err: the suggestion of a hintError in
// its chain, or for a server certificate no trusted CA signed, --ca-cert.
func writeHint(a *app, err error) {
	var he *hintError
	hint := ""
	if errors.As(err, &he) {
		hint = he.hint
	}
	if hint == "" {
		hint = trustHint(err)
	}
	if hint != "" {
		fmt.Fprintf(a.stderr, "hint: %s\n", hint)
	}
}
