package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
)

// timeKind says which forms a time flag accepts.
type timeKind int

const (
	timeAny      timeKind = iota // yyyyMMddHHmmss or yyyyMMdd
	time14                       // yyyyMMddHHmmss only
	timeOrAccept                 // also OnAccept (service start)
)

// timeArg turns a time flag into the API's form: "" stays "" (the caller
// applies its default), "now", "now+10m" and "now-1h" are relative to the
// server's clock, and literal values are checked locally so that a typo is
// a usage error rather than a PARAM_ERROR.
func (a *app) timeArg(ctx context.Context, flagName, value string, kind timeKind) (string, error) {
	d, relative, err := parseTimeFlag(flagName, value, kind)
	switch {
	case err != nil:
		return "", err
	case value == "":
		return "", nil
	case !relative:
		if kind == timeOrAccept && strings.EqualFold(value, client.StartOnAccept) {
			return client.StartOnAccept, nil
		}
		return value, nil
	}
	now, err := a.serverNow(ctx)
	if err != nil {
		return "", err
	}
	return client.Time14(now.Add(d)), nil
}

// checkTimes validates time flags before anything is sent; pairs are
// flag name and value, all of the same kind.
func checkTimes(kind timeKind, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if _, _, err := parseTimeFlag(pairs[i], pairs[i+1], kind); err != nil {
			return err
		}
	}
	return nil
}

// parseTimeFlag checks a time flag without the network. relative reports
// a "now±d" value, d its offset.
func parseTimeFlag(flagName, value string, kind timeKind) (d time.Duration, relative bool, err error) {
	switch {
	case value == "":
		return 0, false, nil
	case kind == timeOrAccept && strings.EqualFold(value, client.StartOnAccept):
		return 0, false, nil
	case strings.HasPrefix(value, "now"):
		if rest := value[len("now"):]; rest != "" {
			if d, err = time.ParseDuration(rest); err != nil || (rest[0] != '+' && rest[0] != '-') {
				return 0, false, timeUsage(flagName, value, kind)
			}
		}
		return d, true, nil
	}
	if _, dateOnly, err := protocol.ParseServiceTime(value); err != nil || (dateOnly && kind == time14) {
		return 0, false, timeUsage(flagName, value, kind)
	}
	return 0, false, nil
}

func timeUsage(flagName, value string, kind timeKind) error {
	forms := "yyyyMMddHHmmss or yyyyMMdd (Beijing time)"
	switch kind {
	case time14:
		forms = "yyyyMMddHHmmss (Beijing time)"
	case timeOrAccept:
		forms += ", or OnAccept"
	}
	return &usageError{
		msg:  fmt.Sprintf("--%s %q is not a time", flagName, value),
		hint: fmt.Sprintf("use %s, e.g. 20261201093000, or now, now+10m, now-1h", forms),
	}
}

// nowTime is "now" on the server's clock in the API's 14-digit form.
func (a *app) nowTime(ctx context.Context) (string, error) {
	now, err := a.serverNow(ctx)
	if err != nil {
		return "", err
	}
	return client.Time14(now), nil
}

// newNumber makes a merchant-side number (out_order_no, authorization
// code, out_refund_no) that is unique enough to run a command twice:
// PREFIX-yyyyMMddHHmmss-xxxx, at most 32 characters with a short prefix.
func newNumber(prefix string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + time.Now().In(protocol.Beijing).Format("20060102150405") + "-" + hex.EncodeToString(b[:])
}
