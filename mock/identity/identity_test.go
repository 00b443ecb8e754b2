package identity_test

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/identity"
)

// The embedded copy must be the files in testdata/certs, byte for byte: merchant
// code reads the folder while the server runs on the embedded copy.
func TestDefault_MatchesTestdata(t *testing.T) {
	b, err := identity.Default()
	require.NoError(t, err)
	files, err := b.Files()
	require.NoError(t, err)
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "..", "testdata", "certs", name))
		require.NoError(t, err, "testdata/certs/%s", name)
		embedded, err := os.ReadFile(filepath.Join("embedded", name))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(got, embedded), "testdata/certs/%s differs from mock/identity/embedded/%s: run go run ./testdata/certs", name, name)
		if name != identity.FileInfo {
			// PEM renders deterministically, so a re-encoding equal to the file
			// shows every file parsed into the bundle field it belongs to.
			assert.Equal(t, string(want), string(got), name)
		}
	}
}

func TestDefault_Identities(t *testing.T) {
	b, err := identity.Default()
	require.NoError(t, err)

	assert.Equal(t, "1230000109", b.Info.MchID)
	assert.Equal(t, "wxd678efh567hg6787", b.Info.AppID)
	assert.Len(t, b.Info.APIv3Key, protocol.APIv3KeySize)
	assert.Regexp(t, regexp.MustCompile(`^PUB_KEY_ID_\d{28,34}$`), b.Info.PublicKeyID)

	roots := x509.NewCertPool()
	roots.AddCert(b.CA.Cert)
	for name, c := range map[string]*x509.Certificate{"merchant": b.MerchantCert, "platform": b.PlatformCert, "tls": b.TLSCert} {
		_, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		assert.NoError(t, err, "%s certificate must chain to the test CA", name)
		assert.Contains(t, c.Subject.OrganizationalUnit, identity.TestOnly, name)
		assert.Regexp(t, `^[0-9A-F]{40}$`, protocol.SerialNumber(c), name)
	}
	assert.Equal(t, b.Info.MchID, b.MerchantCert.Subject.CommonName)
	assert.True(t, b.MerchantKey.PublicKey.Equal(b.MerchantCert.PublicKey), "apiclient_key.pem must match apiclient_cert.pem")
	assert.True(t, b.PlatformKey.PublicKey.Equal(b.PlatformCert.PublicKey))
	_, err = b.TLSCert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "api.mch.weixin.qq.com"})
	assert.NoError(t, err)

	pub, err := os.ReadFile(filepath.Join("embedded", identity.FilePublicKey))
	require.NoError(t, err)
	pk, err := protocol.ParsePublicKey(pub)
	require.NoError(t, err)
	assert.True(t, pk.Equal(&b.PublicKeyKey.PublicKey), "pub_key.pem must be the public half of pub_key_private.pem")
}

func TestGenerate_RoundTrips(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	b, err := identity.Generate(now)
	require.NoError(t, err)
	files, err := b.Files()
	require.NoError(t, err)
	dir := t.TempDir()
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	}
	loaded, err := identity.Load(os.DirFS(dir))
	require.NoError(t, err)
	assert.Equal(t, b.Info, loaded.Info)
	assert.Equal(t, protocol.SerialNumber(b.PlatformCert), protocol.SerialNumber(loaded.PlatformCert))
	assert.True(t, b.MerchantKey.Equal(loaded.MerchantKey))
	assert.True(t, b.PlatformCert.NotBefore.Before(now) && b.PlatformCert.NotAfter.After(now.AddDate(5, 0, 0)))
}

func TestNewDigits(t *testing.T) {
	for _, n := range []int{1, 10, 32} {
		d := identity.NewDigits(n)
		assert.Regexp(t, `^[1-9][0-9]*$`, d)
		assert.Len(t, d, n)
	}
}
