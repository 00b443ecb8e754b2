package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

// payscoreEnv is one merchant of an in-process mock on a virtual clock,
// a client for it, and the merchant's notify_url: an httptest server whose
// NotificationHandler keeps every callback in inbox. After srv.Advance or
// settle returns, the callbacks that fell due have been delivered, so tests
// read inbox without waiting.
type payscoreEnv struct {
	srv       *mock.Server
	clk       *clock.Virtual
	c         *client.Client
	rec       *recorder // every request the client sent
	apiURL    string    // the mock's base URL, for further clients
	mchID     string
	appID     string
	serviceID string
	notifyURL string
	inbox     *inbox
	// subMchIDs are a service provider's sub-merchants (newPartnerEnv).
	subMchIDs []string
}

func newPayscoreEnv(t *testing.T) *payscoreEnv {
	t.Helper()
	return newEnvOf(t, mock.MerchantSpec{})
}

// newEnvOf is newPayscoreEnv for the merchant spec registers, with the
// env's notify_url as its configured callback address.
func newEnvOf(t *testing.T, spec mock.MerchantSpec) *payscoreEnv {
	t.Helper()
	srv, api := mock.NewTestServer(t, mock.Options{})
	mux := http.NewServeMux()
	merchantSite := httptest.NewServer(mux)
	t.Cleanup(merchantSite.Close)
	notifyURL := merchantSite.URL + "/wechatpay/notify"

	spec.NotifyURL = notifyURL
	m, err := srv.CreateMerchant(spec)
	require.NoError(t, err)
	require.NotEmpty(t, m.AppIDs)
	require.NotEmpty(t, m.ServiceIDs)
	platformCert, err := protocol.ParseCertificate([]byte(srv.Platform().CertificatePEM))
	require.NoError(t, err)

	rec := &recorder{}
	c := newClient(t, merchantConfig(t, m),
		client.WithBaseURL(api.URL),
		client.WithHTTPClient(&http.Client{Transport: rec}),
		client.WithVerifier(client.NewCertificateVerifier(platformCert)),
	)
	in := &inbox{}
	mux.Handle("/wechatpay/notify", c.NotificationHandler(in.handle))

	clk, ok := srv.Clock().(*clock.Virtual)
	require.True(t, ok, "NewTestServer uses a virtual clock")
	e := &payscoreEnv{
		srv: srv, clk: clk, c: c, rec: rec,
		mchID: m.MchID, appID: m.AppIDs[0], serviceID: m.ServiceIDs[0],
		notifyURL: notifyURL, inbox: in, apiURL: api.URL,
	}
	for _, sm := range m.SubMerchants {
		e.subMchIDs = append(e.subMchIDs, sm.SubMchID)
	}
	return e
}

// inbox collects verified callbacks.
type inbox struct {
	mu  sync.Mutex
	got []*client.Notification
}

func (b *inbox) handle(_ context.Context, n *client.Notification) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, n)
	return nil
}

// ofType returns the callbacks of one event type, in arrival order.
func (b *inbox) ofType(eventType string) []*client.Notification {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*client.Notification
	for _, n := range b.got {
		if n.EventType == eventType {
			out = append(out, n)
		}
	}
	return out
}

// only returns the single callback of eventType, failing otherwise.
func (b *inbox) only(t *testing.T, eventType string) *client.Notification {
	t.Helper()
	got := b.ofType(eventType)
	require.Len(t, got, 1, "callbacks of type %s", eventType)
	return got[0]
}

func (e *payscoreEnv) now() time.Time { return e.srv.Clock().Now() }

// settle waits for the callbacks that were due at once.
func (e *payscoreEnv) settle() { e.clk.Settle() }

func (e *payscoreEnv) advance(t *testing.T, d time.Duration) {
	t.Helper()
	_, err := e.srv.Advance(d)
	require.NoError(t, err)
}

// authorize pre-authorises openid with code and lets the user authorise,
// as the 免确认 flow does, and returns the USER_OPEN_SERVICE payload.
func (e *payscoreEnv) authorize(t *testing.T, openid, code string) *client.PermissionEvent {
	t.Helper()
	ctx := context.Background()
	resp, err := e.c.CreatePermission(ctx, client.CreatePermissionRequest{
		ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: code, NotifyURL: e.notifyURL,
	})
	require.NoError(t, err)
	require.NotEmpty(t, resp.ApplyPermissionsToken)
	_, err = e.srv.AuthorizeUser(openid, mock.AuthorizeRequest{
		MchID: e.mchID, ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: code,
	})
	require.NoError(t, err)
	e.settle()
	ev, err := e.inbox.only(t, client.EventUserOpenService).PermissionEvent()
	require.NoError(t, err)
	return ev
}

