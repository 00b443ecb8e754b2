// Package field is mockpay's one vocabulary of field rules: how a request's
// fields are checked, and how a violation is reported the way WeChat Pay
// reports it. Every domain checks its requests with it (service orders,
// payafter orders, authorizations, refunds, the sandbox's merchants), so
// that a rule stated twice cannot drift.
//
// A violation is a PARAM_ERROR about one field at a time (WeChat Pay stops
// at the first), with detail.field naming the field (a JSON Pointer in a
// body, the parameter's name in a query or a path), detail.location saying
// which, and a message in WeChat Pay's words:
// 输入源“/body/out_order_no”映射到字段“out_order_no”格式规则校验失败.
// Lengths count characters, Chinese or not, where WeChat Pay counts
// characters; characters outside the Basic Multilingual Plane (4-byte
// UTF-8, most emoji) are refused (protocol.md §1.1, §9.11).
package field

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mockpay/mockpay/mock/internal/apierr"
)

// Check collects the first violation of a request's field rules. Every
// rule after the first violation is a no-op, so a check reads as the list
// of the request's rules in the order WeChat Pay applies them.
type Check struct {
	loc string
	err *apierr.Error
}

// Body checks the fields of a JSON body, named by JSON Pointers.
func Body() *Check { return &Check{loc: apierr.LocBody} }

// Query checks query parameters, named by their names.
func Query() *Check { return &Check{loc: apierr.LocQuery} }

// Path checks path segments, named by their names.
func Path() *Check { return &Check{loc: apierr.LocPath} }

// Name is how this check names the parameter param: a JSON Pointer in a
// body (/appid), the bare name elsewhere (appid). Rules shared by bodies
// and queries name their fields with it.
func (c *Check) Name(param string) string {
	if c.loc == apierr.LocBody {
		return "/" + param
	}
	return param
}

// Location is where this check's fields are: apierr.LocBody, LocQuery or
// LocPath.
func (c *Check) Location() string { return c.loc }

// Item names element i of the array field name (/post_payments/0).
func Item(name string, i int) string { return fmt.Sprintf("%s/%d", name, i) }

// Failed reports whether a violation has been recorded.
func (c *Check) Failed() bool { return c.err != nil }

// Err returns the violation, or a nil error (never a nil *apierr.Error
// inside a non-nil interface).
func (c *Check) Err() error {
	if c.err == nil {
		return nil
	}
	return c.err
}

// Refuse records err, an answer other than a field rule's (NO_AUTH for a
// service the merchant lacks, a header the request needs), unless a
// violation was recorded before.
func (c *Check) Refuse(err *apierr.Error) {
	if c.err == nil {
		c.err = err
	}
}

// Rule records the violation of a business rule about name, with WeChat
// Pay's message for it, an English issue and the offending value.
func (c *Check) Rule(name, message, issue string, value any) {
	c.Refuse(apierr.Param(c.loc, name, message, issue, value))
}

// fail records the violation of a format rule in WeChat Pay's words:
// 输入源“/body/x”映射到字段“x”<rule>.
func (c *Check) fail(name, rule, issue string, value any) {
	if c.err != nil {
		return
	}
	src := "/" + c.loc + name
	if c.loc != apierr.LocBody {
		src = "/" + c.loc + "/" + name
	}
	c.Rule(name, fmt.Sprintf("输入源“%s”映射到字段“%s”%s", src, strings.TrimPrefix(name, "/"), rule), issue, value)
}

// Required records a violation when a required field is absent, and
// reports whether it is present, so that the rules of its content follow.
func (c *Check) Required(name string, present bool) bool {
	if !present {
		c.fail(name, "必填性规则校验失败，此字段为必填项", name+" is required", nil)
	}
	return present
}

