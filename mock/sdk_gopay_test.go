package mock_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	wechat "github.com/go-pay/gopay/wechat/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// TestSDK_GopayDirectComplete: gopay posts direct-complete to WeChat Pay's
// documented path without /v3 (/payscore/serviceorder/direct-complete); the
// unmodified client gets the order, verifies the mock's signature, and the
// deduction and its USER_PAID callback follow as for any order.
func TestSDK_GopayDirectComplete(t *testing.T) {
	f := newFixture(t)
	f.authorize("oGopay")
	c, err := wechat.NewClientV3(f.m.MchID, f.m.SerialNo, f.m.APIv3Key, f.m.PrivateKeyPEM)
	require.NoError(t, err)
	c.SetProxyHost(f.ts.URL)
	require.NoError(t, c.AutoVerifySign(false), "gopay downloads the platform certificate from the mock")

	bm := make(gopay.BodyMap)
	bm.Set("out_order_no", "GOPAY-1").
		Set("appid", f.appid()).
		Set("service_id", f.serviceID()).
		Set("openid", "oGopay").
		Set("service_introduction", "充电宝租借").
		Set("post_payments", []map[string]any{{"name": "租金", "amount": 300}}).
		Set("total_amount", 300).
		Set("notify_url", f.rc.url()).
		SetBodyMap("time_range", func(b gopay.BodyMap) {
			b.Set("start_time", protocol.Format14(f.now().Add(-2*time.Hour))).Set("end_time", protocol.Format14(f.now().Add(-time.Minute)))
		})
	rsp, err := c.V3ScoreDirectComplete(context.Background(), bm)
	require.NoError(t, err, "the response's signature verifies")
	require.Equal(t, wechat.Success, rsp.Code, rsp.Error)
	assert.Equal(t, "GOPAY-1", rsp.Response.OutOrderNo)
	assert.Equal(t, "DOING", rsp.Response.State)
	assert.Equal(t, "MCH_COMPLETE", rsp.Response.StateDescription)
	assert.Equal(t, 300, rsp.Response.TotalAmount)

	f.advance(time.Minute)
	assert.Equal(t, "DONE", f.query("GOPAY-1").State)
	assert.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_PAID"}, f.rc.events())

	o, err := f.srv.Order(f.m.MchID, "GOPAY-1")
	require.NoError(t, err)
	require.NotEmpty(t, o.Timeline)
	assert.Contains(t, o.Timeline[0].Summary, "POST /payscore/serviceorder/direct-complete → 200")
}

// TestSDK_GopayParking: gopay's parking calls, unmodified, verify the
// mock's signatures; its notify parsing verifies and decrypts the parking
// callbacks into its own result types.
func TestSDK_GopayParking(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	m, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	c, err := wechat.NewClientV3(m.MchID, m.SerialNo, m.APIv3Key, m.PrivateKeyPEM)
	require.NoError(t, err)
	c.SetProxyHost(ts.URL)
	require.NoError(t, c.AutoVerifySign(false))

	var mu sync.Mutex
	var entered []wechat.V3DecryptParkingInResult
	var paid []wechat.V3DecryptParkingPayResult
	notifySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := wechat.V3ParseNotify(r)
		if err == nil {
			err = n.VerifySignByPKMap(c.WxPublicKeyMap())
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
		case n.EventType == "VEHICLE.ENTRANCE_STATE_CHANGE":
			var res wechat.V3DecryptParkingInResult
			err = n.DecryptCipherTextToStruct(m.APIv3Key, &res)
			entered = append(entered, res)
		default:
			var res wechat.V3DecryptParkingPayResult
			err = n.DecryptCipherTextToStruct(m.APIv3Key, &res)
			paid = append(paid, res)
		}
		if err != nil {
			t.Errorf("gopay refused a callback: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer notifySrv.Close()
	ctx := context.Background()
	const openid, plate = "oGopayDriver", "粤B200001"

	_, err = srv.SetPlate(openid, plate, mock.PlateRequest{MchID: m.MchID, State: "NORMAL"})
	require.NoError(t, err)
	q, err := c.V3VehicleParkingQuery(ctx, gopay.BodyMap{"appid": m.AppIDs[0], "plate_number": plate, "plate_color": "BLUE", "openid": openid})
	require.NoError(t, err, "the answer's signature verifies")
	require.Equal(t, wechat.Success, q.Code, q.Error)
	assert.Equal(t, "NORMAL", q.Response.ServiceState)

	start := srv.Clock().Now()
	in, err := c.V3VehicleParkingIn(ctx, gopay.BodyMap{
		"out_parking_no": "GOPAY-IN-1", "plate_number": plate, "plate_color": "BLUE", "notify_url": notifySrv.URL,
		"start_time": protocol.FormatRFC3339(start), "parking_name": "望京停车场", "free_duration": 600,
	})
	require.NoError(t, err)
	require.Equal(t, wechat.Success, in.Code, in.Error)
	assert.Equal(t, "NORMAL", in.Response.State)
	_, err = srv.Advance(time.Hour)
	require.NoError(t, err)
	fee, err := c.V3VehicleParkingFee(ctx, gopay.BodyMap{
		"appid": m.AppIDs[0], "description": "停车费", "out_trade_no": "GOPAY-PK-1", "trade_scene": "PARKING", "notify_url": notifySrv.URL,
		"amount": map[string]any{"total": 800},
		"parking_info": map[string]any{
			"parking_id": in.Response.Id, "plate_number": plate, "plate_color": "BLUE", "start_time": protocol.FormatRFC3339(start),
			"end_time": protocol.FormatRFC3339(srv.Clock().Now()), "parking_name": "望京停车场", "charging_duration": 3000, "device_id": "G1",
		},
	})
	require.NoError(t, err)
	require.Equal(t, wechat.Success, fee.Code, fee.Error)
	assert.Equal(t, "ACCEPTED", fee.Response.TradeState)
	_, err = srv.Advance(time.Minute)
	require.NoError(t, err)
	order, err := c.V3VehicleParkingOrder(ctx, "GOPAY-PK-1", gopay.BodyMap{})
	require.NoError(t, err, "gopay signs the query with a trailing ?")
	require.Equal(t, wechat.Success, order.Code, order.Error)
	assert.Equal(t, "SUCCESS", order.Response.TradeState)

	_, err = srv.SetPlate(openid, plate, mock.PlateRequest{MchID: m.MchID, State: "PAUSE"})
	require.NoError(t, err)
	in2, err := c.V3VehicleParkingIn(ctx, gopay.BodyMap{
		"out_parking_no": "GOPAY-IN-2", "plate_number": plate, "plate_color": "BLUE", "notify_url": notifySrv.URL,
		"start_time": protocol.FormatRFC3339(srv.Clock().Now()), "parking_name": "望京停车场", "free_duration": 600,
	})
	require.NoError(t, err)
	assert.Equal(t, "BLOCKED", in2.Response.State)
	assert.Equal(t, "PAUSE", in2.Response.BlockReason)
	_, err = srv.SetPlate(openid, plate, mock.PlateRequest{MchID: m.MchID, State: "NORMAL"})
	require.NoError(t, err)
	_, err = srv.Advance(0)
	require.NoError(t, err)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, paid, 1)
	assert.Equal(t, "GOPAY-PK-1", paid[0].OutTradeNo)
	assert.Equal(t, "SUCCESS", paid[0].TradeState)
	assert.Equal(t, m.MchID, paid[0].SpMchid)
	require.Len(t, entered, 1)
	assert.Equal(t, in2.Response.Id, entered[0].ParkingId)
	assert.Equal(t, "NORMAL", entered[0].ParkingState)
}
