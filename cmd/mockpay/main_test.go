package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine to write while
// the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the program on a free port and returns its address; the
// program is stopped, and must exit cleanly, when the test ends.
func start(t *testing.T, environ map[string]string) (string, *syncBuffer) {
	t.Helper()
	addr, stdout, stop := launch(t, environ)
	t.Cleanup(func() { assert.NoError(t, stop(), "graceful shutdown") })
	return addr, stdout
}

// launch runs the program on a free port and returns its address and a
// stop that shuts it down and returns what run returned. The program is
// stopped when the test ends if stop was not called.
func launch(t *testing.T, environ map[string]string) (string, *syncBuffer, func() error) {
	t.Helper()
	if _, ok := environ["MOCKPAY_ADDR"]; !ok {
		environ["MOCKPAY_ADDR"] = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var stdout, stderr syncBuffer
	go func() { done <- run(ctx, nil, environ, &stdout, &stderr, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("run exited before listening: %v\nstderr: %s", err, stderr.String())
	}
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { _ = stop() })
	return addr, &stdout, stop
}

func TestRun_ServesAndShutsDown(t *testing.T) {
	addr, stdout := start(t, map[string]string{})
	resp, err := http.Get("http://" + addr + "/sandbox/health")
	require.NoError(t, err)
	defer resp.Body.Close()
	var h map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&h))
	assert.Equal(t, "ok", h["status"])
	assert.Equal(t, "real", h["clock"])

	out := stdout.String()
	assert.Contains(t, out, "listening on  http://"+addr)
	assert.Contains(t, out, "mchid 1230000109")
	assert.Contains(t, out, "/sandbox/merchants")
	assert.Contains(t, out, "/sandbox/platform")
}

