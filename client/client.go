package client

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// DefaultBaseURL is WeChat Pay's primary API host. Tests and the sandbox
// override it with WithBaseURL; it is never hard-coded anywhere else.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// DefaultTimeout bounds one HTTP attempt of the default HTTP client, the
// value wechatpay-go uses.
const DefaultTimeout = 30 * time.Second

// Version is this client's version, sent in the default User-Agent.
const Version = "0.1.0"

// Config is a merchant's API identity, as issued by the merchant console.
type Config struct {
	// MchID is the merchant id (商户号), e.g. "1230000109".
	MchID string
	// SerialNo is the serial of the merchant API certificate
	// (apiclient_cert.pem), upper-case hex as the console shows it. WeChat
	// Pay uses it to pick the key that verifies the request signatures.
	SerialNo string
	// PrivateKey is the merchant API private key (apiclient_key.pem) that
	// signs every request; protocol.ParsePrivateKey reads it.
	PrivateKey *rsa.PrivateKey
	// APIv3Key is the 32-byte APIv3 key (APIv3密钥) that decrypts callbacks
	// and downloaded platform certificates. It may be empty only when the
	// client neither decrypts nor uses the default certificate source.
	APIv3Key string
}

func (c Config) validate() error {
	var errs []error
	if c.MchID == "" {
		errs = append(errs, errors.New("MchID is empty"))
	}
	if c.SerialNo == "" {
		errs = append(errs, errors.New("SerialNo is empty"))
	}
	if c.PrivateKey == nil {
		errs = append(errs, errors.New("PrivateKey is nil"))
	}
	if n := len(c.APIv3Key); n != 0 && n != protocol.APIv3KeySize {
		// AES would silently accept 16 or 24 bytes; a real key is always 32.
		errs = append(errs, fmt.Errorf("APIv3Key is %d bytes, want %d", n, protocol.APIv3KeySize))
	}
	return errors.Join(errs...)
}

// Client calls the WeChat Pay API v3 as one merchant: it signs each request,
// verifies each 2xx answer and decrypts callbacks. It is safe for concurrent
// use, holds no global state and starts no goroutines.
type Client struct {
	mchID     string
	serialNo  string
	key       *rsa.PrivateKey
	apiV3Key  []byte
	baseURL   string
	http      *http.Client
	now       func() time.Time
	verifier  Verifier
	userAgent string
	retry     RetryPolicy
	// encryption is the key sensitive fields are encrypted for; nil
	// without WithEncryptionKey.
	encryption *encryptionKey
}

// New builds a Client. Without WithVerifier it verifies answers with a
// CertificateSource that downloads the platform certificates on first use,
// which needs Config.APIv3Key.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("client: invalid config: %w", err)
	}
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
	}
	c := &Client{
		mchID:      cfg.MchID,
		serialNo:   cfg.SerialNo,
		key:        cfg.PrivateKey,
		apiV3Key:   []byte(cfg.APIv3Key),
		baseURL:    o.baseURL,
		http:       o.httpClient,
		now:        o.now,
		verifier:   o.verifier,
		userAgent:  o.userAgent,
		retry:      o.retry,
		encryption: o.encryption,
	}
	if c.verifier == nil {
		if len(c.apiV3Key) == 0 {
			return nil, errors.New("client: the default certificate source needs Config.APIv3Key to decrypt platform certificates; set it or use WithVerifier")
		}
		c.verifier = NewCertificateSource(c)
	}
	return c, nil
}

// MchID returns the merchant id the client signs for.
func (c *Client) MchID() string { return c.mchID }

// Verifier returns the verifier that checks answers and callbacks, e.g. to
// share a CertificateSource with another client of the same merchant.
func (c *Client) Verifier() Verifier { return c.verifier }

// defaultUserAgent names the client and the Go version: WeChat Pay rejects
// requests without a User-Agent, and support asks for it.
func defaultUserAgent() string {
	return fmt.Sprintf("mockpay-client/%s Go/%s (%s/%s)", Version,
		strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, runtime.GOARCH)
}
