package main

import (
	"flag"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/internal/deploy"
)

// clientEnvNames are the environment variables the CLI reads: one per
// setting, and the one naming a config file.
func clientEnvNames() map[string]bool {
	names := map[string]bool{configEnv: true}
	for _, f := range settingFields() {
		names[f.env] = true
	}
	return names
}

// installedAt is where the Dockerfile puts the named program.
func installedAt(t *testing.T, df *deploy.Dockerfile, name string) string {
	t.Helper()
	bin := df.Installed(name)
	require.NotEmpty(t, bin, "the Dockerfile does not install %s", name)
	return bin
}

// parsedCommand is a compose command line as the CLI reads it.
type parsedCommand struct {
	path  string        // e.g. "listen"
	cmd   *command      // the command it runs
	flags *flag.FlagSet // its own flags and the global ones, parsed
	app   *app          // holds the settings the global flags gave
}

// parseCommand resolves args through the CLI's command tree and parses
// the rest with that command's flag set (its own flags and the global
// ones), as execute does, without running anything. Flags come after the
// command's name, as a compose file writes them.
func parseCommand(t *testing.T, args []string) parsedCommand {
	t.Helper()
	a := newApp(nil, io.Discard, io.Discard)
	cmd, path := a.root(), []string{}
	for len(args) > 0 && cmd.sub(args[0]) != nil {
		cmd, path = cmd.sub(args[0]), append(path, args[0])
		args = args[1:]
	}
	require.NotNil(t, cmd.run, "%q is a group, not a command", strings.Join(path, " "))
	fs := flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.globalFlags(fs)
	if cmd.setFlags != nil {
		cmd.setFlags(fs)
	}
	require.NoError(t, fs.Parse(args), "the flags of %q", strings.Join(path, " "))
	assert.GreaterOrEqual(t, fs.NArg(), cmd.minArgs, "the arguments of %q", strings.Join(path, " "))
	if cmd.maxArgs >= 0 {
		assert.LessOrEqual(t, fs.NArg(), cmd.maxArgs, "the arguments of %q: %v", strings.Join(path, " "), fs.Args())
	}
	return parsedCommand{path: strings.Join(path, " "), cmd: cmd, flags: fs, app: a}
}

// urlPort is the port of an http(s) URL, explicit or the scheme's.
func urlPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// TestCompose_ClientServices checks each compose service that runs the
// CLI (its entrypoint is the client the Dockerfile installs) against the
// CLI itself: the variables it reads, the command and flags it has, and
// the addresses by which the mock and the listener reach each other.
func TestCompose_ClientServices(t *testing.T) {
	compose, err := deploy.LoadCompose()
	require.NoError(t, err)
	df, err := deploy.LoadDockerfile()
	require.NoError(t, err)
	bin, mockBin := installedAt(t, df, "client"), installedAt(t, df, "mockpay")
	names := clientEnvNames()

	var clients []string
	for name, svc := range compose.Services {
		if !slices.Equal(svc.Entrypoint, []string{bin}) {
			continue // the mock, whose own package checks it
		}
		clients = append(clients, name)
		t.Run(name, func(t *testing.T) {
			env := svc.Env()
			for k := range env {
				if strings.HasPrefix(k, "MOCKPAY_") {
					assert.True(t, names[k], "%s is not a variable the CLI reads", k)
				}
			}

			// The mock it talks to: another service, by its name and the
			// port its MOCKPAY_ADDR (else the image's) listens on, whose
			// healthcheck it waits for.
			base, err := url.Parse(env["MOCKPAY_URL"])
			require.NoError(t, err, "MOCKPAY_URL")
			mockName := base.Hostname()
			require.NotEqual(t, name, mockName, "MOCKPAY_URL must name the mock's service")
			mockSvc, ok := compose.Services[mockName]
			require.True(t, ok, "MOCKPAY_URL %s names no compose service", base)
			runs := mockSvc.Entrypoint
			if len(runs) == 0 {
				runs = df.Entrypoint // the image's: mockpay
			}
			require.Equal(t, []string{mockBin}, runs, "MOCKPAY_URL names %s, which does not run mockpay", mockName)
			mockAddr, ok := mockSvc.Env()["MOCKPAY_ADDR"]
			if !ok {
				mockAddr = df.Env["MOCKPAY_ADDR"]
			}
			mockPort, err := deploy.Port(mockAddr)
			require.NoError(t, err, "%s's MOCKPAY_ADDR", mockName)
			assert.Equal(t, mockPort, urlPort(base), "MOCKPAY_URL must use the port %s listens on", mockName)
			assert.Equal(t, "service_healthy", svc.DependsOn[mockName].Condition, "%s must wait for %s's healthcheck", name, mockName)
			// The image's healthcheck probes a mock on this container's
			// MOCKPAY_ADDR, where none runs: it would mark it unhealthy.
			if slices.Contains(df.Healthcheck, mockBin) {
				assert.True(t, svc.Healthcheck.Disable, "%s runs no mock: disable the image's healthcheck", name)
			}

			// The command: the CLI's listen, the one command that runs
			// until stopped, with flags the CLI has.
			pc := parseCommand(t, svc.Command)
			require.Equal(t, "listen", pc.path, "a service runs until stopped, as only listen does")
			cfg, err := loadSettings("", env, pc.app.flagSettings)
			require.NoError(t, err, "the environment with every ${VAR:-default} at its default, and the global flags")

			addr := pc.flags.Lookup("addr").Value.String()
			host, port, err := net.SplitHostPort(addr)
			require.NoError(t, err, "--addr")
			assert.Equal(t, "0.0.0.0", host, "--addr must listen beyond the container's loopback")
			mappings, err := svc.PortMappings()
			require.NoError(t, err)
			require.Len(t, mappings, 1)
			assert.Equal(t, port, mappings[0].Container, "ports must publish --addr's port")

			// What listen advertises is where the mock, on the compose
			// network, reaches it: the service's own name and port.
			require.NoError(t, checkNotifyURL(cfg.NotifyURL))
			notify, err := url.Parse(cfg.NotifyURL)
			require.NoError(t, err)
			assert.Equal(t, name, notify.Hostname(), "MOCKPAY_NOTIFY_URL must name the service itself")
			assert.Equal(t, port, urlPort(notify), "MOCKPAY_NOTIFY_URL must use --addr's port")
		})
	}
	assert.Contains(t, clients, "merchant")
}