func TestRun_VirtualClockAndToken(t *testing.T) {
	addr, _ := start(t, map[string]string{
		"MOCKPAY_CLOCK": "virtual", "MOCKPAY_CLOCK_START": "2027-01-01T08:00:00+08:00", "MOCKPAY_SANDBOX_TOKEN": "tok",
	})
	req, err := http.NewRequest("GET", "http://"+addr+"/sandbox/clock", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	req.Header.Set("Authorization", "Bearer tok")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var st map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	assert.Equal(t, "virtual", st["mode"])
	assert.Equal(t, "2027-01-01T08:00:00.000+08:00", st["now"])
}

func TestRun_TLS(t *testing.T) {
	certs := filepath.Join("..", "..", "testdata", "certs")
	addr, stdout := start(t, map[string]string{
		"MOCKPAY_TLS_CERT": filepath.Join(certs, "tls_cert.pem"), "MOCKPAY_TLS_KEY": filepath.Join(certs, "tls_key.pem"),
	})
	assert.Contains(t, stdout.String(), "https://"+addr)
	ca, err := os.ReadFile(filepath.Join(certs, "ca_cert.pem"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca))
	// The certificate is for api.mch.weixin.qq.com too, so an SDK with a
	// fixed host reaches the mock through a host alias and the test CA.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "api.mch.weixin.qq.com"}}}
	resp, err := hc.Get("https://" + addr + "/sandbox/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestRun_Merchants(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "merchants.yaml")
	require.NoError(t, os.WriteFile(path, []byte("- mchid: \"1900000109\"\n  platform_mode: public_key\n  appids: [wx1]\n"), 0o600))
	addr, stdout := start(t, map[string]string{"MOCKPAY_MERCHANTS": path})
	assert.Contains(t, stdout.String(), "mchid 1900000109")
	assert.NotContains(t, stdout.String(), "mchid 1230000109", "a merchants file replaces the default merchant")
	resp, err := http.Get("http://" + addr + "/sandbox/merchants/1900000109")
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	assert.Equal(t, "public_key", m["platform_mode"])
}

func TestRun_BadConfiguration(t *testing.T) {
	dir := t.TempDir()
	badYAML := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(badYAML, []byte("- mchid: \"1\"\n  colour: red\n"), 0o600))
	badSpec := filepath.Join(dir, "spec.yaml")
	require.NoError(t, os.WriteFile(badSpec, []byte("- apiv3_key: short\n"), 0o600))
	badScenario := filepath.Join(dir, "bad-scenario.yaml")
	require.NoError(t, os.WriteFile(badScenario, []byte("name: bad\ndescription: d\ncallback:\n  delay: soon\n"), 0o600))
	corruptState := filepath.Join(dir, "corrupt.json")
	require.NoError(t, os.WriteFile(corruptState, []byte(`{"version":1,"clock":`), 0o600))
	otherVersion := filepath.Join(dir, "v2.json")
	require.NoError(t, os.WriteFile(otherVersion, []byte(`{"version":2}`), 0o600))
	inconsistentState := filepath.Join(dir, "inconsistent.json")
	require.NoError(t, os.WriteFile(inconsistentState, []byte(`{"version":1,"clock":{"mode":"real","now":"2026-12-01T09:00:00+08:00"},"merchants":[null]}`), 0o600))
	notAList := filepath.Join(dir, "not-a-list.yaml")
	require.NoError(t, os.WriteFile(notAList, []byte("mchid: \"1900000001\"\n"), 0o600))
	wrongType := filepath.Join(dir, "wrong-type.yaml")
	require.NoError(t, os.WriteFile(wrongType, []byte("- mchid: \"1900000001\"\n  risk_fund_cap: lots\n"), 0o600))
	certs := filepath.Join("..", "..", "testdata", "certs")
	tests := []struct {
		name    string
		environ map[string]string
		args    []string
		want    string // the variable the one line must name
	}{
		{"time scale not a number", map[string]string{"MOCKPAY_TIME_SCALE": "fast"}, nil, "MOCKPAY_TIME_SCALE"},
		{"time scale zero", map[string]string{"MOCKPAY_TIME_SCALE": "0"}, nil, "MOCKPAY_TIME_SCALE"},
		{"clock mode", map[string]string{"MOCKPAY_CLOCK": "fake"}, nil, "MOCKPAY_CLOCK"},
		{"clock start", map[string]string{"MOCKPAY_CLOCK": "virtual", "MOCKPAY_CLOCK_START": "yesterday"}, nil, "MOCKPAY_CLOCK_START"},
		{"clock start without virtual", map[string]string{"MOCKPAY_CLOCK_START": "2027-01-01T00:00:00Z"}, nil, "MOCKPAY_CLOCK_START"},
		{"log format", map[string]string{"MOCKPAY_LOG_FORMAT": "xml"}, nil, "MOCKPAY_LOG_FORMAT"},
		{"log level", map[string]string{"MOCKPAY_LOG_LEVEL": "loud"}, nil, "MOCKPAY_LOG_LEVEL"},
		{"address", map[string]string{"MOCKPAY_ADDR": "nowhere:-1"}, nil, "MOCKPAY_ADDR"},
		{"tls half", map[string]string{"MOCKPAY_TLS_CERT": "x.pem"}, nil, "MOCKPAY_TLS_CERT"},
		{"tls missing files", map[string]string{"MOCKPAY_TLS_CERT": "x.pem", "MOCKPAY_TLS_KEY": "y.pem"}, nil, "MOCKPAY_TLS_CERT"},
		{"platform half", map[string]string{"MOCKPAY_PLATFORM_CERT": "x.pem"}, nil, "MOCKPAY_PLATFORM_KEY"},
		{"platform mismatch", map[string]string{"MOCKPAY_PLATFORM_KEY": filepath.Join(certs, "apiclient_key.pem"), "MOCKPAY_PLATFORM_CERT": filepath.Join(certs, "platform_cert.pem")}, nil, "MOCKPAY_PLATFORM_KEY"},
		{"platform not a key", map[string]string{"MOCKPAY_PLATFORM_KEY": filepath.Join(certs, "identity.json"), "MOCKPAY_PLATFORM_CERT": filepath.Join(certs, "platform_cert.pem")}, nil, "MOCKPAY_PLATFORM_KEY"},
		{"merchants file missing", map[string]string{"MOCKPAY_MERCHANTS": filepath.Join(dir, "none.yaml")}, nil, "MOCKPAY_MERCHANTS"},
		{"merchants unknown key", map[string]string{"MOCKPAY_MERCHANTS": badYAML}, nil, "colour"},
		{"merchants bad spec", map[string]string{"MOCKPAY_MERCHANTS": badSpec}, nil, "MOCKPAY_MERCHANTS"},
		{"merchants bad spec names the field", map[string]string{"MOCKPAY_MERCHANTS": badSpec}, nil, "apiv3_key"},
		{"merchants not a list", map[string]string{"MOCKPAY_MERCHANTS": notAList}, nil, "line 1: expected a list of merchants (each the fields of POST /sandbox/merchants), not a mapping"},
		{"merchants field of the wrong type", map[string]string{"MOCKPAY_MERCHANTS": wrongType}, nil, "line 2: expected an integer, not a string `lots`"},
		{"scenario pattern matching nothing", map[string]string{"MOCKPAY_SCENARIOS": filepath.Join(dir, "none-*.yaml")}, nil, "MOCKPAY_SCENARIOS"},
		{"bad scenario names file, line and field", map[string]string{"MOCKPAY_SCENARIOS": badScenario}, nil, "bad-scenario.yaml:4: callback.delay"},
		{"state file corrupt", map[string]string{"MOCKPAY_STATE_FILE": corruptState}, nil, "MOCKPAY_STATE_FILE: " + corruptState + ": invalid saved state: not a mockpay state"},
		{"state file of another version", map[string]string{"MOCKPAY_STATE_FILE": otherVersion}, nil, "version 2, this mockpay reads version 1"},
		{"state file inconsistent", map[string]string{"MOCKPAY_STATE_FILE": inconsistentState}, nil, "MOCKPAY_STATE_FILE: " + inconsistentState + ": mock: invalid saved state: restore: merchants[0]: null"},
		{"state file is a directory", map[string]string{"MOCKPAY_STATE_FILE": dir}, nil, "is a directory"},
		{"state file in a missing directory", map[string]string{"MOCKPAY_STATE_FILE": filepath.Join(dir, "none", "state.json")}, nil, "MOCKPAY_STATE_FILE: save state: open " + filepath.Join(dir, "none")},
		{"state file under a file", map[string]string{"MOCKPAY_STATE_FILE": filepath.Join(badYAML, "state.json")}, nil, "MOCKPAY_STATE_FILE: open " + filepath.Join(badYAML, "state.json") + ": not a directory"},
		{"stray argument", map[string]string{}, []string{"serve"}, "environment variables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := tt.environ["MOCKPAY_ADDR"]; !ok {
				tt.environ["MOCKPAY_ADDR"] = "127.0.0.1:0"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var out, errOut bytes.Buffer
			err := run(ctx, tt.args, tt.environ, &out, &errOut, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, strings.TrimSpace(err.Error()), "\n", "one line")
		})
	}
}

func TestRun_Help(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"--help"}, map[string]string{}, &out, &out, nil))
	for _, name := range []string{"MOCKPAY_ADDR", "MOCKPAY_SANDBOX_TOKEN", "MOCKPAY_CLOCK", "MOCKPAY_TIME_SCALE", "MOCKPAY_TLS_CERT"} {
		assert.Contains(t, out.String(), name)
	}
}

func TestRun_Scenarios(t *testing.T) {
	addr, stdout := start(t, map[string]string{"MOCKPAY_SCENARIOS": filepath.Join("..", "..", "scenarios", "deduct-*.yaml") + ", " + filepath.Join("..", "..", "scenarios", "risk-rejected.yaml")})
	assert.Contains(t, stdout.String(), "scenarios     deduct-failure-then-recover, deduct-failure, risk-rejected")
	resp, err := http.Get("http://" + addr + "/sandbox/scenarios")
	require.NoError(t, err)
	defer resp.Body.Close()
	var list []map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	assert.Len(t, list, 3)
}
