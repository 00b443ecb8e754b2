package mock

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/identity"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// platform is WeChat Pay's signing side: the platform certificate and the
// WeChat Pay public key, each with its private half.
type platform struct {
	x509Cert   *x509.Certificate
	certPEM    string
	certSerial string
	cert       signer

	publicKeyID  string
	publicKeyPEM string
	pubKey       signer
}

// signer is one signing identity and the Wechatpay-Serial that names it.
type signer struct {
	key    *rsa.PrivateKey
	serial string
}

func newPlatform(b *identity.Bundle) (*platform, error) {
	if !b.PlatformKey.PublicKey.Equal(b.PlatformCert.PublicKey) {
		return nil, fmt.Errorf("platform key does not match platform certificate")
	}
	pubPEM, err := protocol.EncodePublicKey(&b.PublicKeyKey.PublicKey)
	if err != nil {
		return nil, err
	}
	// Precompute once: every response pays for an RSA signature and nothing else.
	b.PlatformKey.Precompute()
	b.PublicKeyKey.Precompute()
	serial := protocol.SerialNumber(b.PlatformCert)
	return &platform{
		x509Cert:     b.PlatformCert,
		certPEM:      string(protocol.EncodeCertificate(b.PlatformCert)),
		certSerial:   serial,
		cert:         signer{key: b.PlatformKey, serial: serial},
		publicKeyID:  b.Info.PublicKeyID,
		publicKeyPEM: string(pubPEM),
		pubKey:       signer{key: b.PublicKeyKey, serial: b.Info.PublicKeyID},
	}, nil
}

// signerFor picks the identity that signs what goes to m. A request may name
// one in Wechatpay-Serial (protocol.md §1.6: during a migration responses are
// signed with whatever key the request names); otherwise, and for an unknown
// or unavailable serial, the merchant's platform mode decides. A public-key
// merchant has no platform certificate, so it is always answered with the
// public key. Before the merchant is known (a request failing
// authentication), the request's choice or the certificate is used.
func (p *platform) signerFor(m *store.Merchant, requested string) signer {
	mode := store.PlatformModeCertificate
	if m != nil {
		mode = m.PlatformMode
	}
	switch {
	case requested == p.publicKeyID:
		return p.pubKey
	case requested == p.certSerial && mode == store.PlatformModeCertificate:
		return p.cert
	case mode == store.PlatformModePublicKey:
		return p.pubKey
	}
	return p.cert
}

// decrypt opens a sensitive request field encrypted for the identity that
// serial (the request's Wechatpay-Serial) names.
func (p *platform) decrypt(serial, ciphertext string) (string, error) {
	var key *rsa.PrivateKey
	switch serial {
	case p.certSerial:
		key = p.cert.key
	case p.publicKeyID:
		key = p.pubKey.key
	default:
		return "", fmt.Errorf("Wechatpay-Serial %q names neither the platform certificate nor the WeChat Pay public key", serial)
	}
	return protocol.DecryptSensitive(key, ciphertext)
}

// signedHeaders are the Wechatpay-* headers of a signed response or callback.
type signedHeaders struct {
	Timestamp string
	Nonce     string
	Serial    string
	Signature string
}

// sign signs body with transport (wall-clock) time: clients check the
// timestamp against their own clocks, whatever the domain clock says.
func (s signer) sign(body []byte) (signedHeaders, error) { return s.signAt(body, time.Now()) }

// signAt signs body as if at transport time at.
func (s signer) signAt(body []byte, at time.Time) (signedHeaders, error) {
	ts := at.Unix()
	nonce := protocol.NewNonce(32)
	sig, err := protocol.Sign(s.key, protocol.ResponseMessage(ts, nonce, body))
	if err != nil {
		return signedHeaders{}, err
	}
	return signedHeaders{Timestamp: strconv.FormatInt(ts, 10), Nonce: nonce, Serial: s.serial, Signature: sig}, nil
}

// callbackSigner signs callbacks for the notifier in each merchant's
// platform mode.
type callbackSigner struct{ s *Server }

func (cs callbackSigner) SignCallback(mchid string, body []byte, at time.Time) (http.Header, error) {
	m, err := cs.s.store.Read().Merchant(mchid)
	if err != nil {
		m = nil // removed meanwhile: sign with the platform certificate
	}
	h, err := cs.s.platform.signerFor(m, "").signAt(body, at)
	if err != nil {
		return nil, err
	}
	hdr := http.Header{}
	hdr.Set(protocol.HeaderTimestamp, h.Timestamp)
	hdr.Set(protocol.HeaderNonce, h.Nonce)
	hdr.Set(protocol.HeaderSerial, h.Serial)
	hdr.Set(protocol.HeaderSignature, h.Signature)
	return hdr, nil
}
