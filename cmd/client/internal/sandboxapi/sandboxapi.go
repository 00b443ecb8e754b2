// Package sandboxapi is a small client for mockpay's sandbox control API
// (/sandbox/*, docs architecture.md "Sandbox control API"): plain JSON in
// and out, errors as {"code","message"}, and a bearer token when the server
// was started with MOCKPAY_SANDBOX_TOKEN.
//
// It has its own wire types, holding only the fields the CLI reads, rather
// than importing the mock: the CLI talks to a mock over HTTP, usually in
// another process, and must not drag the server into its binary.
package sandboxapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one mock's sandbox API.
type Client struct {
	base  string // scheme://host[/prefix], no trailing slash
	token string
	http  *http.Client
}

// New returns a client for the mock at base. token, when not empty, is sent
// as "Authorization: Bearer <token>"; hc nil means a client with a 30 s
// timeout.
func New(base, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: hc}
}

// Error is a non-2xx answer of the sandbox API.
type Error struct {
	Status  int             // HTTP status
	Code    string          // e.g. NOT_FOUND, CONFLICT, PARAM_ERROR
	Message string          // human text
	Detail  json.RawMessage // optional detail object
	Body    []byte          // the raw body, also when it was not JSON
}

// Error renders "CODE: message", or the status when the body was not the
// documented JSON shape (e.g. the target is not a mock).
func (e *Error) Error() string {
	if e.Code != "" {
		return e.Code + ": " + e.Message
	}
	msg := fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	if b := strings.TrimSpace(string(e.Body)); b != "" {
		if len(b) > 200 {
			b = b[:200] + "…"
		}
		msg += ": " + b
	}
	return msg
}

// Request is one call to the sandbox API.
type Request struct {
	Method string
	Path   string     // under the base URL, e.g. /sandbox/clock
	Query  url.Values // optional
	// Body is JSON-encoded unless it is a []byte, which is sent as is
	// with ContentType.
	Body        any
	ContentType string // for a []byte body; default application/json
}

// Do sends req and returns the raw JSON answer (nil for 204). A non-2xx
// answer is an *Error.
func (c *Client) Do(ctx context.Context, req Request) (json.RawMessage, error) {
	status, raw, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	if status < 200 || status > 299 {
		e := &Error{Status: status, Body: raw}
		var wire struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Detail  json.RawMessage `json:"detail"`
		}
		if json.Unmarshal(raw, &wire) == nil {
			e.Code, e.Message = wire.Code, wire.Message
			if len(wire.Detail) > 0 && string(wire.Detail) != "null" {
				e.Detail = wire.Detail
			}
		}
		return nil, e
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%s %s: the answer is not JSON: %.100q", req.Method, req.Path, raw)
	}
	return raw, nil
}

// send makes the HTTP exchange and returns the status and body.
func (c *Client) send(ctx context.Context, req Request) (int, []byte, error) {
	target := c.base + req.Path
	if len(req.Query) > 0 {
		target += "?" + req.Query.Encode()
	}
	var body io.Reader
	contentType := ""
	switch b := req.Body.(type) {
	case nil:
	case []byte:
		body, contentType = bytes.NewReader(b), req.ContentType
		if contentType == "" {
			contentType = "application/json"
		}
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return 0, nil, fmt.Errorf("encode %s %s: %w", req.Method, req.Path, err)
		}
		body, contentType = bytes.NewReader(raw), "application/json"
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, target, body)
	if err != nil {
		return 0, nil, err
	}
	hr.Header.Set("Accept", "application/json")
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: read answer: %w", req.Method, req.Path, err)
	}
	return resp.StatusCode, raw, nil
}

// call sends req and decodes the answer into out (if not nil).
func (c *Client) call(ctx context.Context, req Request, out any) error {
	raw, err := c.Do(ctx, req)
	if err != nil || out == nil || raw == nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: unexpected answer: %w", req.Method, req.Path, err)
	}
	return nil
}

// ErrNotMock is returned by Probe when the target answers, but not as a
// mockpay sandbox (the real WeChat Pay, or another server).
var ErrNotMock = errors.New("the target is not a mockpay sandbox (no /sandbox/health)")

// Probe asks GET /sandbox/health, which needs no token. It returns
// ErrNotMock when the server answers without being a mock, and the
// transport error when nothing answers.
func (c *Client) Probe(ctx context.Context) (Health, error) {
	var h Health
	status, raw, err := c.send(ctx, Request{Method: http.MethodGet, Path: "/sandbox/health"})
	if err != nil {
		return h, err
	}
	if status != http.StatusOK || json.Unmarshal(raw, &h) != nil || h.Status != "ok" {
		return Health{}, ErrNotMock
	}
	return h, nil
}

// Health is GET /sandbox/health.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
	Clock   string `json:"clock"` // real or virtual
}

