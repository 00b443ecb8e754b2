package protocol

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Header names of the v3 protocol. Go canonicalises header keys, so these are
// only the canonical spellings; matching is case-insensitive on the wire.
const (
	HeaderAuthorization = "Authorization"
	HeaderRequestID     = "Request-Id"
	HeaderTimestamp     = "Wechatpay-Timestamp"
	HeaderNonce         = "Wechatpay-Nonce"
	HeaderSignature     = "Wechatpay-Signature"
	HeaderSerial        = "Wechatpay-Serial"
	HeaderSignatureType = "Wechatpay-Signature-Type"
)

// SignTestPrefix starts the signature of WeChat Pay's signature-probe traffic
// (签名探测流量). A correct verifier must reject such a message.
const SignTestPrefix = "WECHATPAY/SIGNTEST/"

// RequestMessage builds the string a merchant signs for a request:
//
//	METHOD\nURI\ntimestamp\nnonce\nbody\n
//
// uri is the path plus "?" and the raw query exactly as sent (Go's
// URL.RequestURI). A request without a body signs an empty line.
func RequestMessage(method, uri string, timestamp int64, nonce string, body []byte) []byte {
	ts := strconv.FormatInt(timestamp, 10)
	b := make([]byte, 0, len(method)+len(uri)+len(ts)+len(nonce)+len(body)+5)
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, uri...)
	b = append(b, '\n')
	b = append(b, ts...)
	b = append(b, '\n')
	b = append(b, nonce...)
	b = append(b, '\n')
	b = append(b, body...)
	return append(b, '\n')
}

// ResponseMessage builds the string WeChat Pay signs for a response or a
// notification: timestamp\nnonce\nbody\n. An empty body (204) gives ts\nnonce\n\n.
func ResponseMessage(timestamp int64, nonce string, body []byte) []byte {
	ts := strconv.FormatInt(timestamp, 10)
	b := make([]byte, 0, len(ts)+len(nonce)+len(body)+3)
	b = append(b, ts...)
	b = append(b, '\n')
	b = append(b, nonce...)
	b = append(b, '\n')
	b = append(b, body...)
	return append(b, '\n')
}

// Sign returns the Base64 SHA256withRSA (RSASSA-PKCS1-v1_5) signature of message.
func Sign(key *rsa.PrivateKey, message []byte) (string, error) {
	digest := sha256.Sum256(message)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign message: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// ErrSignatureMismatch is returned by Verify when a well-formed signature does
// not match the message and key.
var ErrSignatureMismatch = errors.New("signature does not match")

// ErrSignTestProbe is returned by Verify for WeChat Pay's signature-probe
// signatures (prefix WECHATPAY/SIGNTEST/), which must never be accepted.
var ErrSignTestProbe = errors.New("signature is a WECHATPAY/SIGNTEST/ probe")

// Verify checks a Base64 SHA256withRSA signature of message against pub.
func Verify(pub *rsa.PublicKey, message []byte, signature string) error {
	if strings.HasPrefix(signature, SignTestPrefix) {
		return ErrSignTestProbe
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("signature is not standard Base64: %w", err)
	}
	digest := sha256.Sum256(message)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return ErrSignatureMismatch
	}
	return nil
}
