// Package httpapi holds what mockpay's two Go clients, the WeChat Pay
// client (package client) and the sandbox client (package client/sandbox),
// both need of an HTTP API: a checked base URL, and the error body
// {"code","message","detail"} that WeChat Pay's v3 API and the sandbox
// control API share.
package httpapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// BaseURL checks a base URL (scheme and host, optionally a path prefix)
// and returns it without a trailing slash, ready for paths to be appended.
func BaseURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("%q: scheme must be https or http", base)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%q has no host", base)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q must not have a query, fragment or user info", base)
	}
	return strings.TrimRight(base, "/"), nil
}

// ErrorBody is the JSON body of an error answer.
type ErrorBody struct {
	Code    string
	Message string
	// Detail is the optional "detail" object, kept raw because its shape
	// varies by code; nil when absent or null.
	Detail json.RawMessage
}

// ParseErrorBody reads an error answer's body. ok is false when the body
// is not a JSON object, as when a proxy in front of the API answers in
// HTML; the caller then keeps the raw body.
func ParseErrorBody(body []byte) (e ErrorBody, ok bool) {
	var wire struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &wire) != nil {
		return ErrorBody{}, false
	}
	e = ErrorBody{Code: wire.Code, Message: wire.Message}
	if len(wire.Detail) > 0 && string(wire.Detail) != "null" {
		e.Detail = wire.Detail
	}
	return e, true
}
