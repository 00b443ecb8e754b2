package payscore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/mockpay/mockpay/mock/internal/apierr"
)

// Field rules of the v3 API. Lengths count characters, Chinese or not;
// characters outside the Basic Multilingual Plane (4-byte UTF-8, most emoji)
// are refused (protocol.md §1.1, §9.11).
var (
	reOutOrderNo = regexp.MustCompile(`^[0-9A-Za-z_\-|*]{1,32}$`)
	reAuthCode   = regexp.MustCompile(`^[0-9A-Za-z_\-*]{1,32}$`)
	reOutRefund  = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)
)

// DecodeBody decodes a v3 request body into v. An empty or malformed body,
// or a value of the wrong JSON type, is a PARAM_ERROR naming the field.
// Unknown keys are ignored, as WeChat Pay ignores them.
func DecodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apierr.Param(apierr.LocBody, "", "请求体不能为空", "the request body is empty; send a JSON object", nil)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			ptr := apierr.TypeErrorPointer(body, te)
			return apierr.Param(apierr.LocBody, ptr,
				fmt.Sprintf("输入源“/body%s”映射到字段“%s”类型校验失败，应为%s", ptr, te.Field, jsonTypeName(te.Type.Kind().String())),
				fmt.Sprintf("%s must be a JSON %s, not %s", ptr, jsonTypeName(te.Type.Kind().String()), te.Value), te.Value)
		}
		var se *json.SyntaxError
		issue := "the body is not valid JSON: " + err.Error()
		if errors.As(err, &se) {
			issue = fmt.Sprintf("the body is not valid JSON (at byte %d): %v", se.Offset, se)
		}
		return apierr.Param(apierr.LocBody, "", "请求体不是合法的JSON", issue, nil)
	}
	return nil
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	}
	return "number"
}

// check collects the first violation of a request's field rules: WeChat Pay
// reports one field at a time.
type check struct {
	loc string // apierr.LocBody, LocQuery or LocPath
	err *apierr.Error
}

func newCheck(loc string) *check { return &check{loc: loc} }

func (c *check) failed() bool { return c.err != nil }

// fail records a violation of field (a JSON Pointer in a body, a parameter
// name elsewhere) unless an earlier one was recorded.
func (c *check) fail(field, rule, issue string, value any) {
	if c.err != nil {
		return
	}
	src := "/" + c.loc + field
	if c.loc != apierr.LocBody {
		src = "/" + c.loc + "/" + field
	}
	c.err = apierr.Param(c.loc, field, fmt.Sprintf("输入源“%s”映射到字段“%s”%s", src, strings.TrimPrefix(field, "/"), rule), issue, value)
}

// required fails when a required field is absent.
func (c *check) required(field string, present bool) bool {
	if !present {
		c.fail(field, "必填性规则校验失败，此字段为必填项", field+" is required", nil)
	}
	return present
}

// str checks a present string's length in characters and its characters.
func (c *check) str(field, v string, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case !utf8.ValidString(v):
		c.fail(field, "字符串规则校验失败，不是合法的UTF-8", field+" is not valid UTF-8", nil)
	case n > max:
		c.fail(field, fmt.Sprintf("字符串规则校验失败，字符数 %d，大于最大值 %d", n, max),
			fmt.Sprintf("%s is %d characters long; at most %d are allowed", field, n, max), v)
	case strings.ContainsFunc(v, func(r rune) bool { return r > 0xFFFF }):
		c.fail(field, "字符串规则校验失败，不支持4字节字符", field+" holds a 4-byte UTF-8 character (such as an emoji), which WeChat Pay refuses", v)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		c.fail(field, "字符串规则校验失败，包含控制字符", field+" holds a control character", v)
	}
}

// reqStr checks a required string.
func (c *check) reqStr(field, v string, max int) {
	if c.required(field, v != "") {
		c.str(field, v, max)
	}
}

// pattern checks a present string against a pattern described for humans.
func (c *check) pattern(field, v string, re *regexp.Regexp, desc string) {
	if v != "" && !re.MatchString(v) {
		c.fail(field, "格式规则校验失败", fmt.Sprintf("%s must be %s", field, desc), v)
	}
}

// enum checks a present string against its allowed values.
func (c *check) enum(field, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.fail(field, fmt.Sprintf("枚举值规则校验失败，%q 不是合法取值", v),
		fmt.Sprintf("%s must be one of %s", field, strings.Join(allowed, ", ")), v)
}

// between checks a number's range.
func (c *check) between(field string, v, lo, hi int64) {
	if v < lo || v > hi {
		c.fail(field, fmt.Sprintf("数值规则校验失败，取值范围为 %d 至 %d", lo, hi),
			fmt.Sprintf("%s must be between %d and %d", field, lo, hi), v)
	}
}

// rule records a business-rule PARAM_ERROR with WeChat Pay's message.
func (c *check) rule(field, message, issue string, value any) {
	if c.err != nil {
		return
	}
	c.err = apierr.Param(c.loc, field, message, issue, value)
}

// result returns the violation, or a nil error (never a nil *apierr.Error
// inside a non-nil interface).
func (c *check) result() error {
	if c.err == nil {
		return nil
	}
	return c.err
}
