package client

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/mockpay/mockpay/client/protocol"
)

// ValidationError says that a request was rejected before it was sent,
// because of something the caller can fix locally: a required field left
// empty, a text too long, an unknown enum value, amounts that do not add
// up. Nothing was sent, so retrying the same request is pointless. Business
// rules that need WeChat Pay's state (the order's state, the service's risk
// cap, the time of the call) are left to the server and come back as an
// *APIError.
type ValidationError struct {
	// Field names the offending field the way WeChat Pay's error detail
	// does: a JSON pointer for body fields (/post_payments/0/name), the
	// parameter name for path and query parameters (out_order_no).
	Field string
	// Issue says what is wrong, e.g. "is required".
	Issue string
}

// Error renders the field and the issue.
func (e *ValidationError) Error() string {
	return "client: invalid request: " + e.Field + ": " + e.Issue
}

// validator keeps the first failure of a request's checks and ignores the
// later ones, so validate methods read as a flat list of checks.
type validator struct{ first *ValidationError }

func (v *validator) failf(field, format string, args ...any) {
	if v.first == nil {
		v.first = &ValidationError{Field: field, Issue: fmt.Sprintf(format, args...)}
	}
}

func (v *validator) err() error {
	if v.first == nil {
		return nil
	}
	return v.first
}

// required checks a field that must not be empty; see optional.
func (v *validator) required(field, s string, maxChars int) {
	if s == "" {
		v.failf(field, "is required")
		return
	}
	v.optional(field, s, maxChars)
}

// optional checks a field that may be empty: at most maxChars characters (0
// for no documented limit). WeChat Pay counts characters, not bytes, and
// accepts only UTF-8 characters of 1–3 bytes, so most emoji are refused.
func (v *validator) optional(field, s string, maxChars int) {
	if s == "" {
		return
	}
	if !utf8.ValidString(s) {
		v.failf(field, "is not valid UTF-8")
		return
	}
	n := 0
	for _, r := range s {
		if utf8.RuneLen(r) > 3 {
			v.failf(field, "contains %q, a character outside the Basic Multilingual Plane, which WeChat Pay rejects", r)
			return
		}
		n++
	}
	if maxChars > 0 && n > maxChars {
		v.failf(field, "is %d characters long, at most %d allowed", n, maxChars)
	}
}

// charset checks that a non-empty s uses only [0-9A-Za-z] and the given
// extra characters.
func (v *validator) charset(field, s, extra string) {
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r < utf8.RuneSelf && strings.IndexByte(extra, byte(r)) >= 0:
		default:
			v.failf(field, "contains %q; only digits, letters and %s are allowed", r, extra)
			return
		}
	}
}

// outOrderNo checks a merchant order number: 1–32 characters of digits,
// letters, '_', '-', '|' and '*', unique per merchant.
func (v *validator) outOrderNo(field, s string) {
	v.required(field, s, 32)
	v.charset(field, s, "_-|*")
}

// notifyURL checks the shape of a non-empty callback URL: absolute http(s)
// with a host and no query or fragment, which WeChat Pay would drop or
// refuse. WeChat Pay also demands https; the sandbox accepts http, so the
// scheme is left to the server.
func (v *validator) notifyURL(field, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		v.failf(field, "is not a URL: %v", err)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		v.failf(field, "must be an absolute https URL (http only for a sandbox)")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		v.failf(field, "must not have a query string or fragment")
	}
}

// serviceTime checks a yyyyMMddHHmmss or yyyyMMdd time, or StartOnAccept
// where allowed.
func (v *validator) serviceTime(field, s string, allowOnAccept bool) {
	if s == "" || (allowOnAccept && s == StartOnAccept) {
		return
	}
	if _, _, err := protocol.ParseServiceTime(s); err != nil {
		if allowOnAccept {
			v.failf(field, "must be yyyyMMddHHmmss, yyyyMMdd or %s", StartOnAccept)
		} else {
			v.failf(field, "must be yyyyMMddHHmmss or yyyyMMdd")
		}
	}
}

// timeRangeRule is what a request needs of its time_range.
type timeRangeRule struct {
	needStart     bool
	allowOnAccept bool // start_time may be StartOnAccept (only at creation)
	needEnd       bool
}

var (
	timesAtCreation         = timeRangeRule{needStart: true, allowOnAccept: true}
	timesAtCompletion       = timeRangeRule{} // end_time is needed only if creation left it out
	timesAtDirectCompletion = timeRangeRule{needStart: true, needEnd: true}
)

// timeRange checks a service period's formats and that it does not end
// before it starts. Whether it fits the time of the call is WeChat Pay's
// business: the client's clock is not the server's.
func (v *validator) timeRange(tr TimeRange, rule timeRangeRule) {
	if rule.needStart && tr.StartTime == "" {
		v.failf("/time_range/start_time", "is required")
	}
	if rule.needEnd && tr.EndTime == "" {
		v.failf("/time_range/end_time", "is required")
	}
	v.serviceTime("/time_range/start_time", tr.StartTime, rule.allowOnAccept)
	v.serviceTime("/time_range/end_time", tr.EndTime, false)
	v.optional("/time_range/start_time_remark", tr.StartTimeRemark, 20)
	v.optional("/time_range/end_time_remark", tr.EndTimeRemark, 20)
	if tr.StartTimeRemark != "" && tr.StartTime == "" {
		v.failf("/time_range/start_time_remark", "is only allowed with start_time")
	}
	v.period("/time_range/end_time", "start_time", tr.StartTime, tr.EndTime)
}

