package mock

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/mockpay/mockpay/mock/apierr"
)

// route is one entry of the route table.
type route struct {
	method, path string
	handler      http.Handler
}

// apiRoutes are the v3 API, in the order of protocol.md.
func (s *Server) apiRoutes() []route {
	return []route{
		{"GET", "/v3/certificates", s.api(s.getCertificates)},
	}
}

// sandboxRoutes are the control API of architecture.md.
func (s *Server) sandboxRoutes() []route {
	return []route{
		{"GET", "/sandbox/health", s.sandbox(s.sbHealth)},
		{"GET", "/sandbox/platform", s.sandbox(s.sbPlatform)},
		{"POST", "/sandbox/merchants", s.sandbox(s.sbCreateMerchant)},
		{"GET", "/sandbox/merchants", s.sandbox(s.sbListMerchants)},
		{"GET", "/sandbox/merchants/{mchid}", s.sandbox(s.sbGetMerchant)},
		{"DELETE", "/sandbox/merchants/{mchid}", s.sandbox(s.sbDeleteMerchant)},
		{"GET", "/sandbox/requests", s.sandbox(s.sbRequests)},
		{"GET", "/sandbox/clock", s.sandbox(s.sbClock)},
		{"POST", "/sandbox/clock/advance", s.sandbox(s.sbAdvance)},
		{"POST", "/sandbox/reset", s.sandbox(s.sbReset)},
	}
}

func (s *Server) routes() *mux.Router {
	// Match on the escaped path: an out_order_no may hold "|" or "*", sent
	// percent-encoded; pathVars unescapes the variables in one place.
	r := mux.NewRouter().UseEncodedPath()
	for _, rt := range append(s.apiRoutes(), s.sandboxRoutes()...) {
		r.Handle(rt.path, rt.handler).Methods(rt.method)
	}
	r.NotFoundHandler = s.fallback(http.StatusNotFound)
	r.MethodNotAllowedHandler = s.fallback(http.StatusMethodNotAllowed)
	return r
}

// fallback answers unknown paths and methods: in WeChat Pay's signed error
// shape under /v3, in the sandbox's shape elsewhere.
func (s *Server) fallback(status int) http.Handler {
	code, message := apierr.NotFound, "请求的资源不存在"
	if status == http.StatusMethodNotAllowed {
		code, message = apierr.MethodNotAllowed, "请求方法不被允许"
	}
	api := s.unauthenticated(func(c *call) reply {
		return fail(apierr.New(code, message).WithDetail(apierr.Detail{
			Field: "url", Value: c.r.URL.Path, Location: apierr.LocPath,
			Issue: c.r.Method + " " + c.r.URL.Path + " is not an API that mockpay serves",
		}))
	})
	sb := s.sandbox(func(r *http.Request) reply {
		return fail(apierr.Newf(code, "%s %s is not a sandbox endpoint", r.Method, r.URL.Path))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v3/") {
			api.ServeHTTP(w, r)
			return
		}
		sb.ServeHTTP(w, r)
	})
}
