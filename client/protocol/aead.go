package protocol

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"fmt"
)

// AlgorithmAEADAES256GCM names the only resource encryption algorithm of the
// v3 API, as it appears in "algorithm" fields.
const AlgorithmAEADAES256GCM = "AEAD_AES_256_GCM"

// APIv3KeySize is the length of a merchant's APIv3 key in bytes. AES would
// also take 16 or 24 bytes; WeChat Pay keys are always 32, so others are refused.
const APIv3KeySize = 32

// NonceSize is the length of an AEAD nonce (the GCM standard 96 bits). WeChat
// Pay sends it as 12 ASCII characters used as raw bytes.
const NonceSize = 12

// Encrypt seals plaintext with AEAD_AES_256_GCM under the APIv3 key and
// returns Base64(ciphertext || 16-byte tag), the form of resource.ciphertext.
func Encrypt(apiV3Key []byte, nonce, associatedData string, plaintext []byte) (string, error) {
	aead, err := newGCM(apiV3Key, nonce)
	if err != nil {
		return "", err
	}
	sealed := aead.Seal(nil, []byte(nonce), plaintext, []byte(associatedData))
	return base64.StdEncoding.EncodeToString(sealed), nil
}

// Decrypt opens a Base64 resource.ciphertext sealed by Encrypt. A wrong key,
// nonce, associated data or a tampered ciphertext fails authentication.
func Decrypt(apiV3Key []byte, nonce, associatedData, ciphertext string) ([]byte, error) {
	aead, err := newGCM(apiV3Key, nonce)
	if err != nil {
		return nil, err
	}
	sealed, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("ciphertext is not standard Base64: %w", err)
	}
	plain, err := aead.Open(nil, []byte(nonce), sealed, []byte(associatedData))
	if err != nil {
		return nil, fmt.Errorf("AEAD_AES_256_GCM open: %w", err)
	}
	return plain, nil
}

func newGCM(key []byte, nonce string) (cipher.AEAD, error) {
	if len(key) != APIv3KeySize {
		return nil, fmt.Errorf("APIv3 key is %d bytes, want %d", len(key), APIv3KeySize)
	}
	if len(nonce) != NonceSize {
		return nil, fmt.Errorf("AEAD nonce is %d bytes, want %d", len(nonce), NonceSize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("AES key: %w", err)
	}
	return cipher.NewGCM(block)
}
