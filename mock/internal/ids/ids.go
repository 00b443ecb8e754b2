// Package ids makes WeChat-shaped identifiers (order ids, transaction ids,
// refund ids, tokens) from the server's id source. Deriving them from that
// one source, which tests replace with a counter, keeps transcripts and
// golden files reproducible.
package ids

import (
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// Source derives identifiers from NewID.
type Source struct {
	NewID func() string
}

// Digits returns n decimal digits.
func (s Source) Digits(n int) string {
	out := make([]byte, 0, n)
	for len(out) < n {
		sum := sha256.Sum256([]byte(s.NewID()))
		for _, b := range sum {
			if b < 250 { // 250 = 25×10 keeps the digits uniform
				out = append(out, '0'+b%10)
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// Token returns an opaque token of n URL-safe characters.
func (s Source) Token(n int) string {
	var out []byte
	for len(out) < n {
		sum := sha256.Sum256([]byte(s.NewID()))
		out = append(out, base64.RawURLEncoding.EncodeToString(sum[:])...)
	}
	return string(out[:n])
}

// Upper returns n characters of upper-case letters and digits, the shape
// of a parking entry id (5K8264ILTKCH16CQ250).
func (s Source) Upper(n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	out := make([]byte, 0, n)
	for len(out) < n {
		sum := sha256.Sum256([]byte(s.NewID()))
		for _, b := range sum {
			if b < 252 { // 252 = 7×36 keeps the characters uniform
				out = append(out, alphabet[b%36])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// TransactionID is a 28-digit WeChat Pay transaction id made at now: 4200,
// the date and 16 digits. It is the id refunds name.
func (s Source) TransactionID(now time.Time) string {
	return "4200" + now.In(protocol.Beijing).Format(protocol.Layout8) + s.Digits(16)
}
