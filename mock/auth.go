package mock

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/apierr"
)

// maxBody bounds a request body; Pay Score bodies are a few KiB at most.
const maxBody = 1 << 20

// maxSkew is how far a request timestamp may be from the server's wall clock
// (protocol.md §1.2: ±300 s is what WeChat Pay is known to enforce).
const maxSkew = 5 * time.Minute

// truncatedSignMessageMax is how much of the verified message a SIGN_ERROR
// shows; the full message is in /sandbox/requests.
const truncatedSignMessageMax = 1024

// authenticate checks a request the way WeChat Pay does and fills c.merchant.
// Every failure is explained: a SIGN_ERROR carries the message the mock
// verified, so a developer sees at once what differs from what they signed.
func (s *Server) authenticate(c *call, rec *RequestRecord) error {
	r := c.r
	rec.Signature = VerdictMalformed
	if r.Header.Get("Accept") == "" || r.Header.Get("User-Agent") == "" {
		missing := "Accept"
		if r.Header.Get("Accept") != "" {
			missing = "User-Agent"
		}
		return apierr.New(apierr.InvalidRequest, "Http头缺少Accept或User-Agent").
			WithDetail(apierr.Detail{Field: missing, Location: apierr.LocHeader, Issue: missing + " header is required"})
	}
	auth, err := protocol.ParseAuthorization(r.Header.Get(protocol.HeaderAuthorization))
	if err != nil {
		var pe *protocol.AuthorizationError
		issue := err.Error()
		field := "Authorization"
		if errors.As(err, &pe) {
			issue, field = pe.Issue, pe.Field
		}
		rec.SignIssue = issue
		return apierr.New(apierr.InvalidRequest, "Http头Authorization值格式错误,请参考《微信支付商户REST API签名规则》").
			WithDetail(apierr.Detail{Field: field, Location: apierr.LocAuthorization, Issue: issue})
	}
	rec.MchID = auth.MchID
	rec.Signature = VerdictInvalid
	msg := protocol.RequestMessage(r.Method, r.URL.RequestURI(), auth.Timestamp, auth.NonceStr, c.body)
	signErr := func(message, field, issue string) error {
		rec.SignIssue = issue
		rec.Verified = keep(string(msg), logKeep, &rec.Truncated)
		return apierr.New(apierr.SignError, message).WithDetail(apierr.Detail{
			Field: field, Location: apierr.LocAuthorization, Inner: &apierr.Inner{Issue: issue},
			SignInformation: signInformation(r, auth, msg, c.body, issue),
		})
	}

	m, err := s.store.Read().Merchant(auth.MchID)
	if err != nil {
		return signErr("商户号不存在", "mchid",
			fmt.Sprintf("mchid %q is not registered in mockpay; register it with POST /sandbox/merchants", auth.MchID))
	}
	if auth.SerialNo != m.SerialNo {
		return signErr("商户证书序列号有误", "serial_no",
			fmt.Sprintf("serial_no %q is not the API certificate of merchant %s, whose serial is %s", auth.SerialNo, m.MchID, m.SerialNo))
	}
	if off, ok := clockOffset(auth.Timestamp, time.Now()); !ok {
		issue := fmt.Sprintf("timestamp %d is %s the server's clock; at most %s is allowed", auth.Timestamp, off, maxSkew)
		if auth.Timestamp > 1e11 {
			issue += "; it looks like milliseconds, but the timestamp is in seconds (10 digits)"
		}
		return signErr("错误的签名，验签失败", "timestamp", issue)
	}
	err = protocol.Verify(m.PublicKey, msg, auth.Signature)
	if uri := r.URL.RequestURI(); err != nil && strings.HasSuffix(uri, "?") {
		// An empty query is no query: gopay sends its parking order query
		// with a bare "?" and signs the URL without it.
		err = protocol.Verify(m.PublicKey, protocol.RequestMessage(r.Method, strings.TrimSuffix(uri, "?"), auth.Timestamp, auth.NonceStr, c.body), auth.Signature)
	}
	if err != nil {
		issue := "sign not match"
		if !errors.Is(err, protocol.ErrSignatureMismatch) {
			issue = err.Error()
		}
		return signErr("错误的签名，验签失败", "signature", issue)
	}
	rec.Signature = VerdictValid
	c.merchant = m
	return nil
}

// clockOffset says how far a request timestamp (Unix seconds) is from now,
// "6m0s behind" or "20784513 days ahead of", and whether that is within
// maxSkew. It counts in seconds, not in a time.Duration, because a
// timestamp in milliseconds (a common mistake) is further away than a
// Duration can hold.
func clockOffset(ts int64, now time.Time) (string, bool) {
	secs := now.Unix()
	var off uint64 // |ts - secs|, which overflows an int64 for extreme ts
	dir := "ahead of"
	if ts >= secs {
		off = uint64(ts) - uint64(secs)
	} else {
		off, dir = uint64(secs)-uint64(ts), "behind"
	}
	if off <= uint64(maxSkew/time.Second) {
		return "", true
	}
	if off < 2*24*3600 {
		return fmt.Sprintf("%s %s", time.Duration(off)*time.Second, dir), false
	}
	return fmt.Sprintf("%d days %s", off/(24*3600), dir), false
}

func signInformation(r *http.Request, auth protocol.Authorization, msg, body []byte, issue string) *apierr.SignInformation {
	shown := string(msg)
	if len(shown) > truncatedSignMessageMax {
		shown = shown[:truncatedSignMessageMax]
	}
	sum := sha256.Sum256(body)
	return &apierr.SignInformation{
		Method:               r.Method,
		URL:                  r.URL.RequestURI(),
		SignMessageLength:    len(msg),
		TruncatedSignMessage: shown,
		Timestamp:            auth.Timestamp,
		NonceStr:             auth.NonceStr,
		SerialNo:             auth.SerialNo,
		BodyLength:           len(body),
		BodySHA256:           hex.EncodeToString(sum[:]),
		Explanation:          explain(issue),
	}
}

// explain turns a verification issue into the advice integrators need most.
func explain(issue string) string {
	if issue != "sign not match" {
		return issue
	}
	return "the signature does not match this message under the merchant's registered certificate: " +
		"sign METHOD\\nURI\\ntimestamp\\nnonce\\nbody\\n with the same URI (path and query exactly as sent) " +
		"and the exact body bytes sent, using the private key of serial_no's certificate"
}