// period checks that a service period whose times passed serviceTime does
// not end before it starts: a day-precision end may be the start day, a
// second-precision end must be later. It checks nothing after an earlier
// failure, with a time missing or StartOnAccept, or with mixed precisions.
func (v *validator) period(endField, startName, start, end string) {
	if v.first != nil || start == "" || end == "" || start == StartOnAccept {
		return
	}
	st, startDay, _ := protocol.ParseServiceTime(start)
	et, endDay, _ := protocol.ParseServiceTime(end)
	switch {
	case startDay != endDay:
		// Mixed precision: WeChat Pay's rules for it are not documented.
	case startDay && et.Before(st):
		v.failf(endField, "%s is before %s %s", end, startName, start)
	case !startDay && !et.After(st):
		v.failf(endField, "%s is not after %s %s", end, startName, start)
	}
}

// location checks the lengths of both locations.
func (v *validator) location(loc Location) {
	v.optional("/location/start_location", loc.StartLocation, 50)
	v.optional("/location/end_location", loc.EndLocation, 50)
}

// payments checks post_payments, of which there must be at least minItems,
// and returns the sum of their amounts.
func (v *validator) payments(ps []Payment, minItems int) int64 {
	if len(ps) < minItems {
		v.failf("/post_payments", "needs at least one item")
	}
	if len(ps) > 100 {
		v.failf("/post_payments", "has %d items, at most 100 allowed", len(ps))
	}
	var sum int64
	seen := make(map[string]bool, len(ps))
	for i, p := range ps {
		field := fmt.Sprintf("/post_payments/%d", i)
		v.required(field+"/name", p.Name, 20)
		if seen[p.Name] && p.Name != GoodsInfoName {
			v.failf(field+"/name", "%q is used twice; item names must be unique (except %s)", p.Name, GoodsInfoName)
		}
		seen[p.Name] = true
		v.optional(field+"/description", p.Description, 30)
		if p.Amount == nil && p.Description == "" {
			v.failf(field, "needs amount or description")
		}
		if p.Amount != nil {
			if *p.Amount < 0 {
				v.failf(field+"/amount", "is negative (%d)", *p.Amount)
			}
			sum += *p.Amount
		}
		if p.Count < 0 || p.Count > 100 {
			v.failf(field+"/count", "is %d, must be 1–100 (or 0 to leave it out)", p.Count)
		}
	}
	return sum
}

// discountRule says which fields a post_discounts item needs: at creation a
// name and description, when money is settled a name and amount.
type discountRule int

const (
	discountsAtCreation discountRule = iota
	discountsAtSettlement
)

// discounts checks post_discounts and returns the sum of their amounts.
func (v *validator) discounts(ds []Discount, rule discountRule) int64 {
	if len(ds) > 30 {
		v.failf("/post_discounts", "has %d items, at most 30 allowed", len(ds))
	}
	var sum int64
	seen := make(map[string]bool, len(ds))
	for i, d := range ds {
		field := fmt.Sprintf("/post_discounts/%d", i)
		v.required(field+"/name", d.Name, 20)
		if seen[d.Name] {
			v.failf(field+"/name", "%q is used twice; discount names must be unique", d.Name)
		}
		seen[d.Name] = true
		if rule == discountsAtCreation {
			v.required(field+"/description", d.Description, 30)
		} else {
			v.optional(field+"/description", d.Description, 30)
			if d.Amount == nil {
				v.failf(field+"/amount", "is required")
			}
		}
		if d.Amount != nil {
			if *d.Amount < 0 {
				v.failf(field+"/amount", "is negative (%d)", *d.Amount)
			}
			sum += *d.Amount
		}
		if d.Count < 0 || d.Count > 100 {
			v.failf(field+"/count", "is %d, must be 1–100 (or 0 to leave it out)", d.Count)
		}
	}
	return sum
}

// totalAmount checks total_amount = Σpost_payments.amount −
// Σpost_discounts.amount, which WeChat Pay enforces on every settlement.
func (v *validator) totalAmount(total, payments, discounts int64) {
	switch {
	case total < 0:
		v.failf("/total_amount", "is negative (%d)", total)
	case total != payments-discounts:
		v.failf("/total_amount", "is %d, but post_payments minus post_discounts is %d - %d = %d",
			total, payments, discounts, payments-discounts)
	}
}

// riskFund checks the risk fund's name and amount.
func (v *validator) riskFund(rf RiskFund) {
	switch rf.Name {
	case RiskFundDeposit, RiskFundAdvance, RiskFundCashDeposit, RiskFundEstimateOrderCost:
	case "":
		v.failf("/risk_fund/name", "is required")
	default:
		v.failf("/risk_fund/name", "is %q; want DEPOSIT, ADVANCE, CASH_DEPOSIT or ESTIMATE_ORDER_COST", rf.Name)
	}
	if rf.Amount <= 0 {
		v.failf("/risk_fund/amount", "must be positive, is %d", rf.Amount)
	}
	v.optional("/risk_fund/description", rf.Description, 30)
}
