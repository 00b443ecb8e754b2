package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"go.yaml.in/yaml/v3"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/identity"
)

// config is the program's whole configuration (architecture.md, "Configuration").
type config struct {
	Addr         string  `env:"MOCKPAY_ADDR" envDefault:"127.0.0.1:8080"`
	SandboxToken string  `env:"MOCKPAY_SANDBOX_TOKEN"`
	Clock        string  `env:"MOCKPAY_CLOCK" envDefault:"real"`
	TimeScale    float64 `env:"MOCKPAY_TIME_SCALE" envDefault:"1"`
	ClockStart   string  `env:"MOCKPAY_CLOCK_START"`
	Scenarios    string  `env:"MOCKPAY_SCENARIOS"`
	Merchants    string  `env:"MOCKPAY_MERCHANTS"`
	PlatformKey  string  `env:"MOCKPAY_PLATFORM_KEY"`
	PlatformCert string  `env:"MOCKPAY_PLATFORM_CERT"`
	StateFile    string  `env:"MOCKPAY_STATE_FILE"`
	TLSCert      string  `env:"MOCKPAY_TLS_CERT"`
	TLSKey       string  `env:"MOCKPAY_TLS_KEY"`
	LogFormat    string  `env:"MOCKPAY_LOG_FORMAT" envDefault:"text"`
	LogLevel     string  `env:"MOCKPAY_LOG_LEVEL" envDefault:"info"`

	// The server's timeouts (architecture.md, "Paging and limits"): a
	// whole request, headers and body, must arrive within ReadTimeout, so a
	// body trickling in is cut too; an answer is abandoned after
	// WriteTimeout; an idle keep-alive connection is closed after
	// IdleTimeout.
	ReadTimeout       time.Duration `env:"MOCKPAY_READ_TIMEOUT" envDefault:"30s"`
	ReadHeaderTimeout time.Duration `env:"MOCKPAY_READ_HEADER_TIMEOUT" envDefault:"10s"`
	WriteTimeout      time.Duration `env:"MOCKPAY_WRITE_TIMEOUT" envDefault:"60s"`
	IdleTimeout       time.Duration `env:"MOCKPAY_IDLE_TIMEOUT" envDefault:"120s"`
}

// maxHeaderBytes bounds a request's headers: a v3 request's are well under
// 4 KiB, and each connection may hold this much while its headers arrive.
const maxHeaderBytes = 64 << 10

// httpServer is the server the configuration asks for, serving h.
func (c config) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadTimeout:       c.ReadTimeout,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// configError names the variable that is wrong, so that a bad value stops
// the program with one line a user can act on.
type configError struct {
	Var, Issue string
}

func (e *configError) Error() string { return e.Var + ": " + e.Issue }

// loadConfig parses and validates the environment.
func loadConfig(environ map[string]string) (config, error) {
	cfg, err := env.ParseAsWithOptions[config](env.Options{Environment: environ})
	if err != nil {
		var pe env.ParseError
		if errors.As(err, &pe) {
			return cfg, &configError{Var: envName(pe.Name), Issue: fmt.Sprintf("not a valid %s: %v", pe.Type, errors.Unwrap(pe.Err))}
		}
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	return cfg, cfg.validate()
}

// envName maps a config field to its variable name.
func envName(field string) string {
	f, ok := reflect.TypeFor[config]().FieldByName(field)
	if !ok {
		return field
	}
	return f.Tag.Get("env")
}

func (c config) validate() error {
	switch c.Clock {
	case clock.ModeReal, clock.ModeVirtual:
	default:
		return &configError{"MOCKPAY_CLOCK", fmt.Sprintf("%q is not %q or %q", c.Clock, clock.ModeReal, clock.ModeVirtual)}
	}
	if !(c.TimeScale > 0) {
		return &configError{"MOCKPAY_TIME_SCALE", fmt.Sprintf("%v must be a positive number", c.TimeScale)}
	}
	if c.ClockStart != "" {
		if _, err := time.Parse(time.RFC3339, c.ClockStart); err != nil {
			return &configError{"MOCKPAY_CLOCK_START", fmt.Sprintf("%q is not an RFC 3339 time such as 2026-12-01T09:00:00+08:00", c.ClockStart)}
		}
		if c.Clock != clock.ModeVirtual {
			return &configError{"MOCKPAY_CLOCK_START", "only applies with MOCKPAY_CLOCK=virtual"}
		}
	}
	if (c.PlatformKey == "") != (c.PlatformCert == "") {
		return &configError{"MOCKPAY_PLATFORM_KEY", "MOCKPAY_PLATFORM_KEY and MOCKPAY_PLATFORM_CERT go together"}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return &configError{"MOCKPAY_TLS_CERT", "MOCKPAY_TLS_CERT and MOCKPAY_TLS_KEY go together"}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return &configError{"MOCKPAY_LOG_FORMAT", fmt.Sprintf("%q is not text or json", c.LogFormat)}
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return &configError{"MOCKPAY_LOG_LEVEL", fmt.Sprintf("%q is not debug, info, warn or error", c.LogLevel)}
	}
	for _, t := range []struct {
		name string
		d    time.Duration
	}{
		{"MOCKPAY_READ_TIMEOUT", c.ReadTimeout}, {"MOCKPAY_READ_HEADER_TIMEOUT", c.ReadHeaderTimeout},
		{"MOCKPAY_WRITE_TIMEOUT", c.WriteTimeout}, {"MOCKPAY_IDLE_TIMEOUT", c.IdleTimeout},
	} {
		if t.d <= 0 {
			return &configError{t.name, fmt.Sprintf("%s must be a positive duration such as 30s", t.d)}
		}
	}
	return nil
}

func (c config) logger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel)) // validated
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// options turns the configuration into mock.Options; it reads the files the
// configuration names.
func (c config) options(log *slog.Logger) (mock.Options, error) {
	opts := mock.Options{SandboxToken: c.SandboxToken, Logger: log}
	bundle, err := identity.Default()
	if err != nil {
		return opts, err
	}
	if c.PlatformKey != "" {
		key, err := readPEM(c.PlatformKey, "MOCKPAY_PLATFORM_KEY", protocol.ParsePrivateKey)
		if err != nil {
			return opts, err
		}
		cert, err := readPEM(c.PlatformCert, "MOCKPAY_PLATFORM_CERT", protocol.ParseCertificate)
		if err != nil {
			return opts, err
		}
		if !key.PublicKey.Equal(cert.PublicKey) {
			return opts, &configError{"MOCKPAY_PLATFORM_KEY", "does not match MOCKPAY_PLATFORM_CERT"}
		}
		bundle.PlatformKey, bundle.PlatformCert = key, cert
	}
	opts.Identity = bundle
	if c.Merchants != "" {
		if opts.Merchants, err = readMerchants(c.Merchants); err != nil {
			return opts, err
		}
	}
	if c.StateFile != "" {
		if opts.State, err = readStateFile(c.StateFile); err != nil {
			return opts, err
		}
		if err = replayJournals(c.StateFile, opts.State, log); err != nil {
			return opts, err
		}
	}
	if c.Clock == clock.ModeVirtual {
		start := time.Now()
		switch {
		case opts.State != nil:
			// A restored virtual clock continues where it was saved.
			start = opts.State.Now()
			if c.ClockStart != "" {
				log.Info("MOCKPAY_CLOCK_START ignored: the clock continues from MOCKPAY_STATE_FILE", "now", start)
			}
		case c.ClockStart != "":
			start, _ = time.Parse(time.RFC3339, c.ClockStart) // validated
		}
		opts.Clock = clock.NewVirtual(start)
	} else {
		if opts.Clock, err = clock.NewReal(c.TimeScale); err != nil {
			return opts, &configError{"MOCKPAY_TIME_SCALE", err.Error()}
		}
	}
	return opts, nil
}

