package store

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"
)

const tableMerchants = "merchants"

// Platform modes: how WeChat Pay signs what it sends a merchant.
const (
	PlatformModeCertificate = "certificate" // platform certificate, Wechatpay-Serial = its serial
	PlatformModePublicKey   = "public_key"  // WeChat Pay public key, Wechatpay-Serial = PUB_KEY_ID_…
)

// Merchant kinds: a direct merchant (直连商户) calls for itself, a service
// provider (服务商, partner) for the sub-merchants bound to it.
const (
	KindMerchant = "merchant"
	KindPartner  = "partner"
)

// SubMerchant is a sub-merchant bound to a service provider, with the
// appids bound to the sub-merchant (sub_appid).
type SubMerchant struct {
	SubMchID  string   `json:",omitzero"`
	SubAppIDs []string `json:",omitzero"`
}

// Merchant is a registered merchant (直连商户) or service provider
// (服务商) and its credentials.
type Merchant struct {
	// Seq is Store.NextSeq when the merchant was registered: the listing
	// shows merchants newest first by it.
	Seq            uint64         `json:",omitzero"`
	MchID          string         `json:",omitzero"`
	Kind           string         `json:",omitzero"` // KindMerchant (or "", from states saved before partners) or KindPartner
	SubMerchants   []SubMerchant  `json:",omitzero"` // a partner's bound sub-merchants
	SerialNo       string         `json:",omitzero"` // merchant API certificate serial, as in Authorization serial_no
	PublicKey      *rsa.PublicKey `json:",omitzero"` // verifies the merchant's request signatures
	CertificatePEM string         `json:",omitzero"` // apiclient_cert.pem; empty when registered with a bare public key
	PrivateKeyPEM  string         `json:",omitzero"` // apiclient_key.pem when mockpay made or holds it; never logged
	APIv3Key       string         `json:",omitzero"`
	AppIDs         []string       `json:",omitzero"` // the first is the default
	ServiceIDs     []string       `json:",omitzero"` // the first is the default
	NotifyURL      string         `json:",omitzero"` // the service's configured callback address
	PlatformMode   string         `json:",omitzero"`
	RiskFundCap    int64          `json:",omitzero"` // fen per order
	CreatedAt      time.Time      `json:",omitzero"`
}

// merchantJSON is a merchant as a saved state holds it: the public key as
// PKIX DER (Base64 in JSON), which x509 checks when it is read back, where
// the fields of an rsa.PublicKey would take any number.
type merchantJSON struct {
	*merchantFields
	PublicKey []byte // shadows merchantFields.PublicKey
}

// merchantFields is Merchant without its JSON methods.
type merchantFields Merchant

// MarshalJSON writes the merchant for a saved state, private key included:
// the state file is a local test artifact holding test keys only.
func (m *Merchant) MarshalJSON() ([]byte, error) {
	if m.PublicKey == nil {
		return nil, fmt.Errorf("merchant %s: no public key", m.MchID)
	}
	der, err := x509.MarshalPKIXPublicKey(m.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("merchant %s: public key: %w", m.MchID, err)
	}
	return json.Marshal(merchantJSON{(*merchantFields)(m), der})
}

// UnmarshalJSON reads what MarshalJSON writes, refusing unknown fields and
// a public key that is not RSA.
func (m *Merchant) UnmarshalJSON(data []byte) error {
	aux := merchantJSON{merchantFields: (*merchantFields)(m)}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&aux); err != nil {
		return err
	}
	pub, err := x509.ParsePKIXPublicKey(aux.PublicKey)
	if err != nil {
		return fmt.Errorf("merchant %s: public key: %w", m.MchID, err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("merchant %s: public key is %T, want RSA", m.MchID, pub)
	}
	m.PublicKey = rsaPub
	return nil
}

