package sandbox_test

import (
	"context"
	"iter"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/client/sandbox"
	"github.com/mockpay/mockpay/mock"
)

// merchantClient is the v3 client of a merchant the sandbox registered.
func merchantClient(t *testing.T, base string, m *sandbox.Merchant) *client.Client {
	t.Helper()
	key, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM))
	require.NoError(t, err)
	c, err := client.New(client.Config{MchID: m.MchID, SerialNo: m.SerialNo, PrivateKey: key, APIv3Key: m.APIv3Key}, client.WithBaseURL(base))
	require.NoError(t, err)
	return c
}

// TestClient_AgainstTheMock drives every endpoint of an in-process mock,
// as a test in another process would drive a running one.
func TestClient_AgainstTheMock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, ts := mock.NewTestServer(t, mock.Options{})
	sb := newClient(t, ts.URL)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	notifyURL := receiver.URL + "/notify"

	h, err := sb.GetHealth(ctx)
	require.NoError(t, err)
	assert.Equal(t, mock.Version, h.Version)
	p, err := sb.GetPlatform(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, p.CertificatePEM)
	assert.Contains(t, p.PublicKeyID, "PUB_KEY_ID_")

	m, err := sb.CreateMerchant(ctx, sandbox.CreateMerchantRequest{NotifyURL: notifyURL})
	require.NoError(t, err)
	assert.Equal(t, sandbox.PlatformModeCertificate, m.PlatformMode)
	assert.Contains(t, string(m.Raw()), `"mchid":"`+m.MchID+`"`)
	c := merchantClient(t, ts.URL, m)
	appID, serviceID := m.AppIDs[0], m.ServiceIDs[0]

	t.Run("merchants", func(t *testing.T) {
		ms, err := sb.ListMerchants(ctx)
		require.NoError(t, err)
		var ids []string
		for _, it := range ms {
			ids = append(ids, it.MchID)
			assert.NotEmpty(t, it.Raw(), "each element keeps its own JSON")
		}
		assert.Contains(t, ids, m.MchID)
		got, err := sb.GetMerchant(ctx, sandbox.GetMerchantRequest{MchID: m.MchID})
		require.NoError(t, err)
		assert.Equal(t, m.APIv3Key, got.APIv3Key)
		up, err := sb.UpdateMerchant(ctx, sandbox.UpdateMerchantRequest{MchID: m.MchID, RiskFundCap: 200000})
		require.NoError(t, err)
		assert.EqualValues(t, 200000, up.RiskFundCap)
		assert.Equal(t, notifyURL, up.NotifyURL, "what the patch leaves out stays")
	})

	t.Run("the user authorises and revokes", func(t *testing.T) {
		a, err := sb.AuthorizeUser(ctx, sandbox.AuthorizeUserRequest{OpenID: "oSB1", MchID: m.MchID})
		require.NoError(t, err)
		assert.Equal(t, client.AuthorizationAvailable, a.AuthorizationState)
		a, err = sb.RevokeUser(ctx, sandbox.RevokeUserRequest{OpenID: "oSB1", MchID: m.MchID})
		require.NoError(t, err)
		assert.Equal(t, client.AuthorizationUnavailable, a.AuthorizationState)
		_, err = sb.RevokeUser(ctx, sandbox.RevokeUserRequest{OpenID: "oSB1", MchID: m.MchID})
		assert.True(t, sandbox.IsCode(err, sandbox.CodeConflict), "%v", err)
	})

	t.Run("wallet", func(t *testing.T) {
		balance := int64(1000)
		u, err := sb.SetWallet(ctx, sandbox.SetWalletRequest{OpenID: "oSB1", Wallet: sandbox.Wallet{Balance: &balance, RefundOutcome: client.RefundClosed}})
		require.NoError(t, err)
		require.NotNil(t, u.Wallet.Balance)
		assert.EqualValues(t, 1000, *u.Wallet.Balance)
		u, err = sb.GetUser(ctx, sandbox.GetUserRequest{OpenID: "oSB1"})
		require.NoError(t, err)
		assert.Equal(t, client.RefundClosed, u.Wallet.RefundOutcome)
		require.Len(t, u.Authorizations, 1)
		assert.Equal(t, m.MchID, u.Authorizations[0].MchID)
	})

	t.Run("the user confirms a service order, whose callback decodes", func(t *testing.T) {
		_, err := c.CreateServiceOrder(ctx, client.CreateServiceOrderRequest{
			OutOrderNo: "SB-RIDE-1", AppID: appID, ServiceID: serviceID, ServiceIntroduction: "网约车出行",
			PostPayments: []client.Payment{{Name: "预估车费", Amount: client.Fen(5000)}},
			TimeRange:    client.TimeRange{StartTime: client.StartOnAccept},
			RiskFund:     client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: 10000},
			NotifyURL:    notifyURL,
		})
		require.NoError(t, err)
		o, err := sb.ConfirmOrder(ctx, sandbox.ConfirmOrderRequest{MchID: m.MchID, OutOrderNo: "SB-RIDE-1", OpenID: "oSB2"})
		require.NoError(t, err)
		assert.Equal(t, sandbox.OrderKindServiceOrder, o.Kind)
		require.NotNil(t, o.ServiceOrder)
		assert.Nil(t, o.PayAfterOrder)
		assert.Equal(t, client.StateDoing, o.ServiceOrder.State)
		assert.Equal(t, client.DescriptionUserConfirm, o.ServiceOrder.StateDescription)
		assert.NotEmpty(t, o.Timeline)

		_, err = sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{}) // the callback is delivered
		require.NoError(t, err)
		ns, err := sb.ListNotifications(ctx, sandbox.ListNotificationsRequest{MchID: m.MchID, OutOrderNo: "SB-RIDE-1", EventType: client.EventUserConfirm})
		require.NoError(t, err)
		require.Len(t, ns, 1)
		assert.Equal(t, sandbox.NotificationDelivered, ns[0].State)
		ev, err := ns[0].Decrypted().ServiceOrderEvent()
		require.NoError(t, err)
		assert.Equal(t, "oSB2", ev.OpenID)

		again, err := sb.RedeliverNotification(ctx, sandbox.RedeliverNotificationRequest{ID: ns[0].ID})
		require.NoError(t, err)
		require.Len(t, again.Attempts, 2)
		assert.Equal(t, "redelivery", again.Attempts[1].Kind)
		assert.True(t, again.Attempts[1].Genuine())
		assert.Equal(t, http.StatusNoContent, again.Attempts[1].Status)

		list, err := sb.ListOrders(ctx, sandbox.ListOrdersRequest{MchID: m.MchID, State: string(client.StateDoing)})
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, "SB-RIDE-1", list[0].ServiceOrder.OutOrderNo)
	})

	t.Run("a payafter order shows its finish_ticket", func(t *testing.T) {
		_, err := sb.AuthorizeUser(ctx, sandbox.AuthorizeUserRequest{OpenID: "oSB3", MchID: m.MchID})
		require.NoError(t, err)
		_, err = c.CreatePayAfterOrder(ctx, client.CreatePayAfterOrderRequest{
			AppID: appID, OutOrderNo: "SB-OLA-1", ServiceID: serviceID, ServiceStartTime: client.StartOnAccept,
			ServiceIntroduction: "网约车出行", Fees: []client.PayAfterFee{{Name: "预估车费", Amount: 5000}}, RiskAmount: 5000,
			NeedUserConfirm: client.Bool(false), OpenID: "oSB3",
		})
		require.NoError(t, err)
		o, err := sb.GetOrder(ctx, sandbox.GetOrderRequest{MchID: m.MchID, OutOrderNo: "SB-OLA-1"})
		require.NoError(t, err)
		assert.Equal(t, sandbox.OrderKindPayAfter, o.Kind)
		require.NotNil(t, o.PayAfterOrder)
		assert.Equal(t, client.PayAfterUserAccepted, o.PayAfterOrder.State)
		assert.NotEmpty(t, o.PayAfterOrder.FinishTicket)
		_, err = sb.PayOrder(ctx, sandbox.PayOrderRequest{MchID: m.MchID, OutOrderNo: "SB-OLA-1"})
		assert.True(t, sandbox.IsCode(err, sandbox.CodeConflict), "nothing to pay before completion: %v", err)
	})

	t.Run("clock", func(t *testing.T) {
		before, err := sb.GetClock(ctx)
		require.NoError(t, err)
		assert.Equal(t, sandbox.ClockVirtual, before.Mode)
		assert.Nil(t, before.Fired)
		after, err := sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{Duration: 30 * time.Minute})
		require.NoError(t, err)
		assert.Equal(t, 30*time.Minute, after.Now.Sub(before.Now))
		assert.NotNil(t, after.Fired, "an advance says what ran, if only nothing")
		to := after.Now.Add(time.Hour)
		after, err = sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{To: to})
		require.NoError(t, err)
		assert.True(t, to.Equal(after.Now), "%s", after.Now)
		_, err = sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{To: before.Now})
		assert.True(t, sandbox.IsCode(err, client.CodeParamError), "backwards: %v", err)
	})

	t.Run("scenarios", func(t *testing.T) {
		data, err := os.ReadFile("../../scenarios/deduct-failure.yaml")
		require.NoError(t, err)
		loaded, err := sb.LoadScenarios(ctx, sandbox.LoadScenariosRequest{File: "deduct-failure.yaml", Data: data, MchID: m.MchID})
		require.NoError(t, err)
		require.Len(t, loaded, 1)
		assert.Equal(t, "deduct-failure", loaded[0].Name)
		assert.Equal(t, m.MchID, loaded[0].Match.MchID, "scoped to the merchant")
		list, err := sb.ListScenarios(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.NoError(t, sb.UnloadScenario(ctx, sandbox.UnloadScenarioRequest{ID: loaded[0].ID}))
		err = sb.UnloadScenario(ctx, sandbox.UnloadScenarioRequest{ID: loaded[0].ID})
		assert.True(t, sandbox.IsCode(err, sandbox.CodeNotFound), "%v", err)

		_, err = sb.LoadScenarios(ctx, sandbox.LoadScenariosRequest{File: "bad.yaml", Data: []byte("name: bad\nnonsense: 1\n")})
		var se *sandbox.Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, client.CodeParamError, se.Code)
		assert.Contains(t, se.Message, "bad.yaml:")
	})

	t.Run("requests", func(t *testing.T) {
		rs, err := sb.ListRequests(ctx, sandbox.ListRequestsRequest{MchID: m.MchID, Limit: 1})
		require.NoError(t, err)
		require.Len(t, rs, 1)
		assert.Equal(t, sandbox.SignatureValid, rs[0].Signature)
		assert.Equal(t, "/v3/payscore/payafter-orders", rs[0].URL, "the newest call")
	})

	t.Run("parking: the user opens a plate, and an advance is repaid", func(t *testing.T) {
		const openid, plate = "oSBPark", "粤B700001"
		p, err := sb.SetPlate(ctx, sandbox.SetPlateRequest{OpenID: openid, PlateNumber: plate, MchID: m.MchID, State: client.PlateServiceNormal})
		require.NoError(t, err)
		assert.Equal(t, client.PlateServiceNormal, p.ServiceState)
		assert.Nil(t, p.Entry)
		clk, err := sb.GetClock(ctx)
		require.NoError(t, err)
		e, err := c.CreateParking(ctx, client.CreateParkingRequest{
			OutParkingNo: "SB-IN-1", PlateNumber: plate, PlateColor: client.PlateBlue, NotifyURL: notifyURL,
			StartTime: client.TimeRFC3339(clk.Now), ParkingName: "停车场", FreeDuration: 0,
		})
		require.NoError(t, err)
		u, err := sb.GetUser(ctx, sandbox.GetUserRequest{OpenID: openid})
		require.NoError(t, err)
		require.Len(t, u.Plates, 1)
		require.NotNil(t, u.Plates[0].Entry)
		assert.Equal(t, e.ID, u.Plates[0].Entry.ID)
		assert.Equal(t, client.ParkingNormal, u.Plates[0].Entry.State)

		_, err = sb.LoadScenarios(ctx, sandbox.LoadScenariosRequest{File: "advance.yaml", Data: []byte("name: advance\ndescription: advanced\nmatch: {out_order_no: SB-PK-1}\ndeduction: {advance: true}\n"), MchID: m.MchID})
		require.NoError(t, err)
		_, err = sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{Duration: time.Hour})
		require.NoError(t, err)
		clk, err = sb.GetClock(ctx)
		require.NoError(t, err)
		_, err = c.CreateParkingTransaction(ctx, client.CreateParkingTransactionRequest{
			AppID: appID, Description: "停车费", OutTradeNo: "SB-PK-1", NotifyURL: notifyURL, Amount: client.ParkingOrderAmount{Total: 600},
			ParkingInfo: client.ParkingInfo{ParkingID: e.ID, PlateNumber: plate, PlateColor: client.PlateBlue, StartTime: e.StartTime,
				EndTime: client.TimeRFC3339(clk.Now), ParkingName: "停车场", ChargingDuration: 3600, DeviceID: "G"},
		})
		require.NoError(t, err)
		_, err = sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{Duration: time.Minute})
		require.NoError(t, err)
		orders, err := sb.ListOrders(ctx, sandbox.ListOrdersRequest{MchID: m.MchID, Kind: sandbox.OrderKindParking})
		require.NoError(t, err)
		require.Len(t, orders, 1)
		require.NotNil(t, orders[0].ParkingTransaction)
		assert.True(t, orders[0].ParkingTransaction.Advanced())
		assert.False(t, orders[0].ParkingTransaction.Repaid())
		o, err := sb.PayOrder(ctx, sandbox.PayOrderRequest{MchID: m.MchID, OutOrderNo: "SB-PK-1"})
		require.NoError(t, err)
		assert.True(t, o.ParkingTransaction.Repaid(), "the user repaid the advance")
		assert.NotEmpty(t, o.Timeline)
	})

	t.Run("reset keeps merchants", func(t *testing.T) {
		require.NoError(t, sb.Reset(ctx))
		orders, err := sb.ListOrders(ctx, sandbox.ListOrdersRequest{MchID: m.MchID})
		require.NoError(t, err)
		assert.Empty(t, orders)
		_, err = sb.GetMerchant(ctx, sandbox.GetMerchantRequest{MchID: m.MchID})
		assert.NoError(t, err)
	})

	t.Run("delete", func(t *testing.T) {
		require.NoError(t, sb.DeleteMerchant(ctx, sandbox.DeleteMerchantRequest{MchID: m.MchID}))
		_, err := sb.GetMerchant(ctx, sandbox.GetMerchantRequest{MchID: m.MchID})
		assert.True(t, sandbox.IsCode(err, sandbox.CodeNotFound), "%v", err)
	})
}

