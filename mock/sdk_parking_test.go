package mock_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/wexinpayscoreparking"

	"github.com/mockpay/mockpay/mock"
)

// TestSDK_ParkingFlow runs Pay Score parking through the official SDK's
// parking service, unmodified: its typed calls with the response validator
// on, its notify.Handler verifying and decrypting every callback, against
// the in-process mock on the virtual clock. Three stays: one paid, one
// whose wallet is too low (PAY_FAIL), one whose user pauses the service
// while the car is parked.
func TestSDK_ParkingFlow(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	ctx := context.Background()
	hc := sdkHTTPClient(t, ts)
	m, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	k := keyOf(t, m)
	client, nh := sdkCertificateClient(t, hc, k)
	var rc sdkReceiver
	notifySrv := httptest.NewServer(rc.handler(t, nh))
	defer notifySrv.Close()

	services := wexinpayscoreparking.ServicesApiService{Client: client}
	parkings := wexinpayscoreparking.ParkingsApiService{Client: client}
	transactions := wexinpayscoreparking.TransactionsApiService{Client: client}
	appid, notifyURL := m.AppIDs[0], notifySrv.URL+"/notify"
	blue := wexinpayscoreparking.PLATECOLOR_BLUE
	advance := func(d time.Duration) {
		t.Helper()
		_, err := srv.Advance(d)
		require.NoError(t, err)
	}

	// The plates' users open the service; services/find tells the merchant.
	stays := []struct{ openid, plate string }{{"oSDKPaid", "粤B100001"}, {"oSDKShort", "粤B100002"}, {"oSDKPause", "粤B100003"}}
	for _, s := range stays {
		ps, _, err := services.QueryPlateService(ctx, wexinpayscoreparking.QueryPlateServiceRequest{
			Appid: core.String(appid), PlateNumber: core.String(s.plate), Openid: core.String(s.openid), PlateColor: blue.Ptr(),
		})
		require.NoError(t, err, "the SDK validates the answer's signature")
		assert.Equal(t, "OUT_SERVICE", *ps.ServiceState)
		_, err = srv.SetPlate(s.openid, s.plate, mock.PlateRequest{MchID: m.MchID, State: "NORMAL"})
		require.NoError(t, err)
		ps, _, err = services.QueryPlateService(ctx, wexinpayscoreparking.QueryPlateServiceRequest{
			Appid: core.String(appid), PlateNumber: core.String(s.plate), Openid: core.String(s.openid), PlateColor: blue.Ptr(),
		})
		require.NoError(t, err)
		assert.Equal(t, "NORMAL", *ps.ServiceState)
		require.NotNil(t, ps.ServiceOpenTime, "service_open_time decodes as a time.Time")
		assert.True(t, ps.ServiceOpenTime.Equal(srv.Clock().Now()))
	}
	require.NoError(t, srv.SetWallet("oSDKShort", mock.Wallet{Balance: ptr64(300)}))

	// The cars enter, in UTC as wechatpay-go writes a UTC time.
	start := srv.Clock().Now().UTC().Truncate(time.Second)
	entries := map[string]*wexinpayscoreparking.Parking{}
	for i, s := range stays {
		p, _, err := parkings.CreateParking(ctx, wexinpayscoreparking.CreateParkingRequest{
			OutParkingNo: core.String("SDK-IN-" + s.plate[len(s.plate)-1:]), PlateNumber: core.String(s.plate), PlateColor: blue.Ptr(),
			NotifyUrl: core.String(notifyURL), StartTime: core.Time(start), ParkingName: core.String(parkingName), FreeDuration: core.Int64(900),
		})
		require.NoError(t, err, "stay %d", i)
		assert.Equal(t, "NORMAL", *p.State)
		assert.Nil(t, p.BlockReason)
		entries[s.openid] = p
	}
	advance(2 * time.Hour)
	_, err = srv.SetPlate("oSDKPause", "粤B100003", mock.PlateRequest{MchID: m.MchID, State: "PAUSE"})
	require.NoError(t, err)
	advance(0)

	// The cars leave: deductions are accepted, then settled on the clock.
	end := srv.Clock().Now()
	deduct := func(no, openid string) (*wexinpayscoreparking.Transaction, error) {
		e := entries[openid]
		st, err := time.Parse(time.RFC3339, *e.StartTime)
		require.NoError(t, err)
		tx, _, err := transactions.CreateTransaction(ctx, wexinpayscoreparking.CreateTransactionRequest{
			Appid: core.String(appid), Description: core.String("停车费"), OutTradeNo: core.String(no),
			TradeScene: core.String("PARKING"), NotifyUrl: core.String(notifyURL),
			Amount: &wexinpayscoreparking.OrderAmount{Total: core.Int64(1200), Currency: core.String("CNY")},
			ParkingInfo: &wexinpayscoreparking.ParkingTradeScene{
				ParkingId: e.Id, PlateNumber: e.PlateNumber, PlateColor: e.PlateColor, StartTime: core.Time(st),
				EndTime: core.Time(end), ParkingName: e.ParkingName, ChargingDuration: core.Int64(7200), DeviceId: core.String("GATE-1"),
			},
		})
		return tx, err
	}
	for no, openid := range map[string]string{"SDK-PK-PAID": "oSDKPaid", "SDK-PK-SHORT": "oSDKShort"} {
		tx, err := deduct(no, openid)
		require.NoError(t, err, no)
		assert.Equal(t, "ACCEPTED", *tx.TradeState)
		assert.Equal(t, k.mchid, *tx.SpMchid)
		assert.Equal(t, openid, *tx.Payer.Openid)
	}
	_, err = deduct("SDK-PK-PAUSE", "oSDKPause")
	var apiErr *core.APIError
	require.ErrorAs(t, err, &apiErr, "the paused user's entry is BLOCKED")
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, "INVALID_REQUEST", apiErr.Code)
	advance(time.Minute)

	paid, _, err := transactions.QueryTransaction(ctx, wexinpayscoreparking.QueryTransactionRequest{OutTradeNo: core.String("SDK-PK-PAID")})
	require.NoError(t, err)
	assert.Equal(t, "SUCCESS", *paid.TradeState)
	require.NotNil(t, paid.SuccessTime)
	assert.NotEmpty(t, *paid.TransactionId)
	assert.Equal(t, int64(1200), *paid.Amount.PayerTotal)
	short, _, err := transactions.QueryTransaction(ctx, wexinpayscoreparking.QueryTransactionRequest{OutTradeNo: core.String("SDK-PK-SHORT")})
	require.NoError(t, err)
	assert.Equal(t, "PAY_FAIL", *short.TradeState)
	assert.Nil(t, short.TransactionId)

	rc.mu.Lock()
	defer rc.mu.Unlock()
	assert.Empty(t, rc.errs, "the SDK's notify handler accepts every callback")
	require.ElementsMatch(t, []string{"VEHICLE.ENTRANCE_STATE_CHANGE", "TRANSACTION.SUCCESS", "TRANSACTION.FAIL"}, rc.types)
	for i, typ := range rc.types {
		ev := rc.events[i]
		switch typ {
		case "VEHICLE.ENTRANCE_STATE_CHANGE":
			assert.Equal(t, "BLOCKED", ev["parking_state"])
			assert.Equal(t, "PAUSE", ev["blocked_state_description"])
			assert.Equal(t, *entries["oSDKPause"].Id, ev["parking_id"])
		case "TRANSACTION.SUCCESS":
			assert.Equal(t, "SDK-PK-PAID", ev["out_trade_no"])
		case "TRANSACTION.FAIL":
			assert.Equal(t, "SDK-PK-SHORT", ev["out_trade_no"])
			assert.Equal(t, "PAY_FAIL", ev["trade_state"])
		}
	}
}
