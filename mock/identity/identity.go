// Package identity makes and loads the test-only keys and certificates of
// mockpay: a test CA, merchant API certificates (apiclient_cert.pem), the
// platform certificate and the WeChat Pay public key that sign responses and
// callbacks, and the default merchant's credentials.
//
// Everything here is for tests. The default identity is embedded so that the
// server runs on a fresh clone; testdata/certs holds the same files for
// merchant code and is regenerated with `go run ./testdata/certs`.
package identity

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// TestOnly is written into every subject this package issues, so that a
// certificate found anywhere says what it is.
const TestOnly = "mockpay TEST ONLY - never trust outside tests"

// certValidity is how long issued certificates last. WeChat Pay's are valid
// for five years; test certificates outlive any test run by a wide margin.
const certValidity = 10 * 365 * 24 * time.Hour

// NewKey generates an RSA-2048 key, the size WeChat Pay uses everywhere.
func NewKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate RSA-2048 key: %w", err)
	}
	return k, nil
}

// CA is a certificate authority that issues test certificates.
type CA struct {
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
}

// NewCA creates a self-signed test CA.
func NewCA(now time.Time) (*CA, error) {
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(),
		Subject:               pkix.Name{CommonName: "mockpay Test CA", Organization: []string{"mockpay"}, OrganizationalUnit: []string{TestOnly}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("self-sign CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	return &CA{Cert: cert, Key: key}, nil
}

// IssueMerchant issues a merchant API certificate for mchid, shaped like the
// ones WeChat Pay's CA issues (CN = mchid, O = 微信商户系统).
func (ca *CA) IssueMerchant(pub *rsa.PublicKey, mchid string, now time.Time) (*x509.Certificate, error) {
	return ca.issue(pub, pkix.Name{
		CommonName:         mchid,
		Organization:       []string{"微信商户系统"},
		OrganizationalUnit: []string{TestOnly},
		Country:            []string{"CN"},
	}, x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment, nil, now)
}

// IssuePlatform issues the platform certificate (平台证书) that signs
// responses and callbacks in certificate mode.
func (ca *CA) IssuePlatform(pub *rsa.PublicKey, now time.Time) (*x509.Certificate, error) {
	return ca.issue(pub, pkix.Name{
		CommonName:         "Tenpay.com sign (mockpay)",
		Organization:       []string{"mockpay"},
		OrganizationalUnit: []string{TestOnly},
		Country:            []string{"CN"},
	}, x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment, nil, now)
}

// IssueTLS issues a server certificate for the given host names and IP
// addresses, so that SDKs with a fixed host can reach the mock over HTTPS.
func (ca *CA) IssueTLS(pub *rsa.PublicKey, hosts []string, now time.Time) (*x509.Certificate, error) {
	return ca.issue(pub, pkix.Name{
		CommonName:         hosts[0],
		Organization:       []string{"mockpay"},
		OrganizationalUnit: []string{TestOnly},
	}, x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment, hosts, now)
}

func (ca *CA) issue(pub *rsa.PublicKey, subject pkix.Name, usage x509.KeyUsage, hosts []string, now time.Time) (*x509.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber: newSerial(),
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     usage,
	}
	if hosts != nil {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("issue certificate for %q: %w", subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse issued certificate: %w", err)
	}
	return cert, nil
}

// newSerial returns a random positive 159-bit serial. Its upper-case hex is
// the 40-character form WeChat Pay certificate serials take.
func newSerial() *big.Int {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	b[0] = b[0]&0x7f | 0x10 // positive, and 40 hex digits without a leading zero
	return new(big.Int).SetBytes(b)
}

// NewAPIv3Key returns a random 32-character APIv3 key from [0-9A-Za-z], the
// kind merchants set in the merchant console.
func NewAPIv3Key() string {
	return protocol.NewNonce(protocol.APIv3KeySize)
}

// NewPublicKeyID returns a WeChat Pay public key id: PUB_KEY_ID_ and 34
// digits, like the real ones (PUB_KEY_ID_0117000800002025045698789500001779).
func NewPublicKeyID() string {
	return "PUB_KEY_ID_01" + NewDigits(32)
}

// NewDigits returns n random decimal digits, the first not zero: merchant
// ids, service ids and other numeric identifiers.
func NewDigits(n int) string {
	lo := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n-1)), nil)
	span := new(big.Int).Mul(lo, big.NewInt(9)) // [10^(n-1), 10^n)
	v, _ := rand.Int(rand.Reader, span)         // crypto/rand never fails
	return v.Add(v, lo).String()
}
