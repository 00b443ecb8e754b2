package mock

import (
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// certificatesResponse is the body of GET /v3/certificates.
type certificatesResponse struct {
	Data []platformCertificate `json:"data"`
}

type platformCertificate struct {
	SerialNo           string             `json:"serial_no"`
	EffectiveTime      string             `json:"effective_time"`
	ExpireTime         string             `json:"expire_time"`
	EncryptCertificate encryptCertificate `json:"encrypt_certificate"`
}

type encryptCertificate struct {
	Algorithm      string `json:"algorithm"`
	Nonce          string `json:"nonce"`
	AssociatedData string `json:"associated_data"`
	Ciphertext     string `json:"ciphertext"`
}

// certificateAD is the associated data of an encrypted platform certificate.
const certificateAD = "certificate"

// getCertificates serves GET /v3/certificates: the platform certificate,
// encrypted with the caller's APIv3 key (protocol.md §1.7). A public-key
// merchant has none and gets WeChat Pay's 404.
func (s *Server) getCertificates(c *call) (certificatesResponse, error) {
	switch alg := c.r.URL.Query().Get("algorithm_type"); alg {
	case "", "RSA", "ALL":
	case "SM2":
		// mockpay has no SM2 platform certificate.
		return certificatesResponse{Data: []platformCertificate{}}, nil
	default:
		return certificatesResponse{}, apierr.Param(apierr.LocQuery, "algorithm_type", "algorithm_type取值错误",
			"algorithm_type must be RSA, SM2 or ALL", alg)
	}
	if c.merchant.PlatformMode == store.PlatformModePublicKey {
		return certificatesResponse{}, apierr.New(apierr.ResourceNotExists, "无可用的平台证书,请在商户平台-API安全申请使用微信支付公钥")
	}
	p := s.platform
	nonce := protocol.NewNonce(protocol.NonceSize)
	ct, err := protocol.Encrypt([]byte(c.merchant.APIv3Key), nonce, certificateAD, []byte(p.certPEM))
	if err != nil {
		return certificatesResponse{}, err
	}
	return certificatesResponse{Data: []platformCertificate{{
		SerialNo:      p.certSerial,
		EffectiveTime: protocol.FormatRFC3339(p.x509Cert.NotBefore),
		ExpireTime:    protocol.FormatRFC3339(p.x509Cert.NotAfter),
		EncryptCertificate: encryptCertificate{
			Algorithm:      protocol.AlgorithmAEADAES256GCM,
			Nonce:          nonce,
			AssociatedData: certificateAD,
			Ciphertext:     ct,
		},
	}}}, nil
}
