package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/mockpay/mockpay/client"
)

// The platform certificates of a mock, kept between runs: every command
// would otherwise download them from /v3/certificates again, and half of
// the mock's request log would be those downloads. They are kept per mock
// URL until they expire, and only for a mock: the real WeChat Pay's are
// always downloaded, so that no file on disk decides what is trusted.

// cacheEnv names the directory of the CLI's cache; "off" keeps nothing.
const cacheEnv = "MOCKPAY_CACHE_DIR"

// cacheDir is where the CLI keeps its cache, from the run's environment:
// MOCKPAY_CACHE_DIR, else the user's cache directory as os.UserCacheDir
// finds it, read from the environment given rather than the process's, so
// that tests choose; "" when there is none.
func cacheDir(env map[string]string) string {
	if dir := env[cacheEnv]; dir != "" {
		if dir == "off" {
			return ""
		}
		return dir
	}
	var base string
	switch runtime.GOOS {
	case "windows":
		base = env["LocalAppData"]
	case "darwin", "ios":
		if home := env["HOME"]; home != "" {
			base = filepath.Join(home, "Library", "Caches")
		}
	default:
		base = env["XDG_CACHE_HOME"]
		if base == "" && env["HOME"] != "" {
			base = filepath.Join(env["HOME"], ".cache")
		}
	}
	if base == "" {
		return ""
	}
	return filepath.Join(base, "mockpay")
}

// certCachePath is the file that keeps the platform certificates of the
// mock at baseURL.
func certCachePath(dir, baseURL string) string {
	sum := sha256.Sum256([]byte(baseURL))
	return filepath.Join(dir, "platform-certificates", hex.EncodeToString(sum[:8])+".pem")
}

// loadCertificates reads the certificates a cache file keeps, leaving out
// those expired at now. A missing or unreadable file keeps none.
func loadCertificates(path string, now time.Time) []*x509.Certificate {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []*x509.Certificate
	for rest := raw; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return out
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err == nil && b.Type == "CERTIFICATE" && now.Before(cert.NotAfter) {
			out = append(out, cert)
		}
	}
}

// saveCertificates writes the certificates to a cache file, whole or not
// at all (a temporary file renamed over it), for the mock at baseURL.
func saveCertificates(path, baseURL string, certs []*x509.Certificate) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data := []byte("# platform certificates of the mockpay sandbox at " + baseURL + ", downloaded from /v3/certificates\n")
	for _, c := range certs {
		data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".certificates-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// cachedCertificates verifies with the kept certificates and, for a serial
// they do not have, downloads as the client's own source would, keeping
// what it downloaded for the next run.
type cachedCertificates struct {
	path, baseURL string
	source        *client.CertificateSource

	mu   sync.Mutex
	kept *client.CertificateVerifier
}

func newCachedCertificates(path, baseURL string, source *client.CertificateSource, now time.Time) *cachedCertificates {
	return &cachedCertificates{path: path, baseURL: baseURL, source: source, kept: client.NewCertificateVerifier(loadCertificates(path, now)...)}
}

func (v *cachedCertificates) snapshot() *client.CertificateVerifier {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.kept
}

// Verify implements client.Verifier.
func (v *cachedCertificates) Verify(ctx context.Context, serial string, message []byte, signature string) error {
	err := v.snapshot().Verify(ctx, serial, message, signature)
	if !errors.Is(err, client.ErrUnknownSerial) {
		return err
	}
	if err := v.source.Verify(ctx, serial, message, signature); err != nil {
		return err
	}
	v.keep()
	return nil
}

// Serial implements client.Verifier: a kept certificate's, so that the
// mock signs with one the cache holds.
func (v *cachedCertificates) Serial(ctx context.Context) (string, error) {
	if s, _ := v.snapshot().Serial(ctx); s != "" {
		return s, nil
	}
	return v.source.Serial(ctx)
}

// Refresh downloads the certificates unless some are kept: listen calls it
// at start, to fail then rather than on every callback.
func (v *cachedCertificates) Refresh(ctx context.Context) error {
	if len(v.snapshot().Certificates()) > 0 {
		return nil
	}
	if err := v.source.Refresh(ctx); err != nil {
		return err
	}
	v.keep()
	return nil
}

// keep makes what the source downloaded the kept certificates, in memory
// and on disk. A cache that cannot be written costs a download next time,
// nothing more, so that failure is not reported.
func (v *cachedCertificates) keep() {
	certs := v.source.Certificates()
	v.mu.Lock()
	v.kept = client.NewCertificateVerifier(certs...)
	v.mu.Unlock()
	_ = saveCertificates(v.path, v.baseURL, certs)
}
