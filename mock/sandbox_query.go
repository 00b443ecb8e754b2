package mock

import (
	"net/http"
	"slices"
	"strings"

	"github.com/mockpay/mockpay/internal/suggest"
	"github.com/mockpay/mockpay/mock/internal/apierr"
)

// knownQuery serves rt when its query has only the parameters sandboxQuery
// gives the route, and otherwise refuses the first unknown one by name
// (after the token check, which comes first on every sandbox path).
func (s *Server) knownQuery(rt route) http.Handler {
	endpoint := rt.method + " " + rt.path
	takes := sandboxQuery[endpoint]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var unknown []string
		for name := range r.URL.Query() {
			if !slices.Contains(takes, name) {
				unknown = append(unknown, name)
			}
		}
		if len(unknown) == 0 {
			rt.handler.ServeHTTP(w, r)
			return
		}
		slices.Sort(unknown)
		s.sandbox(func(*http.Request) reply {
			return fail(unknownQuery(endpoint, unknown[0], takes))
		}).ServeHTTP(w, r)
	})
}

// unknownQuery refuses a query parameter the endpoint does not take,
// naming those it does and the one probably meant.
func unknownQuery(endpoint, name string, takes []string) error {
	msg := name + " is not a query parameter of " + endpoint
	if len(takes) == 0 {
		msg += ", which takes none"
	} else {
		msg += " (it takes " + strings.Join(takes, ", ") + ")"
	}
	if near, ok := suggest.Name(name, takes); ok {
		msg += "; did you mean " + near + "?"
	}
	return apierr.Param(apierr.LocQuery, name, msg, "unknown query parameter: check its spelling", nil)
}
