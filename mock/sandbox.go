package mock

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/field"
)

// The sandbox control API (architecture.md): plain JSON, unsigned, errors as
// {"code","message"}. Every endpoint is a thin wrapper over a method of
// *Server, so in-process tests can skip HTTP.

type sandboxFunc func(r *http.Request) reply

// sandbox wraps a control endpoint: token check, handle, write JSON.
func (s *Server) sandbox(h sandboxFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rep reply
		if err := s.checkToken(r); err != nil {
			rep = fail(err)
		} else if err := checkSandboxIDs(r); err != nil {
			rep = fail(err)
		} else {
			rep = h(r)
		}
		if jw, ok := rep.body.(jsonWriter); ok && rep.err == nil {
			maps.Copy(w.Header(), rep.header)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(rep.status)
			if err := jw.writeJSON(w); err != nil {
				s.log.Warn("write listing", "path", r.URL.Path, "err", err)
			}
			return
		}
		status, body := s.encode(rep)
		writeBody(w, status, body)
	})
}

// openPaths need no sandbox token: health, so that orchestrators can probe
// the server without the secret, and the OpenAPI document, which holds no
// secret, so that tools can read the API before they are given the token.
// openapi.json's security section lists the same paths.
var openPaths = map[string]bool{
	"/sandbox/health":       true,
	"/sandbox/openapi.json": true,
}

// checkToken enforces MOCKPAY_SANDBOX_TOKEN on every path but openPaths.
func (s *Server) checkToken(r *http.Request) error {
	if s.opts.SandboxToken == "" || openPaths[r.URL.Path] {
		return nil
	}
	got, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found || subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.SandboxToken)) != 1 {
		return apierr.New(apierr.Unauthorized, "the sandbox API needs Authorization: Bearer <MOCKPAY_SANDBOX_TOKEN>")
	}
	return nil
}

// checkSandboxIDs checks the identifiers a sandbox request names, in its
// path or as a filter, with the rules the API checks them with, so that
// the sandbox never stores or looks up what WeChat Pay would refuse.
func checkSandboxIDs(r *http.Request) error {
	vars, err := pathVars(r)
	if err != nil {
		return err
	}
	path := field.Path()
	if v, ok := vars["mchid"]; ok {
		path.Pattern("mchid", v, field.MchID)
	}
	if v, ok := vars["out_order_no"]; ok {
		path.Pattern("out_order_no", v, field.OutOrderNo)
	}
	if v, ok := vars["openid"]; ok {
		path.OpenID("openid", v)
	}
	if err := path.Err(); err != nil {
		return err
	}
	query := field.Query()
	query.OpenID("openid", r.URL.Query().Get("openid"))
	return query.Err()
}

// sbVars returns the path variables of a sandbox request, unescaped.
func sbVars(r *http.Request) map[string]string {
	vars, err := pathVars(r)
	if err != nil {
		return mux.Vars(r)
	}
	return vars
}

// errBodyTooLarge refuses a sandbox body over maxBody, which would
// otherwise be cut short and read as broken JSON or YAML.
var errBodyTooLarge = apierr.Newf(apierr.InvalidRequest, "the request body is larger than %d bytes (1 MiB)", maxBody).
	WithDetail(apierr.Detail{Location: apierr.LocBody, Issue: fmt.Sprintf("body exceeds %d bytes", maxBody)})

// readBody reads a sandbox request body of at most maxBody bytes.
func readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
		return nil, apierr.New(apierr.InvalidRequest, "cannot read the request body: "+err.Error())
	case len(raw) > maxBody:
		return nil, errBodyTooLarge
	}
	return raw, nil
}

// decodeJSON strictly decodes a sandbox request body into v. An empty body
// decodes as {} so that every field may be left out.
func decodeJSON(r *http.Request, v any) error {
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(raw, err)
	}
	if dec.More() {
		return apierr.New(apierr.ParamError, "invalid JSON body: more than one value")
	}
	return nil
}

// bodyError is a PARAM_ERROR for a body encoding/json could not decode,
// naming the field by its JSON Pointer when the error tells which (as
// apierr.Detail says, and as the v3 API does).
func bodyError(raw []byte, err error) error {
	if ptr, need, given, ok := apierr.TypeMismatch(raw, err); ok {
		msg := fmt.Sprintf("%s must be %s, not %s", ptr, need, given)
		if ptr == "" {
			msg = fmt.Sprintf("the body must be %s, not %s", need, given)
		}
		return apierr.Param(apierr.LocBody, ptr, msg, msg, nil)
	}
	// encoding/json has no error type for an unknown field, only this text.
	if q, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if name, uerr := strconv.Unquote(q); uerr == nil {
			return unknownField(pointer(name))
		}
	}
	return apierr.New(apierr.ParamError, "invalid JSON body: "+err.Error())
}

