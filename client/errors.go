package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mockpay/mockpay/client/internal/httpapi"
	"github.com/mockpay/mockpay/client/protocol"
)

// ErrorCode is the machine code in the "code" field of a WeChat Pay error
// body (protocol.md §8), e.g. ORDER_NOT_EXIST. WeChat Pay adds codes without
// notice, so a code this package does not name is still a valid ErrorCode;
// compare codes with IsCode.
type ErrorCode string

// Error codes of the v3 API, with the HTTP status WeChat Pay sends them with.
const (
	CodeParamError         ErrorCode = "PARAM_ERROR"         // 400: a parameter is missing or malformed
	CodeInvalidRequest     ErrorCode = "INVALID_REQUEST"     // 400: well-formed, but against a protocol or business rule
	CodeSignError          ErrorCode = "SIGN_ERROR"          // 401: the request signature did not verify
	CodeNoAuth             ErrorCode = "NO_AUTH"             // 403: the merchant lacks the permission
	CodeNotEnough          ErrorCode = "NOT_ENOUGH"          // 403 (status unconfirmed): the merchant's balance cannot fund a refund
	CodeOrderNotExist      ErrorCode = "ORDER_NOT_EXIST"     // 404: no such pay-score order
	CodeResourceNotExists  ErrorCode = "RESOURCE_NOT_EXISTS" // 404: no such resource (refund, platform certificates)
	CodeInvalidOrderState  ErrorCode = "INVALID_ORDER_STATE" // 400: not allowed in the order's current state
	CodeOrderCanceled      ErrorCode = "ORDER_CANCELED"      // 400: the order was cancelled
	CodeOrderDone          ErrorCode = "ORDER_DONE"          // 400: the order is already done
	CodeFrequencyLimited   ErrorCode = "FREQUENCY_LIMITED"   // 429: rate limited (pay-score APIs)
	CodeRateLimitExceeded  ErrorCode = "RATELIMIT_EXCEEDED"  // 429: rate limited (generic v3 APIs)
	CodeSystemError        ErrorCode = "SYSTEM_ERROR"        // 500: retry with identical parameters
	CodeServiceUnavailable ErrorCode = "SERVICE_UNAVAILABLE" // 502/503: retry later
)

// APIError is a non-2xx answer of the v3 API. Its fields come from the
// unauthenticated error body: WeChat Pay is not known to sign error answers,
// so the client does not verify them (as wechatpay-go does not).
type APIError struct {
	StatusCode int             // HTTP status
	Code       ErrorCode       // machine code, e.g. CodeOrderNotExist; empty if the body was not JSON
	Message    string          // human text, usually Chinese; the same code can carry different messages
	Detail     json.RawMessage // optional "detail" object, kept raw because its shape varies by code
	RequestID  string          // Request-Id header: quote it to WeChat Pay support
	Header     http.Header     // response headers, e.g. Retry-After on a 429
	Body       []byte          // the raw body, also when it was not JSON
}

// Error renders the status, code, message and Request-Id, the facts WeChat
// Pay support asks for.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wechatpay: %d", e.StatusCode)
	switch {
	case e.Code != "":
		fmt.Fprintf(&b, " %s: %s", e.Code, e.Message)
	case len(e.Body) > 0:
		fmt.Fprintf(&b, " %s: %q", http.StatusText(e.StatusCode), truncate(string(e.Body), 200))
	default:
		fmt.Fprintf(&b, " %s", http.StatusText(e.StatusCode))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request-id %s)", e.RequestID)
	}
	return b.String()
}

// IsCode reports whether err is, or wraps, an *APIError with the given code.
func IsCode(err error, code ErrorCode) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}

// newAPIError builds an APIError from a non-2xx answer. A body that is not
// the documented JSON shape still yields an APIError (with Body), because a
// proxy or load balancer in front of WeChat Pay may answer in HTML.
func newAPIError(resp *response) *APIError {
	e := &APIError{
		StatusCode: resp.StatusCode,
		RequestID:  resp.RequestID,
		Header:     resp.Header,
		Body:       resp.Body,
	}
	if body, ok := httpapi.ParseErrorBody(resp.Body); ok {
		e.Code, e.Message, e.Detail = ErrorCode(body.Code), body.Message, body.Detail
	}
	return e
}

