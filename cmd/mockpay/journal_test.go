package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// startBinary runs the mockpay binary with environ and waits, at most 30 s,
// for /sandbox/health to answer.
func startBinary(t *testing.T, bin string, environ map[string]string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "MOCKPAY_ADDR="+addr)
	for k, v := range environ {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/sandbox/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, addr, out
			}
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Fatalf("mockpay did not answer on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// buildBinary builds cmd/mockpay into dir and returns its path.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "mockpay")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestJournal_SurvivesKill: with MOCKPAY_STATE_FILE, every answered write
// survives kill -9 of the process, long before the next periodic save.
func TestJournal_SurvivesKill(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	environ := map[string]string{
		"MOCKPAY_STATE_FILE":  filepath.Join(dir, "state.json"),
		"MOCKPAY_CLOCK":       "virtual",
		"MOCKPAY_CLOCK_START": "2027-01-01T08:00:00+08:00",
	}

	cmd, addr, _ := startBinary(t, bin, environ)
	const n = 40
	var made []string
	for i := range n {
		var m map[string]any
		sandbox(t, addr, "POST", "/sandbox/merchants", `{}`, &m)
		made = append(made, m["mchid"].(string))
		if i == n/2 {
			var clk map[string]any
			sandbox(t, addr, "POST", "/sandbox/clock/advance", `{"duration":"1h"}`, &clk)
		}
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	_, addr, out := startBinary(t, bin, environ)
	var ms []map[string]any
	sandbox(t, addr, "GET", "/sandbox/merchants?limit=1000", "", &ms)
	have := map[string]bool{}
	for _, m := range ms {
		have[m["mchid"].(string)] = true
	}
	for _, id := range made {
		assert.True(t, have[id], "merchant %s answered before the kill is restored", id)
	}
	var clk map[string]any
	sandbox(t, addr, "GET", "/sandbox/clock", "", &clk)
	assert.Contains(t, fmt.Sprint(clk), "2027-01-01T09:00:00", "the domain time of the last write is restored")
	assert.False(t, strings.Contains(out.String(), "level=ERROR"), out.String())
}
