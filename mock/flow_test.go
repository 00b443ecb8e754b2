package mock_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

// fixture is a server with a virtual clock, a fresh merchant and its callback receiver.
type fixture struct {
	t   *testing.T
	srv *mock.Server
	ts  *httptest.Server
	me  merchantKey
	rc  *receiver
	m   mock.Merchant
}

func newFixture(t *testing.T, script ...int) *fixture {
	t.Helper()
	srv, ts := mock.NewTestServer(t, mock.Options{})
	m, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	f := &fixture{t: t, srv: srv, ts: ts, me: keyOf(t, m), m: m}
	f.rc = newReceiver(t, srv, m.APIv3Key, script...)
	return f
}

// v3 calls the API and decodes a 2xx body into out; it returns the status
// and, for an error, the error body.
func (f *fixture) v3(method, uri string, body any, out any) (int, errorBody) {
	f.t.Helper()
	resp, raw := f.me.call(f.t, f.ts, method, uri, body)
	verifyResponse(f.t, f.srv.Platform(), resp, raw)
	if resp.StatusCode >= 300 {
		return resp.StatusCode, decodeError(f.t, raw)
	}
	if out != nil && len(raw) > 0 {
		require.NoError(f.t, json.Unmarshal(raw, out), string(raw))
	}
	return resp.StatusCode, errorBody{}
}

func (f *fixture) now() time.Time { return f.srv.Clock().Now() }

func (f *fixture) advance(d time.Duration) {
	f.t.Helper()
	_, err := f.srv.Advance(d)
	require.NoError(f.t, err)
}

// settle waits for callbacks that were due at once.
func (f *fixture) settle() { f.srv.Clock().(*clock.Virtual).Settle() }

func (f *fixture) appid() string     { return f.m.AppIDs[0] }
func (f *fixture) serviceID() string { return f.m.ServiceIDs[0] }

// createBody is a valid create request for a ride starting now.
func (f *fixture) createBody(outOrderNo string, needConfirm bool, openid string) map[string]any {
	b := map[string]any{
		"out_order_no":         outOrderNo,
		"appid":                f.appid(),
		"service_id":           f.serviceID(),
		"service_introduction": "网约车行程",
		"time_range":           map[string]any{"start_time": protocol.Format14(f.now())},
		"location":             map[string]any{"start_location": "北京南站"},
		"risk_fund":            map[string]any{"name": "ESTIMATE_ORDER_COST", "amount": 10000, "description": "预估车费"},
		"notify_url":           f.rc.url(),
		"need_user_confirm":    needConfirm,
	}
	if openid != "" {
		b["openid"] = openid
	}
	return b
}

func (f *fixture) completeBody(amount int64) map[string]any {
	return map[string]any{
		"appid": f.appid(), "service_id": f.serviceID(),
		"post_payments": []map[string]any{{"name": "里程费", "amount": amount, "description": "12.3公里"}},
		"total_amount":  amount,
		"time_range":    map[string]any{"end_time": protocol.Format14(f.now())},
		"location":      map[string]any{"end_location": "北京西站"},
	}
}

type orderView struct {
	OutOrderNo       string `json:"out_order_no"`
	State            string `json:"state"`
	StateDescription string `json:"state_description"`
	TotalAmount      *int64 `json:"total_amount"`
	OpenID           string `json:"openid"`
	OrderID          string `json:"order_id"`
	Package          string `json:"package"`
	NeedCollection   *bool  `json:"need_collection"`
	Collection       *struct {
		State        string `json:"state"`
		TotalAmount  int64  `json:"total_amount"`
		PayingAmount int64  `json:"paying_amount"`
		PaidAmount   int64  `json:"paid_amount"`
		Details      []struct {
			Seq           int64  `json:"seq"`
			Amount        int64  `json:"amount"`
			PaidType      string `json:"paid_type"`
			PaidTime      string `json:"paid_time"`
			TransactionID string `json:"transaction_id"`
		} `json:"details"`
	} `json:"collection"`
}

func (f *fixture) query(outOrderNo string) orderView {
	f.t.Helper()
	var v orderView
	q := url.Values{"out_order_no": {outOrderNo}, "service_id": {f.serviceID()}, "appid": {f.appid()}}
	status, e := f.v3("GET", "/v3/payscore/serviceorder?"+q.Encode(), nil, &v)
	require.Equal(f.t, http.StatusOK, status, "%+v", e)
	return v
}