// Sentinel errors for the kinds of verification failure. A *VerificationError
// or *NotificationError wraps one of them as its kind (its cause may wrap
// more, e.g. a failed certificate download), so callers tell the kinds
// apart with errors.Is.
var (
	// ErrMissingHeader: a Wechatpay-* header needed for verification is
	// absent. It is never treated as an empty or zero value.
	ErrMissingHeader = errors.New("missing header")
	// ErrInvalidHeader: a header is present but malformed (e.g. a
	// Wechatpay-Timestamp that is not a number of seconds).
	ErrInvalidHeader = errors.New("invalid header")
	// ErrStaleTimestamp: Wechatpay-Timestamp is 300 s or more away from the
	// client clock, so the message may be a replay.
	ErrStaleTimestamp = errors.New("timestamp outside the 5-minute window")
	// ErrSignatureProbe: the signature is WeChat Pay's WECHATPAY/SIGNTEST/
	// probe, sent to check that merchants really verify. It must be rejected.
	ErrSignatureProbe = protocol.ErrSignTestProbe
	// ErrSignatureMismatch: the signature does not verify under the key the
	// serial names.
	ErrSignatureMismatch = protocol.ErrSignatureMismatch
	// ErrUnknownSerial: no configured key or certificate has the serial in
	// Wechatpay-Serial. A MultiVerifier moves on to its next verifier.
	ErrUnknownSerial = errors.New("unknown Wechatpay-Serial")
	// ErrUnsupportedSignatureType: Wechatpay-Signature-Type is not
	// WECHATPAY2-SHA256-RSA2048, the only suite of RSA merchants.
	ErrUnsupportedSignatureType = errors.New("unsupported Wechatpay-Signature-Type")
	// ErrUnsupportedAlgorithm: an encrypted resource does not use AEAD_AES_256_GCM.
	ErrUnsupportedAlgorithm = errors.New("unsupported encryption algorithm")
	// ErrDecrypt: AEAD_AES_256_GCM authentication failed: a wrong APIv3 key,
	// nonce or associated data, or a tampered ciphertext.
	ErrDecrypt = errors.New("decryption failed")
	// ErrMalformed: a signed body is not the documented JSON shape.
	ErrMalformed = errors.New("malformed body")
	// ErrNoAPIv3Key: the operation decrypts, and Config.APIv3Key is empty.
	ErrNoAPIv3Key = errors.New("client has no APIv3 key (Config.APIv3Key)")
)

// VerificationError says that a 2xx answer failed authentication, so its body
// must not be trusted. Err is one of the sentinel errors above, possibly
// wrapping the cause (e.g. the *APIError of a failed certificate download).
type VerificationError struct {
	RequestID string // Request-Id of the rejected answer, if it had one
	Serial    string // Wechatpay-Serial of the rejected answer, if it had one
	Reason    string // what failed, for people
	Err       error
}

// Error puts the ids before the reason, so that nested causes read in order.
func (e *VerificationError) Error() string {
	var ids []string
	if e.RequestID != "" {
		ids = append(ids, "request-id "+e.RequestID)
	}
	if e.Serial != "" {
		ids = append(ids, "serial "+e.Serial)
	}
	msg := "wechatpay: response verification failed"
	if len(ids) > 0 {
		msg += " (" + strings.Join(ids, ", ") + ")"
	}
	return msg + ": " + e.Reason
}

// Unwrap returns the sentinel error (and through it the cause).
func (e *VerificationError) Unwrap() error { return e.Err }

// NotificationError says why a callback was rejected. Err is one of the
// sentinel errors above; Reason is safe to echo back to the sender.
type NotificationError struct {
	RequestID string // Request-Id header of the callback, if any
	Reason    string
	Err       error
}

// Error says that and why a callback was rejected.
func (e *NotificationError) Error() string {
	if e.RequestID != "" {
		return "wechatpay: notification rejected (request-id " + e.RequestID + "): " + e.Reason
	}
	return "wechatpay: notification rejected: " + e.Reason
}

// Unwrap returns the sentinel error (and through it the cause).
func (e *NotificationError) Unwrap() error { return e.Err }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
