package mock

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/store"
	"github.com/mockpay/mockpay/mock/scenario"
)

// call is one v3 request as a handler sees it.
type call struct {
	r        *http.Request
	ep       *endpoint // nil for an unknown path or method
	merchant *store.Merchant
	sub      *store.SubMerchant // the bound sub-merchant a service provider's call acts for
	body     []byte
	vars     map[string]string // path variables, unescaped
	req      any               // the decoded body, a *Req of the endpoint's request type
	q        url.Values
}

// query returns a query parameter.
func (c *call) query(name string) string {
	if c.q == nil {
		c.q = c.r.URL.Query()
	}
	return c.q.Get(name)
}

// caller is whom the call acts for: the merchant, or the service provider
// for the sub-merchant it named.
func (c *call) caller() store.Caller { return store.Caller{Merchant: c.merchant, Sub: c.sub} }

// param returns a request's value for name, wherever the endpoint takes it:
// the path, the query or the body. Scenarios and order links read ids this
// way, so they match whatever shape the endpoint has.
func (c *call) param(name string) string {
	if v := c.vars[name]; v != "" {
		return v
	}
	if v := c.query(name); v != "" {
		return v
	}
	return bodyString(c.req, name)
}

// api wraps the v3 endpoint e: authenticate, decode, apply scenarios,
// serve, sign, write, log.
func (s *Server) api(e *endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveAPI(w, r, e, nil) })
}

// unauthenticated wraps a v3 answer that needs no caller: unknown paths and methods.
func (s *Server) unauthenticated(answer func(c *call) reply) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveAPI(w, r, nil, answer) })
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, e *endpoint, answer func(c *call) reply) {
	start, now := time.Now(), s.clock.Now()
	rec := RequestRecord{
		Seq:       s.store.NextSeq(),
		RequestID: s.newRequestID(),
		Time:      formatMilli(now),
		at:        now,
		Method:    r.Method,
		URL:       r.URL.RequestURI(),
		Signature: VerdictUnchecked,
	}
	var rep reply
	defer s.requestDone(e, &rec, &rep, start) // also when a scenario drops the connection
	c := &call{r: r, ep: e}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
		rep = fail(apierr.New(apierr.InvalidRequest, "读取请求体失败"))
	case len(body) > maxBody:
		rep = fail(apierr.New(apierr.InvalidRequest, "请求体过大").WithDetail(apierr.Detail{Location: apierr.LocBody, Issue: fmt.Sprintf("body exceeds %d bytes", maxBody)}))
	case e == nil:
		c.body = body
		rep = answer(c)
	default:
		c.body = body
		if err = s.authenticate(c, &rec); err == nil {
			c.vars, err = pathVars(r)
		}
		if err != nil {
			rep = fail(err)
			break
		}
		// The input is read once, before scenarios match, so that they
		// match on the ids of the typed request; a bad input is answered
		// only if no scenario answers first, as WeChat Pay's faults come
		// before its checks.
		bad := c.decode()
		if bad == nil {
			bad = c.resolveSub()
		}
		fx := s.apiScenario(c, &rec)
		switch {
		case fx != nil && fx.DropConnection:
			s.requests.add(rec)
			panic(http.ErrAbortHandler) // close the connection without an answer
		case fx != nil && fx.Status != 0:
			rep = fail(&apierr.Error{Code: apierr.Code(fx.Code), Message: fx.Message, StatusOverride: fx.Status})
		case bad != nil:
			rep = fail(bad)
		default:
			rep = e.serve(s, c)
		}
		kind, outOrderNo := s.orderOf(c)
		rec.OrderKind, rec.OutOrderNo = string(kind), outOrderNo
		rec.SubMchID = c.caller().Account().SubMchID
		if fx != nil && fx.LoseResponse {
			status, _ := s.encode(rep)
			rec.Status = status
			rec.Injected = strings.TrimPrefix(rec.Injected+fmt.Sprintf("; the call ran (status %d) and its answer was dropped", status), "; ")
			s.requests.add(rec)
			panic(http.ErrAbortHandler)
		}
	}

	status, out := s.encode(rep)
	sg := s.platform.signerFor(c.merchant, r.Header.Get(protocol.HeaderSerial))
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

