package client

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
)

// maxClockSkew is the freshness window of answers and callbacks: wechatpay-go
// rejects a Wechatpay-Timestamp 300 s or more away from its clock.
const maxClockSkew = 300 // seconds

// signedHeaders are the Wechatpay-* headers of a signed answer or callback.
type signedHeaders struct {
	Timestamp int64
	Nonce     string
	Serial    string
	Signature string
}

// signedHeaderNames are required, in the order they are reported missing.
var signedHeaderNames = [...]string{protocol.HeaderTimestamp, protocol.HeaderNonce, protocol.HeaderSerial, protocol.HeaderSignature}

// readSignedHeaders extracts the four signature headers. A missing one is an
// error of its own: wechatpay-go reads a missing timestamp as 0 and only then
// fails, which hides a proxy that strips headers behind a "stale timestamp".
func readSignedHeaders(h http.Header) (signedHeaders, error) {
	for _, name := range signedHeaderNames {
		if strings.TrimSpace(h.Get(name)) == "" {
			return signedHeaders{}, fmt.Errorf("%w %s", ErrMissingHeader, name)
		}
	}
	raw := strings.TrimSpace(h.Get(protocol.HeaderTimestamp))
	ts, err := strconv.ParseUint(raw, 10, 63)
	if err != nil {
		return signedHeaders{}, fmt.Errorf("%w: %s %q is not Unix seconds", ErrInvalidHeader, protocol.HeaderTimestamp, truncate(raw, 40))
	}
	return signedHeaders{
		Timestamp: int64(ts),
		Nonce:     h.Get(protocol.HeaderNonce),
		Serial:    strings.TrimSpace(h.Get(protocol.HeaderSerial)),
		Signature: strings.TrimSpace(h.Get(protocol.HeaderSignature)),
	}, nil
}

// authenticate checks the signature headers and body of an answer or a
// callback: all headers present, a fresh timestamp, no probe signature, and
// a signature that v accepts for the serial. The probe check comes before
// the verifier so that no Verifier implementation can accept a probe and no
// probe can trigger a certificate download.
func authenticate(ctx context.Context, v Verifier, now time.Time, h http.Header, body []byte) (signedHeaders, error) {
	sh, err := readSignedHeaders(h)
	if err != nil {
		return sh, err
	}
	if skew := absDiff(now.Unix(), sh.Timestamp); skew >= maxClockSkew {
		return sh, fmt.Errorf("%w: %s %d is %d s from the client clock (%s); the limit is %d s",
			ErrStaleTimestamp, protocol.HeaderTimestamp, sh.Timestamp, skew, now.UTC().Format(time.RFC3339), maxClockSkew)
	}
	if strings.HasPrefix(sh.Signature, protocol.SignTestPrefix) {
		return sh, fmt.Errorf("%w: WeChat Pay checks that signatures are verified; this is not a real message", ErrSignatureProbe)
	}
	msg := protocol.ResponseMessage(sh.Timestamp, sh.Nonce, body)
	if err := v.Verify(ctx, sh.Serial, msg, sh.Signature); err != nil {
		return sh, fmt.Errorf("verify signature: %w", err)
	}
	return sh, nil
}

// verifyResponse authenticates a 2xx answer, reporting a *VerificationError.
func (c *Client) verifyResponse(ctx context.Context, v Verifier, resp *response) error {
	sh, err := authenticate(ctx, v, c.now(), resp.Header, resp.Body)
	if err != nil {
		serial := sh.Serial
		if serial == "" {
			serial = resp.Header.Get(protocol.HeaderSerial)
		}
		return &VerificationError{RequestID: resp.RequestID, Serial: serial, Reason: err.Error(), Err: err}
	}
	return nil
}

// absDiff is |a-b| without overflow for b >= 0 and a real Unix time a.
func absDiff(a, b int64) int64 {
	d := a - b
	if d < 0 {
		if d == math.MinInt64 {
			return math.MaxInt64
		}
		return -d
	}
	return d
}
