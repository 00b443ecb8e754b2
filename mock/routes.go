package mock

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/ui"
)

// route is one entry of the route table.
type route struct {
	method, path string
	handler      http.Handler
}

// sandboxRoutes are the control API of architecture.md.
func (s *Server) sandboxRoutes() []route {
	return []route{
		{"GET", "/sandbox/health", s.sandbox(s.sbHealth)},
		{"GET", "/sandbox/openapi.json", s.sandbox(s.sbOpenAPI)},
		{"GET", "/sandbox/platform", s.sandbox(s.sbPlatform)},
		{"POST", "/sandbox/merchants", s.sandbox(s.sbCreateMerchant)},
		{"GET", "/sandbox/merchants", s.sandbox(s.sbListMerchants)},
		{"GET", "/sandbox/merchants/{mchid}", s.sandbox(s.sbGetMerchant)},
		{"PATCH", "/sandbox/merchants/{mchid}", s.sandbox(s.sbPatchMerchant)},
		{"DELETE", "/sandbox/merchants/{mchid}", s.sandbox(s.sbDeleteMerchant)},
		{"GET", "/sandbox/requests", s.sandbox(s.sbRequests)},
		{"GET", "/sandbox/clock", s.sandbox(s.sbClock)},
		{"POST", "/sandbox/clock/advance", untimed(s.sandbox(s.sbAdvance))},
		{"POST", "/sandbox/reset", s.sandbox(s.sbReset)},
		{"POST", "/sandbox/users/{openid}/authorize", s.sandbox(s.sbAuthorize)},
		{"POST", "/sandbox/users/{openid}/revoke", s.sandbox(s.sbRevoke)},
		{"PUT", "/sandbox/users/{openid}/wallet", s.sandbox(s.sbWallet)},
		{"GET", "/sandbox/users/{openid}", s.sandbox(s.sbUser)},
		{"PUT", "/sandbox/users/{openid}/plates/{plate_number}", s.sandbox(s.sbSetPlate)},
		{"GET", "/sandbox/orders", s.sandbox(s.sbOrders)},
		{"GET", "/sandbox/orders/{mchid}/{out_order_no}", s.sandbox(s.sbOrder)},
		{"POST", "/sandbox/orders/{mchid}/{out_order_no}/confirm", s.sandbox(s.sbConfirm)},
		{"POST", "/sandbox/orders/{mchid}/{out_order_no}/pay", s.sandbox(s.sbUserPay)},
		{"GET", "/sandbox/notifications", s.sandbox(s.sbNotifications)},
		{"POST", "/sandbox/notifications/{id}/redeliver", s.sandbox(s.sbRedeliver)},
		{"POST", "/sandbox/scenarios", s.sandbox(s.sbLoadScenarios)},
		{"GET", "/sandbox/scenarios", s.sandbox(s.sbScenarios)},
		{"DELETE", "/sandbox/scenarios/{id}", s.sandbox(s.sbUnloadScenario)},
		{"GET", "/sandbox/events", http.HandlerFunc(s.serveEvents)},
	}
}

// sandboxQuery lists the query parameters each sandbox route takes, by
// "METHOD /path"; a route not listed takes none. Any other parameter is
// refused, as an unknown JSON field is, so that a misspelt one fails
// instead of being ignored: POST /sandbox/scenarios?mchd=… would
// otherwise load a scenario for every merchant. The listings also take
// the paging parameters limit and after.
var sandboxQuery = map[string][]string{
	"GET /sandbox/merchants":     {"limit", "after"},
	"GET /sandbox/requests":      {"mchid", "limit", "after"},
	"GET /sandbox/events":        {"mchid"},
	"GET /sandbox/orders":        {"mchid", "sub_mchid", "openid", "state", "kind", "limit", "after"},
	"GET /sandbox/notifications": {"mchid", "sub_mchid", "out_order_no", "event_type", "state", "limit", "after"},
	"POST /sandbox/scenarios":    {"file", "mchid", "sub_mchid", "openid", "out_order_no", "service_id"},
	// A service provider's order is named by its sub-merchant too.
	"GET /sandbox/orders/{mchid}/{out_order_no}":          {"sub_mchid"},
	"POST /sandbox/orders/{mchid}/{out_order_no}/confirm": {"sub_mchid"},
	"POST /sandbox/orders/{mchid}/{out_order_no}/pay":     {"sub_mchid"},
}

// unreservedEscape is a percent-encoded unreserved character (RFC 3986
// §2.3), which means the same as the character itself.
var unreservedEscape = regexp.MustCompile(`%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[DEde]|5[Ff]|7[Ee])`)