// authorize pre-authorizes and lets the user authorize, returning the code.
func (f *fixture) authorize(openid string) string {
	f.t.Helper()
	code := "AUTH" + openid
	status, e := f.v3("POST", "/v3/payscore/permissions", map[string]any{
		"service_id": f.serviceID(), "appid": f.appid(), "authorization_code": code, "notify_url": f.rc.url(),
	}, nil)
	require.Equal(f.t, http.StatusOK, status, "%+v", e)
	_, err := f.srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: f.me.mchid})
	require.NoError(f.t, err)
	f.settle()
	return code
}

func TestFlow_NoConfirm(t *testing.T) {
	f := newFixture(t)
	const openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

	var st struct {
		UseServiceState string `json:"use_service_state"`
	}
	stateURI := "/v3/payscore/user-service-state?" + url.Values{"service_id": {f.serviceID()}, "appid": {f.appid()}, "openid": {openid}}.Encode()
	status, _ := f.v3("GET", stateURI, nil, &st)
	require.Equal(t, 200, status)
	assert.Equal(t, "UNAVAILABLE", st.UseServiceState)

	code := f.authorize(openid)
	require.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE"}, f.rc.events())
	open := f.rc.callbacks()[0].Resource
	assert.Equal(t, openid, open["openid"])
	assert.Equal(t, "USER_OPEN_SERVICE", open["user_service_status"])
	assert.Equal(t, code, open["authorization_code"])
	assert.Regexp(t, `^\d{14}$`, open["openorclose_time"])

	f.v3("GET", stateURI, nil, &st)
	assert.Equal(t, "AVAILABLE", st.UseServiceState)

	var perm map[string]any
	status, _ = f.v3("GET", "/v3/payscore/permissions/authorization-code/"+code+"?service_id="+f.serviceID(), nil, &perm)
	require.Equal(t, 200, status)
	assert.Equal(t, "AVAILABLE", perm["authorization_state"])
	assert.Equal(t, openid, perm["openid"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$`, perm["authorization_success_time"])

	var created orderView
	status, e := f.v3("POST", "/v3/payscore/serviceorder", f.createBody("RIDE-1", false, openid), &created)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "DOING", created.State)
	assert.Equal(t, "USER_CONFIRM", created.StateDescription)
	assert.NotEmpty(t, created.Package)
	assert.Regexp(t, `^\d{31}$`, created.OrderID)

	f.advance(10 * time.Minute)
	var done orderView
	status, e = f.v3("POST", "/v3/payscore/serviceorder/RIDE-1/complete", f.completeBody(2500), &done)
	require.Equal(t, 200, status, "%+v", e)
	assert.Equal(t, "MCH_COMPLETE", done.StateDescription)
	require.NotNil(t, done.NeedCollection)
	assert.True(t, *done.NeedCollection)

	q := f.query("RIDE-1")
	require.NotNil(t, q.Collection)
	assert.Equal(t, "USER_PAYING", q.Collection.State)
	assert.Equal(t, int64(2500), q.Collection.PayingAmount)

	f.advance(5 * time.Second)
	require.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_PAID"}, f.rc.events())
	paid := f.rc.callbacks()[1].Resource
	assert.Equal(t, "DONE", paid["state"])
	assert.Equal(t, "RIDE-1", paid["out_order_no"])

	q = f.query("RIDE-1")
	assert.Equal(t, "DONE", q.State)
	require.NotNil(t, q.Collection)
	assert.Equal(t, "USER_PAID", q.Collection.State)
	require.Len(t, q.Collection.Details, 1)
	d := q.Collection.Details[0]
	assert.Equal(t, int64(1), d.Seq)
	assert.Equal(t, int64(2500), d.Amount)
	assert.Equal(t, "NEWTON", d.PaidType)
	assert.Regexp(t, `^\d{28}$`, d.TransactionID)
	assert.Equal(t, protocol.Format14(f.now()), d.PaidTime)

	so, err := f.srv.Order(f.me.mchid, "", "RIDE-1")
	require.NoError(t, err)
	for _, e := range so.Timeline {
		t.Log(e.At, e.Type, e.Summary)
	}
	assert.GreaterOrEqual(t, len(so.Timeline), 6)
}
