package mock_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// A sandbox path nobody serves gets a 404 naming the nearest real one, and
// a path served under other methods a 405 that names them, in Allow too.
func TestSandbox_Misses(t *testing.T) {
	_, ts := mock.NewTestServer(t, mock.Options{})
	tests := []struct {
		method, path string
		status       int
		message      string
		allow        string
	}{
		{"GET", "/sandbox/notification", 404, "GET /sandbox/notification is not a sandbox endpoint; did you mean GET /sandbox/notifications?", ""},
		{"POST", "/sandbox/orders/1230000109/RIDE-1/confirn", 404, "did you mean POST /sandbox/orders/{mchid}/{out_order_no}/confirm?", ""},
		{"POST", "/sandbox/clock/advanse", 404, "did you mean POST /sandbox/clock/advance?", ""},
		{"GET", "/sandbox/nothing-like-it-at-all", 404, "GET /sandbox/nothing-like-it-at-all is not a sandbox endpoint", ""},
		{"DELETE", "/sandbox/clock", 405, "DELETE /sandbox/clock is not allowed: /sandbox/clock answers GET", "GET"},
		{"PUT", "/sandbox/merchants/1230000109", 405, "answers GET, PATCH, DELETE", "GET, PATCH, DELETE"},
		{"GET", "/sandbox/reset", 405, "/sandbox/reset answers POST", "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, nil)
			require.NoError(t, err)
			resp, body := send(t, req)
			require.Equal(t, tt.status, resp.StatusCode, string(body))
			e := decodeError(t, body)
			want := map[int]string{404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}[tt.status]
			assert.Equal(t, want, e.Code)
			assert.Contains(t, e.Message, tt.message)
			if !strings.Contains(tt.message, "did you mean") {
				assert.NotContains(t, e.Message, "did you mean")
			}
			assert.Equal(t, tt.allow, resp.Header.Get("Allow"))
		})
	}
}

// A query parameter the endpoint does not take is refused by name, with
// the ones it takes, after the token check; so is a scenario scope naming
// a merchant that is not registered, which would otherwise wait for calls
// that never come.
func TestSandbox_UnknownQueryParameters(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{SandboxToken: "s3cret"})
	const scenario = "name: slow\ndescription: d\ncallback: {delay: 1m}\n"
	tests := []struct {
		method, uri, token string
		status             int
		field, message     string
	}{
		{"POST", "/sandbox/scenarios?mchd=1230000109", "s3cret", 400, "mchd", "mchd is not a query parameter of POST /sandbox/scenarios (it takes file, mchid, sub_mchid, openid, out_order_no, service_id); did you mean mchid?"},
		{"POST", "/sandbox/scenarios?mchid=1230000190", "s3cret", 400, "mchid", "mchid 1230000190 is not a registered merchant"},
		{"GET", "/sandbox/orders?opnid=o1&mchid=1230000109", "s3cret", 400, "opnid", "did you mean openid?"},
		{"GET", "/sandbox/clock?now=1", "s3cret", 400, "now", "now is not a query parameter of GET /sandbox/clock, which takes none"},
		{"GET", "/sandbox/health?verbose=1", "", 400, "verbose", "which takes none"},
		{"GET", "/sandbox/orders?opnid=o1", "", 401, "", "Bearer"},
		{"GET", "/sandbox/orders?limit=5", "s3cret", 200, "", ""},
		{"POST", "/sandbox/scenarios?mchid=1230000109&file=slow.yaml", "s3cret", 201, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.uri, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, ts.URL+tt.uri, strings.NewReader(scenario))
			require.NoError(t, err)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, body := send(t, req)
			require.Equal(t, tt.status, resp.StatusCode, string(body))
			if tt.status < 400 {
				return
			}
			e := decodeError(t, body)
			assert.Contains(t, e.Message, tt.message)
			if tt.field != "" {
				assert.Equal(t, "PARAM_ERROR", e.Code)
				assert.Equal(t, tt.field, e.Detail["field"])
				assert.Equal(t, "query", e.Detail["location"])
			}
		})
	}
	loaded := srv.Scenarios()
	require.Len(t, loaded, 1, "only the well-scoped scenario loaded")
	assert.Equal(t, "1230000109", loaded[0].Match.MchID)
}

// A value of the wrong JSON type is refused in the API's words (what the
// field needs, what was sent), never with the Go type it decodes into.
func TestSandbox_TypeErrorsInTheAPIsWords(t *testing.T) {
	_, ts := mock.NewTestServer(t, mock.Options{})
	tests := []struct {
		method, path string
		body         string
		field, want  string
	}{
		{"PUT", "/sandbox/users/o1/wallet", `{"balance":"lots"}`, "/balance", "/balance must be an integer, not a string"},
		{"PUT", "/sandbox/users/o1/wallet", `{"balance":2.5}`, "/balance", "/balance must be an integer, not the number 2.5"},
		{"POST", "/sandbox/merchants", `[]`, "", "the body must be an object, not an array"},
		{"POST", "/sandbox/merchants", `{"appids":"wx1"}`, "/appids", "/appids must be an array, not a string"},
		{"POST", "/sandbox/merchants", `{"risk_fund_cap":true}`, "/risk_fund_cap", "/risk_fund_cap must be an integer, not true or false"},
		{"POST", "/sandbox/clock/advance", `"30m"`, "", "the body must be an object, not a string"},
		{"POST", "/sandbox/users/o1/authorize", `{"mchid":1230000109}`, "/mchid", "/mchid must be a string, not a number"},
		{"PATCH", "/sandbox/merchants/1230000109", `{"appids":["wx1",2]}`, "/appids/1", "/appids must be an array of strings; /appids/1 is a number"},
		{"PATCH", "/sandbox/merchants/1230000109", `{"risk_fund_cap":"lots"}`, "/risk_fund_cap", "/risk_fund_cap must be an integer, not a string"},
	}
	goWords := []string{"int64", "Go value", "Go struct", "mock.", "[]string", "unmarshal"}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			resp, body := send(t, req)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
			e := decodeError(t, body)
			assert.Equal(t, "PARAM_ERROR", e.Code)
			assert.Equal(t, tt.want, e.Message)
			if tt.field != "" {
				assert.Equal(t, tt.field, e.Detail["field"])
			}
			for _, w := range goWords {
				assert.NotContains(t, string(body), w)
			}
		})
	}
}
