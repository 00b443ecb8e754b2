package mock

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// maxBody bounds a request body; Pay Score bodies are a few KiB at most.
const maxBody = 1 << 20

// maxSkew is how far a request timestamp may be from the server's wall clock
// (protocol.md §1.2: ±300 s is what WeChat Pay is known to enforce).
const maxSkew = 5 * time.Minute

// truncatedSignMessageMax is how much of the verified message a SIGN_ERROR
// shows; the full message is in /sandbox/requests.
const truncatedSignMessageMax = 1024

// call is one authenticated v3 request as a handler sees it.
type call struct {
	r        *http.Request
	merchant *store.Merchant
	body     []byte
	vars     map[string]string // path variables, unescaped

	// The order the call is about, set by the handler, so that the request
	// log can show the call on the order's timeline.
	orderKind  store.Kind
	outOrderNo string
}

type handlerFunc func(c *call) reply

// api wraps a v3 handler: authenticate, apply scenarios, handle, sign,
// write, log. endpoint is the call's name (scenario.Endpoints).
func (s *Server) api(endpoint string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveAPI(w, r, endpoint, h)
	})
}

// unauthenticated wraps a v3 answer that needs no caller: unknown paths and methods.
func (s *Server) unauthenticated(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveAPI(w, r, "", h)
	})
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, endpoint string, h handlerFunc) {
	start, now := time.Now(), s.clock.Now()
	rec := RequestRecord{
		Seq:       s.store.NextSeq(),
		RequestID: s.newID(),
		Time:      formatMilli(now),
		at:        now,
		Method:    r.Method,
		URL:       r.URL.RequestURI(),
		Signature: VerdictUnchecked,
	}
	var rep reply
	var merchant *store.Merchant
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
		rep = fail(apierr.New(apierr.InvalidRequest, "读取请求体失败"))
	case len(body) > maxBody:
		rep = fail(apierr.New(apierr.InvalidRequest, "请求体过大").WithDetail(apierr.Detail{Location: apierr.LocBody, Issue: fmt.Sprintf("body exceeds %d bytes", maxBody)}))
	default:
		c := &call{r: r, body: body}
		if endpoint != "" {
			err = s.authenticate(c, &rec)
		}
		if err == nil {
			c.vars, err = pathVars(r)
		}
		var fx *scenario.API
		if err == nil && endpoint != "" {
			fx = s.apiScenario(c, endpoint, &rec)
		}
		switch {
		case err != nil:
			rep = fail(err)
		case fx != nil && fx.DropConnection:
			s.requests.add(rec)
			panic(http.ErrAbortHandler) // close the connection without an answer
		case fx != nil && fx.Status != 0:
			rep = fail(&apierr.Error{Code: apierr.Code(fx.Code), Message: fx.Message, StatusOverride: fx.Status})
		default:
			rep = h(c)
		}
		merchant = c.merchant
		rec.OrderKind, rec.OutOrderNo = string(c.orderKind), c.outOrderNo
		if fx != nil && fx.LoseResponse {
			status, _ := s.encode(rep)
			rec.Status = status
			rec.Injected = strings.TrimPrefix(rec.Injected+fmt.Sprintf("; the call ran (status %d) and its answer was dropped", status), "; ")
			s.requests.add(rec)
			panic(http.ErrAbortHandler)
		}
	}

	status, out := s.encode(rep)
	sg := s.platform.signerFor(merchant, r.Header.Get(protocol.HeaderSerial))
	if err := writeSigned(w, sg, rec.RequestID, status, out); err != nil {
		s.log.Error("sign response", "err", err)
		http.Error(w, "", http.StatusInternalServerError)
	}

	rec.Status = status
	if status >= 400 {
		var ae *apierr.Error
		if errors.As(rep.err, &ae) {
			rec.Code = string(ae.Code)
		} else {
			rec.Code = string(apierr.SystemError)
		}
	}
	rec.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	s.requests.add(rec)
	s.log.Debug("api", "method", r.Method, "url", rec.URL, "mchid", rec.MchID, "status", status, "code", rec.Code, "request_id", rec.RequestID)
}

// apiScenario applies a scenario's API effect to an authenticated call: it
// waits out the latency and returns the fault to apply, noting it in the
// request record. It reads the call's ids from its path, query and body.
func (s *Server) apiScenario(c *call, endpoint string, rec *RequestRecord) *scenario.API {
	if s.scenarios.Empty() {
		return nil
	}
	var body struct {
		OutOrderNo string `json:"out_order_no"`
		OpenID     string `json:"openid"`
		ServiceID  string `json:"service_id"`
	}
	_ = json.Unmarshal(c.body, &body) // what cannot be read is left empty
	q := c.r.URL.Query()
	first := func(vs ...string) string {
		for _, v := range vs {
			if v != "" {
				return v
			}
		}
		return ""
	}
	fx, applied := s.scenarios.API(scenario.Subject{
		MchID:      c.merchant.MchID,
		Endpoint:   endpoint,
		OutOrderNo: first(c.vars["out_order_no"], q.Get("out_order_no"), body.OutOrderNo),
		OpenID:     first(c.vars["openid"], q.Get("openid"), body.OpenID),
		ServiceID:  first(c.vars["service_id"], q.Get("service_id"), body.ServiceID),
	})
	if fx == nil {
		return nil
	}
	rec.Scenario = applied.String()
	var did []string
	if fx.Latency > 0 {
		s.sleep(c.r.Context(), fx.Latency.D())
		did = append(did, "latency "+fx.Latency.D().String())
	}
	switch {
	case fx.DropConnection:
		did = append(did, "connection dropped without an answer")
	case fx.Status != 0:
		did = append(did, fmt.Sprintf("answered %d %s", fx.Status, fx.Code))
	}
	rec.Injected = strings.Join(did, "; ")
	return fx
}

// pathVars unescapes the path variables in one place (the router matches
// the escaped path, so an out_order_no may carry %7C for "|").
func pathVars(r *http.Request) (map[string]string, error) {
	vars := mux.Vars(r)
	for k, v := range vars {
		u, err := url.PathUnescape(v)
		if err != nil {
			return nil, apierr.Param(apierr.LocPath, k, "参数错误", "path segment is not validly percent-encoded", v)
		}
		vars[k] = u
	}
	return vars, nil
}

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
		rec.Verified = string(msg)
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
	if skew := time.Since(time.Unix(auth.Timestamp, 0)); skew > maxSkew || skew < -maxSkew {
		issue := fmt.Sprintf("timestamp %d is %s from the server's clock; at most %s is allowed", auth.Timestamp, skew.Round(time.Second), maxSkew)
		if auth.Timestamp > 1e11 {
			issue += "; it looks like milliseconds, but the timestamp is in seconds (10 digits)"
		}
		return signErr("错误的签名，验签失败", "timestamp", issue)
	}
	if err := protocol.Verify(m.PublicKey, msg, auth.Signature); err != nil {
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
