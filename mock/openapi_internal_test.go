package mock

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/parking"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/scenario"
)

// openapi.json is written by hand. These tests hold it to the route table,
// to itself, to checkToken's open paths and to the Go types whose JSON it
// describes, so that it cannot drift silently.

// methods are the operation keys of an OpenAPI path item.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// apiDoc is the decoded document with the lookups the tests need.
type apiDoc map[string]any

func loadAPIDoc(t *testing.T) apiDoc {
	t.Helper()
	var doc apiDoc
	require.NoError(t, json.Unmarshal(openAPIDocument, &doc), "openapi.json is not valid JSON")
	return doc
}

// obj returns m[key] as an object, or nil.
func obj(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// resolve follows a local reference ("#/components/schemas/Health") as a
// JSON Pointer; it returns nil when nothing is there.
func (d apiDoc) resolve(ref string) map[string]any {
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	cur := map[string]any(d)
	for _, tok := range strings.Split(ptr, "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		if cur = obj(cur, tok); cur == nil {
			return nil
		}
	}
	return cur
}

// deref returns what m refers to when it is a reference, else m.
func (d apiDoc) deref(m map[string]any) map[string]any {
	if ref, ok := m["$ref"].(string); ok {
		return d.resolve(ref)
	}
	return m
}

// operation is one method of one path of the document.
type operation struct {
	method, path string
	item, op     map[string]any
}

func (o operation) String() string { return strings.ToUpper(o.method) + " " + o.path }

func (d apiDoc) operations() []operation {
	var ops []operation
	for path, raw := range obj(d, "paths") {
		item := raw.(map[string]any)
		for _, m := range methods {
			if op := obj(item, m); op != nil {
				ops = append(ops, operation{method: m, path: path, item: item, op: op})
			}
		}
	}
	slices.SortFunc(ops, func(a, b operation) int { return strings.Compare(a.String(), b.String()) })
	return ops
}

// pathParams are the names of the path parameters an operation declares,
// on its path item or itself.
func (d apiDoc) pathParams(o operation) []string {
	var names []string
	for _, src := range []map[string]any{o.item, o.op} {
		list, _ := src["parameters"].([]any)
		for _, raw := range list {
			p := d.deref(raw.(map[string]any))
			if p["in"] == "path" && !slices.Contains(names, p["name"].(string)) {
				names = append(names, p["name"].(string))
			}
		}
	}
	slices.Sort(names)
	return names
}

var reTemplateVar = regexp.MustCompile(`\{([^}]+)\}`)

