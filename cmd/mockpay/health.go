package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// healthTimeout bounds one probe; an orchestrator retries on its own schedule.
const healthTimeout = 3 * time.Second

// health is "mockpay health": it probes the server that the same
// environment configures and succeeds when /sandbox/health answers ok. It
// is the container's healthcheck: the runtime image has no shell or curl, and
// reading MOCKPAY_ADDR and MOCKPAY_TLS_* here means the probe cannot drift
// from what the server really listens on.
func health(ctx context.Context, environ map[string]string, stdout io.Writer) error {
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	target, err := probeURL(cfg.Addr, cfg.TLSCert != "")
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: healthTimeout}
	if cfg.TLSCert != "" {
		pinned, err := leafCertificate(cfg.TLSCert)
		if err != nil {
			return err
		}
		hc.Transport = &http.Transport{TLSClientConfig: pinnedTLS(pinned)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Status  string `json:"status"`
		Version string `json:"version"`
		Clock   string `json:"clock"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body); err != nil {
		return fmt.Errorf("health: %s answered %s and no health document: %w", target, resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK || body.Status != "ok" {
		return fmt.Errorf("health: %s answered %s, status %q", target, resp.Status, body.Status)
	}
	fmt.Fprintf(stdout, "ok: mockpay %s at %s (clock: %s)\n", body.Version, target, body.Clock)
	return nil
}

// probeURL turns the listen address into the URL to probe: a wildcard host
// (0.0.0.0, ::, or none, as in a container) is reached on loopback.
func probeURL(addr string, https bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", &configError{"MOCKPAY_ADDR", fmt.Sprintf("%q is not host:port", addr)}
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	scheme := "http"
	if https {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/sandbox/health", nil
}

// leafCertificate reads the first certificate of MOCKPAY_TLS_CERT.
func leafCertificate(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &configError{"MOCKPAY_TLS_CERT", err.Error()}
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, &configError{"MOCKPAY_TLS_CERT", path + " holds no PEM certificate"}
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, &configError{"MOCKPAY_TLS_CERT", fmt.Sprintf("%s: %v", path, err)}
	}
	return cert, nil
}

// pinnedTLS accepts exactly the server's own certificate. The probe dials
// loopback, which the certificate (made for api.mch.weixin.qq.com or the
// merchant's host) does not name, so hostname verification cannot apply;
// pinning the configured leaf is stricter than a CA check would be.
func pinnedTLS(pinned *x509.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], pinned.Raw) {
				return errors.New("the server's certificate is not MOCKPAY_TLS_CERT")
			}
			return nil
		},
	}
}
