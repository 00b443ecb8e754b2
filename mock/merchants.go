package mock

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/identity"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// DefaultRiskFundCap is a merchant's per-order risk fund cap (fen) unless set.
const DefaultRiskFundCap = 100000

// DefaultNotifyURL is the default test merchant's configured callback
// address: where the CLI's "client listen" receives unless told otherwise,
// so that callbacks without a notify_url of their own (authorizations
// without a pre-authorization, legacy payafter orders) reach a local
// listener out of the box rather than being dropped.
const DefaultNotifyURL = "http://127.0.0.1:9000/notify"

// MerchantSpec registers a merchant (POST /sandbox/merchants, MOCKPAY_MERCHANTS).
// Every field is optional; what is missing is generated.
type MerchantSpec struct {
	MchID string `json:"mchid,omitempty" yaml:"mchid"`
	// Kind is "merchant" (a direct merchant, the default) or "partner" (a
	// service provider, 服务商, that calls for its sub-merchants).
	Kind string `json:"kind,omitempty" yaml:"kind"`
	// SubMerchants are a partner's bound sub-merchants; a partner given
	// none gets one, and an entry without a sub_mchid gets one drawn.
	SubMerchants   []SubMerchant `json:"sub_merchants,omitempty" yaml:"sub_merchants"`
	APIv3Key       string        `json:"apiv3_key,omitempty" yaml:"apiv3_key"`
	SerialNo       string        `json:"serial_no,omitempty" yaml:"serial_no"`
	CertificatePEM string        `json:"certificate_pem,omitempty" yaml:"certificate_pem"`
	PublicKeyPEM   string        `json:"public_key_pem,omitempty" yaml:"public_key_pem"`
	PrivateKeyPEM  string        `json:"private_key_pem,omitempty" yaml:"private_key_pem"`
	AppIDs         []string      `json:"appids,omitempty" yaml:"appids"`
	ServiceIDs     []string      `json:"service_ids,omitempty" yaml:"service_ids"`
	NotifyURL      string        `json:"notify_url,omitempty" yaml:"notify_url"`
	PlatformMode   string        `json:"platform_mode,omitempty" yaml:"platform_mode"`
	RiskFundCap    int64         `json:"risk_fund_cap,omitempty" yaml:"risk_fund_cap"`
}

// SubMerchant is a sub-merchant bound to a service provider: its mchid and
// the appids bound to it (sub_appid). Left out of a spec, sub_appids gets
// one drawn; an empty list binds none.
type SubMerchant struct {
	SubMchID  string   `json:"sub_mchid,omitempty" yaml:"sub_mchid"`
	SubAppIDs []string `json:"sub_appids" yaml:"sub_appids"`
}

// Merchant is a merchant record as the sandbox shows it.
type Merchant struct {
	MchID string `json:"mchid"`
	Kind  string `json:"kind"` // merchant or partner
	// SubMerchants are a partner's bound sub-merchants.
	SubMerchants   []SubMerchant `json:"sub_merchants,omitempty"`
	SerialNo       string        `json:"serial_no"`
	CertificatePEM string        `json:"certificate_pem,omitempty"`
	PublicKeyPEM   string        `json:"public_key_pem,omitempty"`
	PrivateKeyPEM  string        `json:"private_key_pem,omitempty"` // PKCS#8, as apiclient_key.pem; only when mockpay holds it
	APIv3Key       string        `json:"apiv3_key"`
	AppIDs         []string      `json:"appids"`
	ServiceIDs     []string      `json:"service_ids"`
	NotifyURL      string        `json:"notify_url,omitempty"`
	PlatformMode   string        `json:"platform_mode"`
	RiskFundCap    int64         `json:"risk_fund_cap"`
}

// DefaultMerchantSpec is the default test merchant of a bundle: mchid
// 1230000109 with the keys in testdata/certs, and DefaultNotifyURL.
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
		NotifyURL:      DefaultNotifyURL,
		PlatformMode:   store.PlatformModeCertificate,
	}, nil
}

