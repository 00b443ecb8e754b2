package mock_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

// TestSandbox_UserSide drives a whole order through the sandbox's HTTP
// endpoints, as QA does with curl.
func TestSandbox_UserSide(t *testing.T) {
	f := newFixture(t)
	const openid = "oHTTP"
	status, body := sandboxCall(t, f.ts, "POST", "/sandbox/users/"+openid+"/authorize", "", map[string]any{"mchid": f.me.mchid})
	require.Equal(t, http.StatusOK, status, string(body))
	var perm map[string]any
	require.NoError(t, json.Unmarshal(body, &perm))
	assert.Equal(t, "AVAILABLE", perm["authorization_state"])
	assert.Equal(t, f.serviceID(), perm["service_id"], "the merchant's first service by default")

	status, body = sandboxCall(t, f.ts, "PUT", "/sandbox/users/"+openid+"/wallet", "", map[string]any{"balance": 500})
	require.Equal(t, http.StatusOK, status, string(body))
	var u mock.User
	require.NoError(t, json.Unmarshal(body, &u))
	assert.Equal(t, int64(500), *u.Wallet.Balance)
	require.Len(t, u.Authorizations, 1)

	status, _ = sandboxCall(t, f.ts, "PUT", "/sandbox/users/"+openid+"/wallet", "", map[string]any{"balance": -1})
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = sandboxCall(t, f.ts, "PUT", "/sandbox/users/"+openid+"/wallet", "", map[string]any{"balance": "lots"})
	assert.Equal(t, http.StatusBadRequest, status)

	f.mustCreate("HTTP-1", true, "")
	status, body = sandboxCall(t, f.ts, "POST", "/sandbox/orders/"+f.me.mchid+"/HTTP-1/confirm", "", map[string]any{"openid": openid})
	require.Equal(t, http.StatusOK, status, string(body))
	var so mock.SandboxOrder
	require.NoError(t, json.Unmarshal(body, &so))
	assert.Equal(t, "DOING", so.State)
	assert.Equal(t, openid, so.OpenID)
	assert.NotEmpty(t, so.QueryID)

	status, body = sandboxCall(t, f.ts, "POST", "/sandbox/orders/"+f.me.mchid+"/HTTP-1/confirm", "", nil)
	assert.Equal(t, http.StatusConflict, status, "only a CREATED order can be confirmed: %s", body)
	status, _ = sandboxCall(t, f.ts, "POST", "/sandbox/orders/"+f.me.mchid+"/NOPE/confirm", "", nil)
	assert.Equal(t, http.StatusNotFound, status)

	f.advance(time.Minute)
	f.mustComplete("HTTP-1", 800)
	f.advance(time.Minute)
	assert.Equal(t, "DOING/MCH_COMPLETE", f.stageOf("HTTP-1"), "800 is more than the wallet's 500")
	status, body = sandboxCall(t, f.ts, "POST", "/sandbox/orders/"+f.me.mchid+"/HTTP-1/pay", "", nil)
	require.Equal(t, http.StatusOK, status, string(body))
	f.settle()
	assert.Equal(t, "DONE", f.stageOf("HTTP-1"))

	status, body = sandboxCall(t, f.ts, "GET", "/sandbox/orders?"+url.Values{"mchid": {f.me.mchid}, "state": {"DONE"}}.Encode(), "", nil)
	require.Equal(t, http.StatusOK, status)
	var list []mock.SandboxOrder
	require.NoError(t, json.Unmarshal(body, &list))
	require.Len(t, list, 1)
	assert.Equal(t, "HTTP-1", list[0].OutOrderNo)
	assert.Equal(t, "serviceorder", list[0].Kind)
	status, body = sandboxCall(t, f.ts, "GET", "/sandbox/orders?openid=nobody", "", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, "[]", string(body))

	status, body = sandboxCall(t, f.ts, "GET", "/sandbox/orders/"+f.me.mchid+"/HTTP-1", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal(body, &so))
	var types []string
	for _, e := range so.Timeline {
		if e.Type == "api" && e.Summary[:4] == "GET " {
			continue // the test's own queries are on the timeline too
		}
		types = append(types, e.Type)
	}
	assert.Equal(t, []string{
		"api", "state", // created
		"state", "notification", "callback", // confirmed, USER_CONFIRM delivered
		"api", "state", // completed
		"deduction",                                      // failed: wallet
		"deduction", "state", "notification", "callback", // the user paid, USER_PAID delivered
	}, types)

	status, body = sandboxCall(t, f.ts, "GET", "/sandbox/notifications?"+url.Values{"out_order_no": {"HTTP-1"}, "event_type": {"PAYSCORE.USER_PAID"}}.Encode(), "", nil)
	require.Equal(t, http.StatusOK, status)
	var ns []mock.NotificationRecord
	require.NoError(t, json.Unmarshal(body, &ns))
	require.Len(t, ns, 1)
	assert.Equal(t, "delivered", ns[0].State)
	require.Len(t, ns[0].Attempts, 1)
	assert.Equal(t, http.StatusNoContent, ns[0].Attempts[0].Status)

	status, body = sandboxCall(t, f.ts, "POST", "/sandbox/notifications/"+ns[0].ID+"/redeliver", "", nil)
	require.Equal(t, http.StatusOK, status, string(body))
	var again mock.NotificationRecord
	require.NoError(t, json.Unmarshal(body, &again))
	assert.Len(t, again.Attempts, 2)
	assert.Equal(t, "redelivery", again.Attempts[1].Kind)
	assert.Equal(t, []string{"PAYSCORE.USER_CONFIRM", "PAYSCORE.USER_PAID", "PAYSCORE.USER_PAID"}, f.rc.events(), "a redelivery is a duplicate the merchant must handle")
	status, _ = sandboxCall(t, f.ts, "POST", "/sandbox/notifications/nope/redeliver", "", nil)
	assert.Equal(t, http.StatusNotFound, status)

	status, body = sandboxCall(t, f.ts, "POST", "/sandbox/users/"+openid+"/revoke", "", map[string]any{"mchid": f.me.mchid})
	require.Equal(t, http.StatusOK, status, string(body))
	status, _ = sandboxCall(t, f.ts, "POST", "/sandbox/users/"+openid+"/revoke", "", map[string]any{"mchid": f.me.mchid})
	assert.Equal(t, http.StatusConflict, status, "nothing left to revoke")
	status, _ = sandboxCall(t, f.ts, "POST", "/sandbox/users/"+openid+"/authorize", "", map[string]any{})
	assert.Equal(t, http.StatusBadRequest, status, "mchid is required")
	status, _ = sandboxCall(t, f.ts, "POST", "/sandbox/users/"+openid+"/authorize", "", map[string]any{"mchid": "1"})
	assert.Equal(t, http.StatusNotFound, status)

	status, _ = sandboxCall(t, f.ts, "POST", "/sandbox/reset", "", nil)
	require.Equal(t, http.StatusNoContent, status)
	orders, err := f.srv.Orders(mock.OrderFilter{})
	require.NoError(t, err)
	assert.Empty(t, orders)
	ns2, err := f.srv.Notifications(mock.NotificationFilter{})
	require.NoError(t, err)
	assert.Empty(t, ns2)
}

