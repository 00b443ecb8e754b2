package client

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client/internal/httpapi"
)

// Option configures a Client. An option validates its argument and New
// reports the first invalid one, so a misconfiguration fails at start-up
// rather than on the first payment.
type Option func(*options) error

type options struct {
	baseURL    string
	httpClient *http.Client
	now        func() time.Time
	verifier   Verifier
	userAgent  string
	retry      RetryPolicy
	encryption *encryptionKey
}

func defaultOptions() options {
	return options{
		baseURL:    DefaultBaseURL,
		httpClient: &http.Client{Timeout: DefaultTimeout},
		now:        time.Now,
		userAgent:  defaultUserAgent(),
		retry:      RetryPolicy{MaxAttempts: 1},
	}
}

// WithBaseURL sends requests to base (scheme and host, optionally a path
// prefix) instead of DefaultBaseURL: the mock, a backup host such as
// https://api2.mch.weixin.qq.com, or a forward proxy. A trailing slash is
// ignored.
func WithBaseURL(base string) Option {
	return func(o *options) error {
		u, err := httpapi.BaseURL(base)
		if err != nil {
			return fmt.Errorf("WithBaseURL: %w", err)
		}
		o.baseURL = u
		return nil
	}
}

// WithHTTPClient sends requests with hc, e.g. one whose transport trusts the
// mock's test CA or routes through a proxy. Its Timeout bounds each attempt.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return errors.New("WithHTTPClient: nil *http.Client")
		}
		o.httpClient = hc
		return nil
	}
}

// WithClock replaces time.Now for request timestamps, the 5-minute freshness
// check of answers and callbacks, and the certificate refresh interval, so
// tests can verify old fixtures without waiting.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithVerifier checks answers and callbacks with v instead of the default
// auto-refreshing CertificateSource: NewPublicKeyVerifier for merchants in
// public-key mode, NewMultiVerifier during a migration.
func WithVerifier(v Verifier) Option {
	return func(o *options) error {
		if v == nil {
			return errors.New("WithVerifier: nil Verifier")
		}
		o.verifier = v
		return nil
	}
}

// WithUserAgent replaces the default User-Agent. WeChat Pay rejects requests
// without one, so it must not be empty.
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if strings.TrimSpace(ua) == "" {
			return errors.New("WithUserAgent: empty User-Agent")
		}
		o.userAgent = ua
		return nil
	}
}

// WithEncryptionKey sets the WeChat Pay key that sensitive request fields
// (a user's name, phone number, ID number, address) are encrypted for, with
// RSA-OAEP/SHA-1 (protocol.md §1.6): either a platform certificate's key and
// its serial (protocol.SerialNumber of the certificate), or the WeChat Pay
// public key (pub_key.pem) and its id "PUB_KEY_ID_…". A request carrying
// such fields names the key in Wechatpay-Serial, and WeChat Pay signs its
// answer with that same key, so the client's Verifier must hold it: use the
// certificate the Verifier trusts, or the public key of a
// PublicKeyVerifier (or of a MultiVerifier during a migration).
//
// Without this option, a request with a sensitive field is refused locally
// with a *ValidationError; requests without one never need it.
func WithEncryptionKey(serial string, pub *rsa.PublicKey) Option {
	return func(o *options) error {
		if strings.TrimSpace(serial) == "" {
			return errors.New("WithEncryptionKey: empty serial")
		}
		if pub == nil || pub.N == nil {
			return errors.New("WithEncryptionKey: nil public key")
		}
		if pub.Size() < minOAEPKeySize {
			return fmt.Errorf("WithEncryptionKey: %d-bit key is too small for RSA-OAEP; WeChat Pay keys are 2048-bit", pub.N.BitLen())
		}
		o.encryption = &encryptionKey{serial: serial, pub: pub}
		return nil
	}
}

// RetryPolicy retries a request that failed in transport or was answered 429
// or 5xx. WeChat Pay documents that such requests are to be repeated with
// identical parameters, and its pay-score and refund APIs are idempotent on
// the merchant's order and refund numbers; each attempt sends the same body
// bytes under a fresh timestamp, nonce and signature.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt: 1 disables retries (the default).
	MaxAttempts int
	// Backoff returns the wait before retry number attempt (1 for the wait
	// after the first failure). Nil means DefaultBackoff. A longer
	// Retry-After on a 429 or 503 wins.
	Backoff func(attempt int) time.Duration
	// Sleep waits d or until ctx is done, returning ctx's error then. Nil
	// means a timer; tests inject a recorder so they never sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

// WithRetry enables retries with p. See RetryPolicy.
func WithRetry(p RetryPolicy) Option {
	return func(o *options) error {
		if p.MaxAttempts < 1 {
			return fmt.Errorf("WithRetry: MaxAttempts is %d, want at least 1", p.MaxAttempts)
		}
		o.retry = p
		return nil
	}
}

// DefaultBackoff waits 200 ms, 400 ms, 800 ms … up to 5 s, each with up to
// 25 % random jitter so that many clients failing together do not retry in
// lockstep.
func DefaultBackoff(attempt int) time.Duration {
	const base, limit = 200 * time.Millisecond, 5 * time.Second
	d := limit
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 5 {
		d = min(base<<(attempt-1), limit)
	}
	return d + rand.N(d/4+1)
}

func (p RetryPolicy) backoff(attempt int) time.Duration {
	if p.Backoff != nil {
		return p.Backoff(attempt)
	}
	return DefaultBackoff(attempt)
}

func (p RetryPolicy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