// createRequest is a ride-hailing order starting a second after the mock's
// now; openid "" makes it 需确认, otherwise 免确认.
func (e *payscoreEnv) createRequest(outOrderNo, openid string) client.CreateServiceOrderRequest {
	req := client.CreateServiceOrderRequest{
		OutOrderNo:          outOrderNo,
		AppID:               e.appID,
		ServiceID:           e.serviceID,
		ServiceIntroduction: "网约车出行",
		PostPayments:        []client.Payment{{Name: "预估车费", Amount: client.Fen(5000), Description: "起步价+里程费"}},
		TimeRange:           client.TimeRange{StartTime: client.Time14(e.now().Add(time.Second)), StartTimeRemark: "上车时间"},
		Location:            client.Location{StartLocation: "望京SOHO"},
		RiskFund:            client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: 10000, Description: "预估车费"},
		Attach:              "ride-" + outOrderNo,
		NotifyURL:           e.notifyURL,
	}
	if openid != "" {
		req.OpenID = openid
		req.NeedUserConfirm = client.Bool(false)
	}
	return req
}

// completeRequest completes an order with a fare of amount, ending now.
func (e *payscoreEnv) completeRequest(outOrderNo string, amount int64) client.CompleteServiceOrderRequest {
	return client.CompleteServiceOrderRequest{
		OutOrderNo:   outOrderNo,
		AppID:        e.appID,
		ServiceID:    e.serviceID,
		PostPayments: []client.Payment{{Name: "里程费", Amount: client.Fen(amount), Count: 1}},
		TotalAmount:  amount,
		TimeRange:    client.TimeRange{EndTime: client.Time14(e.now()), EndTimeRemark: "下车时间"},
		Location:     client.Location{EndLocation: "国贸"},
	}
}

func (e *payscoreEnv) query(t *testing.T, outOrderNo string) *client.ServiceOrder {
	t.Helper()
	o, err := e.c.QueryServiceOrder(context.Background(), client.QueryServiceOrderRequest{
		OutOrderNo: outOrderNo, ServiceID: e.serviceID, AppID: e.appID,
	})
	require.NoError(t, err)
	return o
}

// createAndComplete runs a 免确认 order up to DOING/MCH_COMPLETE (unpaid
// if the wallet cannot pay; the deduction runs at the next advance).
func (e *payscoreEnv) createAndComplete(t *testing.T, outOrderNo, openid string, amount int64) {
	t.Helper()
	ctx := context.Background()
	_, err := e.c.CreateServiceOrder(ctx, e.createRequest(outOrderNo, openid))
	require.NoError(t, err)
	e.advance(t, 20*time.Minute)
	o, err := e.c.CompleteServiceOrder(ctx, e.completeRequest(outOrderNo, amount))
	require.NoError(t, err)
	require.Equal(t, client.DescriptionMchComplete, o.StateDescription)
}

// assertPaidEvent checks a PAYSCORE.USER_PAID payload for a NEWTON
// collection of amount.
func assertPaidEvent(t *testing.T, n *client.Notification, outOrderNo string, amount int64) {
	t.Helper()
	ev, err := n.ServiceOrderEvent()
	require.NoError(t, err)
	assert.Equal(t, outOrderNo, ev.OutOrderNo)
	assert.Equal(t, client.StateDone, ev.State)
	assert.Equal(t, amount, ev.TotalAmount)
	require.NotNil(t, ev.NeedCollection)
	assert.True(t, *ev.NeedCollection)
	require.NotNil(t, ev.Collection)
	assert.Equal(t, client.CollectionUserPaid, ev.Collection.State)
	assert.Equal(t, amount, ev.Collection.PaidAmount)
	assert.Zero(t, ev.Collection.PayingAmount)
	require.Len(t, ev.Collection.Details, 1)
	d := ev.Collection.Details[0]
	assert.Equal(t, 1, d.Seq)
	assert.Equal(t, amount, d.Amount)
	assert.Equal(t, client.PaidTypeNewton, d.PaidType)
	assert.NotEmpty(t, d.TransactionID, "the id refunds are made against")
	_, err = d.PaidAt()
	assert.NoError(t, err)
}

