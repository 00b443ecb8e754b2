package mock

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/apierr"
	"github.com/mockpay/mockpay/mock/identity"
	"github.com/mockpay/mockpay/mock/store"
)

// DefaultRiskFundCap is a merchant's per-order risk fund cap (fen) unless set.
const DefaultRiskFundCap = 100000

// MerchantSpec registers a merchant (POST /sandbox/merchants, MOCKPAY_MERCHANTS).
// Every field is optional; what is missing is generated.
type MerchantSpec struct {
	MchID          string   `json:"mchid,omitempty" yaml:"mchid"`
	APIv3Key       string   `json:"apiv3_key,omitempty" yaml:"apiv3_key"`
	SerialNo       string   `json:"serial_no,omitempty" yaml:"serial_no"`
	CertificatePEM string   `json:"certificate_pem,omitempty" yaml:"certificate_pem"`
	PublicKeyPEM   string   `json:"public_key_pem,omitempty" yaml:"public_key_pem"`
	PrivateKeyPEM  string   `json:"private_key_pem,omitempty" yaml:"private_key_pem"`
	AppIDs         []string `json:"appids,omitempty" yaml:"appids"`
	ServiceIDs     []string `json:"service_ids,omitempty" yaml:"service_ids"`
	NotifyURL      string   `json:"notify_url,omitempty" yaml:"notify_url"`
	PlatformMode   string   `json:"platform_mode,omitempty" yaml:"platform_mode"`
	RiskFundCap    int64    `json:"risk_fund_cap,omitempty" yaml:"risk_fund_cap"`
}

// Merchant is a merchant record as the sandbox shows it.
type Merchant struct {
	MchID          string   `json:"mchid"`
	SerialNo       string   `json:"serial_no"`
	CertificatePEM string   `json:"certificate_pem,omitempty"`
	PublicKeyPEM   string   `json:"public_key_pem,omitempty"`
	PrivateKeyPEM  string   `json:"private_key_pem,omitempty"` // PKCS#8, as apiclient_key.pem; only when mockpay holds it
	APIv3Key       string   `json:"apiv3_key"`
	AppIDs         []string `json:"appids"`
	ServiceIDs     []string `json:"service_ids"`
	NotifyURL      string   `json:"notify_url,omitempty"`
	PlatformMode   string   `json:"platform_mode"`
	RiskFundCap    int64    `json:"risk_fund_cap"`
}

// DefaultMerchantSpec is the default test merchant of a bundle: mchid
// 1230000109 with the keys in testdata/certs.
func DefaultMerchantSpec(b *identity.Bundle) (MerchantSpec, error) {
	key, err := protocol.EncodePrivateKey(b.MerchantKey)
	if err != nil {
		return MerchantSpec{}, err
	}
	return MerchantSpec{
		MchID:          b.Info.MchID,
		APIv3Key:       b.Info.APIv3Key,
		CertificatePEM: string(protocol.EncodeCertificate(b.MerchantCert)),
		PrivateKeyPEM:  string(key),
		AppIDs:         []string{b.Info.AppID},
		ServiceIDs:     []string{b.Info.ServiceID},
		PlatformMode:   store.PlatformModeCertificate,
	}, nil
}

var (
	reMchID = regexp.MustCompile(`^[0-9]{1,32}$`)
	reID    = regexp.MustCompile(`^[0-9A-Za-z_\-]{1,32}$`)
)

func specError(field, issue string) error {
	return apierr.New(apierr.ParamError, fmt.Sprintf("%s: %s", field, issue)).
		WithDetail(apierr.Detail{Field: field, Location: apierr.LocBody, Issue: issue})
}

