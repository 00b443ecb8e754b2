package protocol

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
)

// EncryptSensitive encrypts a sensitive request field (a user's name, phone
// number, ID number, address) for WeChat Pay: RSA-OAEP with SHA-1 under the
// platform certificate's or WeChat Pay public key's RSA key, Base64. The
// request then names that key in Wechatpay-Serial.
func EncryptSensitive(pub *rsa.PublicKey, plaintext string) (string, error) {
	ct, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, []byte(plaintext), nil)
	if err != nil {
		return "", fmt.Errorf("encrypt sensitive field: %w", err)
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// DecryptSensitive opens a field sealed by EncryptSensitive.
func DecryptSensitive(key *rsa.PrivateKey, ciphertext string) (string, error) {
	ct, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return "", fmt.Errorf("sensitive field is not standard Base64: %w", err)
	}
	pt, err := rsa.DecryptOAEP(sha1.New(), rand.Reader, key, ct, nil)
	if err != nil {
		return "", fmt.Errorf("decrypt sensitive field: %w", err)
	}
	return string(pt), nil
}
