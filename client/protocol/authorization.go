package protocol

import (
	"fmt"
	"strconv"
	"strings"
)

// Schema is the only Authorization scheme (and Wechatpay-Signature-Type) the
// v3 API defines for RSA merchants.
const Schema = "WECHATPAY2-SHA256-RSA2048"

// Authorization is the parsed value of a request's Authorization header:
//
//	WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",timestamp="…",serial_no="…",signature="…"
type Authorization struct {
	MchID     string
	NonceStr  string
	Timestamp int64 // Unix seconds
	SerialNo  string
	Signature string // Base64
}

// String renders the header value in the order wechatpay-go uses. WeChat Pay
// accepts the five items in any order.
func (a Authorization) String() string {
	return fmt.Sprintf(`%s mchid="%s",nonce_str="%s",timestamp="%d",serial_no="%s",signature="%s"`,
		Schema, a.MchID, a.NonceStr, a.Timestamp, a.SerialNo, a.Signature)
}

// AuthorizationError says why an Authorization header could not be parsed.
// Field names the offending item ("schema" for the scheme token).
type AuthorizationError struct {
	Field string
	Issue string
}

func (e *AuthorizationError) Error() string {
	return fmt.Sprintf("malformed Authorization header: %s: %s", e.Field, e.Issue)
}

// authorizationKeys are the five items every header must carry exactly once.
var authorizationKeys = [...]string{"mchid", "nonce_str", "timestamp", "serial_no", "signature"}

// ParseAuthorization parses an Authorization header value. It is strict about
// what WeChat Pay is strict about (the scheme token, the five quoted items, a
// numeric timestamp) and tolerant of spaces around the separators and of the
// order of the items. It returns an *AuthorizationError on failure.
func ParseAuthorization(header string) (Authorization, error) {
	var a Authorization
	scheme, params, ok := strings.Cut(strings.TrimSpace(header), " ")
	if header == "" {
		return a, &AuthorizationError{Field: "schema", Issue: "header is empty"}
	}
	if scheme != Schema {
		return a, &AuthorizationError{Field: "schema", Issue: fmt.Sprintf("scheme is %q, want %q followed by a space", truncate(scheme, 40), Schema)}
	}
	if !ok || strings.TrimSpace(params) == "" {
		return a, &AuthorizationError{Field: "schema", Issue: "no parameters after the scheme"}
	}
	seen := make(map[string]string, len(authorizationKeys))
	rest := params
	for rest != "" {
		rest = strings.TrimLeft(rest, " ")
		key, after, found := strings.Cut(rest, "=")
		if !found {
			return a, &AuthorizationError{Field: strings.TrimSpace(truncate(key, 40)), Issue: `item is not key="value"`}
		}
		key = strings.TrimSpace(key)
		after = strings.TrimLeft(after, " ")
		if !strings.HasPrefix(after, `"`) {
			return a, &AuthorizationError{Field: key, Issue: "value is not in double quotes"}
		}
		value, tail, closed := strings.Cut(after[1:], `"`)
		if !closed {
			return a, &AuthorizationError{Field: key, Issue: "value has no closing double quote"}
		}
		if !isAuthorizationKey(key) {
			return a, &AuthorizationError{Field: key, Issue: "unknown item"}
		}
		if _, dup := seen[key]; dup {
			return a, &AuthorizationError{Field: key, Issue: "item appears twice"}
		}
		seen[key] = value
		tail = strings.TrimLeft(tail, " ")
		if tail == "" {
			break
		}
		if tail[0] != ',' {
			return a, &AuthorizationError{Field: key, Issue: "items must be separated by commas"}
		}
		rest = tail[1:]
	}
	for _, k := range authorizationKeys {
		if seen[k] == "" {
			return a, &AuthorizationError{Field: k, Issue: "item is missing or empty"}
		}
	}
	ts, err := strconv.ParseInt(seen["timestamp"], 10, 64)
	if err != nil || ts < 0 {
		return a, &AuthorizationError{Field: "timestamp", Issue: "not a whole number of seconds"}
	}
	a = Authorization{
		MchID:     seen["mchid"],
		NonceStr:  seen["nonce_str"],
		Timestamp: ts,
		SerialNo:  seen["serial_no"],
		Signature: seen["signature"],
	}
	return a, nil
}

func isAuthorizationKey(k string) bool {
	for _, want := range authorizationKeys {
		if k == want {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