// specError is a PARAM_ERROR about a body field of a merchant spec or
// patch, named by its JSON Pointer.
func specError(ptr, issue string) error {
	return apierr.New(apierr.ParamError, fmt.Sprintf("%s: %s", ptr, issue)).
		WithDetail(apierr.Detail{Field: ptr, Location: apierr.LocBody, Issue: issue})
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
		Kind:         spec.Kind,
		APIv3Key:     spec.APIv3Key,
		AppIDs:       spec.AppIDs,
		ServiceIDs:   spec.ServiceIDs,
		NotifyURL:    spec.NotifyURL,
		PlatformMode: spec.PlatformMode,
		RiskFundCap:  spec.RiskFundCap,
		CreatedAt:    s.clock.Now(),
		Seq:          s.store.NextSeq(),
	}
	if !field.MchID.Match(m.MchID) {
		return nil, specError("/mchid", "must be "+field.MchID.String())
	}
	if m.APIv3Key == "" {
		m.APIv3Key = identity.NewAPIv3Key()
	} else if len(m.APIv3Key) != protocol.APIv3KeySize {
		return nil, specError("/apiv3_key", fmt.Sprintf("must be exactly %d bytes, got %d", protocol.APIv3KeySize, len(m.APIv3Key)))
	}
	if len(m.AppIDs) == 0 {
		m.AppIDs = []string{newAppID()}
	}
	if len(m.ServiceIDs) == 0 {
		m.ServiceIDs = []string{"00004000" + identity.NewDigits(17)}
	}
	if m.PlatformMode == "" {
		m.PlatformMode = store.PlatformModeCertificate
	}
	if m.Kind == "" {
		m.Kind = store.KindMerchant
	}
	kind := field.Body()
	if kind.Enum("/kind", m.Kind, store.KindMerchant, store.KindPartner); kind.Failed() {
		return nil, kind.Err()
	}
	if m.IsPartner() && spec.SubMerchants == nil {
		spec.SubMerchants = []SubMerchant{{}} // a partner has one at least
	}
	s.bindSubMerchants(m, spec.SubMerchants)
	if m.RiskFundCap == 0 {
		m.RiskFundCap = DefaultRiskFundCap
	}
	if err := checkSettings(m); err != nil {
		return nil, err
	}
	if err := s.merchantKeys(m, spec); err != nil {
		return nil, err
	}
	return m, nil
}

// checkSettings checks what a merchant may change after registering
// (MerchantPatch), the defaults filled in: the same rules hold at
// registration and at every change. The notify_url follows the rule of
// every callback address (field.NotifyURL).
func checkSettings(m *store.Merchant) error {
	c := field.Body()
	for _, list := range []struct {
		ptr string
		ids []string
	}{{"/appids", m.AppIDs}, {"/service_ids", m.ServiceIDs}} {
		if len(list.ids) == 0 {
			c.Rule(list.ptr, list.ptr+" must list at least one", "the first is the default", nil)
		}
		for i, id := range list.ids {
			c.Pattern(field.Item(list.ptr, i), id, field.ConfigID)
		}
	}
	c.NotifyURL("/notify_url", m.NotifyURL)
	if len(m.SubMerchants) > 0 && !m.IsPartner() {
		c.Rule("/sub_merchants", "/sub_merchants is for partners", `only a service provider (kind "partner") has sub-merchants`, nil)
	}
	seen := map[string]bool{}
	for i, sm := range m.SubMerchants {
		at := field.Item("/sub_merchants", i)
		c.Pattern(at+"/sub_mchid", sm.SubMchID, field.MchID)
		switch {
		case sm.SubMchID == m.MchID:
			c.Rule(at+"/sub_mchid", at+"/sub_mchid is the partner's own mchid", "a sub-merchant is another merchant than its service provider", sm.SubMchID)
		case seen[sm.SubMchID]:
			c.Rule(at+"/sub_mchid", at+"/sub_mchid repeats", "each sub-merchant is bound once", sm.SubMchID)
		}
		seen[sm.SubMchID] = true
		for j, appid := range sm.SubAppIDs {
			c.Pattern(field.Item(at+"/sub_appids", j), appid, field.ConfigID)
		}
	}
	c.Enum("/platform_mode", m.PlatformMode, store.PlatformModeCertificate, store.PlatformModePublicKey)
	c.Positive("/risk_fund_cap", m.RiskFundCap)
	return c.Err()
}

// bindSubMerchants sets a partner's sub-merchants from their specs,
// drawing a sub_mchid and a sub_appid where the spec leaves them out.
func (s *Server) bindSubMerchants(m *store.Merchant, specs []SubMerchant) {
	m.SubMerchants = nil
	for _, sp := range specs {
		sm := store.SubMerchant{SubMchID: sp.SubMchID, SubAppIDs: slices.Clone(sp.SubAppIDs)}
		for sm.SubMchID == "" {
			// A free 10-digit mchid; a collision is merely unlikely.
			if id := identity.NewDigits(10); id != m.MchID && !s.hasMerchant(id) {
				sm.SubMchID = id
			}
		}
		if sp.SubAppIDs == nil {
			sm.SubAppIDs = []string{newAppID()}
		}
		m.SubMerchants = append(m.SubMerchants, sm)
	}
}

// newAppID draws an appid of WeChat's shape.
func newAppID() string { return "wx" + strings.ToLower(protocol.NewNonce(16)) }

