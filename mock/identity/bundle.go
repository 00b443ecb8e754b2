package identity

import (
	"crypto/rsa"
	"crypto/x509"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// File names of a bundle, in testdata/certs and in the embedded copy.
const (
	FileInfo           = "identity.json"
	FileCACert         = "ca_cert.pem"
	FileCAKey          = "ca_key.pem"
	FilePlatformCert   = "platform_cert.pem"
	FilePlatformKey    = "platform_key.pem"
	FilePublicKey      = "pub_key.pem"
	FilePublicKeyKey   = "pub_key_private.pem"
	FileMerchantCert   = "apiclient_cert.pem"
	FileMerchantKey    = "apiclient_key.pem"
	FileTLSCert        = "tls_cert.pem"
	FileTLSKey         = "tls_key.pem"
	defaultMchID       = "1230000109"
	defaultAppID       = "wxd678efh567hg6787"
	defaultServiceID   = "500001"
	embeddedBundlePath = "embedded"
)

// TLSHosts are the names the test TLS certificate is valid for: the real API
// host (reached through a network alias), the compose service name and loopback.
var TLSHosts = []string{"api.mch.weixin.qq.com", "api2.mch.weixin.qq.com", "mockpay", "localhost", "127.0.0.1", "::1"}

//go:embed embedded/*
var embedded embed.FS

// Info is identity.json: what the PEM files do not say.
type Info struct {
	MchID       string `json:"mchid"`
	AppID       string `json:"appid"`
	ServiceID   string `json:"service_id"`
	APIv3Key    string `json:"apiv3_key"`
	PublicKeyID string `json:"public_key_id"`
}

// Bundle is a complete test identity: the CA, WeChat Pay's signing
// identities and the default merchant.
type Bundle struct {
	Info Info

	CA *CA

	PlatformKey  *rsa.PrivateKey   // signs in certificate mode
	PlatformCert *x509.Certificate // its certificate, served by GET /v3/certificates

	PublicKeyKey *rsa.PrivateKey // private half of the WeChat Pay public key; signs in public-key mode

	MerchantKey  *rsa.PrivateKey   // the default merchant's apiclient_key.pem
	MerchantCert *x509.Certificate // its apiclient_cert.pem

	TLSKey  *rsa.PrivateKey
	TLSCert *x509.Certificate
}

// Default returns the embedded default bundle, the same files as testdata/certs.
func Default() (*Bundle, error) {
	sub, err := fs.Sub(embedded, embeddedBundlePath)
	if err != nil {
		return nil, fmt.Errorf("embedded identity: %w", err)
	}
	b, err := Load(sub)
	if err != nil {
		return nil, fmt.Errorf("embedded identity: %w", err)
	}
	return b, nil
}

// Load reads a bundle from the files of Files.
func Load(fsys fs.FS) (*Bundle, error) {
	var b Bundle
	raw, err := fs.ReadFile(fsys, FileInfo)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &b.Info); err != nil {
		return nil, fmt.Errorf("%s: %w", FileInfo, err)
	}
	b.CA = &CA{}
	keys := []struct {
		name string
		dst  **rsa.PrivateKey
	}{
		{FileCAKey, &b.CA.Key}, {FilePlatformKey, &b.PlatformKey}, {FilePublicKeyKey, &b.PublicKeyKey},
		{FileMerchantKey, &b.MerchantKey}, {FileTLSKey, &b.TLSKey},
	}
	for _, k := range keys {
		data, err := fs.ReadFile(fsys, k.name)
		if err != nil {
			return nil, err
		}
		if *k.dst, err = protocol.ParsePrivateKey(data); err != nil {
			return nil, fmt.Errorf("%s: %w", k.name, err)
		}
	}
	certs := []struct {
		name string
		dst  **x509.Certificate
	}{
		{FileCACert, &b.CA.Cert}, {FilePlatformCert, &b.PlatformCert}, {FileMerchantCert, &b.MerchantCert}, {FileTLSCert, &b.TLSCert},
	}
	for _, c := range certs {
		data, err := fs.ReadFile(fsys, c.name)
		if err != nil {
			return nil, err
		}
		if *c.dst, err = protocol.ParseCertificate(data); err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
	}
	return &b, nil
}

// Generate makes a fresh bundle with the default merchant's fixed ids
// (mchid 1230000109, appid wxd678efh567hg6787, service_id 500001) and new keys.
func Generate(now time.Time) (*Bundle, error) {
	ca, err := NewCA(now)
	if err != nil {
		return nil, err
	}
	b := &Bundle{
		Info: Info{MchID: defaultMchID, AppID: defaultAppID, ServiceID: defaultServiceID, APIv3Key: NewAPIv3Key(), PublicKeyID: NewPublicKeyID()},
		CA:   ca,
	}
	for _, k := range []**rsa.PrivateKey{&b.PlatformKey, &b.PublicKeyKey, &b.MerchantKey, &b.TLSKey} {
		if *k, err = NewKey(); err != nil {
			return nil, err
		}
	}
	if b.PlatformCert, err = ca.IssuePlatform(&b.PlatformKey.PublicKey, now); err != nil {
		return nil, err
	}
	if b.MerchantCert, err = ca.IssueMerchant(&b.MerchantKey.PublicKey, b.Info.MchID, now); err != nil {
		return nil, err
	}
	if b.TLSCert, err = ca.IssueTLS(&b.TLSKey.PublicKey, TLSHosts, now); err != nil {
		return nil, err
	}
	return b, nil
}

// Files renders the bundle as the files Load reads, by name.
func (b *Bundle) Files() (map[string][]byte, error) {
	info, err := json.MarshalIndent(b.Info, "", "  ")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		FileInfo:         append(info, '\n'),
		FileCACert:       protocol.EncodeCertificate(b.CA.Cert),
		FilePlatformCert: protocol.EncodeCertificate(b.PlatformCert),
		FileMerchantCert: protocol.EncodeCertificate(b.MerchantCert),
		FileTLSCert:      protocol.EncodeCertificate(b.TLSCert),
	}
	keys := map[string]*rsa.PrivateKey{
		FileCAKey: b.CA.Key, FilePlatformKey: b.PlatformKey, FilePublicKeyKey: b.PublicKeyKey,
		FileMerchantKey: b.MerchantKey, FileTLSKey: b.TLSKey,
	}
	for name, k := range keys {
		if files[name], err = protocol.EncodePrivateKey(k); err != nil {
			return nil, err
		}
	}
	if files[FilePublicKey], err = protocol.EncodePublicKey(&b.PublicKeyKey.PublicKey); err != nil {
		return nil, err
	}
	return files, nil
}