// TestPermissions walks the authorization state machine (protocol.md §3.7)
// through each terminate endpoint.
func TestPermissions(t *testing.T) {
	terminations := []struct {
		name string
		call func(f *fixture, code, openid string) (int, errorBody)
	}{
		{"by authorization_code", func(f *fixture, code, _ string) (int, errorBody) {
			return f.v3("POST", "/v3/payscore/permissions/authorization-code/"+code+"/terminate", map[string]any{"service_id": f.serviceID(), "reason": "用户注销"}, nil)
		}},
		{"by openid", func(f *fixture, _, openid string) (int, errorBody) {
			return f.v3("POST", "/v3/payscore/permissions/openid/"+openid+"/terminate", map[string]any{"service_id": f.serviceID(), "appid": f.appid(), "reason": "用户注销"}, nil)
		}},
		{"users/{openid}/permissions/{service_id}", func(f *fixture, _, openid string) (int, errorBody) {
			return f.v3("POST", "/v3/payscore/users/"+openid+"/permissions/"+f.serviceID()+"/terminate", map[string]any{"appid": f.appid(), "reason": "用户注销"}, nil)
		}},
	}
	for _, term := range terminations {
		t.Run(term.name, func(t *testing.T) {
			f := newFixture(t)
			const openid = "oPerm"
			var tok map[string]string
			status, _ := f.v3("POST", "/v3/payscore/permissions", map[string]any{
				"service_id": f.serviceID(), "appid": f.appid(), "authorization_code": "CODE-1", "notify_url": f.rc.url(),
			}, &tok)
			require.Equal(t, 200, status)
			require.NotEmpty(t, tok["apply_permissions_token"])
			var again map[string]string
			f.v3("POST", "/v3/payscore/permissions", map[string]any{
				"service_id": f.serviceID(), "appid": f.appid(), "authorization_code": "CODE-1", "notify_url": f.rc.url(),
			}, &again)
			assert.Equal(t, tok, again, "an identical pre-authorization returns the same token")

			byCode := "/v3/payscore/permissions/authorization-code/CODE-1?service_id=" + f.serviceID()
			byOpenID := "/v3/payscore/permissions/openid/" + openid + "?" + url.Values{"service_id": {f.serviceID()}, "appid": {f.appid()}}.Encode()
			var p map[string]any
			get := func(uri string) map[string]any {
				p = map[string]any{}
				status, e := f.v3("GET", uri, nil, &p)
				require.Equal(t, 200, status, "%+v", e)
				return p
			}
			get(byCode)
			assert.Equal(t, "UNBINDUSER", p["authorization_state"])
			assert.Nil(t, p["openid"])
			status, e := f.v3("GET", byOpenID, nil, nil)
			assert.Equal(t, 404, status)
			assert.Equal(t, "请求操作的授权记录不存在", e.Message)
			status, e = term.call(f, "CODE-1", openid)
			if term.name == "by authorization_code" {
				assert.Equal(t, 400, status, "nothing to terminate before the user authorises")
			} else {
				assert.Equal(t, 404, status, "%+v", e)
			}

			_, err := f.srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: f.me.mchid, AuthorizationCode: "CODE-1"})
			require.NoError(t, err)
			f.settle()
			get(byOpenID)
			assert.Equal(t, "AVAILABLE", p["authorization_state"])
			assert.Equal(t, "CODE-1", p["authorization_code"])
			assert.Nil(t, p["notify_url"], "the openid query carries no notify_url")

			f.advance(time.Hour)
			status, e = term.call(f, "CODE-1", openid)
			require.Equal(t, http.StatusNoContent, status, "%+v", e)
			f.settle()
			get(byCode)
			assert.Equal(t, "UNAVAILABLE", p["authorization_state"])
			assert.Equal(t, "2026-12-01T10:00:00.000+08:00", p["cancel_authorization_time"])
			assert.Equal(t, "2026-12-01T09:00:00.000+08:00", p["authorization_success_time"])
			require.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_CLOSE_SERVICE"}, f.rc.events())
			closeEv := f.rc.callbacks()[1].Resource
			assert.Equal(t, "USER_CLOSE_SERVICE", closeEv["user_service_status"])
			assert.Equal(t, "20261201100000", closeEv["openorclose_time"])

			status, _ = term.call(f, "CODE-1", openid)
			assert.Equal(t, http.StatusNoContent, status, "terminating again changes nothing")
			f.settle()
			assert.Len(t, f.rc.events(), 2, "and fires nothing")

			_, err = f.srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: f.me.mchid})
			require.NoError(t, err)
			f.settle()
			get(byCode)
			assert.Equal(t, "AVAILABLE", p["authorization_state"], "re-authorizing reopens the record")
			assert.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_CLOSE_SERVICE", "PAYSCORE.USER_OPEN_SERVICE"}, f.rc.events())

			status, e = f.v3("POST", "/v3/payscore/permissions", map[string]any{"service_id": f.serviceID(), "appid": f.appid(), "authorization_code": "CODE-1"}, nil)
			assert.Equal(t, 400, status, "a used authorization_code cannot be pre-authorized again")
			assert.Equal(t, "INVALID_REQUEST", e.Code)
		})
	}
}