// String checks a string's characters and its length in characters; an
// empty string passes (Required says whether one must be given).
func (c *Check) String(name, v string, max int) {
	if !utf8.ValidString(v) {
		c.fail(name, "字符串规则校验失败，不是合法的UTF-8", name+" is not valid UTF-8", nil)
		return
	}
	if n := utf8.RuneCountInString(v); n > max {
		c.fail(name, fmt.Sprintf("字符串规则校验失败，字符数 %d，大于最大值 %d", n, max),
			fmt.Sprintf("%s is %d characters long; at most %d are allowed", name, n, max), v)
		return
	}
	c.chars(name, v)
}

// Bytes checks a string whose limit WeChat Pay counts in bytes (a
// refund's reason), and its characters.
func (c *Check) Bytes(name, v string, max int) {
	if !utf8.ValidString(v) {
		c.fail(name, "字符串规则校验失败，不是合法的UTF-8", name+" is not valid UTF-8", nil)
		return
	}
	if n := len(v); n > max {
		c.fail(name, fmt.Sprintf("字符串规则校验失败，字节数 %d，大于最大值 %d", n, max),
			fmt.Sprintf("%s is %d bytes long in UTF-8; at most %d are allowed", name, n, max), v)
		return
	}
	c.chars(name, v)
}

// chars refuses what WeChat Pay cannot store: 4-byte UTF-8 and control
// characters.
func (c *Check) chars(name, v string) {
	switch {
	case strings.ContainsFunc(v, func(r rune) bool { return r > 0xFFFF }):
		c.fail(name, "字符串规则校验失败，不支持4字节字符", name+" holds a 4-byte UTF-8 character (such as an emoji), which WeChat Pay refuses", v)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		c.fail(name, "字符串规则校验失败，包含控制字符", name+" holds a control character", v)
	}
}

// RequiredString checks a required string.
func (c *Check) RequiredString(name, v string, max int) {
	if c.Required(name, v != "") {
		c.String(name, v, max)
	}
}

// Pattern checks a string against its pattern; the empty string does not
// match any, so an optional field is checked only when given.
func (c *Check) Pattern(name, v string, p Pattern) {
	if !p.Match(v) {
		c.fail(name, "格式规则校验失败", fmt.Sprintf("%s must be %s", name, p), v)
	}
}

// Enum checks a string against its allowed values.
func (c *Check) Enum(name, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.fail(name, fmt.Sprintf("枚举值规则校验失败，%q 不是合法取值", v),
		fmt.Sprintf("%s must be one of %s", name, strings.Join(allowed, ", ")), v)
}

// Range checks that a number lies between lo and hi, both included.
func (c *Check) Range(name string, v, lo, hi int64) {
	if v < lo || v > hi {
		c.fail(name, fmt.Sprintf("数值规则校验失败，取值范围为 %d 至 %d", lo, hi),
			fmt.Sprintf("%s must be between %d and %d", name, lo, hi), v)
	}
}

// NotNegative checks a number that may be 0 (an amount in fen).
func (c *Check) NotNegative(name string, v int64) {
	if v < 0 {
		c.fail(name, "数值规则校验失败，不能小于0", name+" must not be negative", v)
	}
}

// Positive checks a number that must be more than 0.
func (c *Check) Positive(name string, v int64) {
	if v <= 0 {
		c.fail(name, "数值规则校验失败，需大于0", name+" must be positive", v)
	}
}

// Items checks an array's length against its maximum.
func (c *Check) Items(name string, n, max int) {
	if n > max {
		c.fail(name, fmt.Sprintf("数组规则校验失败，元素个数 %d，大于最大值 %d", n, max),
			fmt.Sprintf("%s holds %d items; at most %d are allowed", name, n, max), n)
	}
}

// Segment checks a path segment against its pattern: the HTTP layer's
// check of {out_order_no} and the like, by the same pattern as the body
// field it names.
func Segment(name, v string, p Pattern) error {
	c := Path()
	c.Pattern(name, v, p)
	return c.Err()
}
