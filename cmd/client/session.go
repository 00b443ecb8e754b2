package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/sandbox"
)

const (
	// defaultMchID is the mock's default merchant (testdata/certs).
	defaultMchID = "1230000109"
	// defaultListenAddr is where `listen` receives callbacks, and so the
	// notify_url sent to a mock when none is configured.
	defaultListenAddr = "127.0.0.1:9000"
	defaultNotifyPath = "/notify"
)

// session is what a run resolves lazily and at most once: the settings,
// whether the target is a mock, the merchant and its client.
type session struct {
	cfg    *settings
	probed bool
	mock   *sandbox.Health // nil: not a mock
	hc     *http.Client
	sb     *sandbox.Client
	m      *merchant
	c      *client.Client
}

// settings returns the merged configuration.
func (a *app) settings() (settings, error) {
	if a.sess.cfg == nil {
		s, err := loadSettings(a.configPath, a.environ, a.flagSettings)
		if err != nil {
			return settings{}, err
		}
		a.sess.cfg = &s
	}
	return *a.sess.cfg, nil
}

// httpClient returns the HTTP client of every request the run makes: API
// calls, certificate downloads and the /sandbox API. It trusts the
// system's CAs and, with --ca-cert, those of that file too, so that a mock
// serving HTTPS with a test certificate can be reached.
func (a *app) httpClient() (*http.Client, error) {
	if a.sess.hc == nil {
		cfg, err := a.settings()
		if err != nil {
			return nil, err
		}
		hc := &http.Client{Timeout: client.DefaultTimeout}
		if cfg.CACert != "" {
			pool, err := readSettingFile(cfg.CACert, "--ca-cert / MOCKPAY_CA_CERT", "it is a PEM file of CERTIFICATE blocks, e.g. testdata/certs/ca_cert.pem", withSystemRoots)
			if err != nil {
				return nil, err
			}
			t := http.DefaultTransport.(*http.Transport).Clone()
			t.TLSClientConfig = &tls.Config{RootCAs: pool}
			hc.Transport = t
		}
		a.sess.hc = hc
	}
	return a.sess.hc, nil
}

// withSystemRoots returns the system's CA pool with the certificates of
// pemData added. A file without any is an error, so that a wrong file (a
// key, say) does not go unnoticed until the handshake fails.
func withSystemRoots(pemData []byte) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // no system pool on this platform: the file's CAs alone
	}
	n := 0
	for rest := pemData; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, errors.New("no PEM CERTIFICATE in it")
	}
	return pool, nil
}

// sandboxAPI returns a client of the target's /sandbox API.
func (a *app) sandboxAPI() (*sandbox.Client, error) {
	if a.sess.sb == nil {
		cfg, err := a.settings()
		if err != nil {
			return nil, err
		}
		hc, err := a.httpClient()
		if err != nil {
			return nil, err
		}
		sb, err := sandbox.New(cfg.URL, sandbox.WithToken(cfg.SandboxToken), sandbox.WithHTTPClient(hc))
		if err != nil {
			return nil, &usageError{msg: fmt.Sprintf("--url / MOCKPAY_URL: %v", err)}
		}
		a.sess.sb = sb
	}
	return a.sess.sb, nil
}

// isWeChatPay reports whether the URL is one of WeChat Pay's API hosts,
// which are never probed for /sandbox/health.
func isWeChatPay(base string) bool {
	u, err := url.Parse(base)
	return err == nil && strings.HasSuffix(u.Hostname(), ".weixin.qq.com")
}

// probe finds out once whether the target is a mock (it answers GET
// /sandbox/health). A target that cannot be reached is an error with a
// hint, since nothing else would work either.
func (a *app) probe(ctx context.Context) (*sandbox.Health, error) {
	if a.sess.probed {
		return a.sess.mock, nil
	}
	cfg, err := a.settings()
	if err != nil {
		return nil, err
	}
	if !isWeChatPay(cfg.URL) {
		sb, err := a.sandboxAPI()
		if err != nil {
			return nil, err
		}
		h, err := sb.GetHealth(ctx)
		switch {
		case speaksHTTPS(err):
			return nil, &hintError{
				err:  fmt.Errorf("%s answers in HTTPS, not HTTP", cfg.URL),
				hint: "use " + strings.Replace(cfg.URL, "http://", "https://", 1) + " (against the mock's test certificate, with --ca-cert testdata/certs/ca_cert.pem)",
			}
		case errors.Is(err, sandbox.ErrNotMock):
		case err != nil:
			return nil, unreachable(cfg.URL, err)
		default:
			a.sess.mock = h
		}
	}
	a.sess.probed = true
	return a.sess.mock, nil
}

// speaksHTTPS reports whether err is the answer of an HTTPS server (Go's,
// as the mock's) to a plain HTTP request: 400 "Client sent an HTTP request
// to an HTTPS server."
func speaksHTTPS(err error) bool {
	var se *sandbox.Error
	return errors.As(err, &se) && se.StatusCode == http.StatusBadRequest && strings.Contains(string(se.Body), "HTTP request to an HTTPS server")
}

// unreachable explains a transport error reaching the target.
func unreachable(base string, err error) error {
	var ne net.Error
	var oe *net.OpError
	hint := trustHint(err)
	switch {
	case hint != "":
	case errors.As(err, &oe) || errors.As(err, &ne):
		if base == defaultURL {
			hint = "start the mock with 'go run ./cmd/mockpay', or point --url / MOCKPAY_URL elsewhere"
		} else {
			hint = "check --url / MOCKPAY_URL"
		}
	}
	return &hintError{err: fmt.Errorf("cannot reach %s: %w", base, err), hint: hint}
}

// trustHint suggests --ca-cert when err is a server certificate that no
// trusted CA signed, as a mock serving testdata/certs/tls_cert.pem has.
func trustHint(err error) string {
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		return "trust the server's CA with --ca-cert / MOCKPAY_CA_CERT (the mock's test CA is testdata/certs/ca_cert.pem)"
	}
	return ""
}

// hintError is a failure with a suggestion of what to do about it.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// isMock reports whether the target is a mockpay sandbox.
func (a *app) isMock(ctx context.Context) (bool, error) {
	h, err := a.probe(ctx)
	return h != nil, err
}

// requireMock fails unless the target is a mock; what names the command.
func (a *app) requireMock(ctx context.Context, what string) (*sandbox.Client, error) {
	mock, err := a.isMock(ctx)
	if err != nil {
		return nil, err
	}
	if !mock {
		cfg, _ := a.settings()
		return nil, &hintError{
			err:  fmt.Errorf("%s needs a mockpay sandbox, and %s is not one (it has no /sandbox/health)", what, cfg.URL),
			hint: "point --url / MOCKPAY_URL at the mock, e.g. http://127.0.0.1:8080",
		}
	}
	return a.sandboxAPI()
}

// serverNow is "now" for default times: the mock's domain clock (which may
// be virtual), else the local clock.
func (a *app) serverNow(ctx context.Context) (time.Time, error) {
	mock, err := a.isMock(ctx)
	if err != nil || !mock {
		return time.Now(), err
	}
	sb, err := a.sandboxAPI()
	if err != nil {
		return time.Time{}, err
	}
	st, err := sb.GetClock(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("read the mock's clock: %w", err)
	}
	return st.Now, nil
}