// Authorization events without a pre-authorization go to the merchant's
// registered notify_url, as it is when they fire; without any, they are
// recorded as dropped, and there is nothing to redeliver.
func TestPermissions_ConfiguredNotifyURL(t *testing.T) {
	f := newFixture(t) // its merchant has no notify_url
	_, err := f.srv.AuthorizeUser("oBefore", mock.AuthorizeRequest{MchID: f.me.mchid})
	require.NoError(t, err)
	ns, err := f.srv.Notifications(mock.NotificationFilter{MchID: f.me.mchid})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	assert.Equal(t, "dropped", ns[0].State)
	assert.Empty(t, ns[0].Attempts)
	assert.Contains(t, ns[0].Note, "no notify_url")
	dropped := ns[0].ID
	status, body := sandboxCall(t, f.ts, "POST", "/sandbox/notifications/"+dropped+"/redeliver", "", nil)
	assert.Equal(t, http.StatusConflict, status, "nothing to send it to: %s", body)

	url := f.rc.url()
	m, err := f.srv.UpdateMerchant(f.me.mchid, mock.MerchantPatch{NotifyURL: &url})
	require.NoError(t, err)
	assert.Equal(t, url, m.NotifyURL)
	_, err = f.srv.AuthorizeUser("oAfter", mock.AuthorizeRequest{MchID: f.me.mchid})
	require.NoError(t, err)
	f.settle()
	ns, err = f.srv.Notifications(mock.NotificationFilter{MchID: f.me.mchid})
	require.NoError(t, err)
	require.Len(t, ns, 2)
	assert.Equal(t, url, ns[1].NotifyURL)
	assert.Equal(t, "delivered", ns[1].State)
	assert.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE"}, f.rc.events())
	assert.Equal(t, "dropped", ns[0].State, "a callback keeps the address it was made with")
}

