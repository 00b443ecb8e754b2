package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/caarlos0/env/v11"
	"go.yaml.in/yaml/v3"
)

// defaultURL is the mock that `go run ./cmd/mockpay` serves.
const defaultURL = "http://127.0.0.1:8080"

// settings is where the CLI sends requests and as whom. Each field has one
// name per source: a flag (--flag), an environment variable (env) and a key
// of the --config YAML file (yaml). A flag wins over the environment, which
// wins over the file. Empty means unset in every source.
//
// The struct is the single list of names: flags, the environment parser,
// the file decoder and the help text are all derived from its tags.
type settings struct {
	URL          string `flag:"url" env:"MOCKPAY_URL" yaml:"url" help:"API base URL: the mock (default http://127.0.0.1:8080) or https://api.mch.weixin.qq.com"`
	MchID        string `flag:"mchid" env:"MOCKPAY_MCHID" yaml:"mchid" help:"merchant id (商户号)"`
	SubMchID     string `flag:"sub-mchid" env:"MOCKPAY_SUB_MCHID" yaml:"sub_mchid" help:"act as a service provider (服务商) for this sub-merchant: order and permission commands call the partner API (/v3/payscore/partner/...), refunds, user-state and sandbox commands name it"`
	SerialNo     string `flag:"serial-no" env:"MOCKPAY_SERIAL_NO" yaml:"serial_no" help:"serial of the merchant API certificate (apiclient_cert.pem)"`
	PrivateKey   string `flag:"private-key" env:"MOCKPAY_PRIVATE_KEY" yaml:"private_key" help:"path to the merchant API private key (apiclient_key.pem)"`
	APIv3Key     string `flag:"apiv3-key" env:"MOCKPAY_APIV3_KEY" yaml:"apiv3_key" help:"APIv3 key (32 characters): decrypts callbacks and certificates"`
	AppID        string `flag:"appid" env:"MOCKPAY_APPID" yaml:"appid" help:"appid bound to the merchant (default: the mock merchant's first)"`
	ServiceID    string `flag:"service-id" env:"MOCKPAY_SERVICE_ID" yaml:"service_id" help:"pay-score service id (default: the mock merchant's first)"`
	NotifyURL    string `flag:"notify-url" env:"MOCKPAY_NOTIFY_URL" yaml:"notify_url" help:"callback URL sent with orders and pre-authorizations (mock default http://127.0.0.1:9000/notify, where 'listen' receives); listen advertises it as its own; against the mock, 'flow ride' sends its callbacks there rather than to a listener of its own"`
	PlatformCert string `flag:"platform-cert" env:"MOCKPAY_PLATFORM_CERT" yaml:"platform_cert" help:"path to a platform certificate PEM that verifies answers and callbacks"`
	PublicKey    string `flag:"public-key" env:"MOCKPAY_PUBLIC_KEY" yaml:"public_key" help:"path to the WeChat Pay public key (pub_key.pem); with --public-key-id"`
	PublicKeyID  string `flag:"public-key-id" env:"MOCKPAY_PUBLIC_KEY_ID" yaml:"public_key_id" help:"id of that public key, PUB_KEY_ID_…"`
	CACert       string `flag:"ca-cert" env:"MOCKPAY_CA_CERT" yaml:"ca_cert" help:"PEM file of CA certificates to trust for HTTPS besides the system's, e.g. the mock's test CA testdata/certs/ca_cert.pem"`
	SandboxToken string `flag:"sandbox-token" env:"MOCKPAY_SANDBOX_TOKEN" yaml:"sandbox_token" help:"bearer token of the mock's /sandbox API (when the mock sets one)"`
}

// configEnv names the environment variable that points at a config file,
// the alternative to --config.
const configEnv = "MOCKPAY_CONFIG"

// settingField describes one field of settings, for flags and help.
type settingField struct {
	index                 int
	flag, env, yaml, help string
}

// settingFields lists the fields of settings in declaration order.
func settingFields() []settingField {
	t := reflect.TypeFor[settings]()
	out := make([]settingField, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		out = append(out, settingField{index: i, flag: f.Tag.Get("flag"), env: f.Tag.Get("env"), yaml: f.Tag.Get("yaml"), help: f.Tag.Get("help")})
	}
	return out
}

// overlay copies the non-empty fields of top over base.
func overlay(base, top settings) settings {
	b, t := reflect.ValueOf(&base).Elem(), reflect.ValueOf(top)
	for i := range t.NumField() {
		if s := t.Field(i).String(); s != "" {
			b.Field(i).SetString(s)
		}
	}
	return base
}

// setField sets the field with the given flag name.
func (s *settings) setField(index int, value string) {
	reflect.ValueOf(s).Elem().Field(index).SetString(value)
}

// loadSettings merges the file (--config or MOCKPAY_CONFIG), the
// environment and the flags that were given.
func loadSettings(configPath string, environ map[string]string, flags settings) (settings, error) {
	if configPath == "" {
		configPath = environ[configEnv]
	}
	var merged settings
	if configPath != "" {
		file, err := readConfigFile(configPath)
		if err != nil {
			return settings{}, err
		}
		merged = file
	}
	fromEnv, err := env.ParseAsWithOptions[settings](env.Options{Environment: environ})
	if err != nil {
		return settings{}, fmt.Errorf("environment: %w", err)
	}
	merged = overlay(overlay(merged, fromEnv), flags)
	if merged.URL == "" {
		merged.URL = defaultURL
	}
	merged.URL = strings.TrimRight(merged.URL, "/")
	return merged, merged.validate()
}

// readConfigFile decodes a YAML config strictly: an unknown key is an error
// that names its line, so a typo never silently falls back to a default.
func readConfigFile(path string) (settings, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return settings{}, &usageError{msg: fmt.Sprintf("config file: %v", err)}
	}
	var s settings
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
		return settings{}, &usageError{msg: fmt.Sprintf("config file %s: %v", path, err), hint: "its keys are listed under 'Configuration' in --help"}
	}
	return s, nil
}

// readSettingFile reads the file a setting names and parses it; either
// failure is a usage error naming the setting (e.g. "--ca-cert /
// MOCKPAY_CA_CERT"), and hint, if any, follows a parse error.
func readSettingFile[T any](path, setting, hint string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	raw, err := os.ReadFile(path)
	if err != nil {
		return zero, &usageError{msg: fmt.Sprintf("%s: %v", setting, err)}
	}
	v, err := parse(raw)
	if err != nil {
		return zero, &usageError{msg: fmt.Sprintf("%s %s: %v", setting, path, err), hint: hint}
	}
	return v, nil
}

// validate checks what can be checked without the network.
func (s settings) validate() error {
	if !strings.HasPrefix(s.URL, "http://") && !strings.HasPrefix(s.URL, "https://") {
		return &usageError{msg: fmt.Sprintf("--url / MOCKPAY_URL %q is not an http(s) URL", s.URL)}
	}
	if (s.PublicKey == "") != (s.PublicKeyID == "") {
		return &usageError{msg: "--public-key and --public-key-id (MOCKPAY_PUBLIC_KEY, MOCKPAY_PUBLIC_KEY_ID) go together"}
	}
	if s.APIv3Key != "" && len(s.APIv3Key) != 32 {
		return &usageError{msg: fmt.Sprintf("--apiv3-key / MOCKPAY_APIV3_KEY is %d characters; an APIv3 key has 32", len(s.APIv3Key))}
	}
	return nil
}
