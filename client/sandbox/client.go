package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client/internal/httpapi"
)

// DefaultTimeout bounds one call of the default HTTP client, except an
// advance of the clock (AdvanceClock), which only the caller's context
// bounds.
const DefaultTimeout = 30 * time.Second

// maxAnswer bounds what a call reads: a listing of a full request log is a
// few MiB; more is not the sandbox talking.
const maxAnswer = 32 << 20

// Client calls the sandbox control API of one mock. It is safe for
// concurrent use and holds no state between calls.
type Client struct {
	base  string // scheme://host[/prefix], no trailing slash
	token string
	http  *http.Client
}

// Option configures a Client.
type Option func(*Client) error

// WithToken sends "Authorization: Bearer <token>" with every call, as a
// mock started with MOCKPAY_SANDBOX_TOKEN requires. An empty token sends
// nothing, so a test can pass the variable as it is set or not.
func WithToken(token string) Option {
	return func(c *Client) error {
		c.token = token
		return nil
	}
}

// WithHTTPClient makes the calls with hc, e.g. one that trusts the mock's
// test CA when it serves HTTPS. Its Timeout bounds each call.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("WithHTTPClient: nil *http.Client")
		}
		c.http = hc
		return nil
	}
}

// New returns a client of the mock at baseURL (scheme and host, e.g.
// http://127.0.0.1:8080; the /sandbox paths are appended to it).
func New(baseURL string, opts ...Option) (*Client, error) {
	base, err := httpapi.BaseURL(baseURL)
	if err != nil {
		return nil, fmt.Errorf("sandbox: base URL: %w", err)
	}
	c := &Client{base: base, http: &http.Client{Timeout: DefaultTimeout}}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(c); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
	}
	return c, nil
}

// answer is embedded in every type a call answers with, to keep the JSON
// it was decoded from.
type answer struct{ raw json.RawMessage }

// Raw returns the JSON object the sandbox answered with, including the
// fields this package does not declare; nil for a value that was not read
// by a Client.
func (a answer) Raw() json.RawMessage { return a.raw }

func (a *answer) keep(raw json.RawMessage) { a.raw = raw }

// keeper is a pointer to a type that embeds answer.
type keeper interface{ keep(json.RawMessage) }

// request is one call of the API.
type request struct {
	method string
	path   string     // escaped, under the base URL
	query  url.Values // nil for none
	// body is JSON-encoded, except a []byte, which is sent as it is with
	// contentType.
	body        any
	contentType string
	// invalid says why the request cannot be sent; do reports it without
	// sending anything.
	invalid error
	// unbounded lifts the HTTP client's Timeout: the call takes as long
	// as the mock needs, and only its context bounds it.
	unbounded bool
}

// endpoint is the request of the call named name: method, and a path whose
// %s verbs take the path parameters, given as name, value, name, value, …
// and escaped. An empty parameter makes the request invalid rather than
// sent: it would name another endpoint (GET /sandbox/merchants/ is not a
// merchant).
func endpoint(name, method, format string, params ...string) request {
	vals := make([]any, 0, len(params)/2)
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] == "" {
			return request{method: method, path: format, invalid: fmt.Errorf("sandbox: %s: %s is required", name, params[i])}
		}
		vals = append(vals, url.PathEscape(params[i+1]))
	}
	return request{method: method, path: fmt.Sprintf(format, vals...)}
}

// with returns r with a query and a JSON body (either may be nil).
func (r request) with(query url.Values, body any) request {
	r.query, r.body = query, body
	return r
}

// withBody returns r with a JSON body, keeping its query.
func (r request) withBody(body any) request {
	r.body = body
	return r
}

func (r request) String() string { return r.method + " " + r.path }

// errBadAnswer is a 2xx answer that is not the JSON the endpoint returns.
var errBadAnswer = errors.New("unexpected answer")

// do makes the call and returns the body of a 2xx answer. A non-2xx answer
// is an *Error; a transport failure is returned as the HTTP client reports
// it (a *url.Error, which names the method and URL).
func (c *Client) do(ctx context.Context, req request) ([]byte, error) {
	raw, _, err := c.doURL(ctx, req, "")
	return raw, err
}

