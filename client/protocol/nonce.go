package protocol

import "crypto/rand"

const nonceAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewNonce returns n random characters from [0-9A-Za-z]: 32 for a request
// nonce_str or a Wechatpay-Nonce, NonceSize for an AEAD nonce.
func NewNonce(n int) string {
	// 62 does not divide 256; rejection sampling keeps the choice uniform.
	const limit = 256 - 256%len(nonceAlphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails (Go 1.24+)
		for _, b := range buf {
			if int(b) < limit {
				out = append(out, nonceAlphabet[int(b)%len(nonceAlphabet)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}
