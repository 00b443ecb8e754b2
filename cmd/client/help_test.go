package main

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// commandPaths lists every command of the tree with its path.
func commandPaths() map[string]*command {
	a := newApp(nil, io.Discard, io.Discard)
	out := map[string]*command{}
	var walk func(c *command, path []string)
	walk = func(c *command, path []string) {
		out[strings.Join(path, " ")] = c
		for _, s := range c.subs {
			walk(s, append(append([]string(nil), path...), s.name))
		}
	}
	walk(a.root(), nil)
	return out
}

// TestHelp checks that --help at every level shows the description, the
// usage line and every runnable example, and exits 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	for path, cmd := range commandPaths() {
		name := path
		if name == "" {
			name = "root"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := append(strings.Fields(path), "--help")
			r := runWith(t, nil, args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Contains(t, r.stdout, "Usage:\n  "+strings.TrimSpace(progName+" "+path))
			require.NotEmpty(t, cmd.examples, "every command has examples")
			for _, ex := range cmd.examples {
				assert.Contains(t, r.stdout, ex)
				assert.True(t, strings.HasPrefix(ex, "go run ./cmd/"), "runnable example: %s", ex)
			}
			if path != "" {
				assert.NotEmpty(t, cmd.short)
			}
			assert.NotEmpty(t, strings.TrimSpace(cmd.long), "one-paragraph description")

			h := runWith(t, nil, append([]string{"help"}, strings.Fields(path)...)...)
			assert.Equal(t, exitOK, h.code)
			assert.Equal(t, r.stdout, h.stdout, "'help <command>' is '<command> --help'")
		})
	}
}

// TestHelp_documentsEveryName checks that the top-level help names every
// flag, environment variable and config key.
func TestHelp_documentsEveryName(t *testing.T) {
	t.Parallel()
	r := runWith(t, nil, "-h")
	require.Equal(t, exitOK, r.code)
	for _, f := range settingFields() {
		assert.Contains(t, r.stdout, "--"+f.flag)
		assert.Contains(t, r.stdout, f.env)
		assert.Contains(t, r.stdout, f.yaml)
	}
	for _, name := range []string{"--config", configEnv, "--json", "--sandbox", "Exit status"} {
		assert.Contains(t, r.stdout, name)
	}
}

// TestUsageErrors checks that mistakes on the command line exit 2 with a
// short hint, before anything is sent.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	env := map[string]string{"MOCKPAY_URL": "http://127.0.0.1:1"} // nothing listens: nothing may be sent
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "needs a command"},
		{"unknown command", []string{"orders"}, `unknown command "orders"`},
		{"unknown subcommand", []string{"order", "finish"}, `unknown command "finish" for client order`},
		{"unknown flag", []string{"order", "query", "--out-order", "X"}, "flag provided but not defined: -out-order"},
		{"missing required flag", []string{"order", "complete", "--out-order-no", "R-1"}, "--amount is required"},
		{"amount not a number", []string{"order", "complete", "--out-order-no", "R-1", "--amount", "12.5"}, "not a whole number of fen"},
		{"two selectors", []string{"permission", "query", "--code", "A", "--openid", "o"}, "exactly one of --code and --openid"},
		{"bad time", []string{"order", "create", "--start", "2026-12-01"}, `--start "2026-12-01" is not a time`},
		{"missing argument", []string{"sandbox", "authorize"}, "missing argument <openid>"},
		{"extra argument", []string{"sandbox", "health", "now"}, `unexpected argument "now"`},
		{"bad duration", []string{"sandbox", "clock", "advance", "soon"}, `"soon" is not a duration`},
		{"advance to nothing", []string{"sandbox", "clock", "advance"}, "give a duration (advance 30m) or --to <time>\nhint: --to takes a time of day such as 09:00"},
		{"advance to both", []string{"sandbox", "clock", "advance", "30m", "--to", "09:00"}, "give a duration (advance 30m) or --to <time>, not both"},
		{"advance to a bad time", []string{"sandbox", "clock", "--to", "9am"}, `--to "9am" is neither a time of day nor an RFC 3339 time`},
		{"advance to a bad time of day", []string{"sandbox", "clock", "--to", "25:00"}, `--to "25:00" is neither`},
		{"wallet without amount", []string{"sandbox", "wallet", "oU"}, "exactly one of --balance and --unlimited"},
		{"public key without id", []string{"certificates", "--public-key", "pub.pem"}, "--public-key and --public-key-id"},
		{"bad url", []string{"certificates", "--url", "ftp://x"}, "is not an http(s) URL"},
		{"short apiv3 key", []string{"certificates", "--apiv3-key", "short"}, "an APIv3 key has 32"},
		{"help of unknown", []string{"help", "nope"}, `unknown command "nope"`},
		{"unreadable CA file", []string{"certificates", "--ca-cert", "no-such-ca.pem"}, "--ca-cert / MOCKPAY_CA_CERT: open no-such-ca.pem"},
		{"CA file without a certificate", []string{"sandbox", "health", "--ca-cert", certsDir + "/tls_key.pem"}, "no PEM CERTIFICATE in it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runWith(t, env, tt.args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			if tt.args != nil {
				assert.Contains(t, r.stderr, "--help' for usage and examples")
			}
		})
	}
}

// TestFlagsAnywhere checks that global flags work before and after the
// command name, and flags after positional arguments.
func TestFlagsAnywhere(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	url := h.url
	env := map[string]string{} // no MOCKPAY_URL: the flag must carry it
	for _, args := range [][]string{
		{"--url", url, "sandbox", "user", "oX"},
		{"sandbox", "--url", url, "user", "oX"},
		{"sandbox", "user", "oX", "--url", url},
		{"sandbox", "user", "--url=" + url, "--", "oX"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runWith(t, env, args...)
			assert.Equal(t, exitOK, r.code, r.stderr)
			assert.Contains(t, r.stdout, "user oX")
		})
	}
}
