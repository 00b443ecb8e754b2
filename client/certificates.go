package client

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// PlatformCertificate is one WeChat Pay platform certificate (平台证书),
// decrypted. Platform certificates verify answers and callbacks of merchants
// in certificate mode and encrypt sensitive request fields.
type PlatformCertificate struct {
	SerialNo      string
	EffectiveTime time.Time
	ExpireTime    time.Time
	Certificate   *x509.Certificate
	PEM           string
}

// certificatesPath is the download API (protocol.md §1.7).
const certificatesPath = "/v3/certificates"

// Certificates downloads and decrypts the platform certificates
// (GET /v3/certificates). The answer is verified with the client's verifier
// if it knows the serial, otherwise with the certificates it contains (the
// usual way out of the chicken-and-egg problem; their authenticity rests on
// the AEAD encryption under the merchant's APIv3 key). A merchant in
// public-key mode has no platform certificates and gets an *APIError with
// code RESOURCE_NOT_EXISTS.
func (c *Client) Certificates(ctx context.Context) ([]PlatformCertificate, error) {
	serial, err := c.verifier.Serial(ctx)
	if err != nil {
		return nil, fmt.Errorf("GET %s: preferred Wechatpay-Serial: %w", certificatesPath, err)
	}
	return c.fetchCertificates(ctx, serial, c.verifier)
}

// fetchCertificates downloads, decrypts and verifies the platform
// certificates. The answer is verified first with the certificates it holds
// and, for another serial, with fallback (which may be nil).
func (c *Client) fetchCertificates(ctx context.Context, serial string, fallback Verifier) ([]PlatformCertificate, error) {
	fail := func(err error) error { return fmt.Errorf("GET %s: %w", certificatesPath, err) }
	if len(c.apiV3Key) == 0 {
		return nil, fail(ErrNoAPIv3Key)
	}
	resp, err := c.exchange(ctx, http.MethodGet, certificatesPath, nil, nil, serial)
	if err != nil {
		return nil, err
	}
	// Decrypting before verifying is safe: AEAD authenticates each
	// certificate under the APIv3 key, and nothing is used before the
	// answer's signature has been checked below.
	certs, err := c.decryptCertificates(resp)
	if err != nil {
		// A tampered body fails both ways; when the signature can be
		// checked and fails, that is the better diagnosis than a wrong key.
		if verr := c.verifyResponse(ctx, NewMultiVerifier(fallback), resp); verr != nil && !errors.Is(verr, ErrUnknownSerial) {
			return nil, fail(verr)
		}
		return nil, fail(err)
	}
	held := make([]*x509.Certificate, len(certs))
	for i, pc := range certs {
		held[i] = pc.Certificate
	}
	if err := c.verifyResponse(ctx, NewMultiVerifier(NewCertificateVerifier(held...), fallback), resp); err != nil {
		return nil, fail(err)
	}
	return certs, nil
}

// certificatesBody is the wire shape of the download answer.
type certificatesBody struct {
	Data []struct {
		SerialNo           string            `json:"serial_no"`
		EffectiveTime      string            `json:"effective_time"`
		ExpireTime         string            `json:"expire_time"`
		EncryptCertificate encryptedResource `json:"encrypt_certificate"`
	} `json:"data"`
}

// encryptedResource is an AEAD_AES_256_GCM-sealed value: a callback's
// resource or a downloaded certificate.
type encryptedResource struct {
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	Nonce          string `json:"nonce"`
	AssociatedData string `json:"associated_data"`
	OriginalType   string `json:"original_type,omitempty"`
}

// decrypt opens r with the APIv3 key.
func (r encryptedResource) decrypt(apiV3Key []byte) ([]byte, error) {
	if r.Algorithm != protocol.AlgorithmAEADAES256GCM {
		return nil, fmt.Errorf("%w %q, want %s", ErrUnsupportedAlgorithm, r.Algorithm, protocol.AlgorithmAEADAES256GCM)
	}
	plain, err := protocol.Decrypt(apiV3Key, r.Nonce, r.AssociatedData, r.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w (is the APIv3 key right?): %w", ErrDecrypt, err)
	}
	return plain, nil
}

func (c *Client) decryptCertificates(resp *response) ([]PlatformCertificate, error) {
	var body certificatesBody
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return nil, fmt.Errorf("%w: %w (request-id %s)", ErrMalformed, err, resp.RequestID)
	}
	out := make([]PlatformCertificate, 0, len(body.Data))
	for _, d := range body.Data {
		plain, err := d.EncryptCertificate.decrypt(c.apiV3Key)
		if err != nil {
			return nil, fmt.Errorf("certificate %s (associated_data %q): %w", d.SerialNo, d.EncryptCertificate.AssociatedData, err)
		}
		cert, err := protocol.ParseCertificate(plain)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %s: %w", ErrMalformed, d.SerialNo, err)
		}
		if got := protocol.SerialNumber(cert); got != d.SerialNo {
			return nil, fmt.Errorf("%w: certificate listed as %s has serial %s", ErrMalformed, d.SerialNo, got)
		}
		effective, err := time.Parse(time.RFC3339, d.EffectiveTime)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %s: effective_time: %w", ErrMalformed, d.SerialNo, err)
		}
		expire, err := time.Parse(time.RFC3339, d.ExpireTime)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %s: expire_time: %w", ErrMalformed, d.SerialNo, err)
		}
		out = append(out, PlatformCertificate{
			SerialNo:      d.SerialNo,
			EffectiveTime: effective,
			ExpireTime:    expire,
			Certificate:   cert,
			PEM:           string(plain),
		})
	}
	return out, nil
}
