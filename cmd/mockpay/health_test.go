package main

import (
	"bytes"
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProbeURL(t *testing.T) {
	tests := []struct {
		addr  string
		https bool
		want  string
		err   string
	}{
		{"127.0.0.1:8080", false, "http://127.0.0.1:8080/sandbox/health", ""},
		{"0.0.0.0:8080", false, "http://127.0.0.1:8080/sandbox/health", ""},
		{":8080", false, "http://127.0.0.1:8080/sandbox/health", ""},
		{"[::]:8443", true, "https://[::1]:8443/sandbox/health", ""},
		{"mockpay:8080", false, "http://mockpay:8080/sandbox/health", ""},
		{"8080", false, "", "MOCKPAY_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, err := probeURL(tt.addr, tt.https)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestHealth(t *testing.T) {
	const (
		tlsCert   = "../../testdata/certs/tls_cert.pem"
		tlsKey    = "../../testdata/certs/tls_key.pem"
		otherCert = "../../testdata/certs/platform_cert.pem"
		otherKey  = "../../testdata/certs/platform_key.pem"
	)
	httpAddr, _ := start(t, map[string]string{"MOCKPAY_SANDBOX_TOKEN": "secret"})
	tlsAddr, _ := start(t, map[string]string{"MOCKPAY_TLS_CERT": tlsCert, "MOCKPAY_TLS_KEY": tlsKey})
	_, port, err := net.SplitHostPort(httpAddr)
	require.NoError(t, err)

	// A port nobody listens on: listen, note it, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())

	tests := []struct {
		name string
		env  map[string]string
		err  string // empty: healthy
	}{
		{"plain HTTP, token not needed", map[string]string{"MOCKPAY_ADDR": httpAddr, "MOCKPAY_SANDBOX_TOKEN": "secret"}, ""},
		{"wildcard listen address probes loopback", map[string]string{"MOCKPAY_ADDR": "0.0.0.0:" + port}, ""},
		{"HTTPS pinned to MOCKPAY_TLS_CERT", map[string]string{"MOCKPAY_ADDR": tlsAddr, "MOCKPAY_TLS_CERT": tlsCert, "MOCKPAY_TLS_KEY": tlsKey}, ""},
		{"HTTPS with another certificate pinned", map[string]string{"MOCKPAY_ADDR": tlsAddr, "MOCKPAY_TLS_CERT": otherCert, "MOCKPAY_TLS_KEY": otherKey}, "not MOCKPAY_TLS_CERT"},
		{"HTTP probe of an HTTPS server", map[string]string{"MOCKPAY_ADDR": tlsAddr}, "no health document"},
		{"nothing listening", map[string]string{"MOCKPAY_ADDR": closed}, "connection refused"},
		{"bad configuration is reported as such", map[string]string{"MOCKPAY_ADDR": httpAddr, "MOCKPAY_CLOCK": "sundial"}, "MOCKPAY_CLOCK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), []string{"health"}, tt.env, &out, &out, nil)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				assert.Empty(t, out.String())
				return
			}
			require.NoError(t, err)
			assert.Contains(t, out.String(), "ok: mockpay ")
		})
	}
}