// TestClient_Token: a locked sandbox refuses a client without the token,
// except for its health.
func TestClient_Token(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, ts := mock.NewTestServer(t, mock.Options{SandboxToken: "s3cret"})
	tests := []struct {
		name     string
		opts     []sandbox.Option
		wantCode client.ErrorCode
	}{
		{"no token", nil, sandbox.CodeUnauthorized},
		{"wrong token", []sandbox.Option{sandbox.WithToken("guess")}, sandbox.CodeUnauthorized},
		{"the token", []sandbox.Option{sandbox.WithToken("s3cret")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := newClient(t, ts.URL, tt.opts...)
			_, err := sb.GetHealth(ctx)
			require.NoError(t, err, "health is open")
			_, err = sb.GetClock(ctx)
			if tt.wantCode == "" {
				assert.NoError(t, err)
				return
			}
			var se *sandbox.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, http.StatusUnauthorized, se.StatusCode)
			assert.Equal(t, tt.wantCode, se.Code)
		})
	}
}

// TestEvents_AgainstTheMock reads the live events of an in-process mock: a
// v3 call shows as a request event with its signature verdict, and the
// callback it causes as notification events, each decoded by this package.
func TestEvents_AgainstTheMock(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, ts := mock.NewTestServer(t, mock.Options{})
	sb := newClient(t, ts.URL)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	m, err := sb.CreateMerchant(ctx, sandbox.CreateMerchantRequest{NotifyURL: receiver.URL + "/notify"})
	require.NoError(t, err)
	c := merchantClient(t, ts.URL, m)

	events := sb.Events(ctx, sandbox.EventsRequest{MchID: m.MchID})
	next, stop := iter.Pull2(events)
	defer stop()

	// The stream opens at the first next(), at a moment the test cannot
	// see: a v3 call is repeated (a bounded number of times) until one
	// shows in the stream.
	opened := make(chan struct{})
	go func() {
		for range 200 {
			select {
			case <-opened:
				return
			case <-time.After(50 * time.Millisecond):
			}
			_, _ = c.UserServiceState(ctx, client.UserServiceStateRequest{ServiceID: m.ServiceIDs[0], AppID: m.AppIDs[0], OpenID: "oLive"})
		}
	}()
	var sawRequest, sawDelivered bool
	for !sawRequest || !sawDelivered {
		e, err, ok := next()
		require.True(t, ok, "the stream ended")
		require.NoError(t, err)
		switch e.Type {
		case sandbox.EventRequest:
			r, err := e.Request()
			require.NoError(t, err)
			if r.Path == "/v3/payscore/user-service-state" && !sawRequest {
				sawRequest = true
				close(opened)
				assert.Equal(t, m.MchID, r.MchID)
				assert.Equal(t, sandbox.SignatureValid, r.Signature)
				assert.Equal(t, http.StatusOK, r.Status)
				// Now a callback: the user opens the service.
				_, err := srv.AuthorizeUser("oLive", mock.AuthorizeRequest{MchID: m.MchID})
				require.NoError(t, err)
				_, err = srv.Advance(time.Second)
				require.NoError(t, err)
			}
		case sandbox.EventNotification:
			n, err := e.Notification()
			require.NoError(t, err)
			if n.State == sandbox.NotificationDelivered {
				sawDelivered = true
				assert.Equal(t, "PAYSCORE.USER_OPEN_SERVICE", n.EventType)
				require.NotNil(t, n.Attempt)
				assert.Equal(t, http.StatusNoContent, n.Attempt.Status)
			}
		}
	}
}

