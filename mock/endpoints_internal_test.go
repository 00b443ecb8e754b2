package mock

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every endpoint is declared whole: a test fails when a declaration lacks
// any part, or when its parts disagree with each other.
func TestEndpoints_Declared(t *testing.T) {
	reName := regexp.MustCompile(`^(partner\.)?[a-z_]+(\.[a-z_]+)?$`)
	seenName, seenRoute := map[string]bool{}, map[string]bool{}
	for _, e := range endpoints {
		t.Run(e.Name, func(t *testing.T) {
			assert.Regexp(t, reName, e.Name, "a scenario name: api.call")
			assert.False(t, seenName[e.Name], "names are unique")
			seenName[e.Name] = true
			assert.Contains(t, []string{"GET", "POST"}, e.Method)
			assert.True(t, strings.HasPrefix(e.Path, "/v3/"), "WeChat Pay's path, with /v3")
			route := e.Method + " " + e.Path
			assert.False(t, seenRoute[route], "one declaration per method and path")
			seenRoute[route] = true
			assert.NotEmpty(t, e.Doc, "a line for docs/endpoints.md")
			require.NotNil(t, e.serve, "a handler")

			// POSTs take a JSON body, GETs none: the request type says which.
			assert.Equal(t, e.Method == "POST", e.request != nil, "request wire type")
			if e.request != nil {
				assert.Equal(t, reflect.Struct, e.request.Kind())
			}
			// 204 exactly when there is no response type.
			assert.Equal(t, e.response == nil, e.status == http.StatusNoContent, "status %d, response %v", e.status, e.response)

			// An endpoint about one order links its calls to the order.
			vars := e.pathVars()
			if slices.Contains(vars, "out_order_no") || (e.request != nil && hasJSONField(e.request, "out_order_no")) || e.Creates {
				assert.Contains(t, []orderLink{serviceOrder, payAfter}, e.Order, "calls on an order show on its timeline")
			}
			if slices.Contains(vars, "out_refund_no") || (e.request != nil && hasJSONField(e.request, "out_refund_no")) {
				assert.Equal(t, refundOrder, e.Order, "refund calls show on the charged order's timeline")
			}
			if strings.HasPrefix(e.Path, "/v3/vehicle/transactions") {
				assert.Equal(t, parkingTx, e.Order, "parking deductions show on their timeline")
				assert.True(t, slices.Contains(vars, "out_trade_no") || hasJSONField(e.request, "out_trade_no"), "a parking deduction is named by out_trade_no")
			}
			if e.request != nil && hasJSONField(e.request, "out_parking_no") {
				assert.Equal(t, parkingEntry, e.Order, "calls on a parking entry name it")
			}
			want := slices.Clone(e.Also)
			for _, p := range append([]string{e.Path}, e.Also...) {
				assert.True(t, strings.HasPrefix(p, "/v3/"), "WeChat Pay's path, with /v3: %s", p)
				if strings.HasPrefix(p, "/v3/payscore/") {
					want = append(want, strings.TrimPrefix(p, "/v3"))
				}
			}
			assert.Equal(t, want, e.aliases(), "Pay Score paths are served without /v3 too")

			// The partner API, and only it, is the service providers', named
			// partner.*; whatever a service provider may call for a
			// sub-merchant takes sub_mchid in its body (or, a GET, its query).
			partner := strings.HasPrefix(e.Path, "/v3/payscore/partner/")
			assert.Equal(t, partner, e.Callers == partners || e.Callers == partnerItself, "callers")
			assert.Equal(t, partner, strings.HasPrefix(e.Name, "partner."), "partner calls are named partner.*")
			if e.request != nil && (e.Callers == partners || e.Callers == bothForSub) {
				assert.True(t, hasJSONField(e.request, "sub_mchid"), "the request names the sub-merchant")
			}
		})
	}
}

func hasJSONField(t reflect.Type, name string) bool {
	_, ok := stringFields(t)[name]
	return ok
}

// The router serves every endpoint on its path and its aliases, and
// nothing else in the v3 space.
func TestEndpoints_Routed(t *testing.T) {
	srv, err := New(Options{})
	require.NoError(t, err)
	defer srv.Close()
	routed := map[string]bool{}
	require.NoError(t, srv.router.Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := r.GetPathTemplate()
		require.NoError(t, err)
		if strings.HasPrefix(path, "/sandbox") || path == "/metrics" {
			return nil
		}
		methods, err := r.GetMethods()
		require.NoError(t, err)
		for _, m := range methods {
			routed[m+" "+path] = true
		}
		return nil
	}))
	want := map[string]bool{}
	for _, e := range endpoints {
		for _, p := range append([]string{e.Path}, e.aliases()...) {
			want[e.Method+" "+p] = true
			// A concrete request on the path reaches this endpoint's handler.
			concrete := strings.NewReplacer("{out_order_no}", "R1", "{openid}", "o1", "{service_id}", "500001",
				"{authorization_code}", "AC1", "{out_refund_no}", "RF1", "{out_apply_no}", "AP1", "{out_trade_no}", "PK1").Replace(p)
			var m mux.RouteMatch
			require.True(t, srv.router.Match(httptest.NewRequest(e.Method, concrete, nil), &m), "%s %s", e.Method, concrete)
			assert.NoError(t, m.MatchErr)
		}
	}
	assert.Equal(t, want, routed)
}

// Scenarios can name every endpoint of the table, and only those.
func TestEndpoints_ScenarioVocabulary(t *testing.T) {
	v := scenarioVocabulary()
	var names, creates []string
	for _, e := range endpoints {
		names = append(names, e.Name)
		if e.Creates {
			creates = append(creates, e.Name)
		}
	}
	assert.Equal(t, names, v.Endpoints)
	assert.Equal(t, creates, v.Creates)
	assert.Equal(t, []string{"serviceorder.create", "serviceorder.direct_complete", "payafter.create", "partner.serviceorder.create", "partner.serviceorder.direct_complete"}, v.Creates)
	for _, name := range names {
		_, err := v.Decode("x.yaml", []byte("name: x\ndescription: d\nmatch: {endpoint: "+name+"}\napi: {status: 500}\n"))
		assert.NoError(t, err, name)
	}
}