// pointer is the JSON Pointer of a top-level member of a body; every
// sandbox body is a flat object.
func pointer(name string) string {
	return "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(name)
}

// unknownField refuses a body member the endpoint does not know.
func unknownField(ptr string) error {
	return apierr.Param(apierr.LocBody, ptr, ptr+" is not a field of this request", "unknown field: check its spelling", nil)
}

// Health is the body of GET /sandbox/health.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
	Clock   string `json:"clock"`
}

// Health reports that the server is ready.
func (s *Server) Health() Health {
	return Health{Status: "ok", Version: Version, Clock: s.clockMode()}
}

// PlatformInfo is what a client needs to verify the mock (GET /sandbox/platform).
type PlatformInfo struct {
	SerialNo         string `json:"serial_no"`
	CertificatePEM   string `json:"certificate_pem"`
	PublicKeyID      string `json:"public_key_id"`
	PublicKeyPEM     string `json:"public_key_pem"`
	CACertificatePEM string `json:"ca_certificate_pem"` // the test CA, to trust mockpay's HTTPS
}

// Platform returns the platform certificate and the WeChat Pay public key.
func (s *Server) Platform() PlatformInfo {
	return PlatformInfo{
		SerialNo:         s.platform.certSerial,
		CertificatePEM:   s.platform.certPEM,
		PublicKeyID:      s.platform.publicKeyID,
		PublicKeyPEM:     s.platform.publicKeyPEM,
		CACertificatePEM: string(protocol.EncodeCertificate(s.ca.Cert)),
	}
}

// ClockState is the body of GET /sandbox/clock and POST /sandbox/clock/advance.
// Its times, like a request's time, have milliseconds, so that the delay
// to a pending event is its at minus now, exactly.
type ClockState struct {
	Now     string       `json:"now"`
	Mode    string       `json:"mode"`
	Scale   float64      `json:"scale,omitempty"`
	Pending []ClockEvent `json:"pending"`
	// Fired is what an advance ran: [] when nothing did, absent (nil) from
	// GET /sandbox/clock.
	Fired []ClockEvent `json:"fired,omitzero"`
}

// ClockEvent is work the clock has scheduled or has run.
type ClockEvent struct {
	At    string `json:"at"`
	Label string `json:"label"`
}

// clockEvents renders what the clock lists for the sandbox; a non-nil
// empty list stays one.
func clockEvents(evs []clock.Event) []ClockEvent {
	if evs == nil {
		return nil
	}
	out := make([]ClockEvent, len(evs))
	for i, e := range evs {
		out[i] = ClockEvent{At: formatMilli(e.At), Label: e.Label}
	}
	return out
}

// formatMilli renders a domain time where sub-second precision matters
// (the clock, its events, the request log): RFC 3339 with milliseconds in
// Beijing time, the offset of every other time the sandbox shows.
func formatMilli(t time.Time) string { return protocol.FormatRFC3339Milli(t) }

func (s *Server) clockMode() string {
	if _, ok := s.clock.(*clock.Virtual); ok {
		return clock.ModeVirtual
	}
	return clock.ModeReal
}

// ClockState returns the domain time, the mode and the work scheduled.
func (s *Server) ClockState() ClockState {
	st := ClockState{Now: formatMilli(s.clock.Now()), Mode: s.clockMode(), Pending: clockEvents(s.clock.Pending())}
	if r, ok := s.clock.(*clock.Real); ok {
		st.Scale = r.Scale()
	}
	return st
}

// cancelWork takes the scheduled work of merchant mchid ("" for every
// merchant) off the clock: order expiry, deductions, callback attempts,
// refunds, what a scenario's user was to do. Call it inside the write
// transaction that drops their rows, so that no work that transaction's
// rivals decided can be armed after it.
func (s *Server) cancelWork(mchid string) {
	n := s.clock.Cancel(mchid)
	s.notifier.Forget(mchid)
	s.log.Debug("scheduled work cancelled", "jobs", n)
}

