package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// maxResponseBody bounds what the client reads of an answer. API answers are
// a few KiB; a larger body is a misrouted request, not a payment.
const maxResponseBody = 4 << 20

// maxRetryAfter caps how long a Retry-After header can make a retry wait, so
// a misbehaving proxy cannot park a payment call for an hour.
const maxRetryAfter = time.Minute

// response is an answer as received: the exact body bytes that were verified.
type response struct {
	StatusCode int
	Header     http.Header
	RequestID  string
	Body       []byte
}

// do is the single path of every typed API call: it signs and sends the
// request (retrying per the policy), turns a non-2xx answer into an
// *APIError, verifies a 2xx answer with the client's verifier and decodes
// its body into out (which may be nil). path is the escaped path under the
// base URL, e.g. "/v3/payscore/serviceorder/" + url.PathEscape(no) + "/cancel";
// query and body may be nil.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) (*response, error) {
	serial, err := c.verifier.Serial(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s %s: preferred Wechatpay-Serial: %w", method, path, err)
	}
	return c.doWithSerial(ctx, method, path, query, body, out, serial)
}

// doWithSerial is do with the Wechatpay-Serial chosen by the caller rather
// than by the verifier: a body with fields encrypted for a WeChat Pay key
// must name that key (protocol.md §1.2), and WeChat Pay then signs the
// answer with it too, so the verifier has to hold it.
func (c *Client) doWithSerial(ctx context.Context, method, path string, query url.Values, body, out any, serial string) (*response, error) {
	resp, err := c.exchange(ctx, method, path, query, body, serial)
	if err != nil {
		return nil, err
	}
	if err := c.verifyResponse(ctx, c.verifier, resp); err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if err := decodeBody(resp, out); err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

// exchange signs and sends a request, retrying per c.retry, and returns the
// unverified 2xx answer or an *APIError. serial, when not empty, is sent as
// Wechatpay-Serial to ask WeChat Pay to sign the answer with that key.
func (c *Client) exchange(ctx context.Context, method, path string, query url.Values, body any, serial string) (*response, error) {
	fail := func(err error) error { return fmt.Errorf("%s %s: %w", method, path, err) }
	target, err := c.requestURL(path, query)
	if err != nil {
		return nil, fail(err)
	}
	payload, err := encodeBody(body)
	if err != nil {
		return nil, fail(err)
	}
	for attempt := 1; ; attempt++ {
		resp, retryable, err := c.attempt(ctx, method, target, payload, serial)
		if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		if err == nil {
			err = newAPIError(resp)
			retryable = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		}
		if !retryable || attempt >= c.retry.MaxAttempts {
			if attempt > 1 {
				return nil, fail(fmt.Errorf("after %d attempts: %w", attempt, err))
			}
			return nil, fail(err)
		}
		wait := c.retry.backoff(attempt)
		if ra := c.retryAfter(resp); ra > wait {
			wait = ra
		}
		if serr := c.retry.sleep(ctx, wait); serr != nil {
			return nil, fail(fmt.Errorf("attempt %d failed (%w); not retrying: %w", attempt, err, serr))
		}
	}
}

// attempt sends one signed request. retryable reports a transport failure
// that a later attempt may not meet (never the caller's own cancellation).
func (c *Client) attempt(ctx context.Context, method, target string, payload []byte, serial string) (resp *response, retryable bool, err error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, false, fmt.Errorf("build request: %w", err)
	}
	if err := c.sign(req, payload); err != nil {
		return nil, false, err
	}
	if serial != "" {
		req.Header.Set(protocol.HeaderSerial, serial)
	}
	hr, err := c.http.Do(req)
	if err != nil {
		return nil, ctx.Err() == nil, fmt.Errorf("send: %w", err)
	}
	defer hr.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hr.Body, maxResponseBody+1))
	if err != nil {
		return nil, ctx.Err() == nil, fmt.Errorf("read answer (status %d): %w", hr.StatusCode, err)
	}
	if len(data) > maxResponseBody {
		return nil, false, fmt.Errorf("answer (status %d) is larger than %d bytes", hr.StatusCode, maxResponseBody)
	}
	return &response{
		StatusCode: hr.StatusCode,
		Header:     hr.Header,
		RequestID:  hr.Header.Get(protocol.HeaderRequestID),
		Body:       data,
	}, false, nil
}

// sign sets the request headers, Authorization last: it signs the URI as it
// will be written on the wire (URL.RequestURI, the form Go's transport
// sends) and the exact payload bytes, under a fresh timestamp and nonce.
func (c *Client) sign(req *http.Request, payload []byte) error {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	ts := c.now().Unix()
	nonce := protocol.NewNonce(32)
	msg := protocol.RequestMessage(req.Method, req.URL.RequestURI(), ts, nonce, payload)
	sig, err := protocol.Sign(c.key, msg)
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	req.Header.Set(protocol.HeaderAuthorization, protocol.Authorization{
		MchID:     c.mchID,
		NonceStr:  nonce,
		Timestamp: ts,
		SerialNo:  c.serialNo,
		Signature: sig,
	}.String())
	return nil
}

// requestURL joins the base URL, an escaped path and the query. The query is
// encoded once here, so the signed URI and the sent URI cannot differ.
func (c *Client) requestURL(path string, query url.Values) (string, error) {
	if !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("path %q does not start with /", path)
	}
	if strings.ContainsAny(path, "?#") {
		return "", fmt.Errorf("path %q contains ? or #; pass the query as url.Values", path)
	}
	u, err := url.Parse(c.baseURL + path)
	if err != nil {
		return "", fmt.Errorf("request URL: %w", err)
	}
	u.RawQuery = query.Encode()
	return u.String(), nil
}

// encodeBody marshals a request body once. The bytes are signed and sent as
// they are (no trailing newline) and reused unchanged by every retry.
func encodeBody(body any) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	b, err := protocol.MarshalJSON(body)
	if err != nil {
		return nil, fmt.Errorf("encode request body: %w", err)
	}
	return b, nil
}

// decodeBody unmarshals a verified body into out. A 204 (or any empty body)
// leaves out untouched.
func decodeBody(resp *response, out any) error {
	if out == nil || len(resp.Body) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("%w: decode answer into %T: %w (request-id %s)", ErrMalformed, out, err, resp.RequestID)
	}
	return nil
}

// retryAfter reads a Retry-After header (seconds or an HTTP date) of a
// retryable answer, capped at maxRetryAfter.
func (c *Client) retryAfter(resp *response) time.Duration {
	if resp == nil {
		return 0
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(min(secs, int(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(c.now())
	}
	return max(0, min(d, maxRetryAfter))
}