// normalizeSandboxPath decodes percent-encoded unreserved characters of a
// sandbox path before it is routed (RFC 3986 §6.2.2.2), so that
// /sandbox/%68ealth is /sandbox/health: the router matches the escaped
// path, where they would not match. Only sandbox paths: an API request's
// path is part of what its caller signed, and is verified as sent.
func normalizeSandboxPath(r *http.Request) {
	if r.URL.RawPath == "" || !strings.HasPrefix(r.URL.Path, "/sandbox") {
		return
	}
	raw := unreservedEscape.ReplaceAllStringFunc(r.URL.RawPath, func(esc string) string {
		b, _ := strconv.ParseUint(esc[1:], 16, 8) // the pattern admits two hex digits only
		return string(rune(b))
	})
	if (&url.URL{Path: r.URL.Path}).EscapedPath() == raw {
		raw = "" // Path's default escaping, which EscapedPath gives without RawPath
	}
	r.URL.RawPath = raw
}

// untimed lifts the server's write timeout for h: a clock advance answers
// once the callbacks that fell due were delivered, up to a delivery
// timeout per instant at which receivers hang, which no fixed write
// timeout can foresee. Its caller decides how long to wait.
func untimed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Not every ResponseWriter has a deadline (httptest's recorder):
		// then there is none to lift.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		h.ServeHTTP(w, r)
	})
}

func (s *Server) routes() *mux.Router {
	// Match on the escaped path: an out_order_no may hold "|" or "*", sent
	// percent-encoded; pathVars unescapes the variables in one place.
	r := mux.NewRouter().UseEncodedPath()
	for i := range endpoints {
		e := &endpoints[i]
		for _, path := range append([]string{e.Path}, e.aliases()...) {
			r.Handle(path, s.api(e)).Methods(e.Method)
		}
	}
	for _, rt := range s.sandboxRoutes() {
		r.Handle(rt.path, s.knownQuery(rt)).Methods(rt.method)
	}
	r.Handle("/metrics", s.serveMetrics()).Methods("GET")
	// The dashboard's page and files hold no data: they are served without
	// the sandbox token, and the page asks for it.
	r.PathPrefix("/sandbox/ui/").Handler(http.StripPrefix("/sandbox/ui", ui.Handler())).Methods("GET", "HEAD")
	r.Handle("/sandbox/ui", http.RedirectHandler("/sandbox/ui/", http.StatusFound)).Methods("GET", "HEAD")
	r.NotFoundHandler = s.fallback(http.StatusNotFound)
	r.MethodNotAllowedHandler = s.fallback(http.StatusMethodNotAllowed)
	return r
}

// fallback answers unknown paths and methods: in the sandbox's shape under
// /sandbox, and everywhere else in WeChat Pay's signed error shape, since a
// merchant's client that missed /v3 (a path copied from an older document)
// must get the answer WeChat Pay would give, with a hint at the fix. A 404
// names the nearest real path; a 405 says, in Allow too, which methods the
// path answers.
func (s *Server) fallback(status int) http.Handler {
	code, message := apierr.NotFound, "请求的资源不存在"
	if status == http.StatusMethodNotAllowed {
		code, message = apierr.MethodNotAllowed, "请求方法不被允许"
	}
	api := s.unauthenticated(func(c *call) reply {
		issue := c.r.Method + " " + c.r.URL.Path + " is not an API that mockpay serves"
		if hint := s.apiHint(c.r, status); hint != "" {
			issue += "; " + hint
		}
		return fail(apierr.New(code, message).WithDetail(apierr.Detail{
			Field: "url", Value: c.r.URL.Path, Location: apierr.LocPath, Issue: issue,
		}))
	})
	sb := s.sandbox(func(r *http.Request) reply {
		return fail(apierr.New(code, s.sandboxMiss(r, status)))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", strings.Join(s.allowed(r), ", "))
		}
		if r.URL.Path == "/sandbox" || strings.HasPrefix(r.URL.Path, "/sandbox/") {
			sb.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// v3Hint names the v3 path a request without the /v3 prefix probably
// meant, or returns "".
func (s *Server) v3Hint(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/v3/") {
		return ""
	}
	probe := r.Clone(r.Context())
	probe.URL.Path = "/v3" + r.URL.Path
	probe.URL.RawPath = ""
	var m mux.RouteMatch
	if !s.router.Match(probe, &m) || m.MatchErr != nil {
		return ""
	}
	return "WeChat Pay's API paths start with /v3: " + r.Method + " " + probe.URL.Path
}