// CreateMerchant registers a merchant, generating whatever the spec leaves
// out: mchid, APIv3 key, RSA key and certificate (issued by the test CA),
// appid and service_id (POST /sandbox/merchants).
func (s *Server) CreateMerchant(spec MerchantSpec) (Merchant, error) {
	for spec.MchID == "" {
		// Draw a 10-digit mchid that is free; a collision is merely unlikely.
		id := identity.NewDigits(10)
		if _, err := s.store.Read().Merchant(id); errors.Is(err, store.ErrNotFound) {
			spec.MchID = id
		}
	}
	m, err := s.buildMerchant(spec)
	if err != nil {
		return Merchant{}, err
	}
	tx := s.store.Write()
	defer tx.Abort()
	if err := tx.InsertMerchant(m); err != nil {
		if errors.Is(err, store.ErrExists) {
			return Merchant{}, apierr.Newf(apierr.Conflict, "merchant %s is already registered", m.MchID)
		}
		return Merchant{}, err
	}
	tx.Commit()
	s.log.Info("merchant registered", "mchid", m.MchID, "serial_no", m.SerialNo, "platform_mode", m.PlatformMode)
	return merchantRecord(m), nil
}

func (s *Server) buildMerchant(spec MerchantSpec) (*store.Merchant, error) {
	m := &store.Merchant{
		MchID:        spec.MchID,
		APIv3Key:     spec.APIv3Key,
		AppIDs:       spec.AppIDs,
		ServiceIDs:   spec.ServiceIDs,
		NotifyURL:    spec.NotifyURL,
		PlatformMode: spec.PlatformMode,
		RiskFundCap:  spec.RiskFundCap,
		CreatedAt:    s.clock.Now(),
	}
	if !reMchID.MatchString(m.MchID) {
		return nil, specError("mchid", "must be 1 to 32 digits")
	}
	if m.APIv3Key == "" {
		m.APIv3Key = identity.NewAPIv3Key()
	} else if len(m.APIv3Key) != protocol.APIv3KeySize {
		return nil, specError("apiv3_key", fmt.Sprintf("must be exactly %d bytes, got %d", protocol.APIv3KeySize, len(m.APIv3Key)))
	}
	if len(m.AppIDs) == 0 {
		m.AppIDs = []string{"wx" + strings.ToLower(protocol.NewNonce(16))}
	}
	for i, id := range m.AppIDs {
		if !reID.MatchString(id) {
			return nil, specError(fmt.Sprintf("appids[%d]", i), "must be 1 to 32 of [0-9A-Za-z_-]")
		}
	}
	if len(m.ServiceIDs) == 0 {
		m.ServiceIDs = []string{"00004000" + identity.NewDigits(17)}
	}
	for i, id := range m.ServiceIDs {
		if !reID.MatchString(id) {
			return nil, specError(fmt.Sprintf("service_ids[%d]", i), "must be 1 to 32 of [0-9A-Za-z_-]")
		}
	}
	if m.NotifyURL != "" {
		if issue := notifyURLIssue(m.NotifyURL); issue != "" {
			return nil, specError("notify_url", issue)
		}
	}
	switch m.PlatformMode {
	case "":
		m.PlatformMode = store.PlatformModeCertificate
	case store.PlatformModeCertificate, store.PlatformModePublicKey:
	default:
		return nil, specError("platform_mode", `must be "certificate" or "public_key"`)
	}
	switch {
	case m.RiskFundCap == 0:
		m.RiskFundCap = DefaultRiskFundCap
	case m.RiskFundCap < 0:
		return nil, specError("risk_fund_cap", "must be a positive amount in fen")
	}
	if err := s.merchantKeys(m, spec); err != nil {
		return nil, err
	}
	return m, nil
}

