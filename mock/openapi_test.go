package mock_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// The document is served, open like health whatever MOCKPAY_SANDBOX_TOKEN
// says, and is exactly mock/openapi.json.
func TestOpenAPI_Served(t *testing.T) {
	file, err := os.ReadFile("openapi.json")
	require.NoError(t, err)
	var want bytes.Buffer
	require.NoError(t, json.Compact(&want, file))

	tests := []struct {
		name, serverToken, token string
	}{
		{"no token configured", "", ""},
		{"token configured, none sent", "s3cret", ""},
		{"token configured, wrong one sent", "s3cret", "wrong"},
		{"token configured and sent", "s3cret", "s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := mock.NewTestServer(t, mock.Options{SandboxToken: tt.serverToken})
			req, err := http.NewRequest("GET", ts.URL+"/sandbox/openapi.json", nil)
			require.NoError(t, err)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, body := send(t, req)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"), resp.Header.Get("Content-Type"))
			var doc map[string]any
			require.NoError(t, json.Unmarshal(body, &doc))
			assert.Equal(t, "3.1.0", doc["openapi"])
			assert.Equal(t, want.String(), string(body))
		})
	}
}

// fetchDoc reads the document from a running server.
func fetchDoc(t *testing.T, ts string) map[string]any {
	t.Helper()
	resp, err := http.Get(ts + "/sandbox/openapi.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	var doc map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	return doc
}

// object returns m[key] as an object, or nil.
func object(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// resolveRef follows a local reference such as "#/components/schemas/Health".
func resolveRef(doc map[string]any, ref string) map[string]any {
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		cur = object(cur, strings.NewReplacer("~1", "/", "~0", "~").Replace(tok))
	}
	return cur
}

var reVar = regexp.MustCompile(`\{[^}]+\}`)

// With a token configured, every documented operation answers 401 without
// it unless the document says it needs no token, and then it answers.
func TestOpenAPI_SecurityMatchesServer(t *testing.T) {
	_, ts := mock.NewTestServer(t, mock.Options{SandboxToken: "s3cret"})
	doc := fetchDoc(t, ts.URL)
	for path, raw := range object(doc, "paths") {
		for method, op := range raw.(map[string]any) {
			if method == "parameters" {
				continue
			}
			sec, hasSec := op.(map[string]any)["security"].([]any)
			open := hasSec && len(sec) == 0
			t.Run(strings.ToUpper(method)+" "+path, func(t *testing.T) {
				// Without the token nothing runs, so dummy values are safe;
				// the open operations are GETs.
				status, body := sandboxCall(t, ts, strings.ToUpper(method), reVar.ReplaceAllString(path, "x"), "", nil)
				if open {
					assert.Equal(t, http.StatusOK, status, string(body))
				} else {
					assert.Equal(t, http.StatusUnauthorized, status, string(body))
				}
			})
		}
	}
}

// flatten returns s and every schema it is made of through $ref, allOf,
// anyOf and oneOf.
func flatten(doc, s map[string]any) []map[string]any {
	if s == nil {
		return nil
	}
	out := []map[string]any{s}
	if ref, ok := s["$ref"].(string); ok {
		out = append(out, flatten(doc, resolveRef(doc, ref))...)
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		list, _ := s[k].([]any)
		for _, e := range list {
			out = append(out, flatten(doc, e.(map[string]any))...)
		}
	}
	return out
}

// undeclared returns the keys in v, at any depth, that schema s does not
// declare as properties. An object schema without properties is free-form
// (a callback's resource, this document) and declares any key.
func undeclared(doc, s map[string]any, v any, at string) []string {
	parts := flatten(doc, s)
	var out []string
	switch v := v.(type) {
	case map[string]any:
		props := map[string][]any{}
		free := true
		for _, p := range parts {
			if ps := object(p, "properties"); ps != nil {
				free = false
				for k, sub := range ps {
					props[k] = append(props[k], sub)
				}
			}
		}
		if free {
			return nil
		}
		for k, e := range v {
			if subs, ok := props[k]; ok {
				out = append(out, undeclared(doc, map[string]any{"anyOf": subs}, e, at+"/"+k)...)
			} else {
				out = append(out, at+"/"+k)
			}
		}
	case []any:
		var items []any
		for _, p := range parts {
			if it := object(p, "items"); it != nil {
				items = append(items, it)
			}
		}
		for i, e := range v {
			out = append(out, undeclared(doc, map[string]any{"anyOf": items}, e, fmt.Sprintf("%s/%d", at, i))...)
		}
	}
	return out
}

// Real answers of a server with merchants, users, orders of both kinds,
// callbacks and scenarios use only the fields the document declares for
// that operation and status, and only statuses it documents.
func TestOpenAPI_RealResponsesMatchDocument(t *testing.T) {
	f := newPayAfterFixture(t)
	const openid = "oOpenAPI"
	f.authorize(openid)
	f.paidServiceOrder("RIDE-PAID", openid, 1200)
	f.mustCreate("RIDE-NEW", true, "")
	status, e := f.v3("POST", "/v3/payscore/payafter-orders", f.payAfterBody("TRIP-NEW", true, ""), nil)
	require.Equal(t, http.StatusOK, status, "%+v", e)
	f.settle()
	doc := fetchDoc(t, f.ts.URL)
	mchid := f.m.MchID

	tests := []struct {
		method, path, url string
		body              any
		status            int
	}{
		{"GET", "/sandbox/health", "/sandbox/health", nil, 200},
		{"GET", "/sandbox/platform", "/sandbox/platform", nil, 200},
		{"POST", "/sandbox/merchants", "/sandbox/merchants", map[string]any{}, 201},
		{"POST", "/sandbox/merchants", "/sandbox/merchants", map[string]any{"mchid": mchid}, 409},
		{"GET", "/sandbox/merchants", "/sandbox/merchants", nil, 200},
		{"GET", "/sandbox/merchants/{mchid}", "/sandbox/merchants/" + mchid, nil, 200},
		{"GET", "/sandbox/merchants/{mchid}", "/sandbox/merchants/1", nil, 404},
		{"PATCH", "/sandbox/merchants/{mchid}", "/sandbox/merchants/" + mchid, map[string]any{"platform_mode": "public_key", "notify_url": f.rc.url()}, 200},
		{"PATCH", "/sandbox/merchants/{mchid}", "/sandbox/merchants/" + mchid, map[string]any{"platform_mode": "certificate", "notify_url": nil}, 200},
		{"PATCH", "/sandbox/merchants/{mchid}", "/sandbox/merchants/" + mchid, map[string]any{"notify_url": f.rc.url()}, 200},
		{"PATCH", "/sandbox/merchants/{mchid}", "/sandbox/merchants/" + mchid, map[string]any{"apiv3_key": strings.Repeat("k", 32)}, 400},
		{"PATCH", "/sandbox/merchants/{mchid}", "/sandbox/merchants/1", map[string]any{"platform_mode": "public_key"}, 404},
		{"POST", "/sandbox/merchants", "/sandbox/merchants", map[string]any{"notify_url": strings.Repeat("x", 1<<20)}, 400},
		{"GET", "/sandbox/requests", "/sandbox/requests?limit=5", nil, 200},
		{"GET", "/sandbox/requests", "/sandbox/requests?limit=-1", nil, 400},
		{"POST", "/sandbox/orders/{mchid}/{out_order_no}/confirm", "/sandbox/orders/" + mchid + "/RIDE-NEW/confirm", map[string]any{"openid": openid}, 200},
		{"POST", "/sandbox/orders/{mchid}/{out_order_no}/confirm", "/sandbox/orders/" + mchid + "/TRIP-NEW/confirm", nil, 200},
		{"POST", "/sandbox/orders/{mchid}/{out_order_no}/pay", "/sandbox/orders/" + mchid + "/RIDE-PAID/pay", nil, 409},
		{"GET", "/sandbox/orders", "/sandbox/orders?mchid=" + mchid, nil, 200},
		{"GET", "/sandbox/orders/{mchid}/{out_order_no}", "/sandbox/orders/" + mchid + "/RIDE-PAID", nil, 200},
		{"GET", "/sandbox/orders/{mchid}/{out_order_no}", "/sandbox/orders/" + mchid + "/TRIP-NEW", nil, 200},
		{"PUT", "/sandbox/users/{openid}/wallet", "/sandbox/users/" + openid + "/wallet", map[string]any{"balance": 500, "refund_outcome": "ABNORMAL"}, 200},
		{"PUT", "/sandbox/users/{openid}/wallet", "/sandbox/users/" + openid + "/wallet", map[string]any{"balance": "lots"}, 400},
		{"GET", "/sandbox/users/{openid}", "/sandbox/users/" + openid, nil, 200},
		{"POST", "/sandbox/users/{openid}/revoke", "/sandbox/users/oNobody/revoke", map[string]any{"mchid": mchid}, 404},
		{"POST", "/sandbox/users/{openid}/revoke", "/sandbox/users/" + openid + "/revoke", map[string]any{"mchid": mchid}, 200},
		{"POST", "/sandbox/users/{openid}/revoke", "/sandbox/users/" + openid + "/revoke", map[string]any{"mchid": mchid}, 409},
		{"POST", "/sandbox/clock/advance", "/sandbox/clock/advance", map[string]any{"duration": "1h"}, 200},
		{"POST", "/sandbox/clock/advance", "/sandbox/clock/advance", map[string]any{}, 400},
		{"GET", "/sandbox/clock", "/sandbox/clock", nil, 200},
		{"GET", "/sandbox/notifications", "/sandbox/notifications?mchid=" + mchid, nil, 200},
		{"GET", "/sandbox/orders", "/sandbox/orders?mchd=" + mchid, nil, 400},
		{"POST", "/sandbox/scenarios", "/sandbox/scenarios?mchid=1", map[string]any{
			"name": "nobody", "description": "Scoped to no merchant.", "callback": map[string]any{"delay": "1m"},
		}, 400},
		{"POST", "/sandbox/scenarios", "/sandbox/scenarios?mchid=" + mchid + "&file=slow.json", map[string]any{
			"name": "slow-callbacks", "description": "Callbacks wait a minute.", "callback": map[string]any{"delay": "1m"},
		}, 201},
		{"POST", "/sandbox/scenarios", "/sandbox/scenarios", map[string]any{"name": "no-effect", "description": "Nothing."}, 400},
		{"GET", "/sandbox/scenarios", "/sandbox/scenarios", nil, 200},
		{"DELETE", "/sandbox/scenarios/{id}", "/sandbox/scenarios/sc-1", nil, 204},
		{"DELETE", "/sandbox/scenarios/{id}", "/sandbox/scenarios/sc-1", nil, 404},
		{"GET", "/sandbox/nothing", "/sandbox/nothing", nil, 404},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %d", tt.method, tt.url, tt.status), func(t *testing.T) {
			status, body := sandboxCall(t, f.ts, tt.method, tt.url, "", tt.body)
			require.Equal(t, tt.status, status, string(body))
			var schema map[string]any
			if op := object(object(object(doc, "paths"), tt.path), strings.ToLower(tt.method)); op != nil {
				r := object(object(op, "responses"), strconv.Itoa(status))
				require.NotNil(t, r, "status %d is not documented", status)
				if ref, ok := r["$ref"].(string); ok {
					r = resolveRef(doc, ref)
				}
				schema = object(object(object(r, "content"), "application/json"), "schema")
			} else {
				// Unknown paths answer in the sandbox's error shape.
				schema = map[string]any{"$ref": "#/components/schemas/Error"}
			}
			if schema == nil {
				assert.Empty(t, body, "the document promises no body")
				return
			}
			var v any
			require.NoError(t, json.Unmarshal(body, &v))
			assert.Empty(t, undeclared(doc, schema, v, ""), "fields the document does not declare in %s", body)
		})
	}
}
