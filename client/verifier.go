package client

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mockpay/mockpay/client/protocol"
)

// Verifier checks WeChat Pay's signatures on answers and callbacks.
//
// WeChat Pay signs with a platform certificate (named by its serial) or with
// the WeChat Pay public key (named PUB_KEY_ID_…), and says which in
// Wechatpay-Serial. A Verifier that does not hold the named key returns an
// error wrapping ErrUnknownSerial, which lets a MultiVerifier ask the next.
type Verifier interface {
	// Verify checks a Base64 SHA256withRSA signature of message, made with
	// the key that serial names.
	Verify(ctx context.Context, serial string, message []byte, signature string) error
	// Serial returns the serial the client sends as Wechatpay-Serial, asking
	// WeChat Pay to sign answers with a key this Verifier holds; "" sends
	// none and lets the merchant's configuration decide.
	Serial(ctx context.Context) (string, error)
}

// verifyRSA maps every failure of a well-formed verification to
// ErrSignatureMismatch or ErrSignatureProbe, so callers need check only those.
func verifyRSA(pub *rsa.PublicKey, message []byte, signature string) error {
	err := protocol.Verify(pub, message, signature)
	switch {
	case err == nil, errors.Is(err, protocol.ErrSignatureMismatch), errors.Is(err, protocol.ErrSignTestProbe):
		return err
	}
	return fmt.Errorf("%w: %w", ErrSignatureMismatch, err)
}

// CertificateVerifier verifies with a fixed set of platform certificates,
// selected by serial. Use it when the certificates are managed outside the
// client (e.g. read from disk); NewCertificateSource downloads them instead.
type CertificateVerifier struct {
	bySerial map[string]*x509.Certificate
	newest   string
}

// NewCertificateVerifier holds certs by serial; nil entries are ignored.
// Certificate expiry is not checked: WeChat Pay stops signing with a
// certificate before it expires, and the 5-minute timestamp window already
// stops replays of old messages.
func NewCertificateVerifier(certs ...*x509.Certificate) *CertificateVerifier {
	v := &CertificateVerifier{bySerial: make(map[string]*x509.Certificate, len(certs))}
	var newest *x509.Certificate
	for _, c := range certs {
		if c == nil {
			continue
		}
		v.bySerial[protocol.SerialNumber(c)] = c
		// WeChat Pay asks integrators to prefer the newest certificate
		// ("优先使用最新的证书") during a rotation.
		if newest == nil || c.NotBefore.After(newest.NotBefore) {
			newest = c
		}
	}
	if newest != nil {
		v.newest = protocol.SerialNumber(newest)
	}
	return v
}

// Verify implements Verifier.
func (v *CertificateVerifier) Verify(_ context.Context, serial string, message []byte, signature string) error {
	cert, ok := v.bySerial[serial]
	if !ok {
		return fmt.Errorf("%w %q: platform certificates held: %s", ErrUnknownSerial, serial, v.serials())
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("platform certificate %s: %T is not an RSA key", serial, cert.PublicKey)
	}
	if err := verifyRSA(pub, message, signature); err != nil {
		return fmt.Errorf("platform certificate %s: %w", serial, err)
	}
	return nil
}

// Serial implements Verifier: the serial of the newest certificate by NotBefore.
func (v *CertificateVerifier) Serial(context.Context) (string, error) { return v.newest, nil }

// Certificates returns the held certificates, newest first.
func (v *CertificateVerifier) Certificates() []*x509.Certificate {
	out := make([]*x509.Certificate, 0, len(v.bySerial))
	for _, c := range v.bySerial {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *x509.Certificate) int {
		if c := b.NotBefore.Compare(a.NotBefore); c != 0 {
			return c
		}
		return strings.Compare(protocol.SerialNumber(a), protocol.SerialNumber(b))
	})
	return out
}

func (v *CertificateVerifier) has(serial string) bool {
	_, ok := v.bySerial[serial]
	return ok
}