func templateVars(path string) []string {
	var names []string
	for _, m := range reTemplateVar.FindAllStringSubmatch(path, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return names
}

func TestOpenAPI_Document(t *testing.T) {
	doc := loadAPIDoc(t)
	assert.Equal(t, "3.1.0", doc["openapi"])
	info := obj(doc, "info")
	assert.NotEmpty(t, info["title"])
	assert.Equal(t, Version, info["version"], "the document's version is mockpay's")
	assert.NotEmpty(t, obj(obj(doc, "components"), "schemas"))
	assert.NotEmpty(t, obj(obj(doc, "components"), "securitySchemes"))

	// One format, so that edits show up as small diffs: two-space indent,
	// as json.Indent writes it, and a final newline.
	var compact, indented bytes.Buffer
	require.NoError(t, json.Compact(&compact, openAPIDocument))
	require.NoError(t, json.Indent(&indented, compact.Bytes(), "", "  "))
	indented.WriteByte('\n')
	assert.Equal(t, indented.String(), string(openAPIDocument), "openapi.json is not formatted as json.Indent with two spaces would")

	ids := map[string]string{}
	for _, o := range doc.operations() {
		t.Run(o.String(), func(t *testing.T) {
			id, _ := o.op["operationId"].(string)
			require.NotEmpty(t, id)
			assert.Empty(t, ids[id], "operationId %s is also used by %s", id, ids[id])
			ids[id] = o.String()
			assert.NotEmpty(t, o.op["summary"])
			ok := false
			for status := range obj(o.op, "responses") {
				ok = ok || strings.HasPrefix(status, "2")
			}
			assert.True(t, ok, "no success response")
		})
	}
	for name, raw := range obj(obj(doc, "components"), "schemas") {
		s := raw.(map[string]any)
		req, _ := s["required"].([]any)
		for _, r := range req {
			assert.Contains(t, obj(s, "properties"), r, "schema %s requires a property it does not define", name)
		}
	}
}

// The document lists exactly the routes the router serves: every sandbox
// route is documented with its method, and every documented operation is
// routed to the handler registered under the same template.
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	srv, err := New(Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	doc := loadAPIDoc(t)

	var routed, documented []string
	for _, rt := range srv.sandboxRoutes() {
		routed = append(routed, rt.method+" "+rt.path)
	}
	ops := doc.operations()
	for _, o := range ops {
		documented = append(documented, o.String())
	}
	assert.ElementsMatch(t, routed, documented, "sandboxRoutes and openapi.json's paths differ")

	for _, o := range ops {
		t.Run(o.String(), func(t *testing.T) {
			// gorilla/mux and OpenAPI write a variable as {name} alike, so
			// filling the template in gives a request the route must match.
			url := reTemplateVar.ReplaceAllString(o.path, "v1")
			var m mux.RouteMatch
			require.True(t, srv.router.Match(httptest.NewRequest(strings.ToUpper(o.method), url, nil), &m))
			require.NoError(t, m.MatchErr, "the router does not serve it")
			tmpl, err := m.Route.GetPathTemplate()
			require.NoError(t, err)
			assert.Equal(t, o.path, tmpl)
		})
	}
}

// The query parameters sandboxQuery lets through are the ones the document
// declares, route by route. Paging (limit, after) may be let through on a
// listing before the document declares it there.
func TestOpenAPI_QueryParameters(t *testing.T) {
	srv, err := New(Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	routed := map[string]bool{}
	for _, rt := range srv.sandboxRoutes() {
		routed[rt.method+" "+rt.path] = true
	}
	for endpoint := range sandboxQuery {
		assert.True(t, routed[endpoint], "sandboxQuery names %s, which is not a sandbox route", endpoint)
	}
	doc := loadAPIDoc(t)
	for _, o := range doc.operations() {
		t.Run(o.String(), func(t *testing.T) {
			var documented []string
			for _, src := range []map[string]any{o.item, o.op} {
				list, _ := src["parameters"].([]any)
				for _, raw := range list {
					if p := doc.deref(raw.(map[string]any)); p["in"] == "query" {
						documented = append(documented, p["name"].(string))
					}
				}
			}
			declared := sandboxQuery[o.String()]
			for _, name := range documented {
				assert.Contains(t, declared, name, "documented, but refused: add it to sandboxQuery")
			}
			for _, name := range declared {
				if name == "limit" || name == "after" {
					continue
				}
				assert.Contains(t, documented, name, "let through, but not documented in openapi.json")
			}
		})
	}
}

// Every variable of a path template is declared as a required path
// parameter of each of its operations, and nothing more is.
func TestOpenAPI_PathParameters(t *testing.T) {
	doc := loadAPIDoc(t)
	for _, o := range doc.operations() {
		t.Run(o.String(), func(t *testing.T) {
			assert.Equal(t, templateVars(o.path), doc.pathParams(o))
			for _, src := range []map[string]any{o.item, o.op} {
				list, _ := src["parameters"].([]any)
				for _, raw := range list {
					p := doc.deref(raw.(map[string]any))
					require.NotNil(t, p, "unresolved parameter %v", raw)
					assert.NotNil(t, p["schema"], "parameter %s has no schema", p["name"])
					if p["in"] == "path" {
						assert.Equal(t, true, p["required"], "path parameter %s must be required", p["name"])
					}
				}
			}
		})
	}
}

// Every $ref resolves, every component is used, and every security
// requirement names a defined scheme.
func TestOpenAPI_References(t *testing.T) {
	doc := loadAPIDoc(t)
	used := map[string]bool{}
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				assert.NotNil(t, doc.resolve(ref), "%s: $ref %q does not resolve", at, ref)
				used[ref] = true
			}
			for k, e := range v {
				walk(at+"/"+k, e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s/%d", at, i), e)
			}
		}
	}
	walk("#", map[string]any(doc))

	components := obj(doc, "components")
	for _, kind := range []string{"schemas", "parameters", "responses"} {
		for name := range obj(components, kind) {
			ref := "#/components/" + kind + "/" + name
			assert.True(t, used[ref], "%s is never used", ref)
		}
	}

	schemes := obj(components, "securitySchemes")
	requirements := []any{doc["security"]}
	for _, o := range doc.operations() {
		if sec, ok := o.op["security"]; ok {
			requirements = append(requirements, sec)
		}
	}
	for _, list := range requirements {
		for _, req := range list.([]any) {
			for name := range req.(map[string]any) {
				assert.Contains(t, schemes, name)
			}
		}
	}
}

