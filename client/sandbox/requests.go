package sandbox

import (
	"context"
	"net/http"

	"github.com/mockpay/mockpay/client"
)

// SignatureVerdict is what the mock made of a request's signature.
type SignatureVerdict string

// Signature verdicts.
const (
	SignatureValid      SignatureVerdict = "valid"
	SignatureInvalid    SignatureVerdict = "invalid"     // see RequestRecord.VerifiedMessage
	SignatureMalformed  SignatureVerdict = "malformed"   // no or unparseable Authorization header
	SignatureNotChecked SignatureVerdict = "not_checked" // unknown path or method: nothing to authenticate
)

// RequestRecord is one v3 API call the mock received.
type RequestRecord struct {
	RequestID string `json:"request_id"`
	// Time is when the call arrived in domain time: RFC 3339 with
	// milliseconds, Beijing time.
	Time       string           `json:"time"`
	MchID      string           `json:"mchid,omitempty"`
	SubMchID   string           `json:"sub_mchid,omitempty"` // the sub-merchant a service provider's call acted for
	Method     string           `json:"method"`
	URL        string           `json:"url"` // path and query as sent
	OrderKind  OrderKind        `json:"order_kind,omitempty"`
	OutOrderNo string           `json:"out_order_no,omitempty"` // the order the call was about
	Status     int              `json:"status"`
	Code       client.ErrorCode `json:"code,omitempty"` // of a failed call
	Signature  SignatureVerdict `json:"signature"`
	// SignatureIssue says what was wrong with the signature, and
	// VerifiedMessage is the exact message the mock verified: compare it
	// with the one you signed.
	SignatureIssue  string  `json:"signature_issue,omitempty"`
	VerifiedMessage string  `json:"verified_message,omitempty"`
	Scenario        string  `json:"scenario,omitempty"` // the scenario that shaped the call
	Injected        string  `json:"injected,omitempty"` // what it did: latency, a fault, a dropped answer
	DurationMS      float64 `json:"duration_ms"`
	answer
}

// ListRequestsRequest filters GET /sandbox/requests.
type ListRequestsRequest struct {
	MchID string // empty: every merchant's
	Limit int    // at most this many, the newest; 0 lists every call the mock keeps
}

// ListRequests lists the latest v3 API calls, newest first, with their
// signature verdicts: GET /sandbox/requests, page after page.
func (c *Client) ListRequests(ctx context.Context, req ListRequestsRequest) ([]RequestRecord, error) {
	q := query("mchid", req.MchID)
	return callList[RequestRecord](ctx, c, endpoint("ListRequests", http.MethodGet, "/sandbox/requests").with(q, nil), req.Limit)
}
