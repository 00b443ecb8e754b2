package client

import (
	"crypto/rsa"
	"crypto/sha1"
	"fmt"

	"github.com/mockpay/mockpay/client/protocol"
)

// minOAEPKeySize is the smallest RSA modulus (bytes) that RSA-OAEP/SHA-1
// can seal anything with; WeChat Pay's keys are 2048-bit (256 bytes).
const minOAEPKeySize = 2*sha1.Size + 2 + 1

// encryptionKey is the WeChat Pay key that sensitive request fields are
// encrypted for (WithEncryptionKey), and the serial that names it in
// Wechatpay-Serial.
type encryptionKey struct {
	serial string
	pub    *rsa.PublicKey
}

// sensitiveField is one plain-text field of a request and where its
// ciphertext goes in the wire body.
type sensitiveField struct {
	field string  // JSON pointer, for a *ValidationError
	plain string  // "" leaves the field out
	dst   *string // the wire body's field
}

// seal encrypts the non-empty fields into their destinations and reports
// whether there were any, in which case the request must name k.serial in
// Wechatpay-Serial. Without a key a sensitive field is a *ValidationError:
// sending it in plain text would leak it, and leaving it out silently would
// drop what the caller asked to send.
func (k *encryptionKey) seal(fields ...sensitiveField) (sealed bool, err error) {
	for _, f := range fields {
		if f.plain == "" {
			continue
		}
		var v validator
		v.optional(f.field, f.plain, 0)
		if err := v.err(); err != nil {
			return false, err
		}
		if k == nil {
			return false, &ValidationError{Field: f.field, Issue: "is sensitive and is sent encrypted, but the client has no encryption key (WithEncryptionKey)"}
		}
		// RSA-OAEP with SHA-1 seals at most k-2*20-2 bytes: 214 for 2048 bits.
		if limit := k.pub.Size() - 2*sha1.Size - 2; len(f.plain) > limit {
			return false, &ValidationError{Field: f.field, Issue: fmt.Sprintf("is %d bytes, at most %d can be encrypted with a %d-bit key", len(f.plain), limit, k.pub.N.BitLen())}
		}
		ct, err := protocol.EncryptSensitive(k.pub, f.plain)
		if err != nil {
			return false, fmt.Errorf("%s: %w", f.field, err)
		}
		*f.dst = ct
		sealed = true
	}
	return sealed, nil
}