// TestPayScore_RideHailing drives both variants of the ride-hailing flow
// through the client only (the user's actions go through the sandbox).
func TestPayScore_RideHailing(t *testing.T) {
	ctx := context.Background()

	t.Run("免确认 need_user_confirm=false", func(t *testing.T) {
		t.Parallel()
		e := newPayscoreEnv(t)
		const openid, code, no = "oRider_free", "AUTH_free-1", "RIDE-FREE-001"

		st, err := e.c.UserServiceState(ctx, client.UserServiceStateRequest{ServiceID: e.serviceID, AppID: e.appID, OpenID: openid})
		require.NoError(t, err)
		assert.Equal(t, client.UseServiceUnavailable, st.UseServiceState)

		token, err := e.c.CreatePermission(ctx, client.CreatePermissionRequest{
			ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: code, NotifyURL: e.notifyURL,
		})
		require.NoError(t, err)
		assert.NotEmpty(t, token.ApplyPermissionsToken)
		before, err := e.c.QueryPermissionByCode(ctx, client.QueryPermissionByCodeRequest{AuthorizationCode: code, ServiceID: e.serviceID})
		require.NoError(t, err)
		assert.Equal(t, client.AuthorizationUnbindUser, before.AuthorizationState)
		assert.Empty(t, before.OpenID)

		_, err = e.srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: e.mchID, ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: code})
		require.NoError(t, err)
		e.settle()

		opened := e.inbox.only(t, client.EventUserOpenService)
		pev, err := opened.PermissionEvent()
		require.NoError(t, err)
		assert.Equal(t, client.PermissionEvent{
			AppID: e.appID, MchID: e.mchID, ServiceID: e.serviceID, OpenID: openid,
			UserServiceStatus: client.UserOpenService, OpenOrCloseTime: client.Time14(e.now()),
			AuthorizationCode: code,
		}, *pev)

		st, err = e.c.UserServiceState(ctx, client.UserServiceStateRequest{ServiceID: e.serviceID, AppID: e.appID, OpenID: openid})
		require.NoError(t, err)
		assert.Equal(t, client.UseServiceAvailable, st.UseServiceState)
		for name, lookup := range map[string]func() (*client.Permission, error){
			"by code": func() (*client.Permission, error) {
				return e.c.QueryPermissionByCode(ctx, client.QueryPermissionByCodeRequest{AuthorizationCode: code, ServiceID: e.serviceID})
			},
			"by openid": func() (*client.Permission, error) {
				return e.c.QueryPermissionByOpenID(ctx, client.QueryPermissionByOpenIDRequest{OpenID: openid, ServiceID: e.serviceID, AppID: e.appID})
			},
		} {
			p, err := lookup()
			require.NoError(t, err, name)
			assert.Equal(t, client.AuthorizationAvailable, p.AuthorizationState, name)
			assert.Equal(t, openid, p.OpenID, name)
			_, err = time.Parse(time.RFC3339, p.AuthorizationSuccessTime)
			assert.NoError(t, err, "%s: authorization_success_time %q", name, p.AuthorizationSuccessTime)
		}

		created, err := e.c.CreateServiceOrder(ctx, e.createRequest(no, openid))
		require.NoError(t, err)
		assert.Equal(t, client.StateDoing, created.State)
		assert.Equal(t, client.DescriptionUserConfirm, created.StateDescription)
		assert.Equal(t, no, created.OutOrderNo)
		assert.NotEmpty(t, created.OrderID)

		e.advance(t, 25*time.Minute) // the ride
		completed, err := e.c.CompleteServiceOrder(ctx, e.completeRequest(no, 4200))
		require.NoError(t, err)
		assert.Equal(t, client.StateDoing, completed.State)
		assert.Equal(t, client.DescriptionMchComplete, completed.StateDescription)
		assert.Equal(t, int64(4200), completed.TotalAmount)
		require.NotNil(t, completed.NeedCollection)
		assert.True(t, *completed.NeedCollection)

		unpaid := e.query(t, no)
		require.NotNil(t, unpaid.Collection)
		assert.Equal(t, client.CollectionUserPaying, unpaid.Collection.State)
		assert.Equal(t, int64(4200), unpaid.Collection.PayingAmount)
		assert.Empty(t, e.inbox.ofType(client.EventUserPaid), "nothing is collected before the deduction")

		e.advance(t, 5*time.Second) // WeChat Pay's deduction
		assertPaidEvent(t, e.inbox.only(t, client.EventUserPaid), no, 4200)

		done := e.query(t, no)
		assert.Equal(t, client.StateDone, done.State)
		assert.Equal(t, openid, done.OpenID)
		require.NotNil(t, done.Collection)
		assert.Equal(t, client.CollectionUserPaid, done.Collection.State)
		assert.Equal(t, "ride-"+no, done.Attach)
		assert.Equal(t, client.Location{StartLocation: "望京SOHO", EndLocation: "国贸"}, done.Location)
	})

	t.Run("需确认 need_user_confirm=true", func(t *testing.T) {
		t.Parallel()
		e := newPayscoreEnv(t)
		const openid, no = "oRider_confirm", "RIDE-CONFIRM-001"

		created, err := e.c.CreateServiceOrder(ctx, e.createRequest(no, ""))
		require.NoError(t, err)
		assert.Equal(t, client.StateCreated, created.State)
		assert.Empty(t, created.StateDescription)
		assert.NotEmpty(t, created.Package, "the front end needs it for wx.openBusinessView")
		assert.Nil(t, created.NeedCollection)
		assert.Nil(t, created.Collection)

		_, err = e.srv.ConfirmOrder(e.mchID, "", no, mock.ConfirmRequest{OpenID: openid})
		require.NoError(t, err)
		e.settle()

		// Decode the same callback both ways: the convenience method and
		// Notification.Decode into the exported type.
		confirmed := e.inbox.only(t, client.EventUserConfirm)
		ev, err := confirmed.ServiceOrderEvent()
		require.NoError(t, err)
		var decoded client.ServiceOrderEvent
		require.NoError(t, confirmed.Decode(&decoded))
		assert.Equal(t, *ev, decoded)
		assert.Equal(t, client.StateDoing, ev.State)
		assert.Equal(t, client.DescriptionUserConfirm, ev.StateDescription)
		assert.Equal(t, no, ev.OutOrderNo)
		assert.Equal(t, openid, ev.OpenID)
		assert.Equal(t, created.OrderID, ev.OrderID)
		assert.Equal(t, client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: 10000, Description: "预估车费"}, ev.RiskFund)

		e.advance(t, 10*time.Minute)
		_, err = e.c.CompleteServiceOrder(ctx, e.completeRequest(no, 3100))
		require.NoError(t, err)
		e.advance(t, 5*time.Second)
		assertPaidEvent(t, e.inbox.only(t, client.EventUserPaid), no, 3100)
		assert.Equal(t, client.StateDone, e.query(t, no).State)
	})
}

