// Package ids makes WeChat-shaped identifiers (order ids, transaction ids,
// refund ids, tokens) from the server's id source. Deriving them from that
// one source, which tests replace with a counter, keeps transcripts and
// golden files reproducible.
package ids

import (
	"crypto/sha256"
	"encoding/base64"
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
