package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

const certsDir = "../../testdata/certs"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// TestLoadSettings_precedence checks flag > environment > file > default.
func TestLoadSettings_precedence(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "client.yaml", "url: http://file.example\nmchid: '111'\nappid: wxfile\nservice_id: '500001'\n")
	tests := []struct {
		name            string
		path            string
		env             map[string]string
		flags           settings
		wantURL, wantID string
		wantApp         string
	}{
		{"defaults", "", nil, settings{}, defaultURL, "", ""},
		{"file", file, nil, settings{}, "http://file.example", "111", "wxfile"},
		{"file from MOCKPAY_CONFIG", "", map[string]string{"MOCKPAY_CONFIG": file}, settings{}, "http://file.example", "111", "wxfile"},
		{"env over file", file, map[string]string{"MOCKPAY_URL": "http://env.example/", "MOCKPAY_MCHID": "222"}, settings{}, "http://env.example", "222", "wxfile"},
		{"flag over env", file, map[string]string{"MOCKPAY_MCHID": "222"}, settings{MchID: "333", URL: "https://api.mch.weixin.qq.com"}, "https://api.mch.weixin.qq.com", "333", "wxfile"},
		{"empty env is unset", file, map[string]string{"MOCKPAY_MCHID": ""}, settings{}, "http://file.example", "111", "wxfile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := loadSettings(tt.path, tt.env, tt.flags)
			require.NoError(t, err)
			assert.Equal(t, tt.wantURL, got.URL)
			assert.Equal(t, tt.wantID, got.MchID)
			assert.Equal(t, tt.wantApp, got.AppID)
		})
	}
}

// TestConfigFile_strict checks that a config file with an unknown key is a
// usage error naming the key and its line.
func TestConfigFile_strict(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "bad.yaml", "url: http://127.0.0.1:1\nmchd: '1230000109'\n")
	r := runWith(t, nil, "certificates", "--config", file)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "line 2: field mchd not found")
	r = runWith(t, nil, "certificates", "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "config file")
}

// identityJSON is testdata/certs/identity.json.
type identityJSON struct {
	MchID       string `json:"mchid"`
	AppID       string `json:"appid"`
	ServiceID   string `json:"service_id"`
	APIv3Key    string `json:"apiv3_key"`
	PublicKeyID string `json:"public_key_id"`
}

// explicitEnv is the default merchant's credentials as a developer would
// configure them for the real WeChat Pay: every name set, files on disk.
func explicitEnv(t *testing.T, h *harness) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(certsDir, "identity.json"))
	require.NoError(t, err)
	var id identityJSON
	require.NoError(t, json.Unmarshal(raw, &id))
	certPEM, err := os.ReadFile(filepath.Join(certsDir, "apiclient_cert.pem"))
	require.NoError(t, err)
	cert, err := protocol.ParseCertificate(certPEM)
	require.NoError(t, err)
	return map[string]string{
		"MOCKPAY_URL":         h.url,
		"MOCKPAY_MCHID":       id.MchID,
		"MOCKPAY_SERIAL_NO":   protocol.SerialNumber(cert),
		"MOCKPAY_PRIVATE_KEY": filepath.Join(certsDir, "apiclient_key.pem"),
		"MOCKPAY_APIV3_KEY":   id.APIv3Key,
		"MOCKPAY_APPID":       id.AppID,
		"MOCKPAY_SERVICE_ID":  id.ServiceID,
		"MOCKPAY_NOTIFY_URL":  h.sink,
		// kept for the public-key case
		"_PUBLIC_KEY_ID": id.PublicKeyID,
	}
}

// without is env less the names given.
func without(env map[string]string, names ...string) map[string]string {
	out := maps.Clone(env)
	for _, n := range names {
		delete(out, n)
	}
	return out
}

