package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// sandbox calls the sandbox API and decodes the answer into out.
func sandbox(t *testing.T, addr, method, path, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Less(t, resp.StatusCode, 300, "%s %s", method, path)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
}

// TestRun_StateFile: a first run creates the file and saves to it on
// shutdown; the next run restores merchants (with their generated keys)
// and the virtual clock where they were.
func TestRun_StateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	environ := func() map[string]string {
		return map[string]string{"MOCKPAY_STATE_FILE": path, "MOCKPAY_CLOCK": "virtual", "MOCKPAY_CLOCK_START": "2027-01-01T08:00:00+08:00"}
	}

	addr, _, stop := launch(t, environ())
	info, err := os.Stat(path)
	require.NoError(t, err, "the file is written at start")
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "it holds test private keys")
	var m map[string]any
	sandbox(t, addr, "POST", "/sandbox/merchants", `{}`, &m)
	var clk map[string]any
	sandbox(t, addr, "POST", "/sandbox/clock/advance", `{"duration":"1h"}`, &clk)
	require.NoError(t, stop())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), m["mchid"].(string), "saved on shutdown")

	addr, stdout, stop := launch(t, environ())
	defer func() { assert.NoError(t, stop()) }()
	assert.Contains(t, stdout.String(), "mchid "+m["mchid"].(string))
	var again map[string]any
	sandbox(t, addr, "GET", "/sandbox/merchants/"+m["mchid"].(string), "", &again)
	assert.Equal(t, m, again, "the merchant is back with its generated keys")
	sandbox(t, addr, "GET", "/sandbox/clock", "", &clk)
	assert.Equal(t, "2027-01-01T09:00:00.000+08:00", clk["now"], "the virtual clock continues from the saved time, not MOCKPAY_CLOCK_START")
}

func TestWriteStateFile(t *testing.T) {
	failing := func(w io.Writer) error {
		_, _ = io.WriteString(w, `{"version":1,"trunc`)
		return errors.New("disk on fire")
	}
	tests := []struct {
		name    string
		save    func(io.Writer) error
		wantErr string
		want    string // the file afterwards
	}{
		{"replaces the file", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, "", "new"},
		{"a failed save leaves the old file whole", failing, "disk on fire", "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state.json")
			require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
			err := writeStateFile(path, tt.save)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, entries, 1, "no temporary file is left behind")
			info, err := entries[0].Info()
			require.NoError(t, err)
			if tt.wantErr == "" {
				assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
			}
		})
	}

	t.Run("a read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes into read-only directories")
		}
		dir := t.TempDir()
		require.NoError(t, os.Chmod(dir, 0o500))
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		err := writeStateFile(filepath.Join(dir, "state.json"), failing)
		assert.ErrorContains(t, err, "save state: open "+dir)
	})
}

// TestStateSaver_Every: each tick saves; a failed save is logged and the
// next tick tries again.
func TestStateSaver_Every(t *testing.T) {
	srv, err := mock.New(mock.Options{})
	require.NoError(t, err)
	defer srv.Close()
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string
		wantLog int // failures logged
	}{
		{"saves", filepath.Join(dir, "state.json"), 0},
		{"keeps trying", filepath.Join(dir, "missing", "state.json"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			sv := &stateSaver{path: tt.path, srv: srv, log: slog.New(slog.NewTextHandler(&logs, nil))}
			ctx, cancel := context.WithCancel(context.Background())
			tick := make(chan time.Time)
			done := make(chan struct{})
			go func() {
				defer close(done)
				sv.every(ctx, tick)
			}()
			tick <- time.Now()
			tick <- time.Now() // received once the first save is over
			cancel()
			<-done
			assert.Equal(t, tt.wantLog, strings.Count(logs.String(), "periodic save failed"))
			if tt.wantLog == 0 {
				f, err := os.Open(tt.path)
				require.NoError(t, err)
				defer f.Close()
				_, err = mock.ReadState(f)
				assert.NoError(t, err)
			}
		})
	}
}

// TestReadStateFile_Refuses: a state that does not make sense stops the
// start with one line naming the first bad record; what a save killed
// mid-way left behind is removed.
func TestReadStateFile_Refuses(t *testing.T) {
	valid := func(t *testing.T) map[string]any {
		path := filepath.Join(t.TempDir(), "state.json")
		_, _, stop := launch(t, map[string]string{"MOCKPAY_STATE_FILE": path, "MOCKPAY_CLOCK": "virtual"})
		require.NoError(t, stop())
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m))
		return m
	}(t)
	merchant := valid["merchants"].([]any)[0].(map[string]any)
	order := func(edit func(o map[string]any)) []any {
		o := map[string]any{"Seq": 1, "Kind": "serviceorder", "MchID": merchant["MchID"], "OutOrderNo": "O1", "OrderID": "1000",
			"State": "CREATED", "CreatedAt": "2026-12-01T09:00:00+08:00", "UpdatedAt": "2026-12-01T09:00:00+08:00"}
		edit(o)
		return []any{o}
	}
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"an order in state BOGUS with a negative total", func(m map[string]any) {
			m["orders"] = order(func(o map[string]any) { o["State"], o["TotalAmount"] = "BOGUS", -100 })
		}, `orders[0]: state "BOGUS" is not a state of a serviceorder`},
		{"an order of an unregistered merchant", func(m map[string]any) {
			m["orders"] = order(func(o map[string]any) { o["MchID"] = "1900000000" })
		}, `orders[0]: merchant "1900000000" is not in the state`},
		{"a merchant key of garbage", func(m map[string]any) {
			m["merchants"].([]any)[0].(map[string]any)["PrivateKeyPEM"] = "garbage"
		}, "merchants[0]: merchant " + merchant["MchID"].(string) + ": private key: no PEM block found"},
		{"not JSON", nil, "not a mockpay state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			data := []byte("{not json")
			if tt.edit != nil {
				var m map[string]any
				raw, err := json.Marshal(valid)
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(raw, &m))
				tt.edit(m)
				data, err = json.Marshal(m)
				require.NoError(t, err)
			}
			require.NoError(t, os.WriteFile(path, data, 0o600))
			leftover := filepath.Join(filepath.Dir(path), ".state.json.tmp-123")
			require.NoError(t, os.WriteFile(leftover, []byte(`{"version":1,"tru`), 0o600))

			err := run(context.Background(), nil, map[string]string{"MOCKPAY_STATE_FILE": path, "MOCKPAY_ADDR": "127.0.0.1:0"}, io.Discard, io.Discard, nil)
			require.Error(t, err)
			line := strings.TrimSpace(err.Error())
			assert.NotContains(t, line, "\n", "one line")
			assert.Contains(t, line, "MOCKPAY_STATE_FILE")
			assert.Contains(t, line, tt.want)
			assert.NoFileExists(t, leftover, "an unfinished save is removed at start")
		})
	}
}