// pathPatterns are the rules of the path's ids, the same as the body
// fields of the same name.
var pathPatterns = map[string]field.Pattern{
	"out_order_no":       field.OutOrderNo,
	"authorization_code": field.AuthorizationCode,
	"out_refund_no":      field.OutRefundNo,
	"out_apply_no":       field.OutApplyNo,
	"out_trade_no":       field.OutTradeNo,
}

// decode checks the path's ids and decodes the body into the endpoint's
// request type, once. It returns the PARAM_ERROR to answer, if any.
func (c *call) decode() error {
	for _, name := range c.ep.pathVars() {
		if p, ok := pathPatterns[name]; ok {
			if err := field.Segment(name, c.vars[name], p); err != nil {
				return err
			}
		}
	}
	if c.ep.request == nil {
		return nil
	}
	req := reflect.New(c.ep.request).Interface()
	if err := field.Decode(c.body, req); err != nil {
		return err
	}
	c.req = req
	return nil
}

// orderOf names the order a call is about, for its timeline: by
// out_order_no for order calls (out_trade_no for parking deductions,
// out_parking_no for parking entries), through the charged transaction for
// refunds; in the account the call acts for, so that a partner's call
// shows on its sub-merchant's order only.
func (s *Server) orderOf(c *call) (kind store.Kind, outOrderNo string) {
	if c.merchant == nil {
		return "", ""
	}
	switch c.ep.Order {
	case noOrder:
		return "", ""
	case refundOrder:
		a := c.caller().Account()
		tx := s.store.Read()
		txID := c.param("transaction_id")
		if r, err := tx.Refund(a, c.param("out_refund_no")); err == nil {
			txID = r.TransactionID
		}
		t, err := tx.Transaction(a, txID)
		if err != nil {
			t, err = tx.TransactionByOutTradeNo(a, c.param("out_trade_no"))
		}
		if err != nil {
			return "", ""
		}
		return t.OrderKind, t.OutOrderNo
	}
	return c.ep.Order.kind(), c.param(c.ep.Order.param())
}

// apiScenario applies a scenario's API effect to an authenticated call: it
// waits out the latency and returns the fault to apply, noting it in the
// request record.
func (s *Server) apiScenario(c *call, rec *RequestRecord) *scenario.API {
	if s.scenarios.Empty() {
		return nil
	}
	fx, applied := s.scenarios.API(scenario.Subject{
		MchID:      c.merchant.MchID,
		SubMchID:   c.param("sub_mchid"),
		Endpoint:   c.ep.Name,
		OutOrderNo: c.param(c.ep.Order.param()),
		OpenID:     c.param("openid"),
		ServiceID:  c.param("service_id"),
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

// bodyString returns the top-level string field of a decoded request whose
// JSON name is name, or "".
func bodyString(req any, name string) string {
	v := reflect.ValueOf(req)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	i, ok := stringFields(v.Elem().Type())[name]
	if !ok {
		return ""
	}
	return v.Elem().Field(i).String()
}

// stringFieldCache maps a request type to its top-level string fields' indexes by JSON name.
var stringFieldCache sync.Map // reflect.Type → map[string]int

func stringFields(t reflect.Type) map[string]int {
	if m, ok := stringFieldCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && f.Type.Kind() == reflect.String && name != "" && name != "-" {
			m[name] = i
		}
	}
	stringFieldCache.Store(t, m)
	return m
}

// newRequestID makes a Request-ID. WeChat Pay's are 40 upper-case hex
// digits and a dash-separated counter ("08F78BB5…F89845-0"); tests that
// inject Options.NewID get theirs, for byte-stable transcripts.
func (s *Server) newRequestID() string {
	if s.opts.NewID != nil {
		return s.opts.NewID()
	}
	var b [20]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:])) + "-0"
}