// The default test merchant's callbacks without a notify_url of their own
// go to where "client listen" receives by default, not nowhere.
func TestPermissions_DefaultMerchantNotifyURL(t *testing.T) {
	srv, _ := mock.NewTestServer(t, mock.Options{
		// Whatever listens on that port on this machine, nothing is sent.
		CallbackClient: &http.Client{Transport: refuseTransport{}},
	})
	me := defaultMerchant(t)
	m, err := srv.Merchant(me.mchid)
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9000/notify", m.NotifyURL)
	assert.Equal(t, mock.DefaultNotifyURL, m.NotifyURL)

	_, err = srv.AuthorizeUser("oDefault", mock.AuthorizeRequest{MchID: me.mchid})
	require.NoError(t, err)
	srv.Clock().(*clock.Virtual).Settle()
	ns, err := srv.Notifications(mock.NotificationFilter{MchID: me.mchid})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	assert.Equal(t, mock.DefaultNotifyURL, ns[0].NotifyURL)
	assert.Equal(t, "pending", ns[0].State, "attempted, and retried while nothing listens")
	require.Len(t, ns[0].Attempts, 1)
}

// refuseTransport fails every request as a closed port does.
type refuseTransport struct{}

func (refuseTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}

// A redelivery that delivers a callback takes its scheduled retry off the
// clock: the retry is no longer listed as pending nor reported as fired.
// One that fails leaves the schedule as it was.
func TestRedeliver_CancelsScheduledRetry(t *testing.T) {
	tests := []struct {
		name       string
		script     []int // the merchant's answers: the first attempt's, then the redelivery's
		wantState  string
		retryStays bool
	}{
		{"delivered", []int{500, 204}, "delivered", false},
		{"failed again", []int{500, 500}, "pending", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.script...)
			f.authorize("oRetry")
			ns, err := f.srv.Notifications(mock.NotificationFilter{MchID: f.me.mchid})
			require.NoError(t, err)
			require.Len(t, ns, 1)
			require.Equal(t, "pending", ns[0].State)
			retry := "PAYSCORE.USER_OPEN_SERVICE " + ns[0].ID + " attempt 2"
			require.Equal(t, []string{retry}, labels(f.srv.ClockState().Pending))

			status, body := sandboxCall(t, f.ts, "POST", "/sandbox/notifications/"+ns[0].ID+"/redeliver", "", nil)
			require.Equal(t, http.StatusOK, status, string(body))
			var n mock.NotificationRecord
			require.NoError(t, json.Unmarshal(body, &n))
			assert.Equal(t, tt.wantState, n.State)

			status, body = sandboxCall(t, f.ts, "GET", "/sandbox/clock", "", nil)
			require.Equal(t, http.StatusOK, status)
			var st mock.ClockState
			require.NoError(t, json.Unmarshal(body, &st))
			status, body = sandboxCall(t, f.ts, "POST", "/sandbox/clock/advance", "", map[string]string{"duration": "15s"})
			require.Equal(t, http.StatusOK, status)
			var adv mock.ClockState
			require.NoError(t, json.Unmarshal(body, &adv))
			ns, err = f.srv.Notifications(mock.NotificationFilter{MchID: f.me.mchid})
			require.NoError(t, err)
			var kinds []string
			for _, a := range ns[0].Attempts {
				kinds = append(kinds, fmt.Sprintf("%q %d", a.Kind, a.Status))
			}
			if tt.retryStays {
				assert.Equal(t, []string{retry}, labels(st.Pending))
				assert.Equal(t, []string{retry}, labels(adv.Fired))
				assert.Equal(t, []string{`"" 500`, `"redelivery" 500`, `"" 204`}, kinds, "the retry ran on schedule")
				assert.Equal(t, "delivered", ns[0].State)
				return
			}
			assert.Empty(t, st.Pending, "the delivered callback's retry is not pending")
			assert.Empty(t, adv.Fired, "nor does it fire")
			assert.Equal(t, []string{`"" 500`, `"redelivery" 204`}, kinds)
		})
	}
}