// doURL is do, with the answer's headers, to target (the request's path
// and query under the base URL when empty).
func (c *Client) doURL(ctx context.Context, req request, target string) ([]byte, http.Header, error) {
	if req.invalid != nil {
		return nil, nil, req.invalid
	}
	if target == "" {
		target = c.base + req.path
		if len(req.query) > 0 {
			target += "?" + req.query.Encode()
		}
	}
	var body io.Reader
	contentType := req.contentType
	switch b := req.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: encode the body: %w", req, err)
		}
		body, contentType = bytes.NewReader(raw), "application/json"
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", req, err)
	}
	hr.Header.Set("Accept", "application/json")
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.token)
	}
	hc := c.http
	if req.unbounded && hc.Timeout != 0 {
		lifted := *hc
		lifted.Timeout = 0
		hc = &lifted
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: read the answer (status %d): %w", req, resp.StatusCode, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, newError(resp.StatusCode, raw)
	}
	return raw, resp.Header, nil
}

// exec makes a call whose answer has no body the caller needs.
func (c *Client) exec(ctx context.Context, req request) error {
	_, err := c.do(ctx, req)
	return err
}

// call makes a call that answers with one object and decodes it.
func call[T any, P interface {
	*T
	keeper
}](ctx context.Context, c *Client, req request) (*T, error) {
	raw, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	return decode[T, P](req, raw)
}

// maxPage is the largest page the mock serves (limit=1000): a listing
// read whole is read in as few calls as it can be.
const maxPage = 1000

// callList makes a call that answers with a page of a listing, a JSON
// array, and follows its Link rel="next" until max items are read (0: all
// of them), decoding each element and keeping its own JSON.
func callList[T any, P interface {
	*T
	keeper
}](ctx context.Context, c *Client, req request, max int) ([]T, error) {
	page := maxPage
	if max > 0 && max < page {
		page = max
	}
	if req.query == nil {
		req.query = url.Values{}
	}
	req.query.Set("limit", strconv.Itoa(page))
	out := []T{}
	target := ""
	for {
		raw, hdr, err := c.doURL(ctx, req, target)
		if err != nil {
			return nil, err
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, fmt.Errorf("%s: %w: %w", req, errBadAnswer, err)
		}
		for _, e := range elems {
			if max > 0 && len(out) == max {
				return out, nil
			}
			v, err := decode[T, P](req, e)
			if err != nil {
				return nil, err
			}
			out = append(out, *v)
		}
		next, err := nextPage(c.base, hdr.Get("Link"))
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", req, errBadAnswer, err)
		}
		if next == "" || max > 0 && len(out) >= max {
			return out, nil
		}
		target = next
	}
}

// callArray makes a call that answers with a JSON array that is not paged
// (the scenarios) and decodes each element, keeping its own JSON.
func callArray[T any, P interface {
	*T
	keeper
}](ctx context.Context, c *Client, req request) ([]T, error) {
	raw, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", req, errBadAnswer, err)
	}
	out := make([]T, 0, len(elems))
	for _, e := range elems {
		v, err := decode[T, P](req, e)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// nextPage resolves the rel="next" target of a Link header against the
// base URL; "" when there is none.
func nextPage(base, link string) (string, error) {
	for _, l := range strings.Split(link, ",") {
		ref, params, ok := strings.Cut(strings.TrimSpace(l), ";")
		if !ok || strings.TrimSpace(params) != `rel="next"` {
			continue
		}
		ref = strings.TrimSpace(ref)
		if !strings.HasPrefix(ref, "<") || !strings.HasSuffix(ref, ">") {
			return "", fmt.Errorf("the Link header %q is not <URL>; rel=\"next\"", link)
		}
		b, err := url.Parse(base + "/")
		if err != nil {
			return "", err
		}
		u, err := b.Parse(ref[1 : len(ref)-1])
		if err != nil {
			return "", fmt.Errorf("the Link header %q: %w", link, err)
		}
		return u.String(), nil
	}
	return "", nil
}

func decode[T any, P interface {
	*T
	keeper
}](req request, raw []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", req, errBadAnswer, err)
	}
	P(v).keep(bytes.Clone(raw))
	return v, nil
}

// query returns the non-empty values of kv (name, value, name, value, …)
// as a query; a filter left empty is left out.
func query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}
