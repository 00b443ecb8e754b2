package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

// newTLSHarness serves a mock over HTTPS with testdata/certs/tls_cert.pem,
// as MOCKPAY_TLS_CERT does: a certificate of the test CA, which no system
// trusts, for 127.0.0.1 among other names.
func newTLSHarness(t *testing.T) *harness {
	t.Helper()
	srv, err := mock.New(mock.Options{Clock: clock.NewVirtual(mock.TestStart)})
	require.NoError(t, err)
	pair, err := tls.LoadX509KeyPair(filepath.Join(certsDir, "tls_cert.pem"), filepath.Join(certsDir, "tls_key.pem"))
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	// The refused handshakes are the point of some tests; keep them out of the log.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
	})
	return harnessOn(t, srv, ts.URL)
}

// TestCACert checks that --ca-cert (MOCKPAY_CA_CERT, ca_cert) makes every
// request of the CLI trust the mock's test CA, and that without it the
// handshake fails.
func TestCACert(t *testing.T) {
	t.Parallel()
	h := newTLSHarness(t)
	caCert := filepath.Join(certsDir, "ca_cert.pem")
	with := func(k, v string) map[string]string {
		env := maps.Clone(h.env)
		env[k] = v
		return env
	}

	// Each command reaches the mock in another way: the /sandbox API, a
	// signed API call whose answer is verified with downloaded platform
	// certificates, and the download itself.
	commands := [][]string{
		{"sandbox", "health"},
		{"user-state", "--openid", "oNobody"},
		{"certificates"},
	}
	trusting := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"flag", h.env, []string{"--ca-cert", caCert}},
		{"environment", with("MOCKPAY_CA_CERT", caCert), nil},
		{"config file", h.env, []string{"--config", writeFile(t, "client.yaml", "ca_cert: "+caCert+"\n")}},
	}
	for _, tt := range trusting {
		for _, cmd := range commands {
			t.Run(tt.name+"/"+cmd[0], func(t *testing.T) {
				t.Parallel()
				r := runWith(t, tt.env, append(cmd, tt.args...)...)
				assert.Equal(t, exitOK, r.code, r.stderr)
			})
		}
	}

	for _, cmd := range commands {
		t.Run("untrusted/"+cmd[0], func(t *testing.T) {
			t.Parallel()
			r := runWith(t, h.env, cmd...)
			assert.Equal(t, exitFailure, r.code)
			assert.Contains(t, r.stderr, "error: cannot reach "+h.url)
			assert.Contains(t, r.stderr, "x509: certificate signed by unknown authority")
			assert.Contains(t, r.stderr, "hint: trust the server's CA with --ca-cert")
		})
	}
	t.Run("http:// to the HTTPS mock", func(t *testing.T) {
		t.Parallel()
		plain := strings.Replace(h.url, "https://", "http://", 1)
		r := runWith(t, with("MOCKPAY_URL", plain), "sandbox", "health", "--ca-cert", caCert)
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "error: "+plain+" answers in HTTPS, not HTTP")
		assert.Contains(t, r.stderr, "hint: use "+h.url)
		assert.NotContains(t, r.stderr, "not a mockpay sandbox")
	})
	t.Run("another CA", func(t *testing.T) {
		t.Parallel()
		// platform_cert.pem is a certificate, but the test CA did not
		// issue the TLS certificate with it.
		r := runWith(t, h.env, "user-state", "--openid", "oNobody", "--ca-cert", filepath.Join(certsDir, "platform_cert.pem"))
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "x509: certificate signed by unknown authority")
	})
}

// TestReport_untrustedCertificate checks the hint for an API call that
// failed the handshake: against a WeChat Pay host name (a mock behind a
// host alias) nothing is probed, so the error comes from the call itself.
func TestReport_untrustedCertificate(t *testing.T) {
	t.Parallel()
	var stderr strings.Builder
	a := newApp(nil, io.Discard, &stderr)
	err := fmt.Errorf("query the order: %w", &url.Error{Op: "Get", URL: "https://api.mch.weixin.qq.com/v3/certificates",
		Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}})
	assert.Equal(t, exitFailure, a.report(err))
	assert.Contains(t, stderr.String(), "error: query the order: Get ")
	assert.Contains(t, stderr.String(), "hint: trust the server's CA with --ca-cert / MOCKPAY_CA_CERT")
}
