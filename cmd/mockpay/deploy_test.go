package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/internal/deploy"
)

// configNames are the variables the program reads.
func configNames() map[string]bool {
	names := map[string]bool{}
	t := reflect.TypeFor[config]()
	for i := range t.NumField() {
		names[t.Field(i).Tag.Get("env")] = true
	}
	return names
}

// imagePaths maps a path inside the image to the repository path the
// Dockerfile copies there, for the final stage's plain COPYs.
func imagePath(t *testing.T, df *deploy.Dockerfile, inImage string) (string, bool) {
	t.Helper()
	for _, c := range df.Copies {
		if c.From != "" || len(c.Sources) != 1 || c.Sources[0] == "." {
			continue
		}
		if rel, ok := strings.CutPrefix(inImage, c.Dest+"/"); ok {
			return filepath.Join(deploy.Root(), c.Sources[0], rel), true
		}
	}
	return "", false
}

func TestDockerfile(t *testing.T) {
	df, err := deploy.LoadDockerfile()
	require.NoError(t, err)
	root := deploy.Root()

	t.Run("every path it copies exists", func(t *testing.T) {
		for _, c := range df.Copies {
			if c.From != "" {
				continue
			}
			for _, src := range c.Sources {
				_, err := os.Stat(filepath.Join(root, src))
				assert.NoError(t, err, "COPY %s", src)
			}
		}
	})

	t.Run("builds with the Go of go.mod", func(t *testing.T) {
		gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
		require.NoError(t, err)
		m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
		require.NotNil(t, m)
		require.NotEmpty(t, df.From)
		assert.Regexp(t, `^golang:`+regexp.QuoteMeta(string(m[1]))+`(-|$)`, df.From[0])
	})

	t.Run("its base images are build arguments, defaulting to golang and distroless nonroot", func(t *testing.T) {
		require.Len(t, df.From, 2)
		assert.Equal(t, "gcr.io/distroless/static-debian12:nonroot", df.From[1])
		assert.Equal(t, []string{"MOCKPAY_BUILD_IMAGE", "MOCKPAY_RUNTIME_IMAGE"}, df.FromArgs)
		assert.Equal(t, df.FromArgs, df.Args, "the ARGs before the first FROM are the base images'")
		for _, arg := range df.Args {
			// An empty value must mean the default too: Compose 1.29 passes
			// an argument unset in its environment as empty.
			assert.NotContains(t, df.ArgDefaults, arg, "ARG %s: give the default in FROM ${%s:-…}", arg, arg)
		}
	})

	t.Run("builds with the script CI runs", func(t *testing.T) {
		assert.Equal(t, []string{"go mod download", "mkdir " + stateDir, ".ci/build /out"}, df.Runs)
		ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
		require.NoError(t, err)
		assert.Regexp(t, `(?m)^\.ci/build `, string(ci), ".ci/run must build with .ci/build too")
		build, err := os.ReadFile(filepath.Join(root, ".ci", "build"))
		require.NoError(t, err)
		programs := 0
		for _, c := range df.Copies {
			if c.From != "build" {
				continue
			}
			for _, src := range c.Sources {
				if !strings.HasPrefix(src, "/out/") {
					continue // not a program: the state directory
				}
				programs++
				name := path.Base(src)
				assert.Equal(t, "/out/"+name, src)
				assert.Contains(t, string(build), "./cmd/"+name, ".ci/build must build %s", name)
				assert.DirExists(t, filepath.Join(root, "cmd", name))
			}
		}
		assert.Equal(t, 2, programs)
	})

	t.Run("runs as distroless's unprivileged user", func(t *testing.T) {
		assert.Equal(t, nonroot, df.User, "USER, whatever the runtime base says")
		assert.Contains(t, df.Copies, deploy.Copy{From: "build", Chown: nonroot, Sources: []string{stateDir}, Dest: stateDir},
			"the state directory belongs to the user that writes MOCKPAY_STATE_FILE")
	})

	t.Run("serves, probes and starts the program it installs", func(t *testing.T) {
		names := configNames()
		for k := range df.Env {
			assert.True(t, names[k], "ENV %s is not a variable mockpay reads", k)
		}
		_, err := loadConfig(df.Env)
		require.NoError(t, err)
		port, err := deploy.Port(df.Env["MOCKPAY_ADDR"])
		require.NoError(t, err, "ENV MOCKPAY_ADDR")
		assert.Equal(t, []string{port}, df.Expose)

		bin := installed(t, df, "mockpay")
		assert.Equal(t, []string{bin}, df.Entrypoint)
		assert.Equal(t, []string{bin, "health"}, df.Healthcheck)
	})
}

