package sandbox

import (
	"context"
	"net/http"
)

// PlatformMode is how the mock signs a merchant's answers and callbacks,
// and so what verifies them.
type PlatformMode string

// Platform modes.
const (
	// PlatformModeCertificate: with the platform certificate, whose serial
	// is in Wechatpay-Serial (client.NewCertificateSource downloads it).
	PlatformModeCertificate PlatformMode = "certificate"
	// PlatformModePublicKey: with the WeChat Pay public key, whose id
	// PUB_KEY_ID_… is in Wechatpay-Serial (client.NewPublicKeyVerifier).
	PlatformModePublicKey PlatformMode = "public_key"
)

// MerchantKind is what a merchant is: a direct merchant (直连商户), or a
// service provider (服务商) that calls the partner API for its
// sub-merchants.
type MerchantKind string

// Merchant kinds.
const (
	KindMerchant MerchantKind = "merchant" // the default
	KindPartner  MerchantKind = "partner"
)

// SubMerchant is a sub-merchant bound to a service provider, with the
// appids bound to the sub-merchant (the partner API's sub_appid).
type SubMerchant struct {
	SubMchID  string   `json:"sub_mchid,omitempty"`
	SubAppIDs []string `json:"sub_appids"`
}

// Merchant is a merchant's record: its credentials and what it registered
// with WeChat Pay.
type Merchant struct {
	MchID string       `json:"mchid"`
	Kind  MerchantKind `json:"kind"`
	// SubMerchants are a service provider's bound sub-merchants.
	SubMerchants   []SubMerchant `json:"sub_merchants,omitempty"`
	SerialNo       string        `json:"serial_no"` // of the merchant API certificate: client.Config.SerialNo
	CertificatePEM string        `json:"certificate_pem,omitempty"`
	PublicKeyPEM   string        `json:"public_key_pem,omitempty"`
	// PrivateKeyPEM is the merchant API key (PKCS#8, as apiclient_key.pem)
	// when the mock generated it; protocol.ParsePrivateKey reads it.
	PrivateKeyPEM string   `json:"private_key_pem,omitempty"`
	APIv3Key      string   `json:"apiv3_key"`
	AppIDs        []string `json:"appids"`      // the first is the default
	ServiceIDs    []string `json:"service_ids"` // the first is the default
	// NotifyURL is the service's configured callback address: where
	// authorization events without a pre-authorization and legacy
	// payafter callbacks go.
	NotifyURL    string       `json:"notify_url,omitempty"`
	PlatformMode PlatformMode `json:"platform_mode"`
	RiskFundCap  int64        `json:"risk_fund_cap"` // fen per order
	answer
}

// CreateMerchantRequest is the body of POST /sandbox/merchants. Every
// field is optional: the mock generates the mchid, the keys and
// certificate, the APIv3 key, an appid and a service_id that are left out.
type CreateMerchantRequest struct {
	MchID string `json:"mchid,omitempty"`
	// Kind KindPartner registers a service provider; its SubMerchants are
	// bound to it (one is drawn when none is given, and a sub_mchid left
	// out of an entry is drawn; sub_appids left out gets one drawn).
	Kind           MerchantKind  `json:"kind,omitempty"`
	SubMerchants   []SubMerchant `json:"sub_merchants,omitempty"`
	APIv3Key       string        `json:"apiv3_key,omitempty"` // 32 bytes
	SerialNo       string        `json:"serial_no,omitempty"`
	CertificatePEM string        `json:"certificate_pem,omitempty"` // the merchant's own certificate, or
	PublicKeyPEM   string        `json:"public_key_pem,omitempty"`  // its public key
	PrivateKeyPEM  string        `json:"private_key_pem,omitempty"`
	AppIDs         []string      `json:"appids,omitempty"`
	ServiceIDs     []string      `json:"service_ids,omitempty"`
	NotifyURL      string        `json:"notify_url,omitempty"`
	PlatformMode   PlatformMode  `json:"platform_mode,omitempty"` // default PlatformModeCertificate
	RiskFundCap    int64         `json:"risk_fund_cap,omitempty"` // fen per order, default 100000
}

// CreateMerchant registers a merchant: POST /sandbox/merchants. The record
// has the generated private key, so that a test can act as a merchant of
// its own, isolated from every other test's.
func (c *Client) CreateMerchant(ctx context.Context, req CreateMerchantRequest) (*Merchant, error) {
	return call[Merchant](ctx, c, endpoint("CreateMerchant", http.MethodPost, "/sandbox/merchants").with(nil, req))
}

// ListMerchants lists every merchant, the latest registered first: GET
// /sandbox/merchants, page after page.
func (c *Client) ListMerchants(ctx context.Context) ([]Merchant, error) {
	return callList[Merchant](ctx, c, endpoint("ListMerchants", http.MethodGet, "/sandbox/merchants"), 0)
}

// GetMerchantRequest names a merchant for GetMerchant.
type GetMerchantRequest struct {
	MchID string
}

// GetMerchant returns one merchant's record, credentials included: GET
// /sandbox/merchants/{mchid}.
func (c *Client) GetMerchant(ctx context.Context, req GetMerchantRequest) (*Merchant, error) {
	return call[Merchant](ctx, c, endpoint("GetMerchant", http.MethodGet, "/sandbox/merchants/%s", "MchID", req.MchID))
}

// UpdateMerchantRequest is PATCH /sandbox/merchants/{mchid}, a JSON merge
// patch: the fields given replace the merchant's, those left empty stay.
// The keys cannot be changed.
type UpdateMerchantRequest struct {
	MchID        string       `json:"-"`                       // in the path
	NotifyURL    string       `json:"notify_url,omitempty"`    // the service's configured callback address
	PlatformMode PlatformMode `json:"platform_mode,omitempty"` // how the mock signs for it
	AppIDs       []string     `json:"appids,omitempty"`
	ServiceIDs   []string     `json:"service_ids,omitempty"`
	RiskFundCap  int64        `json:"risk_fund_cap,omitempty"` // fen per order
	// SubMerchants replaces a service provider's sub-merchants: binds
	// those added and unbinds those left out.
	SubMerchants []SubMerchant `json:"sub_merchants,omitempty"`
}

// UpdateMerchant changes a merchant as the merchant platform would and
// returns its record: PATCH /sandbox/merchants/{mchid}.
func (c *Client) UpdateMerchant(ctx context.Context, req UpdateMerchantRequest) (*Merchant, error) {
	return call[Merchant](ctx, c, endpoint("UpdateMerchant", http.MethodPatch, "/sandbox/merchants/%s", "MchID", req.MchID).with(nil, req))
}

// DeleteMerchantRequest names a merchant for DeleteMerchant.
type DeleteMerchantRequest struct {
	MchID string
}

// DeleteMerchant removes a merchant with all its data (orders,
// authorizations, callbacks): DELETE /sandbox/merchants/{mchid}.
func (c *Client) DeleteMerchant(ctx context.Context, req DeleteMerchantRequest) error {
	return c.exec(ctx, endpoint("DeleteMerchant", http.MethodDelete, "/sandbox/merchants/%s", "MchID", req.MchID))
}