// TestCredentials checks each way of naming the merchant and of verifying
// answers.
func TestCredentials(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	explicit := explicitEnv(t, h)
	pubKeyID := explicit["_PUBLIC_KEY_ID"]
	delete(explicit, "_PUBLIC_KEY_ID")
	with := func(extra map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range explicit {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}
	pubKeyMerchant, err := h.srv.CreateMerchant(mock.MerchantSpec{PlatformMode: "public_key"})
	require.NoError(t, err)
	other, err := h.srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)

	tests := []struct {
		name string
		env  map[string]string
		want string // in stdout of user-state
	}{
		{"mock default merchant", h.env, "wxd678efh567hg6787"},
		{"explicit files, downloaded certificates", explicit, "wxd678efh567hg6787"},
		{"explicit platform certificate", with(map[string]string{"MOCKPAY_PLATFORM_CERT": filepath.Join(certsDir, "platform_cert.pem")}), "wxd678efh567hg6787"},
		{"explicit public key", with(map[string]string{"MOCKPAY_PUBLIC_KEY": filepath.Join(certsDir, "pub_key.pem"), "MOCKPAY_PUBLIC_KEY_ID": pubKeyID}), "wxd678efh567hg6787"},
		{"mchid only, rest from the mock", map[string]string{"MOCKPAY_URL": h.url, "MOCKPAY_MCHID": other.MchID}, other.AppIDs[0]},
		{"public-key merchant from the mock", map[string]string{"MOCKPAY_URL": h.url, "MOCKPAY_MCHID": pubKeyMerchant.MchID}, pubKeyMerchant.AppIDs[0]},
		// Every credential, but no appid or service_id: against a mock they
		// come from its record, as the help promises.
		{"explicit files, appid and service_id from the mock", without(explicit, "MOCKPAY_APPID", "MOCKPAY_SERVICE_ID"), "wxd678efh567hg6787"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runWith(t, tt.env, "user-state", "--openid", "oNobody")
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Contains(t, r.stdout, "user oNobody: UNAVAILABLE")
			assert.Contains(t, r.stdout, tt.want)
		})
	}

	t.Run("sandbox registers a fresh merchant", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, h.env, "user-state", "--openid", "oNobody", "--sandbox")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stderr, "registered sandbox merchant")
		assert.NotContains(t, r.stdout, "wxd678efh567hg6787")
	})
	t.Run("wrong platform certificate fails verification", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, with(map[string]string{"MOCKPAY_PLATFORM_CERT": filepath.Join(certsDir, "apiclient_cert.pem")}), "user-state", "--openid", "oNobody")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "response verification failed")
	})
	t.Run("unknown mchid in the mock", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, map[string]string{"MOCKPAY_URL": h.url, "MOCKPAY_MCHID": "1999999999"}, "user-state", "--openid", "oNobody")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "NOT_FOUND: ")
		assert.Contains(t, r.stderr, "while: read the credentials of merchant 1999999999")
	})
	t.Run("every credential of a merchant the mock does not know", func(t *testing.T) {
		t.Parallel()
		env := without(explicit, "MOCKPAY_APPID", "MOCKPAY_SERVICE_ID")
		env["MOCKPAY_MCHID"] = "1999999999"
		r := runWith(t, env, "user-state", "--openid", "oNobody")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "error: the appid and service_id are not configured")
		assert.Contains(t, r.stderr, "hint: the mock has no record of merchant 1999999999 (NOT_FOUND: ")
	})
	t.Run("WeChat Pay needs every credential", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, map[string]string{"MOCKPAY_URL": notWeChat(t), "MOCKPAY_MCHID": "1230000109"}, "user-state", "--openid", "o")
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "MOCKPAY_SERIAL_NO, MOCKPAY_PRIVATE_KEY, MOCKPAY_APIV3_KEY not set")
	})
	t.Run("unreachable default mock", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, map[string]string{"MOCKPAY_URL": "http://127.0.0.1:1"}, "user-state", "--openid", "o")
		assert.Equal(t, exitFailure, r.code)
		assert.Contains(t, r.stderr, "cannot reach http://127.0.0.1:1")
		assert.Contains(t, r.stderr, "hint: check --url")
	})
}

// TestSandboxToken checks that the bearer token reaches every /sandbox
// call, the credential look-up included, and that every sandbox command
// fails with the mock's code and message without it.
func TestSandboxToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{SandboxToken: "s3cret"})
	for _, args := range [][]string{
		{"sandbox", "orders"},
		{"sandbox", "order", "RIDE-1"},
		{"sandbox", "merchant", "list"},
		{"sandbox", "merchant", "delete", "1230000109"},
		{"sandbox", "notifications"},
		{"sandbox", "requests"},
		{"sandbox", "reset"},
		{"sandbox", "scenario", "list"},
		{"sandbox", "user", "oUser1"},
		{"sandbox", "clock"},
	} {
		stderr := h.fails(t, exitFailure, args...)
		assert.Regexp(t, `^UNAUTHORIZED: the sandbox API needs Authorization: Bearer`, stderr, "%v", args)
	}

	h.env["MOCKPAY_SANDBOX_TOKEN"] = "s3cret"
	h.ok(t, "sandbox", "orders")
	assert.Contains(t, h.ok(t, "user-state", "--openid", "oNobody"), "UNAVAILABLE")
}
