package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/internal/httpapi"
)

// Error codes of the sandbox's own. Its other codes are WeChat Pay's:
// client.CodeParamError (a field is missing or malformed; the detail names
// it) and client.CodeInvalidRequest (the body cannot be read).
const (
	CodeUnauthorized     client.ErrorCode = "UNAUTHORIZED"       // 401: the mock needs the bearer token (WithToken)
	CodeNotFound         client.ErrorCode = "NOT_FOUND"          // 404: no such merchant, user, order, callback or scenario
	CodeMethodNotAllowed client.ErrorCode = "METHOD_NOT_ALLOWED" // 405: the endpoint has no such method (an older mock)
	CodeConflict         client.ErrorCode = "CONFLICT"           // 409: the state does not allow it, e.g. the clock is real
)

// Error is a non-2xx answer of the sandbox API.
type Error struct {
	StatusCode int              // HTTP status
	Code       client.ErrorCode // e.g. CodeNotFound; empty if the body was not the sandbox's JSON
	Message    string           // for people
	Detail     json.RawMessage  // optional detail object, e.g. the field a PARAM_ERROR is about
	Body       []byte           // the raw body, also when it was not JSON
}

func newError(status int, body []byte) *Error {
	e := &Error{StatusCode: status, Body: body}
	if eb, ok := httpapi.ParseErrorBody(body); ok {
		e.Code, e.Message, e.Detail = client.ErrorCode(eb.Code), eb.Message, eb.Detail
	}
	return e
}

// Error renders "CODE: message", or the status and the start of the body
// when the body was not the sandbox's JSON (the target is not a mock).
func (e *Error) Error() string {
	if e.Code != "" {
		return string(e.Code) + ": " + e.Message
	}
	msg := fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if b := strings.TrimSpace(string(e.Body)); b != "" {
		if len(b) > 200 {
			b = b[:200] + "…"
		}
		msg += ": " + b
	}
	return msg
}

// IsCode reports whether err is, or wraps, an *Error with the given code.
func IsCode(err error, code client.ErrorCode) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// ErrNotMock says that the target answered, but not as a mockpay sandbox:
// GetHealth found no health there (the real WeChat Pay, another server).
var ErrNotMock = errors.New("the target is not a mockpay sandbox (no /sandbox/health)")