// scenarioFiles expands MOCKPAY_SCENARIOS: comma-separated files or globs.
// A pattern that matches nothing is an error: a typo must not silently load
// no scenario.
func scenarioFiles(list string) ([]string, error) {
	var files []string
	for _, pattern := range strings.Split(list, ",") {
		pattern = strings.TrimSpace(pattern)
		if pattern == "" {
			continue
		}
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return nil, &configError{"MOCKPAY_SCENARIOS", fmt.Sprintf("%q is not a valid pattern", pattern)}
		}
		if len(matches) == 0 {
			return nil, &configError{"MOCKPAY_SCENARIOS", fmt.Sprintf("%q matches no file", pattern)}
		}
		files = append(files, matches...)
	}
	return files, nil
}

func readPEM[T any](path, name string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, &configError{name, err.Error()}
	}
	v, err := parse(data)
	if err != nil {
		return zero, &configError{name, fmt.Sprintf("%s: %v", path, err)}
	}
	return v, nil
}

// readMerchants reads MOCKPAY_MERCHANTS: a YAML (or JSON) list of merchant
// specs, the fields of POST /sandbox/merchants. Unknown keys are refused.
func readMerchants(path string) ([]mock.MerchantSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &configError{"MOCKPAY_MERCHANTS", err.Error()}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var specs []mock.MerchantSpec
	if err := dec.Decode(&specs); err != nil {
		msg := strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n  ", " ")
		return nil, &configError{"MOCKPAY_MERCHANTS", fmt.Sprintf("%s: %s", path, inYAMLWords(msg))}
	}
	if len(specs) == 0 {
		return nil, &configError{"MOCKPAY_MERCHANTS", path + ": lists no merchants"}
	}
	return specs, nil
}

// yamlMismatch matches a YAML type error, which names the Go type the
// value was meant for: "cannot unmarshal !!str `lots` into int64".
var yamlMismatch = regexp.MustCompile("cannot unmarshal !!(\\w+)( `[^`]*`)? into (\\S+)")

// inYAMLWords rewrites the YAML decoder's type errors in the file's own
// terms: "expected an integer, not a string `lots`".
func inYAMLWords(msg string) string {
	return yamlMismatch.ReplaceAllStringFunc(msg, func(m string) string {
		sub := yamlMismatch.FindStringSubmatch(m)
		return "expected " + yamlNeed(sub[3]) + ", not " + yamlTag(sub[1]) + sub[2]
	})
}

// yamlNeed names what a Go type is read from in a YAML file.
func yamlNeed(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]mock."):
		return "a list of merchants (each the fields of POST /sandbox/merchants)"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "mock."), strings.HasPrefix(goType, "map["):
		return "a mapping"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	}
	return "a string"
}

// yamlTag names a YAML node's tag in words.
func yamlTag(tag string) string {
	switch tag {
	case "map":
		return "a mapping"
	case "seq":
		return "a list"
	case "int":
		return "an integer"
	case "float":
		return "a number"
	case "bool":
		return "true or false"
	case "null":
		return "null"
	}
	return "a string"
}
