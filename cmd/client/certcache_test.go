package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// downloads counts the mock's GET /v3/certificates.
func downloads(t *testing.T, h *harness) int {
	t.Helper()
	n := 0
	for _, r := range h.srv.Requests(mock.RequestFilter{}) {
		if strings.HasPrefix(r.URL, "/v3/certificates") {
			n++
		}
	}
	return n
}

// The platform certificates of a mock are downloaded once and kept for
// the next runs; without a cache directory every run downloads them.
func TestCertificateCache(t *testing.T) {
	t.Parallel()
	platform, err := os.ReadFile(filepath.Join(certsDir, "platform_cert.pem"))
	require.NoError(t, err)

	t.Run("kept between runs", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		dir := t.TempDir()
		env := withEnv(h.env, cacheEnv, dir)
		for range 3 {
			r := runWith(t, env, "user-state", "--openid", "oNobody")
			require.Equal(t, exitOK, r.code, r.stderr)
		}
		assert.Equal(t, 1, downloads(t, h), "one download for three runs")
		kept := loadCertificates(certCachePath(dir, h.url), time.Now())
		require.Len(t, kept, 1)
		want, err := protocol.ParseCertificate(platform)
		require.NoError(t, err)
		assert.True(t, kept[0].Equal(want), "the mock's platform certificate")
	})
	t.Run("no cache directory", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		for _, env := range []map[string]string{h.env, withEnv(h.env, cacheEnv, "off")} {
			r := runWith(t, env, "user-state", "--openid", "oNobody")
			require.Equal(t, exitOK, r.code, r.stderr)
		}
		assert.Equal(t, 2, downloads(t, h))
	})
	t.Run("a certificate the mock no longer signs with", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		dir := t.TempDir()
		// Another mock served at this URL before: its certificate is kept.
		other, err := os.ReadFile(filepath.Join(certsDir, "apiclient_cert.pem"))
		require.NoError(t, err)
		path := certCachePath(dir, h.url)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
		require.NoError(t, os.WriteFile(path, other, 0o600))

		env := withEnv(h.env, cacheEnv, dir)
		for range 2 {
			r := runWith(t, env, "user-state", "--openid", "oNobody")
			require.Equal(t, exitOK, r.code, r.stderr)
		}
		assert.Equal(t, 1, downloads(t, h), "downloaded once, then kept")
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Contains(t, string(raw), strings.TrimSpace(string(platform)), "the stale one replaced")
	})
}

// withEnv is env with k set to v.
func withEnv(env map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for name, value := range env {
		if name != k {
			out[name] = value
		}
	}
	return out
}

// An expired certificate is not kept.
func TestLoadCertificates_expired(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	now := time.Now()
	cert := func(notAfter time.Time) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(notAfter.Unix()), Subject: pkix.Name{CommonName: "platform"}, NotBefore: now.Add(-48 * time.Hour), NotAfter: notAfter}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		require.NoError(t, err)
		return protocol.EncodeCertificate(mustParse(t, der))
	}
	path := filepath.Join(t.TempDir(), "certs.pem")
	require.NoError(t, os.WriteFile(path, append(cert(now.Add(-time.Hour)), cert(now.Add(time.Hour))...), 0o600))
	kept := loadCertificates(path, now)
	require.Len(t, kept, 1)
	assert.True(t, kept[0].NotAfter.After(now))
	assert.Empty(t, loadCertificates(filepath.Join(t.TempDir(), "none.pem"), now))
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

func TestCacheDir(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("the table is of the XDG rules")
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"MOCKPAY_CACHE_DIR", map[string]string{cacheEnv: "/c", "HOME": "/h"}, "/c"},
		{"off", map[string]string{cacheEnv: "off", "HOME": "/h"}, ""},
		{"XDG_CACHE_HOME", map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/mockpay"},
		{"HOME", map[string]string{"HOME": "/h"}, "/h/.cache/mockpay"},
		{"nothing", map[string]string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, cacheDir(tt.env))
		})
	}
}
