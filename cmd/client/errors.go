package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/cmd/client/internal/sandboxapi"
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
		se *sandboxapi.Error
		he *hintError
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
		if ae.Code != "" {
			fmt.Fprintf(w, "%s: %s\n", ae.Code, ae.Message)
		} else {
			fmt.Fprintf(w, "HTTP_%d: %s\n", ae.StatusCode, ae.Error())
		}
		writeDetail(a, ae.Detail)
		writeContext(a, err, ae)
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
		if se.Code != "" {
			fmt.Fprintf(w, "%s: %s\n", se.Code, se.Message)
		} else {
			fmt.Fprintf(w, "HTTP_%d: %s\n", se.Status, se.Error())
		}
		writeDetail(a, se.Detail)
		writeContext(a, err, se)
		writeHint(a, err)
		return exitFailure
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(w, "interrupted")
		return exitFailure
	case errors.As(err, &he):
		fmt.Fprintf(w, "error: %v\n", err)
		if he.hint != "" {
			fmt.Fprintf(w, "hint: %s\n", he.hint)
		}
		return exitFailure
	default:
		fmt.Fprintf(w, "error: %v\n", err)
		return exitFailure
	}
}

// writeDetail prints an error's detail object, indented.
func writeDetail(a *app, detail json.RawMessage) {
	if len(detail) == 0 {
		return
	}
	fmt.Fprintf(a.stderr, "detail: %s\n", strings.ReplaceAll(indentJSON(detail), "\n", "\n  "))
}

// writeContext prints what the CLI was doing when cause happened, if err
// wraps it with more than its own text.
func writeContext(a *app, err, cause error) {
	if msg := err.Error(); msg != cause.Error() {
		fmt.Fprintf(a.stderr, "while: %s\n", strings.TrimSuffix(msg, ": "+cause.Error()))
	}
}

// writeHint prints the suggestion of a hintError in err's chain, if any.
func writeHint(a *app, err error) {
	var he *hintError
	if errors.As(err, &he) && he.hint != "" {
		fmt.Fprintf(a.stderr, "hint: %s\n", he.hint)
	}
}