func (v *CertificateVerifier) serials() string {
	if len(v.bySerial) == 0 {
		return "none"
	}
	s := make([]string, 0, len(v.bySerial))
	for serial := range v.bySerial {
		s = append(s, serial)
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}

// PublicKeyVerifier verifies with the WeChat Pay public key (微信支付公钥),
// the only key of merchants created since 2024, which have no platform
// certificates.
type PublicKeyVerifier struct {
	keyID string
	pub   *rsa.PublicKey
}

// NewPublicKeyVerifier holds the public key pub (pub_key.pem, read with
// protocol.ParsePublicKey) under its id keyID ("PUB_KEY_ID_…" as the
// merchant console shows it).
func NewPublicKeyVerifier(keyID string, pub *rsa.PublicKey) *PublicKeyVerifier {
	return &PublicKeyVerifier{keyID: keyID, pub: pub}
}

// Verify implements Verifier. Only the serial keyID is known: accepting a
// signature for another serial would let the key stand in for certificates.
func (v *PublicKeyVerifier) Verify(_ context.Context, serial string, message []byte, signature string) error {
	if serial != v.keyID || v.keyID == "" {
		return fmt.Errorf("%w %q: the WeChat Pay public key is %q", ErrUnknownSerial, serial, v.keyID)
	}
	if v.pub == nil {
		return fmt.Errorf("WeChat Pay public key %s: key is nil", v.keyID)
	}
	if err := verifyRSA(v.pub, message, signature); err != nil {
		return fmt.Errorf("WeChat Pay public key %s: %w", v.keyID, err)
	}
	return nil
}

// Serial implements Verifier: the key id, so that WeChat Pay signs answers
// with the public key (protocol.md §1.6).
func (v *PublicKeyVerifier) Serial(context.Context) (string, error) { return v.keyID, nil }

// MultiVerifier combines verifiers for a migration from platform
// certificates to the public key, when WeChat Pay signs with either.
type MultiVerifier struct {
	vs []Verifier
}

// NewMultiVerifier asks vs in order; nil entries are ignored. Put the key
// the merchant is migrating to first: its Serial is the one sent.
func NewMultiVerifier(vs ...Verifier) *MultiVerifier {
	m := &MultiVerifier{}
	for _, v := range vs {
		if v != nil {
			m.vs = append(m.vs, v)
		}
	}
	return m
}

// Verify implements Verifier: the first verifier that knows serial decides,
// so a signature that fails under a known key is not retried under others.
func (m *MultiVerifier) Verify(ctx context.Context, serial string, message []byte, signature string) error {
	var unknown []error
	for _, v := range m.vs {
		err := v.Verify(ctx, serial, message, signature)
		if err == nil || !errors.Is(err, ErrUnknownSerial) {
			return err
		}
		unknown = append(unknown, err)
	}
	if len(unknown) == 0 {
		return fmt.Errorf("%w %q: no verifiers configured", ErrUnknownSerial, serial)
	}
	return &unknownSerialError{errs: unknown}
}

// unknownSerialError is every verifier's refusal, on one line (unlike
// errors.Join), still matching each cause with errors.Is and errors.As, so
// that e.g. the *APIError of a failed certificate download is not lost.
type unknownSerialError struct {
	errs []error
}

// Error joins the refusals with "; ".
func (e *unknownSerialError) Error() string {
	msgs := make([]string, len(e.errs))
	for i, err := range e.errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap exposes every refusal to errors.Is and errors.As.
func (e *unknownSerialError) Unwrap() []error { return e.errs }

// Serial implements Verifier: the first non-empty serial of vs.
func (m *MultiVerifier) Serial(ctx context.Context) (string, error) {
	for _, v := range m.vs {
		s, err := v.Serial(ctx)
		if err != nil {
			return "", err
		}
		if s != "" {
			return s, nil
		}
	}
	return "", nil
}