// merchantKeys settles the merchant's key material: a given certificate
// (with or without its key), a bare public key with its serial, a private
// key to certify, or nothing, in which case a key and certificate are made.
func (s *Server) merchantKeys(m *store.Merchant, spec MerchantSpec) error {
	var priv *rsa.PrivateKey
	if spec.PrivateKeyPEM != "" {
		k, err := protocol.ParsePrivateKey([]byte(spec.PrivateKeyPEM))
		if err != nil {
			return specError("/private_key_pem", err.Error())
		}
		priv = k
	}
	var cert *x509.Certificate
	switch {
	case spec.CertificatePEM != "":
		c, err := protocol.ParseCertificate([]byte(spec.CertificatePEM))
		if err != nil {
			return specError("/certificate_pem", err.Error())
		}
		cert = c
	case spec.PublicKeyPEM != "":
		if priv != nil {
			return specError("/public_key_pem", "give private_key_pem or public_key_pem, not both")
		}
		pub, err := protocol.ParsePublicKey([]byte(spec.PublicKeyPEM))
		if err != nil {
			return specError("/public_key_pem", err.Error())
		}
		if spec.SerialNo == "" {
			return specError("/serial_no", "is required with public_key_pem: a bare public key has no serial")
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
		return specError("/private_key_pem", "does not match the certificate")
	}
	m.SerialNo = protocol.SerialNumber(cert)
	if spec.SerialNo != "" && !strings.EqualFold(spec.SerialNo, m.SerialNo) {
		return specError("/serial_no", fmt.Sprintf("is %s but the certificate's serial is %s", spec.SerialNo, m.SerialNo))
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

func merchantRecord(m *store.Merchant) Merchant {
	rec := Merchant{
		MchID:          m.MchID,
		Kind:           m.Kind,
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
	if rec.Kind == "" {
		rec.Kind = store.KindMerchant
	}
	for _, sm := range m.SubMerchants {
		rec.SubMerchants = append(rec.SubMerchants, SubMerchant{SubMchID: sm.SubMchID, SubAppIDs: slices.Clone(sm.SubAppIDs)})
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

// Merchants lists every registered merchant by mchid; GET
// /sandbox/merchants pages them, the latest registered first (MerchantsPage).
func (s *Server) Merchants() ([]Merchant, error) {
	out, _, err := s.MerchantsPage(all)
	slices.SortFunc(out, func(a, b Merchant) int { return strings.Compare(a.MchID, b.MchID) })
	return out, err
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
	s.cancelWork(mchid)
	tx.Commit()
	s.log.Info("merchant removed", "mchid", mchid)
	return nil
}

// MerchantPatch changes a registered merchant's settings, those a real
// merchant changes in the merchant platform, without registering it again:
// its mchid and keys stay (PATCH /sandbox/merchants/{mchid}). A nil field
// is left as it is.
type MerchantPatch struct {
	// NotifyURL is the service's configured callback address; "" clears it.
	NotifyURL *string `json:"notify_url,omitempty"`
	// PlatformMode is how the platform signs to the merchant from now on,
	// callbacks already pending included: certificate or public_key.
	PlatformMode *string `json:"platform_mode,omitempty"`
	// AppIDs and ServiceIDs replace the lists (the first is the default);
	// orders and authorizations made under an id left out keep it, and
	// calls about them with that id are refused as they would be with any
	// id the merchant does not have.
	AppIDs     []string `json:"appids,omitempty"`
	ServiceIDs []string `json:"service_ids,omitempty"`
	// RiskFundCap is the per-order risk fund cap in fen, for orders made
	// from now on.
	RiskFundCap *int64 `json:"risk_fund_cap,omitempty"`
	// SubMerchants replaces a partner's sub-merchants: binds those added
	// and unbinds those left out. Their orders and authorizations stay, and
	// calls about them are refused as for any sub-merchant not bound.
	SubMerchants []SubMerchant `json:"sub_merchants,omitempty"`
}

// apply makes the patch's changes to m.
func (p MerchantPatch) apply(m *store.Merchant) {
	if p.NotifyURL != nil {
		m.NotifyURL = *p.NotifyURL
	}
	if p.PlatformMode != nil {
		m.PlatformMode = *p.PlatformMode
	}
	if p.AppIDs != nil {
		m.AppIDs = slices.Clone(p.AppIDs)
	}
	if p.ServiceIDs != nil {
		m.ServiceIDs = slices.Clone(p.ServiceIDs)
	}
	if p.RiskFundCap != nil {
		m.RiskFundCap = *p.RiskFundCap
	}
}

// UpdateMerchant changes a registered merchant's settings, in one write
// transaction, and returns the merchant record (PATCH /sandbox/merchants/{mchid}).
// The changed settings follow the rules of registration.
func (s *Server) UpdateMerchant(mchid string, patch MerchantPatch) (Merchant, error) {
	tx := s.store.Write()
	defer tx.Abort()
	cur, err := tx.Merchant(mchid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Merchant{}, errNoMerchant(mchid)
	case err != nil:
		return Merchant{}, fmt.Errorf("update merchant %s: %w", mchid, err)
	}
	m := cur.Copy()
	patch.apply(m)
	if patch.SubMerchants != nil {
		if !m.IsPartner() {
			return Merchant{}, specError("/sub_merchants", `only a service provider (kind "partner") has sub-merchants`)
		}
		s.bindSubMerchants(m, patch.SubMerchants)
	}
	if err := checkSettings(m); err != nil {
		return Merchant{}, err
	}
	if err := tx.UpdateMerchant(m); err != nil {
		return Merchant{}, fmt.Errorf("update merchant %s: %w", mchid, err)
	}
	tx.Commit()
	s.log.Info("merchant updated", "mchid", m.MchID, "notify_url", m.NotifyURL, "platform_mode", m.PlatformMode,
		"appids", m.AppIDs, "service_ids", m.ServiceIDs, "risk_fund_cap", m.RiskFundCap)
	return merchantRecord(m), nil
}

// merchantFixed are the members of a merchant spec that a patch cannot
// change, with why: the merchant's identity and its keys, which its
// integration is configured with.
var merchantFixed = map[string]string{
	"mchid":           "identifies the merchant and cannot change",
	"kind":            "cannot change: register a service provider as another merchant",
	"apiv3_key":       "cannot change: a merchant's keys stay; register another merchant for other keys",
	"serial_no":       "cannot change: a merchant's keys stay; register another merchant for other keys",
	"certificate_pem": "cannot change: a merchant's keys stay; register another merchant for other keys",
	"public_key_pem":  "cannot change: a merchant's keys stay; register another merchant for other keys",
	"private_key_pem": "cannot change: a merchant's keys stay; register another merchant for other keys",
}

// decodeMerchantPatch reads a JSON merge patch (RFC 7396) of a merchant:
// only the members present change, null clears notify_url and cannot
// remove anything else, and a member that is unknown or cannot change is
// refused by name. An empty body changes nothing.
func decodeMerchantPatch(raw []byte) (MerchantPatch, error) {
	var p MerchantPatch
	if len(bytes.TrimSpace(raw)) == 0 {
		return p, nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return p, apierr.New(apierr.ParamError, "the body must be a JSON object of the settings to change (a JSON merge patch)")
	}
	// In name order, so that the field refused is the same on every call.
	for _, name := range slices.Sorted(maps.Keys(members)) {
		v, ptr := members[name], pointer(name)
		var err error
		switch name {
		case "notify_url":
			if isNull(v) {
				p.NotifyURL = new(string) // null removes it, as "" does
				break
			}
			err = patchMember(ptr, v, "a string", &p.NotifyURL)
		case "platform_mode":
			err = patchMember(ptr, v, "a string", &p.PlatformMode)
		case "appids":
			err = patchMember(ptr, v, "an array of strings", &p.AppIDs)
		case "service_ids":
			err = patchMember(ptr, v, "an array of strings", &p.ServiceIDs)
		case "risk_fund_cap":
			err = patchMember(ptr, v, "an integer", &p.RiskFundCap)
		case "sub_merchants":
			err = patchMember(ptr, v, `an array of {"sub_mchid","sub_appids"}`, &p.SubMerchants)
		default:
			if why, ok := merchantFixed[name]; ok {
				err = apierr.Param(apierr.LocBody, ptr, fmt.Sprintf("%s %s", ptr, why), why, nil)
			} else {
				err = unknownField(ptr)
			}
		}
		if err != nil {
			return MerchantPatch{}, err
		}
	}
	return p, nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// patchMember decodes the value of one patch member into dst; null, which
// would remove it, is refused: the setting has no "unset".
func patchMember(ptr string, v json.RawMessage, want string, dst any) error {
	if isNull(v) {
		return specError(ptr, "cannot be removed (null); give the new value")
	}
	if err := json.Unmarshal(v, dst); err != nil {
		msg := fmt.Sprintf("%s must be %s", ptr, want)
		if inner, _, given, ok := apierr.TypeMismatch(v, err); ok {
			if inner == "" {
				msg += ", not " + given
			} else { // within it: /appids/1 is the number 3
				msg += fmt.Sprintf("; %s%s is %s", ptr, inner, given)
				ptr += inner
			}
		}
		return apierr.Param(apierr.LocBody, ptr, msg, msg, nil)
	}
	return nil
}