// TestClient_Partner registers a service provider, binds and unbinds its
// sub-merchants, and plays a sub-merchant's user against an in-process
// mock.
func TestClient_Partner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, ts := mock.NewTestServer(t, mock.Options{})
	sb := newClient(t, ts.URL)

	p, err := sb.CreateMerchant(ctx, sandbox.CreateMerchantRequest{Kind: sandbox.KindPartner, SubMerchants: []sandbox.SubMerchant{
		{SubMchID: "1900000109", SubAppIDs: []string{"wxsubapp0000000001"}}, {},
	}})
	require.NoError(t, err)
	assert.Equal(t, sandbox.KindPartner, p.Kind)
	require.Len(t, p.SubMerchants, 2)
	assert.Equal(t, sandbox.SubMerchant{SubMchID: "1900000109", SubAppIDs: []string{"wxsubapp0000000001"}}, p.SubMerchants[0])
	assert.NotEmpty(t, p.SubMerchants[1].SubMchID, "a sub_mchid left out is drawn")
	other := p.SubMerchants[1].SubMchID

	a, err := sb.AuthorizeUser(ctx, sandbox.AuthorizeUserRequest{OpenID: "oSubApp", MchID: p.MchID, SubMchID: "1900000109", SubAppID: "wxsubapp0000000001"})
	require.NoError(t, err)
	assert.Equal(t, "1900000109", a.SubMchID)
	assert.Equal(t, "oSubApp", a.SubOpenID)

	c := merchantClient(t, ts.URL, p)
	req := client.CreatePartnerServiceOrderRequest{SubMchID: other, CreateServiceOrderRequest: client.CreateServiceOrderRequest{
		OutOrderNo: "P-SB-1", AppID: p.AppIDs[0], ServiceID: p.ServiceIDs[0], ServiceIntroduction: "充电宝",
		TimeRange: client.TimeRange{StartTime: client.StartOnAccept}, RiskFund: client.RiskFund{Name: client.RiskFundDeposit, Amount: 9900},
		NotifyURL: "https://sp.example.com/notify",
	}}
	_, err = c.CreatePartnerServiceOrder(ctx, req)
	require.NoError(t, err)
	o, err := sb.ConfirmOrder(ctx, sandbox.ConfirmOrderRequest{MchID: p.MchID, SubMchID: other, OutOrderNo: "P-SB-1", OpenID: "oOther"})
	require.NoError(t, err)
	require.NotNil(t, o.ServiceOrder)
	assert.Equal(t, other, o.ServiceOrder.SubMchID)
	_, err = sb.GetOrder(ctx, sandbox.GetOrderRequest{MchID: p.MchID, OutOrderNo: "P-SB-1"})
	assert.True(t, sandbox.IsCode(err, sandbox.CodeNotFound), "the first sub-merchant has no such order: %v", err)
	orders, err := sb.ListOrders(ctx, sandbox.ListOrdersRequest{MchID: p.MchID, SubMchID: other})
	require.NoError(t, err)
	require.Len(t, orders, 1)

	up, err := sb.UpdateMerchant(ctx, sandbox.UpdateMerchantRequest{MchID: p.MchID, SubMerchants: []sandbox.SubMerchant{{SubMchID: "1900000109", SubAppIDs: []string{}}}})
	require.NoError(t, err)
	assert.Equal(t, []sandbox.SubMerchant{{SubMchID: "1900000109", SubAppIDs: []string{}}}, up.SubMerchants, "unbinds the other")
	_, err = c.QueryPartnerServiceOrder(ctx, client.QueryPartnerServiceOrderRequest{OutOrderNo: "P-SB-1", ServiceID: p.ServiceIDs[0], SubMchID: other})
	assert.True(t, client.IsCode(err, client.CodeNoAuth), "an unbound sub-merchant: %v", err)
}
