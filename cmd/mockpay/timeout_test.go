package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closedWithin reports whether the server closes conn within d: a read
// that ends in EOF or a reset, not in the test's own deadline.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration) bool {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(d)))
	_, err := io.Copy(io.Discard, conn)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestRun_Timeouts: a body that trickles in is cut at MOCKPAY_READ_TIMEOUT
// and an idle keep-alive connection is closed at MOCKPAY_IDLE_TIMEOUT;
// with the defaults, neither is cut within the same wait.
func TestRun_Timeouts(t *testing.T) {
	short := map[string]string{"MOCKPAY_READ_TIMEOUT": "200ms", "MOCKPAY_IDLE_TIMEOUT": "200ms", "MOCKPAY_READ_HEADER_TIMEOUT": "200ms"}
	for _, tt := range []struct {
		name    string
		environ map[string]string
		closed  bool
	}{
		{"configured", short, true},
		{"defaults", map[string]string{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := start(t, tt.environ)
			t.Run("slow body", func(t *testing.T) {
				conn, err := net.Dial("tcp", addr)
				require.NoError(t, err)
				defer conn.Close()
				_, err = io.WriteString(conn, "POST /sandbox/merchants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
				require.NoError(t, err)
				// The rest of the body never comes: a client sending a byte
				// every few seconds holds the connection the same way.
				assert.Equal(t, tt.closed, closedWithin(t, conn, 2*time.Second))
			})
			t.Run("idle keep-alive", func(t *testing.T) {
				conn, err := net.Dial("tcp", addr)
				require.NoError(t, err)
				defer conn.Close()
				_, err = io.WriteString(conn, "GET /sandbox/health HTTP/1.1\r\nHost: x\r\n\r\n")
				require.NoError(t, err)
				r := bufio.NewReader(conn)
				resp, err := http.ReadResponse(r, nil)
				require.NoError(t, err)
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, tt.closed, closedWithin(t, conn, 2*time.Second))
			})
		})
	}
}

func TestLoadConfig_Timeouts(t *testing.T) {
	cfg, err := loadConfig(map[string]string{})
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, cfg.ReadTimeout)
	assert.Equal(t, 10*time.Second, cfg.ReadHeaderTimeout)
	assert.Equal(t, 60*time.Second, cfg.WriteTimeout)
	assert.Equal(t, 120*time.Second, cfg.IdleTimeout)
	for _, tt := range []struct{ name, value, want string }{
		{"MOCKPAY_READ_TIMEOUT", "0s", "MOCKPAY_READ_TIMEOUT: 0s must be a positive duration"},
		{"MOCKPAY_WRITE_TIMEOUT", "-1s", "MOCKPAY_WRITE_TIMEOUT: -1s must be a positive duration"},
		{"MOCKPAY_IDLE_TIMEOUT", "soon", "MOCKPAY_IDLE_TIMEOUT: not a valid time.Duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(map[string]string{tt.name: tt.value})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