// Merchant is a merchant record (GET /sandbox/merchants/{mchid}).
type Merchant struct {
	MchID          string   `json:"mchid"`
	SerialNo       string   `json:"serial_no"`
	CertificatePEM string   `json:"certificate_pem,omitempty"`
	PublicKeyPEM   string   `json:"public_key_pem,omitempty"`
	PrivateKeyPEM  string   `json:"private_key_pem,omitempty"`
	APIv3Key       string   `json:"apiv3_key"`
	AppIDs         []string `json:"appids"`
	ServiceIDs     []string `json:"service_ids"`
	NotifyURL      string   `json:"notify_url,omitempty"`
	PlatformMode   string   `json:"platform_mode"`
	RiskFundCap    int64    `json:"risk_fund_cap"`
}

// MerchantSpec is the body of POST /sandbox/merchants; every field is
// optional.
type MerchantSpec struct {
	MchID        string   `json:"mchid,omitempty"`
	AppIDs       []string `json:"appids,omitempty"`
	ServiceIDs   []string `json:"service_ids,omitempty"`
	NotifyURL    string   `json:"notify_url,omitempty"`
	PlatformMode string   `json:"platform_mode,omitempty"`
	RiskFundCap  int64    `json:"risk_fund_cap,omitempty"`
}

// Platform is GET /sandbox/platform: what verifies the mock's signatures.
type Platform struct {
	SerialNo       string `json:"serial_no"`
	CertificatePEM string `json:"certificate_pem"`
	PublicKeyID    string `json:"public_key_id"`
	PublicKeyPEM   string `json:"public_key_pem"`
}

// Event is work the mock clock scheduled or ran.
type Event struct {
	At    time.Time `json:"at"`
	Label string    `json:"label"`
}

// Clock is GET /sandbox/clock and POST /sandbox/clock/advance.
type Clock struct {
	Now     time.Time `json:"now"`
	Mode    string    `json:"mode"` // real or virtual
	Scale   float64   `json:"scale,omitempty"`
	Pending []Event   `json:"pending"`
	Fired   []Event   `json:"fired,omitempty"`
}

// Virtual reports whether the clock moves only when advanced.
func (c Clock) Virtual() bool { return c.Mode == "virtual" }

// Attempt is one delivery attempt of a callback.
type Attempt struct {
	At         string  `json:"at"`
	Status     int     `json:"status"` // 0 when no answer came back (see Error)
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	// Kind is empty for an attempt of the retry schedule, else
	// "redelivery", or a scenario's "duplicate" or "forged:<kind>" copy.
	Kind string `json:"kind,omitempty"`
}

// Genuine reports whether the attempt delivered the callback itself, on
// its schedule or redelivered, rather than a scenario's extra copy of it.
func (a Attempt) Genuine() bool { return a.Kind == "" || a.Kind == "redelivery" }

// Notification is a callback as GET /sandbox/notifications shows it.
type Notification struct {
	ID         string          `json:"id"`
	EventType  string          `json:"event_type"`
	Summary    string          `json:"summary"`
	MchID      string          `json:"mchid"`
	OutOrderNo string          `json:"out_order_no,omitempty"`
	NotifyURL  string          `json:"notify_url"`
	CreateTime string          `json:"create_time"`
	Resource   json.RawMessage `json:"resource"`
	State      string          `json:"state"`          // pending, delivered, failed or dropped
	Note       string          `json:"note,omitempty"` // why it was dropped or delayed
	Attempts   []Attempt       `json:"attempts"`
}

// NotificationFilter selects callbacks (GET /sandbox/notifications); empty
// fields match all.
type NotificationFilter struct {
	MchID, OutOrderNo, EventType string
}

// Notifications lists the callbacks the mock made, oldest first.
func (c *Client) Notifications(ctx context.Context, f NotificationFilter) ([]Notification, error) {
	q := url.Values{}
	for k, v := range map[string]string{"mchid": f.MchID, "out_order_no": f.OutOrderNo, "event_type": f.EventType} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var ns []Notification
	err := c.call(ctx, Request{Method: http.MethodGet, Path: "/sandbox/notifications", Query: q}, &ns)
	return ns, err
}