// The operations the document marks as needing no token (security: []) are
// exactly checkToken's open paths.
func TestOpenAPI_OpenPathsMatchCheckToken(t *testing.T) {
	doc := loadAPIDoc(t)
	require.NotEmpty(t, doc["security"], "the sandbox token is the default requirement")
	var open []string
	for _, o := range doc.operations() {
		if sec, ok := o.op["security"].([]any); ok && len(sec) == 0 {
			open = append(open, o.path)
		}
	}
	var want []string
	for p := range openPaths {
		want = append(want, p)
	}
	assert.ElementsMatch(t, want, open)
}

// jsonField is a field as encoding/json writes it.
type jsonField struct {
	typ reflect.Type
	// omitempty: the field is left out when empty (omitempty) or zero
	// (omitzero), so it is not always there.
	omitempty bool
}

// jsonFields lists the fields encoding/json writes for struct type t.
func jsonFields(t reflect.Type) map[string]jsonField {
	out := map[string]jsonField{}
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		o := strings.Split(opts, ",")
		out[name] = jsonField{typ: f.Type, omitempty: slices.Contains(o, "omitempty") || slices.Contains(o, "omitzero")}
	}
	return out
}

// jsonType is the JSON type encoding/json writes for t, or "" when any may
// come out (an interface, raw JSON, a custom marshaller).
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[json.RawMessage]():
		return ""
	case t == reflect.TypeFor[time.Time](), t.Implements(reflect.TypeFor[encoding.TextMarshaler]()):
		return "string"
	case t.Implements(reflect.TypeFor[json.Marshaler]()):
		return ""
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return ""
}

