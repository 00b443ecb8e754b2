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

	o, err := f.srv.Order(f.m.MchID, "", "GOPAY-1")
	require.NoError(t, err)
	require.NotEmpty(t, o.Timeline)
	assert.Contains(t, o.Timeline[0].Summary, "POST /payscore/serviceorder/direct-complete → 200")
}

// gopayReceiver is a notify_url served by gopay's own notification code:
// it verifies each callback with the platform keys the client downloaded
// and decrypts it with the APIv3 key, as a service provider's handler
// written with gopay does.
type gopayReceiver struct {
	mu  sync.Mutex
	got []gopayEvent
	url string
}

// gopayEvent is what a service provider reads of its callbacks: gopay
// decrypts into structs only.
type gopayEvent struct {
	EventType    string `json:"-"`
	MchID        string `json:"mchid"`
	SpMchID      string `json:"sp_mchid"`
	SubMchID     string `json:"sub_mchid"`
	OutOrderNo   string `json:"out_order_no"`
	State        string `json:"state"`
	RefundStatus string `json:"refund_status"`
}

func newGopayReceiver(t *testing.T, c *wechat.ClientV3, apiV3Key string) *gopayReceiver {
	rc := &gopayReceiver{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := wechat.V3ParseNotify(r)
		if err == nil {
			err = n.VerifySignByPKMap(c.WxPublicKeyMap())
		}
		var res gopayEvent
		if err == nil {
			err = n.DecryptCipherTextToStruct(apiV3Key, &res)
		}
		if err != nil {
			t.Errorf("gopay refused a callback: %v", err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		res.EventType = n.EventType
		rc.mu.Lock()
		rc.got = append(rc.got, res)
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(ts.Close)
	rc.url = ts.URL + "/notify"
	return rc
}

func (rc *gopayReceiver) callbacks() []gopayEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]gopayEvent(nil), rc.got...)
}

// TestSDK_GopayPartner runs a service provider's ride through gopay
// v1.5.115's unmodified partner methods (V3ScoreOrderPartnerCreate, Query,
// Complete, Cancel) and its refund, with gopay verifying every answer and
// every callback. Its partner cancel expects 200 where the partner API
// answers 204 (protocol-partner.md §4.4): the order is cancelled, and
// gopay reports Code 204.
func TestSDK_GopayPartner(t *testing.T) {
	f := newPartnerFixture(t)
	f.partnerAuthorize(subA, "oGopayP")
	c, err := wechat.NewClientV3(f.m.MchID, f.m.SerialNo, f.m.APIv3Key, f.m.PrivateKeyPEM)
	require.NoError(t, err)
	c.SetProxyHost(f.ts.URL)
	require.NoError(t, c.AutoVerifySign(false))
	rc := newGopayReceiver(t, c, f.m.APIv3Key)
	ctx := context.Background()

	create := func(no string, needConfirm bool) *wechat.ScoreOrderPartnerCreateRsp {
		bm := make(gopay.BodyMap)
		bm.Set("out_order_no", no).
			Set("appid", f.appid()).
			Set("service_id", f.serviceID()).
			Set("sub_mchid", subA.SubMchID).
			Set("service_introduction", "充电宝租借").
			Set("need_user_confirm", needConfirm).
			Set("notify_url", rc.url).
			SetBodyMap("time_range", func(b gopay.BodyMap) { b.Set("start_time", protocol.Format14(f.now())) }).
			SetBodyMap("risk_fund", func(b gopay.BodyMap) { b.Set("name", "DEPOSIT").Set("amount", 9900) })
		if !needConfirm {
			bm.Set("openid", "oGopayP")
		}
		rsp, err := c.V3ScoreOrderPartnerCreate(ctx, bm)
		require.NoError(t, err, "the answer's signature verifies")
		require.Equal(t, wechat.Success, rsp.Code, rsp.Error)
		return rsp
	}
	created := create("GOPAY-P-1", false)
	assert.Equal(t, "DOING", created.Response.State)
	assert.Equal(t, subA.SubMchID, created.Response.SubMchid)
	assert.Equal(t, f.m.MchID, created.Response.Mchid)

	f.advance(20 * time.Minute)
	bm := make(gopay.BodyMap)
	bm.Set("service_id", f.serviceID()).
		Set("sub_mchid", subA.SubMchID).
		Set("post_payments", []map[string]any{{"name": "租金", "amount": 300}}).
		Set("total_amount", 300).
		SetBodyMap("time_range", func(b gopay.BodyMap) { b.Set("end_time", protocol.Format14(f.now())) })
	done, err := c.V3ScoreOrderPartnerComplete(ctx, "GOPAY-P-1", bm)
	require.NoError(t, err, "the 204's signature verifies")
	require.Equal(t, wechat.Success, done.Code, done.Error)

	f.advance(time.Minute)
	got := rc.callbacks()
	require.Len(t, got, 1)
	assert.Equal(t, gopayEvent{EventType: "PAYSCORE.USER_PAID", MchID: f.m.MchID, SubMchID: subA.SubMchID, OutOrderNo: "GOPAY-P-1", State: "DONE"}, got[0])

	q, err := c.V3ScoreOrderPartnerQuery(ctx, wechat.OutTradeNo, "GOPAY-P-1", f.serviceID(), subA.SubMchID)
	require.NoError(t, err)
	require.Equal(t, wechat.Success, q.Code, q.Error)
	assert.Equal(t, "DONE", q.Response.State)
	assert.Equal(t, subA.SubMchID, q.Response.SubMchid)
	require.NotNil(t, q.Response.Collection)
	require.Len(t, q.Response.Collection.Details, 1)

	refund := make(gopay.BodyMap)
	refund.Set("sub_mchid", subA.SubMchID).
		Set("transaction_id", q.Response.Collection.Details[0].TransactionId).
		Set("out_refund_no", "GOPAY-P-RF").
		Set("notify_url", rc.url).
		SetBodyMap("amount", func(b gopay.BodyMap) { b.Set("refund", 300).Set("total", 300).Set("currency", "CNY") })
	r, err := c.V3Refund(ctx, refund)
	require.NoError(t, err)
	require.Equal(t, wechat.Success, r.Code, r.Error)
	f.advance(time.Minute)
	got = rc.callbacks()
	require.Len(t, got, 2)
	assert.Equal(t, gopayEvent{EventType: "REFUND.SUCCESS", SpMchID: f.m.MchID, SubMchID: subA.SubMchID, RefundStatus: "SUCCESS"}, got[1])

	create("GOPAY-P-2", true)
	cancelled, err := c.V3ScoreOrderPartnerCancel(ctx, subA.SubMchID, "GOPAY-P-2", f.serviceID(), "用户取消")
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, cancelled.Code, "gopay's partner cancel takes the documented 204 for a failure")
	_, after, _ := f.partnerQuery(subA, "GOPAY-P-2")
	assert.Equal(t, "REVOKED", after["state"], "the order is cancelled all the same")
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
