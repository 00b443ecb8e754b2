package mock

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/mockpay/mockpay/internal/suggest"
)

// What the fallback says about a path nobody serves: the methods a path
// answers (for a 405 and its Allow header), and the nearest real path (for
// a 404), so that a typo in a URL is one look away from its fix.

// routeMethods are the methods a route may have, in the order Allow lists
// them.
var routeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowed lists the methods the router serves at r's path.
func (s *Server) allowed(r *http.Request) []string {
	var out []string
	for _, m := range routeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if s.router.Match(probe, &match) && match.MatchErr == nil {
			out = append(out, m)
		}
	}
	return out
}

// apiHint is what a v3 answer of status adds about r: the methods its path
// answers, the /v3 it lacks, or the nearest endpoint; "" when there is
// nothing to say.
func (s *Server) apiHint(r *http.Request, status int) string {
	if status == http.StatusMethodNotAllowed {
		return r.URL.Path + " answers " + strings.Join(s.allowed(r), ", ")
	}
	if hint := s.v3Hint(r); hint != "" {
		return hint
	}
	// Endpoints of the request's method go first, so that of two equally
	// near paths the one that also has the right method wins.
	var names, templates []string
	for _, sameMethod := range []bool{true, false} {
		for _, e := range endpoints {
			if (e.Method == r.Method) != sameMethod {
				continue
			}
			for _, p := range append([]string{e.Path}, e.aliases()...) {
				names, templates = append(names, e.Method+" "+p), append(templates, p)
			}
		}
	}
	if i, ok := suggest.Path(r.URL.Path, templates); ok {
		return "did you mean " + names[i] + "?"
	}
	return ""
}

// sandboxMiss is the message of a sandbox answer of status about r.
func (s *Server) sandboxMiss(r *http.Request, status int) string {
	what := r.Method + " " + r.URL.Path
	if status == http.StatusMethodNotAllowed {
		return what + " is not allowed: " + r.URL.Path + " answers " + strings.Join(s.allowed(r), ", ")
	}
	routes := s.sandboxRoutes()
	// The request's method first, as in apiHint.
	slices.SortStableFunc(routes, func(a, b route) int { return otherMethod(a, r) - otherMethod(b, r) })
	templates := make([]string, len(routes))
	for i, rt := range routes {
		templates[i] = rt.path
	}
	if i, ok := suggest.Path(r.URL.Path, templates); ok {
		return what + " is not a sandbox endpoint; did you mean " + routes[i].method + " " + routes[i].path + "?"
	}
	return what + " is not a sandbox endpoint"
}

// otherMethod is 1 when rt is not for r's method, else 0.
func otherMethod(rt route, r *http.Request) int {
	if rt.method == r.Method {
		return 0
	}
	return 1
}
