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

// timeFlag is a time flag of a command, bound to its flag set and then
// resolved by resolveTimes.
type timeFlag struct {
	name  string // the flag, for messages
	kind  timeKind
	value string // as given; after resolveTimes, in the API's form
	orNow bool   // not given means now on the server's clock
}

// resolveTimes turns time flags into the API's form. Every flag is checked
// before anything is sent, so that a typo is a usage error rather than a
// PARAM_ERROR. "now", "now+10m" and "now-1h" (and an empty orNow flag) are
// relative to the server's clock, read once so that the times of one
// command agree; literal values are kept, OnAccept spelled as the API
// wants; an empty flag stays empty.
func (a *app) resolveTimes(ctx context.Context, flags ...*timeFlag) error {
	type parsed struct {
		d        time.Duration
		relative bool
	}
	ps := make([]parsed, len(flags))
	for i, f := range flags {
		d, relative, err := parseTimeFlag(f.name, f.value, f.kind)
		if err != nil {
			return err
		}
		ps[i] = parsed{d, relative || (f.value == "" && f.orNow)}
	}
	var now time.Time
	for i, f := range flags {
		switch {
		case ps[i].relative:
			if now.IsZero() {
				var err error
				if now, err = a.serverNow(ctx); err != nil {
					return err
				}
			}
			f.value = client.Time14(now.Add(ps[i].d))
		case f.kind == timeOrAccept && strings.EqualFold(f.value, client.StartOnAccept):
			f.value = client.StartOnAccept
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