// schemaTypes are the JSON types a schema allows ("type" is a string or,
// in OpenAPI 3.1, a list).
func schemaTypes(s map[string]any) []string {
	switch v := s["type"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

// checkType asserts that schema s allows the JSON type of Go type t, and
// for slices the type of their elements.
func (d apiDoc) checkType(t *testing.T, at string, goType reflect.Type, s map[string]any) {
	s = d.deref(s)
	want := jsonType(goType)
	if want == "" {
		return
	}
	assert.Contains(t, schemaTypes(s), want, "%s: %s is written as a JSON %s", at, goType, want)
	if want == "array" && goType.Kind() == reflect.Slice {
		if items := obj(s, "items"); items != nil {
			d.checkType(t, at+"[]", goType.Elem(), items)
		}
	}
}

// Every component schema has exactly the properties of the Go type whose
// JSON it describes, with matching JSON types; for what the sandbox
// answers with, every field the type always writes is required.
func TestOpenAPI_SchemasMatchGoTypes(t *testing.T) {
	doc := loadAPIDoc(t)
	tests := []struct {
		schema string
		typ    reflect.Type
		// response: the sandbox writes it, so a field without omitempty is
		// always there and must be required.
		response bool
		// absent are fields of the Go type that the sandbox never writes.
		absent []string
	}{
		{"Error", reflect.TypeFor[apierr.Error](), true, nil},
		// A nested detail and sign_information come only with the v3
		// API's SIGN_ERROR.
		{"ErrorDetail", reflect.TypeFor[apierr.Detail](), true, []string{"detail", "sign_information"}},
		{"Health", reflect.TypeFor[Health](), true, nil},
		{"PlatformInfo", reflect.TypeFor[PlatformInfo](), true, nil},
		{"MerchantSpec", reflect.TypeFor[MerchantSpec](), false, nil},
		{"MerchantPatch", reflect.TypeFor[MerchantPatch](), false, nil},
		{"Merchant", reflect.TypeFor[Merchant](), true, nil},
		{"SubMerchant", reflect.TypeFor[SubMerchant](), false, nil},
		{"RequestRecord", reflect.TypeFor[RequestRecord](), true, nil},
		{"ClockState", reflect.TypeFor[ClockState](), true, nil},
		{"ClockEvent", reflect.TypeFor[ClockEvent](), true, nil},
		{"AdvanceRequest", reflect.TypeFor[advanceRequest](), false, nil},
		{"AuthorizeRequest", reflect.TypeFor[AuthorizeRequest](), false, nil},
		{"RevokeRequest", reflect.TypeFor[RevokeRequest](), false, nil},
		{"Permission", reflect.TypeFor[wire.Permission](), true, nil},
		{"Wallet", reflect.TypeFor[Wallet](), true, nil},
		{"User", reflect.TypeFor[User](), true, nil},
		{"ConfirmRequest", reflect.TypeFor[ConfirmRequest](), false, nil},
		{"SandboxOrderFields", reflect.TypeFor[SandboxOrder](), true, nil},
		{"TimelineEntry", reflect.TypeFor[TimelineEntry](), true, nil},
		// package comes only with create's answer, never with the query's.
		{"ServiceOrderView", reflect.TypeFor[wire.Order](), true, []string{"package"}},
		{"Payment", reflect.TypeFor[wire.Payment](), true, nil},
		{"Discount", reflect.TypeFor[wire.Discount](), true, nil},
		{"RiskFund", reflect.TypeFor[wire.RiskFund](), true, nil},
		{"TimeRange", reflect.TypeFor[wire.TimeRange](), true, nil},
		{"Location", reflect.TypeFor[wire.Location](), true, nil},
		{"Collection", reflect.TypeFor[wire.Collection](), true, nil},
		{"CollectionDetail", reflect.TypeFor[wire.CollectionDetail](), true, nil},
		// out_request_no comes only with callbacks.
		{"PayAfterOrderView", reflect.TypeFor[wire.PayAfterOrder](), true, []string{"out_request_no"}},
		{"Fee", reflect.TypeFor[wire.Fee](), true, nil},
		{"PayAfterDiscount", reflect.TypeFor[wire.PayAfterDiscount](), true, nil},
		{"NotificationRecord", reflect.TypeFor[NotificationRecord](), true, nil},
		{"AttemptRecord", reflect.TypeFor[AttemptRecord](), true, nil},
		{"ScenarioInfo", reflect.TypeFor[scenario.Info](), true, nil},
		{"ScenarioMatch", reflect.TypeFor[scenario.Match](), true, nil},
		{"OrderEvent", reflect.TypeFor[OrderEvent](), true, nil},
		{"NotificationEvent", reflect.TypeFor[NotificationEvent](), true, nil},
		{"RequestEvent", reflect.TypeFor[RequestEvent](), true, nil},
		{"ClockChangeEvent", reflect.TypeFor[ClockChangeEvent](), true, nil},
		{"ScenarioEvent", reflect.TypeFor[ScenarioEvent](), true, nil},
		{"PlateRequest", reflect.TypeFor[PlateRequest](), false, nil},
		{"Plate", reflect.TypeFor[Plate](), true, nil},
		{"ParkingEntry", reflect.TypeFor[ParkingEntry](), true, nil},
		{"ParkingTransactionView", reflect.TypeFor[parking.Transaction](), true, nil},
		{"ParkingInfo", reflect.TypeFor[parking.ParkingInfo](), true, nil},
		{"ParkingPayer", reflect.TypeFor[parking.Payer](), true, nil},
		{"ParkingAmount", reflect.TypeFor[parking.Amount](), true, nil},
	}
	schemas := obj(obj(doc, "components"), "schemas")
	// SandboxOrder is made of SandboxOrderFields and the two views, each
	// checked on its own.
	covered := []string{"SandboxOrder"}
	for _, tt := range tests {
		covered = append(covered, tt.schema)
		t.Run(tt.schema, func(t *testing.T) {
			s := obj(schemas, tt.schema)
			require.NotNil(t, s, "no schema %s", tt.schema)
			assert.Equal(t, "object", s["type"])
			props := obj(s, "properties")
			fields := jsonFields(tt.typ)
			for _, name := range tt.absent {
				require.Contains(t, fields, name, "absent names a field %s does not have", tt.typ)
				delete(fields, name)
			}
			var want, got []string
			for name := range fields {
				want = append(want, name)
			}
			for name := range props {
				got = append(got, name)
			}
			assert.ElementsMatch(t, want, got, "the JSON fields of %s and the properties of %s differ", tt.typ, tt.schema)

			required, _ := s["required"].([]any)
			for name, f := range fields {
				if p := obj(props, name); p != nil {
					doc.checkType(t, tt.schema+"."+name, f.typ, p)
				}
				if tt.response && !f.omitempty {
					assert.Contains(t, required, name, "%s always writes %s", tt.typ, name)
				}
			}
		})
	}
	for name := range schemas {
		assert.Contains(t, covered, name, "schema %s is checked against no Go type", name)
	}
}