// TestPayScore_TerminateAuthorization ends an authorization through each of
// the three termination endpoints.
func TestPayScore_TerminateAuthorization(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		terminate func(e *payscoreEnv, openid, code string) error
	}{
		{"by authorization code", func(e *payscoreEnv, _, code string) error {
			return e.c.TerminatePermissionByCode(ctx, client.TerminatePermissionByCodeRequest{AuthorizationCode: code, ServiceID: e.serviceID, Reason: "用户注销"})
		}},
		{"by openid", func(e *payscoreEnv, openid, _ string) error {
			return e.c.TerminatePermissionByOpenID(ctx, client.TerminatePermissionByOpenIDRequest{OpenID: openid, ServiceID: e.serviceID, AppID: e.appID, Reason: "用户注销"})
		}},
		{"users openid permissions service_id", func(e *payscoreEnv, openid, _ string) error {
			return e.c.TerminateUserService(ctx, client.TerminateUserServiceRequest{OpenID: openid, ServiceID: e.serviceID, AppID: e.appID, Reason: "用户注销"})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newPayscoreEnv(t)
			const openid, code = "oLeaving", "AUTH_leaving"
			e.authorize(t, openid, code)

			require.NoError(t, tc.terminate(e, openid, code))
			e.settle()

			closed, err := e.inbox.only(t, client.EventUserCloseService).PermissionEvent()
			require.NoError(t, err)
			assert.Equal(t, client.UserCloseService, closed.UserServiceStatus)
			assert.Equal(t, openid, closed.OpenID)
			assert.Equal(t, e.serviceID, closed.ServiceID)

			st, err := e.c.UserServiceState(ctx, client.UserServiceStateRequest{ServiceID: e.serviceID, AppID: e.appID, OpenID: openid})
			require.NoError(t, err)
			assert.Equal(t, client.UseServiceUnavailable, st.UseServiceState)
			p, err := e.c.QueryPermissionByCode(ctx, client.QueryPermissionByCodeRequest{AuthorizationCode: code, ServiceID: e.serviceID})
			require.NoError(t, err)
			assert.Equal(t, client.AuthorizationUnavailable, p.AuthorizationState)
			assert.NotEmpty(t, p.CancelAuthorizationTime)
		})
	}
}