// merchantKeys settles the merchant's key material: a given certificate
// (with or without its key), a bare public key with its serial, a private
// key to certify, or nothing, in which case a key and certificate are made.
func (s *Server) merchantKeys(m *store.Merchant, spec MerchantSpec) error {
	var priv *rsa.PrivateKey
	if spec.PrivateKeyPEM != "" {
		k, err := protocol.ParsePrivateKey([]byte(spec.PrivateKeyPEM))
		if err != nil {
			return specError("private_key_pem", err.Error())
		}
		priv = k
	}
	var cert *x509.Certificate
	switch {
	case spec.CertificatePEM != "":
		c, err := protocol.ParseCertificate([]byte(spec.CertificatePEM))
		if err != nil {
			return specError("certificate_pem", err.Error())
		}
		cert = c
	case spec.PublicKeyPEM != "":
		if priv != nil {
			return specError("public_key_pem", "give private_key_pem or public_key_pem, not both")
		}
		pub, err := protocol.ParsePublicKey([]byte(spec.PublicKeyPEM))
		if err != nil {
			return specError("public_key_pem", err.Error())
		}
		if spec.SerialNo == "" {
			return specError("serial_no", "is required with public_key_pem: a bare public key has no serial")
		}
		m.PublicKey, m.SerialNo = pub, spec.SerialNo
		return nil
	default:
		if priv == nil {
			k, err := identity.NewKey()
			if err != nil {
				return err
			}
			priv = k
		}
		c, err := s.ca.IssueMerchant(&priv.PublicKey, m.MchID, s.clock.Now())
		if err != nil {
			return err
		}
		cert = c
	}
	if priv != nil && !priv.PublicKey.Equal(cert.PublicKey) {
		return specError("private_key_pem", "does not match the certificate")
	}
	m.SerialNo = protocol.SerialNumber(cert)
	if spec.SerialNo != "" && !strings.EqualFold(spec.SerialNo, m.SerialNo) {
		return specError("serial_no", fmt.Sprintf("is %s but the certificate's serial is %s", spec.SerialNo, m.SerialNo))
	}
	m.PublicKey = cert.PublicKey.(*rsa.PublicKey)
	m.CertificatePEM = string(protocol.EncodeCertificate(cert))
	if priv != nil {
		pem, err := protocol.EncodePrivateKey(priv)
		if err != nil {
			return err
		}
		m.PrivateKeyPEM = string(pem)
	}
	return nil
}

// notifyURLIssue says what is wrong with a callback address, or "" if nothing.
// WeChat Pay requires HTTPS without a query string; mockpay also accepts
// plain http:// so that local receivers work (docs/fidelity.md).
func notifyURLIssue(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return "is not an absolute URL"
	case u.Scheme != "https" && u.Scheme != "http":
		return "must be an https:// (or, in mockpay, http://) URL"
	case u.RawQuery != "" || strings.Contains(raw, "?"):
		return "must not carry a query string"
	case u.Fragment != "":
		return "must not carry a fragment"
	case len(raw) > 255:
		return "must be at most 255 characters"
	}
	return ""
}

func merchantRecord(m *store.Merchant) Merchant {
	rec := Merchant{
		MchID:          m.MchID,
		SerialNo:       m.SerialNo,
		CertificatePEM: m.CertificatePEM,
		PrivateKeyPEM:  m.PrivateKeyPEM,
		APIv3Key:       m.APIv3Key,
		AppIDs:         m.AppIDs,
		ServiceIDs:     m.ServiceIDs,
		NotifyURL:      m.NotifyURL,
		PlatformMode:   m.PlatformMode,
		RiskFundCap:    m.RiskFundCap,
	}
	if m.CertificatePEM == "" {
		pem, err := protocol.EncodePublicKey(m.PublicKey)
		if err == nil {
			rec.PublicKeyPEM = string(pem)
		}
	}
	return rec
}

// errNoMerchant is the sandbox's answer for an unknown mchid.
func errNoMerchant(mchid string) error {
	return apierr.Newf(apierr.NotFound, "merchant %s is not registered", mchid)
}

// Merchants lists registered merchants by mchid (GET /sandbox/merchants).
func (s *Server) Merchants() ([]Merchant, error) {
	ms, err := s.store.Read().Merchants()
	if err != nil {
		return nil, err
	}
	out := make([]Merchant, len(ms))
	for i, m := range ms {
		out[i] = merchantRecord(m)
	}
	return out, nil
}

// Merchant returns one merchant (GET /sandbox/merchants/{mchid}).
func (s *Server) Merchant(mchid string) (Merchant, error) {
	m, err := s.store.Read().Merchant(mchid)
	if errors.Is(err, store.ErrNotFound) {
		return Merchant{}, errNoMerchant(mchid)
	}
	if err != nil {
		return Merchant{}, err
	}
	return merchantRecord(m), nil
}

// DeleteMerchant removes a merchant and all its data (DELETE /sandbox/merchants/{mchid}).
func (s *Server) DeleteMerchant(mchid string) error {
	tx := s.store.Write()
	defer tx.Abort()
	if err := tx.DeleteMerchant(mchid); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNoMerchant(mchid)
		}
		return err
	}
	tx.Commit()
	s.log.Info("merchant removed", "mchid", mchid)
	return nil
}