// nonroot is distroless's unprivileged user and group, which the image runs
// as; stateDir is the directory the image makes for it to write
// MOCKPAY_STATE_FILE in.
const (
	nonroot  = "65532:65532"
	stateDir = "/state"
)

// installed is where the Dockerfile puts the named program.
func installed(t *testing.T, df *deploy.Dockerfile, name string) string {
	t.Helper()
	bin := df.Installed(name)
	require.NotEmpty(t, bin, "the Dockerfile does not install %s", name)
	return bin
}

func TestCompose_MockpayServices(t *testing.T) {
	compose, err := deploy.LoadCompose()
	require.NoError(t, err)
	df, err := deploy.LoadDockerfile()
	require.NoError(t, err)
	bin := installed(t, df, "mockpay")
	names := configNames()

	var servers []string
	for name, svc := range compose.Services {
		assert.Equal(t, ".", svc.Build.Context, "%s: every service runs this repository's image", name)
		assert.Equal(t, df.Args, svc.Build.Args, "%s: the base images come from the environment, or are the Dockerfile's defaults", name)
		for dep, d := range svc.DependsOn {
			assert.Equal(t, "service_healthy", d.Condition, "%s waits for %s's healthcheck", name, dep)
		}
		if len(svc.Entrypoint) > 0 && svc.Entrypoint[0] != bin {
			continue // another program of the image; its own package checks it
		}
		servers = append(servers, name)
		t.Run(name, func(t *testing.T) {
			env := svc.Env()
			for k := range svc.Environment {
				assert.True(t, names[k], "%s is not a variable mockpay reads", k)
			}
			cfg, err := loadConfig(env)
			require.NoError(t, err, "the environment with every ${VAR:-default} at its default")

			port, err := deploy.Port(cfg.Addr)
			require.NoError(t, err)
			host, _, _ := strings.Cut(cfg.Addr, ":")
			assert.Equal(t, "0.0.0.0", host, "MOCKPAY_ADDR must listen beyond the container's loopback")
			mappings, err := svc.PortMappings()
			require.NoError(t, err)
			require.Len(t, mappings, 1)
			assert.Equal(t, port, mappings[0].Container, "ports must publish MOCKPAY_ADDR's port")

			assert.Equal(t, append([]string{"CMD"}, df.Healthcheck...), svc.Healthcheck.Test)

			mounts, err := svc.Mounts()
			require.NoError(t, err)
			require.NotEmpty(t, mounts)
			for _, m := range mounts {
				if m.Named() {
					assert.True(t, compose.Volumes[m.Host], "volume %s is not declared under volumes:", m.Host)
				} else {
					assert.DirExists(t, filepath.Join(deploy.Root(), m.Host))
				}
			}
			assert.Contains(t, mounts, deploy.Mount{Host: "./scenarios", Container: "/scenarios"}, "the scenario library is mounted")

			if name == "mockpay" {
				assert.NotEmpty(t, cfg.StateFile, "mockpay keeps its state (MOCKPAY_STATE_FILE) in a volume")
			}
			// The state file: in a named volume, mounted where the image
			// made a directory the program's user owns, so that it is
			// writable and survives the container.
			if cfg.StateFile != "" {
				dir := path.Dir(cfg.StateFile)
				assert.Equal(t, stateDir, dir, "MOCKPAY_STATE_FILE must be in the image's state directory")
				var volume *deploy.Mount
				for _, m := range mounts {
					if m.Container == dir {
						volume = &m
					}
				}
				require.NotNil(t, volume, "MOCKPAY_STATE_FILE's directory %s is not a mount", dir)
				assert.True(t, volume.Named(), "the state is kept in a named volume")
			}

			if cfg.TLSCert != "" {
				certFile, ok := imagePath(t, df, cfg.TLSCert)
				require.True(t, ok, "MOCKPAY_TLS_CERT %s is not a file the image holds", cfg.TLSCert)
				keyFile, ok := imagePath(t, df, cfg.TLSKey)
				require.True(t, ok, "MOCKPAY_TLS_KEY %s is not a file the image holds", cfg.TLSKey)
				assert.FileExists(t, keyFile)
				cert := readCert(t, certFile)
				for _, n := range svc.Networks {
					for _, alias := range n.Aliases {
						assert.NoError(t, cert.VerifyHostname(alias), "the TLS certificate must name the alias %s", alias)
					}
				}
			} else {
				assert.Empty(t, svc.Networks, "%s: a host alias without TLS reaches no SDK", name)
			}
		})
	}
	assert.Contains(t, servers, "mockpay")
}

func readCert(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return cert
}