// TimelineEntry is one thing that happened to an order.
type TimelineEntry struct {
	At      string `json:"at"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
}

// Order is an order as the sandbox shows it (the API's view of it has more
// fields, kept in the raw JSON).
type Order struct {
	Kind       string          `json:"kind"`
	OutOrderNo string          `json:"out_order_no"`
	State      string          `json:"state"`
	OpenID     string          `json:"openid,omitempty"`
	QueryID    string          `json:"query_id"`
	CreatedAt  string          `json:"created_at"`
	UpdatedAt  string          `json:"updated_at"`
	Timeline   []TimelineEntry `json:"timeline,omitempty"`
}

// ScenarioInfo is a loaded scenario as GET /sandbox/scenarios shows it.
type ScenarioInfo struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Effects []string `json:"effects"`
	Applied int      `json:"applied"` // how often it took effect
}

// RequestRecord is one v3 API call as GET /sandbox/requests shows it.
type RequestRecord struct {
	RequestID  string  `json:"request_id"`
	Time       string  `json:"time"`
	MchID      string  `json:"mchid,omitempty"`
	Method     string  `json:"method"`
	URL        string  `json:"url"`
	OutOrderNo string  `json:"out_order_no,omitempty"`
	Status     int     `json:"status"`
	Code       string  `json:"code,omitempty"`
	Signature  string  `json:"signature"`
	SignIssue  string  `json:"signature_issue,omitempty"`
	Verified   string  `json:"verified_message,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// GetClock returns the mock's domain time and mode.
func (c *Client) GetClock(ctx context.Context) (Clock, error) {
	var st Clock
	err := c.call(ctx, Request{Method: http.MethodGet, Path: "/sandbox/clock"}, &st)
	return st, err
}

// Advance moves a virtual clock by d (0 waits for the work already due)
// and returns after everything that fell due has run.
func (c *Client) Advance(ctx context.Context, d time.Duration) (Clock, error) {
	var st Clock
	err := c.call(ctx, Request{Method: http.MethodPost, Path: "/sandbox/clock/advance", Body: map[string]string{"duration": d.String()}}, &st)
	return st, err
}

// AdvanceTo moves a virtual clock to t; see Advance.
func (c *Client) AdvanceTo(ctx context.Context, t time.Time) (Clock, error) {
	var st Clock
	err := c.call(ctx, Request{Method: http.MethodPost, Path: "/sandbox/clock/advance", Body: map[string]string{"to": t.Format(time.RFC3339Nano)}}, &st)
	return st, err
}

// Merchant returns one merchant record.
func (c *Client) Merchant(ctx context.Context, mchid string) (Merchant, error) {
	var m Merchant
	err := c.call(ctx, Request{Method: http.MethodGet, Path: "/sandbox/merchants/" + url.PathEscape(mchid)}, &m)
	return m, err
}

// CreateMerchant registers a merchant; the mock generates what spec leaves
// out, including the private key.
func (c *Client) CreateMerchant(ctx context.Context, spec MerchantSpec) (Merchant, error) {
	var m Merchant
	err := c.call(ctx, Request{Method: http.MethodPost, Path: "/sandbox/merchants", Body: spec}, &m)
	return m, err
}

// MerchantPatch is the body of PATCH /sandbox/merchants/{mchid}, a JSON
// merge patch: the fields given replace the merchant's, the others stay.
type MerchantPatch struct {
	NotifyURL    string `json:"notify_url,omitempty"`
	PlatformMode string `json:"platform_mode,omitempty"` // certificate or public_key
}

// UpdateMerchant changes a registered merchant and returns its record.
func (c *Client) UpdateMerchant(ctx context.Context, mchid string, patch MerchantPatch) (Merchant, error) {
	var m Merchant
	err := c.call(ctx, Request{Method: http.MethodPatch, Path: "/sandbox/merchants/" + url.PathEscape(mchid), Body: patch}, &m)
	return m, err
}

// Platform returns what verifies the mock's signatures.
func (c *Client) Platform(ctx context.Context) (Platform, error) {
	var p Platform
	err := c.call(ctx, Request{Method: http.MethodGet, Path: "/sandbox/platform"}, &p)
	return p, err
}

// AuthorizeRequest is the body of POST /sandbox/users/{openid}/authorize.
type AuthorizeRequest struct {
	MchID             string `json:"mchid"`
	ServiceID         string `json:"service_id,omitempty"`
	AppID             string `json:"appid,omitempty"`
	AuthorizationCode string `json:"authorization_code,omitempty"`
}

// Authorize is the user opening the merchant's service.
func (c *Client) Authorize(ctx context.Context, openid string, req AuthorizeRequest) (json.RawMessage, error) {
	return c.Do(ctx, Request{Method: http.MethodPost, Path: "/sandbox/users/" + url.PathEscape(openid) + "/authorize", Body: req})
}

// Confirm is the user confirming (service order) or accepting (payafter
// order) an order; openid names the user of an order created without one.
func (c *Client) Confirm(ctx context.Context, mchid, outOrderNo, openid string) (json.RawMessage, error) {
	body := map[string]string{}
	if openid != "" {
		body["openid"] = openid
	}
	return c.Do(ctx, Request{Method: http.MethodPost, Path: OrderPath(mchid, outOrderNo) + "/confirm", Body: body})
}

// OrderPath is the sandbox path of one order.
func OrderPath(mchid, outOrderNo string) string {
	return "/sandbox/orders/" + url.PathEscape(mchid) + "/" + url.PathEscape(outOrderNo)
}