func labels(evs []mock.ClockEvent) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.Label)
	}
	return out
}

// The sandbox's user actions answer by what went wrong: 404 naming what
// is missing, 409 for an action the state does not allow, 400 for an id
// the merchant does not have.
func TestSandbox_UserActionErrors(t *testing.T) {
	f := newFixture(t)
	f.authorize("oAvailable")
	f.authorize("oEnded")
	_, err := f.srv.RevokeUser("oEnded", mock.RevokeRequest{MchID: f.me.mchid})
	require.NoError(t, err)
	status, e := f.v3("POST", "/v3/payscore/permissions", map[string]any{
		"service_id": f.serviceID(), "appid": f.appid(), "authorization_code": "CODE-OTHER", "notify_url": f.rc.url(),
	}, nil)
	require.Equal(t, http.StatusOK, status, "%+v", e)
	_, err = f.srv.AuthorizeUser("oOwner", mock.AuthorizeRequest{MchID: f.me.mchid, AuthorizationCode: "CODE-OTHER"})
	require.NoError(t, err)

	tests := []struct {
		name, action, openid string
		body                 map[string]any
		status               int
		code, field, message string
	}{
		{"authorize for an unknown merchant", "authorize", "oX", map[string]any{"mchid": "1"}, 404, "NOT_FOUND", "", "merchant 1 is not registered"},
		{"authorize an unknown pre-authorization", "authorize", "oX", map[string]any{"mchid": f.me.mchid, "authorization_code": "NOPE"}, 404, "NOT_FOUND", "", "no pre-authorization NOPE"},
		{"authorize another user's pre-authorization", "authorize", "oX", map[string]any{"mchid": f.me.mchid, "authorization_code": "CODE-OTHER"}, 409, "CONFLICT", "", "belongs to user oOwner"},
		{"authorize an unknown service", "authorize", "oX", map[string]any{"mchid": f.me.mchid, "service_id": "nope"}, 400, "PARAM_ERROR", "/service_id", "not a service of merchant"},
		{"authorize an unknown appid", "authorize", "oX", map[string]any{"mchid": f.me.mchid, "appid": "wxnope"}, 400, "PARAM_ERROR", "/appid", "not bound to merchant"},
		{"authorize without mchid", "authorize", "oX", map[string]any{}, 400, "PARAM_ERROR", "/mchid", "mchid is required"},
		{"revoke for an unknown merchant", "revoke", "oAvailable", map[string]any{"mchid": "1"}, 404, "NOT_FOUND", "", "merchant 1 is not registered"},
		{"revoke a user who never authorised", "revoke", "oNever", map[string]any{"mchid": f.me.mchid}, 404, "NOT_FOUND", "", "user oNever has no authorization"},
		{"revoke an ended authorization", "revoke", "oEnded", map[string]any{"mchid": f.me.mchid}, 409, "CONFLICT", "", "is UNAVAILABLE"},
		{"revoke an unknown service", "revoke", "oAvailable", map[string]any{"mchid": f.me.mchid, "service_id": "nope"}, 400, "PARAM_ERROR", "/service_id", "not a service of merchant"},
		{"revoke without mchid", "revoke", "oAvailable", map[string]any{}, 400, "PARAM_ERROR", "/mchid", "mchid is required"},
		{"revoke with a field of the wrong type", "revoke", "oAvailable", map[string]any{"mchid": 1}, 400, "PARAM_ERROR", "/mchid", "/mchid must be a string, not a number"},
		{"revoke with an unknown field", "revoke", "oAvailable", map[string]any{"mchid": f.me.mchid, "reason": "x"}, 400, "PARAM_ERROR", "/reason", "not a field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := sandboxCall(t, f.ts, "POST", "/sandbox/users/"+tt.openid+"/"+tt.action, "", tt.body)
			require.Equal(t, tt.status, status, string(body))
			e := decodeError(t, body)
			assert.Equal(t, tt.code, e.Code)
			assert.Contains(t, e.Message, tt.message)
			if tt.field == "" {
				assert.Nil(t, e.Detail)
				return
			}
			require.NotNil(t, e.Detail, string(body))
			assert.Equal(t, tt.field, e.Detail["field"])
			assert.Equal(t, "body", e.Detail["location"])
		})
	}
	u, err := f.srv.User("oAvailable")
	require.NoError(t, err)
	require.Len(t, u.Authorizations, 1)
	assert.Equal(t, "AVAILABLE", u.Authorizations[0].AuthorizationState, "the refused revokes changed nothing")
}