// Reset drops orders, users, notifications, scenarios and the request log;
// merchants and the platform identity stay (POST /sandbox/reset).
func (s *Server) Reset() error {
	tx := s.store.Write()
	defer tx.Abort()
	if err := tx.Reset(); err != nil {
		return err
	}
	s.cancelWork("") // every merchant's: a reset drops all their orders
	tx.Commit()
	s.requests.reset()
	s.scenarios.Reset()
	s.syncScenarios()
	s.log.Info("sandbox reset")
	return nil
}

func (s *Server) sbHealth(*http.Request) reply { return ok(s.Health()) }

func (s *Server) sbPlatform(*http.Request) reply { return ok(s.Platform()) }

func (s *Server) sbCreateMerchant(r *http.Request) reply {
	var spec MerchantSpec
	if err := decodeJSON(r, &spec); err != nil {
		return fail(err)
	}
	m, err := s.CreateMerchant(spec)
	if err != nil {
		return fail(err)
	}
	return created(m)
}

func (s *Server) sbListMerchants(r *http.Request) reply {
	p, err := pageOf(r.URL.Query())
	if err != nil {
		return fail(err)
	}
	ms, next, err := s.MerchantsPage(p)
	return paged(r, ms, next, err)
}

func (s *Server) sbGetMerchant(r *http.Request) reply {
	m, err := s.Merchant(sbVars(r)["mchid"])
	if err != nil {
		return fail(err)
	}
	return ok(m)
}

func (s *Server) sbPatchMerchant(r *http.Request) reply {
	raw, err := readBody(r)
	if err != nil {
		return fail(err)
	}
	patch, err := decodeMerchantPatch(raw)
	if err != nil {
		return fail(err)
	}
	return answer(s.UpdateMerchant(sbVars(r)["mchid"], patch))
}

func (s *Server) sbDeleteMerchant(r *http.Request) reply {
	if err := s.DeleteMerchant(sbVars(r)["mchid"]); err != nil {
		return fail(err)
	}
	return noContent()
}

func (s *Server) sbRequests(r *http.Request) reply {
	q := r.URL.Query()
	p, err := pageOf(q)
	if err != nil {
		return fail(err)
	}
	recs, next, err := s.RequestsPage(RequestFilter{MchID: q.Get("mchid")}, p)
	return paged(r, recs, next, err)
}

func (s *Server) sbClock(*http.Request) reply { return ok(s.ClockState()) }

// advanceRequest is the body of POST /sandbox/clock/advance: exactly one of
// a Go duration ("30m", "720h") or an RFC 3339 time.
type advanceRequest struct {
	Duration string `json:"duration"`
	To       string `json:"to"`
}

func (s *Server) sbAdvance(r *http.Request) reply {
	var req advanceRequest
	if err := decodeJSON(r, &req); err != nil {
		return fail(err)
	}
	var fired []clock.Event
	var err error
	switch {
	case (req.Duration == "") == (req.To == ""):
		return fail(apierr.Param(apierr.LocBody, "/duration", `give exactly one of "duration" or "to"`, `give exactly one of "duration" (e.g. "30m") or "to" (RFC 3339)`, nil))
	case req.Duration != "":
		d, perr := time.ParseDuration(req.Duration)
		if perr != nil || d < 0 {
			return fail(apierr.Param(apierr.LocBody, "/duration", "duration must be a non-negative Go duration such as 15s, 30m or 720h",
				"not a non-negative Go duration", req.Duration))
		}
		fired, err = s.Advance(d)
	default:
		t, perr := time.Parse(time.RFC3339, req.To)
		if perr != nil {
			return fail(apierr.Param(apierr.LocBody, "/to", "to must be an RFC 3339 time such as 2026-12-27T10:00:00+08:00", perr.Error(), req.To))
		}
		fired, err = s.AdvanceTo(t)
	}
	switch {
	case errors.Is(err, ErrNotVirtual):
		return fail(apierr.New(apierr.Conflict, err.Error()))
	case errors.Is(err, clock.ErrBackwards):
		return fail(apierr.Param(apierr.LocBody, "/to", "the clock cannot move backwards", err.Error(), req.To))
	case err != nil:
		return fail(err)
	}
	st := s.ClockState()
	st.Fired = clockEvents(fired)
	return ok(st)
}

func (s *Server) sbReset(*http.Request) reply {
	if err := s.Reset(); err != nil {
		return fail(err)
	}
	return noContent()
}
