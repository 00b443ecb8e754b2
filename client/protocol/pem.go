package protocol

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ParsePrivateKey reads an RSA private key from PEM: PKCS#8 "PRIVATE KEY"
// (the form of WeChat's apiclient_key.pem) or PKCS#1 "RSA PRIVATE KEY".
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, err := decodePEM(data)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("private key: %T is not an RSA key", k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("private key: PEM block is %q, want PRIVATE KEY or RSA PRIVATE KEY", block.Type)
}

// ParseCertificate reads the first X.509 certificate of a PEM text; its key
// must be RSA.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	block, err := decodePEM(data)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	if block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("certificate: PEM block is %q, want CERTIFICATE", block.Type)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("certificate: %T is not an RSA key", cert.PublicKey)
	}
	return cert, nil
}

// ParsePublicKey reads an RSA public key from PEM: SPKI "PUBLIC KEY" (the form
// of the WeChat Pay public key, pub_key.pem) or PKCS#1 "RSA PUBLIC KEY".
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	block, err := decodePEM(data)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("public key: %T is not an RSA key", k)
		}
		return rk, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("public key: PEM block is %q, want PUBLIC KEY", block.Type)
}

// EncodePrivateKey renders key as PKCS#8 "PRIVATE KEY" PEM, like apiclient_key.pem.
func EncodePrivateKey(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// EncodePublicKey renders pub as SPKI "PUBLIC KEY" PEM, like pub_key.pem.
func EncodePublicKey(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// EncodeCertificate renders cert as "CERTIFICATE" PEM.
func EncodeCertificate(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

// SerialNumber formats a certificate serial the way WeChat Pay shows it and
// sends it in serial_no and Wechatpay-Serial: upper-case hex without leading
// zeros (wechatpay-go's fmt "%X" of the serial).
func SerialNumber(cert *x509.Certificate) string {
	return strings.ToUpper(cert.SerialNumber.Text(16))
}

func decodePEM(data []byte) (*pem.Block, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	return block, nil
}
