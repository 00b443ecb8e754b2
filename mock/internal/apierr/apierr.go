// Package apierr is the vocabulary of WeChat Pay v3 error responses: the
// codes, the one table mapping each code to its HTTP status, and the error
// body {"code","message","detail"} that the mock writes.
//
// The domain returns these errors; the HTTP layer writes them. Nothing else
// decides a status code.
package apierr

import (
	"fmt"
	"net/http"
)

// Code is a machine error code of the v3 API.
type Code string

// Codes of protocol.md §8 (common and pay-score business codes), §7.4 (refunds)
// the two that mockpay uses for unknown paths and methods, and the sandbox's own.
const (
	ParamError         Code = "PARAM_ERROR"
	InvalidRequest     Code = "INVALID_REQUEST"
	SignError          Code = "SIGN_ERROR"
	NoAuth             Code = "NO_AUTH"
	OrderNotExist      Code = "ORDER_NOT_EXIST"
	ResourceNotExists  Code = "RESOURCE_NOT_EXISTS"
	InvalidOrderState  Code = "INVALID_ORDER_STATE"
	OrderCanceled      Code = "ORDER_CANCELED"
	OrderDone          Code = "ORDER_DONE"
	NotEnough          Code = "NOT_ENOUGH"
	FrequencyLimited   Code = "FREQUENCY_LIMITED"
	SystemError        Code = "SYSTEM_ERROR"
	ServiceUnavailable Code = "SERVICE_UNAVAILABLE"
	NotFound           Code = "NOT_FOUND"
	MethodNotAllowed   Code = "METHOD_NOT_ALLOWED"

	// Codes of the sandbox control API only.
	Unauthorized Code = "UNAUTHORIZED"
	Conflict     Code = "CONFLICT"
)

// statuses is the one table from code to HTTP status.
var statuses = map[Code]int{
	ParamError:         http.StatusBadRequest,
	InvalidRequest:     http.StatusBadRequest,
	SignError:          http.StatusUnauthorized,
	NoAuth:             http.StatusForbidden,
	OrderNotExist:      http.StatusNotFound,
	ResourceNotExists:  http.StatusNotFound,
	InvalidOrderState:  http.StatusBadRequest,
	OrderCanceled:      http.StatusBadRequest,
	OrderDone:          http.StatusBadRequest,
	NotEnough:          http.StatusForbidden,
	FrequencyLimited:   http.StatusTooManyRequests,
	SystemError:        http.StatusInternalServerError,
	ServiceUnavailable: http.StatusServiceUnavailable,
	NotFound:           http.StatusNotFound,
	MethodNotAllowed:   http.StatusMethodNotAllowed,
	Unauthorized:       http.StatusUnauthorized,
	Conflict:           http.StatusConflict,
}

// Status returns the HTTP status WeChat Pay answers with for the code; an
// unknown code (a scenario may invent one) is a 400.
func (c Code) Status() int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusBadRequest
}

// Error is an error response. It is also a Go error, so the domain returns it
// through ordinary error values and the HTTP layer finds it with errors.As.
type Error struct {
	Code    Code    `json:"code"`
	Message string  `json:"message"`
	Detail  *Detail `json:"detail,omitempty"`
	// StatusOverride replaces Code.Status() when set: a scenario may ask for
	// any status with any code.
	StatusOverride int `json:"-"`
}

// Detail says which input caused the error (protocol.md §1.8). Field is a
// JSON Pointer for body fields ("/risk_fund/amount") and the parameter name
// for path, query and header values; Location says which. The sandbox
// control API names its fields the same way.
type Detail struct {
	Field    string `json:"field,omitempty"`
	Value    any    `json:"value,omitempty"`
	Issue    string `json:"issue,omitempty"`
	Location string `json:"location,omitempty"`
	// Inner and SignInformation appear on SIGN_ERROR, as WeChat Pay nests them.
	Inner           *Inner           `json:"detail,omitempty"`
	SignInformation *SignInformation `json:"sign_information,omitempty"`
}

// Inner is the nested {"issue": "..."} of a SIGN_ERROR detail.
type Inner struct {
	Issue string `json:"issue"`
}

// SignInformation shows the message the server verified a request signature
// against, so a developer can diff it with the one they signed.
type SignInformation struct {
	Method               string `json:"method"`
	URL                  string `json:"url"`
	SignMessageLength    int    `json:"sign_message_length"`
	TruncatedSignMessage string `json:"truncated_sign_message"`
	// Mockpay's additions: what was checked, in plain words.
	Timestamp   int64  `json:"timestamp,omitempty"`
	NonceStr    string `json:"nonce_str,omitempty"`
	SerialNo    string `json:"serial_no,omitempty"`
	BodyLength  int    `json:"body_length"`
	BodySHA256  string `json:"body_sha256,omitempty"`
	Explanation string `json:"explanation,omitempty"`
}

func (e *Error) Error() string {
	if e.Detail != nil && e.Detail.Field != "" {
		return fmt.Sprintf("%s: %s (%s %s)", e.Code, e.Message, e.Detail.Location, e.Detail.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Status is the HTTP status to answer with.
func (e *Error) Status() int {
	if e.StatusOverride != 0 {
		return e.StatusOverride
	}
	return e.Code.Status()
}

// New returns an error without detail.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Newf returns an error without detail and with a formatted message.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetail returns e with detail set.
func (e *Error) WithDetail(d Detail) *Error {
	e.Detail = &d
	return e
}

// Locations of an offending value.
const (
	LocBody          = "body"
	LocQuery         = "query"
	LocPath          = "path"
	LocHeader        = "header"
	LocAuthorization = "authorization"
)

// Param is a PARAM_ERROR about one input: location is LocBody, LocQuery,
// LocPath or LocHeader; field is the JSON Pointer (body) or parameter name;
// message is the Chinese text WeChat Pay shows and issue the English one.
func Param(location, field, message, issue string, value any) *Error {
	return &Error{Code: ParamError, Message: message, Detail: &Detail{Field: field, Value: value, Issue: issue, Location: location}}
}