// Copy returns a copy to change and put back; the lists are cloned, so
// that the stored row never changes.
func (m *Merchant) Copy() *Merchant {
	c := *m
	c.AppIDs = slices.Clone(m.AppIDs)
	c.ServiceIDs = slices.Clone(m.ServiceIDs)
	c.SubMerchants = nil
	for _, sm := range m.SubMerchants {
		c.SubMerchants = append(c.SubMerchants, SubMerchant{SubMchID: sm.SubMchID, SubAppIDs: slices.Clone(sm.SubAppIDs)})
	}
	return &c
}

// IsPartner reports whether the merchant is a service provider.
func (m *Merchant) IsPartner() bool { return m.Kind == KindPartner }

// SubMerchant returns the bound sub-merchant subMchID, or false.
func (m *Merchant) SubMerchant(subMchID string) (SubMerchant, bool) {
	for _, sm := range m.SubMerchants {
		if sm.SubMchID == subMchID {
			return sm, true
		}
	}
	return SubMerchant{}, false
}

// HasAppID reports whether appid is bound to the merchant.
func (m *Merchant) HasAppID(appid string) bool { return slices.Contains(m.AppIDs, appid) }

// HasServiceID reports whether the merchant may use service_id.
func (m *Merchant) HasServiceID(serviceID string) bool {
	return slices.Contains(m.ServiceIDs, serviceID)
}

func merchantsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableMerchants,
		Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: keyIndex[*Merchant]{parts: 1, key: func(m *Merchant) []string { return []string{m.MchID} }}},
		},
	}
}

// Merchant returns the merchant with mchid, or ErrNotFound.
func (tx ReadTxn) Merchant(mchid string) (*Merchant, error) {
	return first[*Merchant](tx, tableMerchants, "id", mchid)
}

// Merchants returns every merchant, ordered by mchid.
func (tx ReadTxn) Merchants() ([]*Merchant, error) {
	return all[*Merchant](tx, tableMerchants, "id_prefix")
}

// InsertMerchant adds a merchant; ErrExists if its mchid is taken.
func (tx WriteTxn) InsertMerchant(m *Merchant) error {
	if _, err := tx.Merchant(m.MchID); err == nil {
		return fmt.Errorf("merchant %s: %w", m.MchID, ErrExists)
	}
	if err := tx.tx.Insert(tableMerchants, m); err != nil {
		return fmt.Errorf("insert merchant %s: %w", m.MchID, err)
	}
	return nil
}

// UpdateMerchant replaces a registered merchant's row with m; ErrNotFound
// if its mchid is not registered.
func (tx WriteTxn) UpdateMerchant(m *Merchant) error {
	if _, err := tx.Merchant(m.MchID); err != nil {
		return err
	}
	if err := tx.tx.Insert(tableMerchants, m); err != nil {
		return fmt.Errorf("update merchant %s: %w", m.MchID, err)
	}
	return nil
}

// DeleteMerchant removes a merchant with its orders, authorizations,
// parking rows and notifications; ErrNotFound if there is none.
func (tx WriteTxn) DeleteMerchant(mchid string) error {
	m, err := tx.Merchant(mchid)
	if err != nil {
		return err
	}
	if err := tx.tx.Delete(tableMerchants, m); err != nil {
		return fmt.Errorf("delete merchant %s: %w", mchid, err)
	}
	for _, t := range []string{tableOrders, tablePermissions, tableTransactions, tableRefunds, tableApplications, tablePlates, tableParkings, tableParkingTransactions} {
		if _, err := tx.tx.DeleteAll(t, "id_prefix", mchid); err != nil {
			return fmt.Errorf("delete merchant %s %s: %w", mchid, t, err)
		}
	}
	ns, err := tx.Notifications()
	if err != nil {
		return err
	}
	for _, n := range ns {
		if n.MchID != mchid {
			continue
		}
		if err := tx.tx.Delete(tableNotifications, n); err != nil {
			return fmt.Errorf("delete merchant %s notification %s: %w", mchid, n.ID, err)
		}
	}
	return nil
}
