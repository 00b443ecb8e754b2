package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
)

// The JSON samples below are copied from protocol.md (or, where it gives
// only a field table, written from that table). They pin the client's JSON
// names independently of the mock.

// userConfirmSample is the real decrypted PAYSCORE.USER_CONFIRM resource of
// protocol.md §6.3.
const userConfirmSample = `{"appid":"wx0708325fba9","mchid":"156415191","service_id":"0000400000493379273041555","out_order_no":"201912052688130837476270080","service_introduction":"智慧零售","state":"DOING","state_description":"USER_CONFIRM","total_amount":0,"risk_fund":{"name":"ESTIMATE_ORDER_COST","amount":20000,"description":""},"time_range":{"start_time":"20191205135948"},"location":{"start_location":"开始服务地址"},"attach":"","notify_url":"https://xx.com/xxx","order_id":"1000000000201912051179181160016","need_collection":true,"openid":"oP1qG5BrYSZjZo2WUgrhQylci-3I"}`

// userPaidSample has every field protocol.md §6.3 lists for
// PAYSCORE.USER_PAID, with the collection of §4.1.7.
const userPaidSample = `{"appid":"wxd678efh567hg6787","mchid":"1230000109","out_order_no":"1234323JKHDFE1243252","service_id":"500001","openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
"state":"DONE","total_amount":3900,"service_introduction":"网约车出行",
"post_payments":[{"name":"里程费","amount":4000,"description":"12公里","count":1}],
"post_discounts":[{"name":"新人券","description":"首单立减","amount":100,"count":1}],
"risk_fund":{"name":"DEPOSIT","amount":10000,"description":"押金"},
"time_range":{"start_time":"20191205135948","start_time_remark":"上车","end_time":"20191205142000","end_time_remark":"下车"},
"location":{"start_location":"望京","end_location":"国贸"},"attach":"ride-7","notify_url":"https://xx.com/xxx",
"order_id":"1000000000201912021121095610061","need_collection":true,
"collection":{"state":"USER_PAID","total_amount":3900,"paying_amount":0,"paid_amount":3900,
 "details":[{"seq":1,"amount":3900,"paid_type":"NEWTON","paid_time":"20191205142005","transaction_id":"4200000459201912058437210397",
  "promotion_detail":[{"coupon_id":"109519","name":"单品惠","scope":"SINGLE","type":"NOCASH","amount":100,"stock_id":"931386","wechatpay_contribute":0,"merchant_contribute":100,"other_contribute":0,"currency":"CNY",
   "goods_detail":[{"goods_id":"M1006","quantity":1,"unit_price":4000,"discount_amount":100,"goods_remark":"商品备注"}]}]}]}}`

// permissionEventSample follows the PAYSCORE.USER_OPEN_SERVICE table of
// protocol.md §6.3.
const permissionEventSample = `{"appid":"wxd678efh567hg6787","mchid":"1230000109","out_request_no":"1234323JKHDFE1243252","service_id":"500001","openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","user_service_status":"USER_OPEN_SERVICE","openorclose_time":"20180225112233","authorization_code":"1234323JKHDFE1243252"}`

// permissionSample follows the authorization record of protocol.md §3.2.
const permissionSample = `{"service_id":"500001","appid":"wxd678efh567hg6787","mchid":"1230000109","openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","authorization_code":"AUTH_1","authorization_state":"UNAVAILABLE","notify_url":"https://api.test.com","cancel_authorization_time":"2015-05-20T13:29:35.120+08:00","authorization_success_time":"2015-05-20T13:29:35.120+08:00","user_risk_level":2,"risk_level_version":1}`

// roundTrip decodes sample into a new T, checks that encoding and decoding
// it again changes nothing, and returns it.
func roundTrip[T any](t *testing.T, sample string) T {
	t.Helper()
	var first T
	require.NoError(t, json.Unmarshal([]byte(sample), &first))
	encoded, err := json.Marshal(first)
	require.NoError(t, err)
	var second T
	require.NoError(t, json.Unmarshal(encoded, &second))
	assert.Equal(t, first, second, "re-encoded as %s", encoded)
	return first
}

func TestJSON_ServiceOrderEvent(t *testing.T) {
	t.Run("USER_CONFIRM real sample", func(t *testing.T) {
		ev := roundTrip[client.ServiceOrderEvent](t, userConfirmSample)
		assert.Equal(t, client.ServiceOrderEvent{ServiceOrder: client.ServiceOrder{
			AppID:               "wx0708325fba9",
			MchID:               "156415191",
			OutOrderNo:          "201912052688130837476270080",
			ServiceID:           "0000400000493379273041555",
			ServiceIntroduction: "智慧零售",
			State:               client.StateDoing,
			StateDescription:    client.DescriptionUserConfirm,
			RiskFund:            client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: 20000},
			TimeRange:           client.TimeRange{StartTime: "20191205135948"},
			Location:            client.Location{StartLocation: "开始服务地址"},
			NotifyURL:           "https://xx.com/xxx",
			OpenID:              "oP1qG5BrYSZjZo2WUgrhQylci-3I",
			OrderID:             "1000000000201912051179181160016",
			NeedCollection:      client.Bool(true),
		}}, ev)
	})

	t.Run("USER_PAID with collection and coupons", func(t *testing.T) {
		ev := roundTrip[client.ServiceOrderEvent](t, userPaidSample)
		assert.Equal(t, client.StateDone, ev.State)
		assert.Empty(t, ev.StateDescription)
		assert.Equal(t, int64(3900), ev.TotalAmount)
		assert.Equal(t, []client.Payment{{Name: "里程费", Amount: client.Fen(4000), Description: "12公里", Count: 1}}, ev.PostPayments)
		assert.Equal(t, []client.Discount{{Name: "新人券", Description: "首单立减", Amount: client.Fen(100), Count: 1}}, ev.PostDiscounts)
		assert.Equal(t, client.RiskFund{Name: client.RiskFundDeposit, Amount: 10000, Description: "押金"}, ev.RiskFund)
		assert.Equal(t, client.TimeRange{StartTime: "20191205135948", StartTimeRemark: "上车", EndTime: "20191205142000", EndTimeRemark: "下车"}, ev.TimeRange)
		assert.Equal(t, client.Location{StartLocation: "望京", EndLocation: "国贸"}, ev.Location)
		assert.Equal(t, "ride-7", ev.Attach)
		require.NotNil(t, ev.Collection)
		assert.Equal(t, client.Collection{
			State: client.CollectionUserPaid, TotalAmount: 3900, PayingAmount: 0, PaidAmount: 3900,
			Details: []client.CollectionDetail{{
				Seq: 1, Amount: 3900, PaidType: client.PaidTypeNewton, PaidTime: "20191205142005",
				TransactionID: "4200000459201912058437210397",
				PromotionDetail: []client.PromotionDetail{{
					CouponID: "109519", Name: "单品惠", Scope: "SINGLE", Type: "NOCASH", Amount: 100, StockID: "931386",
					MerchantContribute: 100, Currency: "CNY",
					GoodsDetail: []client.PromotionGoods{{GoodsID: "M1006", Quantity: 1, UnitPrice: 4000, DiscountAmount: 100, GoodsRemark: "商品备注"}},
				}},
			}},
		}, *ev.Collection)
		paidAt, err := ev.Collection.Details[0].PaidAt()
		require.NoError(t, err)
		assert.Equal(t, "2019-12-05T14:20:05+08:00", paidAt.Format(time.RFC3339))
	})
}

func TestJSON_PermissionEvent(t *testing.T) {
	ev := roundTrip[client.PermissionEvent](t, permissionEventSample)
	assert.Equal(t, client.PermissionEvent{
		AppID:             "wxd678efh567hg6787",
		MchID:             "1230000109",
		OutRequestNo:      "1234323JKHDFE1243252",
		ServiceID:         "500001",
		OpenID:            "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		UserServiceStatus: client.UserOpenService,
		OpenOrCloseTime:   "20180225112233",
		AuthorizationCode: "1234323JKHDFE1243252",
	}, ev)
}

func TestJSON_Permission(t *testing.T) {
	p := roundTrip[client.Permission](t, permissionSample)
	level, version := 2, 1
	assert.Equal(t, client.Permission{
		ServiceID:                "500001",
		AppID:                    "wxd678efh567hg6787",
		MchID:                    "1230000109",
		OpenID:                   "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		AuthorizationCode:        "AUTH_1",
		AuthorizationState:       client.AuthorizationUnavailable,
		NotifyURL:                "https://api.test.com",
		CancelAuthorizationTime:  "2015-05-20T13:29:35.120+08:00",
		AuthorizationSuccessTime: "2015-05-20T13:29:35.120+08:00",
		UserRiskLevel:            &level,
		RiskLevelVersion:         &version,
	}, p)
}

// The partner payloads of protocol-partner.md §5.3 and §3.2: the service
// provider in appid and mchid, the sub-merchant in the sub_ fields; a
// partner refund callback names the service provider sp_mchid.
func TestJSON_PartnerPayloads(t *testing.T) {
	ev := roundTrip[client.ServiceOrderEvent](t, `{"appid":"wxd678efh567hg6787","mchid":"1900000001","sub_mchid":"1900000109","sub_appid":"wxsubapp0000000001","out_order_no":"P-1","service_id":"500001","sub_openid":"oSub","state":"DONE","order_id":"1000000000201912021121095610061"}`)
	assert.Equal(t, "1900000001", ev.MchID)
	assert.Equal(t, "1900000109", ev.SubMchID)
	assert.Equal(t, "wxsubapp0000000001", ev.SubAppID)
	assert.Equal(t, "oSub", ev.SubOpenID)
	assert.Empty(t, ev.OpenID)

	pe := roundTrip[client.PermissionEvent](t, `{"appid":"wxd678efh567hg6787","mchid":"1900000001","sub_mchid":"1900000109","sub_appid":"wxsubapp0000000001","service_id":"500001","sub_openid":"oSub","user_service_status":"USER_CLOSE_SERVICE","openorclose_time":"20180225112233"}`)
	assert.Equal(t, client.PermissionEvent{
		AppID: "wxd678efh567hg6787", MchID: "1900000001", SubMchID: "1900000109", SubAppID: "wxsubapp0000000001",
		ServiceID: "500001", SubOpenID: "oSub", UserServiceStatus: client.UserCloseService, OpenOrCloseTime: "20180225112233",
	}, pe)

	p := roundTrip[client.Permission](t, `{"service_id":"500001","appid":"wxd678efh567hg6787","mchid":"1900000001","sub_mchid":"1900000109","openid":"oSP","authorization_state":"AVAILABLE"}`)
	assert.Equal(t, "1900000109", p.SubMchID)

	rf := roundTrip[client.RefundEvent](t, `{"sp_mchid":"1900000001","sub_mchid":"1900000109","out_trade_no":"T","transaction_id":"4200","out_refund_no":"RF","refund_id":"50","refund_status":"SUCCESS","amount":{"total":100,"refund":100,"payer_total":100,"payer_refund":100}}`)
	assert.Equal(t, "1900000001", rf.SpMchID)
	assert.Equal(t, "1900000109", rf.SubMchID)
	assert.Empty(t, rf.MchID)
}

func TestJSON_UserServiceState(t *testing.T) {
	st := roundTrip[client.UserServiceState](t, `{"appid":"wxd678efh567hg6787","service_id":"500001","openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","use_service_state":"AVAILABLE"}`)
	assert.Equal(t, client.UserServiceState{
		AppID: "wxd678efh567hg6787", ServiceID: "500001", OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		UseServiceState: client.UseServiceAvailable,
	}, st)
}

func TestNotification_EventTypeGuards(t *testing.T) {
	permission := &client.Notification{ID: "EV-1", EventType: client.EventUserOpenService, Plaintext: []byte(permissionEventSample)}
	order := &client.Notification{ID: "EV-2", EventType: client.EventUserPaid, Plaintext: []byte(userPaidSample)}

	_, err := permission.ServiceOrderEvent()
	assert.ErrorContains(t, err, "PAYSCORE.USER_OPEN_SERVICE, not PAYSCORE.USER_CONFIRM or PAYSCORE.USER_PAID")
	_, err = order.PermissionEvent()
	assert.ErrorContains(t, err, "PAYSCORE.USER_PAID, not PAYSCORE.USER_OPEN_SERVICE")

	ev, err := order.ServiceOrderEvent()
	require.NoError(t, err)
	assert.Equal(t, "1234323JKHDFE1243252", ev.OutOrderNo)
	pev, err := permission.PermissionEvent()
	require.NoError(t, err)
	assert.Equal(t, client.UserOpenService, pev.UserServiceStatus)

	broken := &client.Notification{ID: "EV-3", EventType: client.EventUserConfirm, Plaintext: []byte(`{"total_amount":"12"}`)}
	_, err = broken.ServiceOrderEvent()
	assert.ErrorContains(t, err, "decode PAYSCORE.USER_CONFIRM notification EV-3")
}

func TestTime14(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"UTC is shifted to Beijing", time.Date(2026, 12, 1, 1, 0, 5, 0, time.UTC), "20261201090005"},
		{"across midnight", time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), "20270101003000"},
		{"sub-second is dropped", time.Date(2026, 12, 1, 1, 0, 5, 999_000_000, time.UTC), "20261201090005"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, client.Time14(tc.in))
		})
	}
}

func TestCollectionDetail_PaidAt(t *testing.T) {
	tests := []struct {
		name     string
		paidTime string
		want     string // RFC 3339, "" for an error
	}{
		{"14 digits", "20261201093005", "2026-12-01T09:30:05+08:00"},
		{"date only is midnight", "20261201", "2026-12-01T00:00:00+08:00"},
		{"RFC 3339 is not a paid_time", "2026-12-01T09:30:05+08:00", ""},
		{"impossible date", "20261301093005", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := client.CollectionDetail{Seq: 1, PaidTime: tc.paidTime}.PaidAt()
			if tc.want == "" {
				assert.ErrorContains(t, err, "collection detail 1 paid_time")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.Format(time.RFC3339))
		})
	}
}

// TestWireFormat pins what each method sends: method, path, query and the
// JSON body, written from protocol.md's field tables. The answers are a
// canned 400, so nothing but the client's own encoding is under test.
func TestWireFormat(t *testing.T) {
	f := loadFixtures(t)
	rec := &recorder{next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return jsonResponse(r, http.StatusBadRequest, `{"code":"PARAM_ERROR","message":"canned"}`, nil), nil
	})}
	c := newClient(t, f.defaultConfig(),
		client.WithBaseURL("https://api.mch.weixin.qq.com"),
		client.WithHTTPClient(&http.Client{Transport: rec}),
		client.WithVerifier(client.NewCertificateVerifier(f.platformCert)),
	)
	ctx := context.Background()
	const (
		app = "wxd678efh567hg6787"
		svc = "500001"
		no  = "1234323JKHDFE1243252"
	)
	tests := []struct {
		name     string
		call     func() error
		method   string
		uri      string
		wantBody string // "" for none
	}{
		{"user-service-state", func() error {
			_, err := c.UserServiceState(ctx, client.UserServiceStateRequest{ServiceID: svc, AppID: app, OpenID: "oUser"})
			return err
		}, "GET", "/v3/payscore/user-service-state?appid=wxd678efh567hg6787&openid=oUser&service_id=500001", ""},
		{"create permission", func() error {
			_, err := c.CreatePermission(ctx, client.CreatePermissionRequest{ServiceID: svc, AppID: app, AuthorizationCode: "AUTH_1", NotifyURL: "https://m.example/notify"})
			return err
		}, "POST", "/v3/payscore/permissions",
			`{"service_id":"500001","appid":"wxd678efh567hg6787","authorization_code":"AUTH_1","notify_url":"https://m.example/notify"}`},
		{"permission by code", func() error {
			_, err := c.QueryPermissionByCode(ctx, client.QueryPermissionByCodeRequest{AuthorizationCode: "AUTH_1", ServiceID: svc})
			return err
		}, "GET", "/v3/payscore/permissions/authorization-code/AUTH_1?service_id=500001", ""},
		{"permission by openid", func() error {
			_, err := c.QueryPermissionByOpenID(ctx, client.QueryPermissionByOpenIDRequest{OpenID: "oUser", ServiceID: svc, AppID: app})
			return err
		}, "GET", "/v3/payscore/permissions/openid/oUser?appid=wxd678efh567hg6787&service_id=500001", ""},
		{"terminate by code", func() error {
			return c.TerminatePermissionByCode(ctx, client.TerminatePermissionByCodeRequest{AuthorizationCode: "AUTH_1", ServiceID: svc, Reason: "注销"})
		}, "POST", "/v3/payscore/permissions/authorization-code/AUTH_1/terminate", `{"service_id":"500001","reason":"注销"}`},
		{"terminate by openid", func() error {
			return c.TerminatePermissionByOpenID(ctx, client.TerminatePermissionByOpenIDRequest{OpenID: "oUser", ServiceID: svc, AppID: app, Reason: "注销"})
		}, "POST", "/v3/payscore/permissions/openid/oUser/terminate", `{"service_id":"500001","appid":"wxd678efh567hg6787","reason":"注销"}`},
		{"terminate user service", func() error {
			return c.TerminateUserService(ctx, client.TerminateUserServiceRequest{OpenID: "oUser", ServiceID: svc, AppID: app, Reason: "注销"})
		}, "POST", "/v3/payscore/users/oUser/permissions/500001/terminate", `{"appid":"wxd678efh567hg6787","reason":"注销"}`},
		{"create service order", func() error {
			_, err := c.CreateServiceOrder(ctx, client.CreateServiceOrderRequest{
				OutOrderNo: no, AppID: app, ServiceID: svc, ServiceIntroduction: "网约车",
				PostPayments:  []client.Payment{{Name: "里程费", Amount: client.Fen(0), Description: "免费", Count: 1}},
				PostDiscounts: []client.Discount{{Name: "新人券", Description: "首单", Amount: client.Fen(10)}},
				TimeRange:     client.TimeRange{StartTime: client.StartOnAccept, StartTimeRemark: "上车", EndTime: "20261201100000", EndTimeRemark: "下车"},
				Location:      client.Location{StartLocation: "望京"},
				RiskFund:      client.RiskFund{Name: client.RiskFundDeposit, Amount: 10000, Description: "押金"},
				Attach:        "a&b=<c>", NotifyURL: "https://m.example/notify", OpenID: "oUser",
				NeedUserConfirm: client.Bool(false),
				Device:          client.Device{StartDeviceID: "D1", EndDeviceID: "D2", MaterielNo: "M1"},
			})
			return err
		}, "POST", "/v3/payscore/serviceorder",
			`{"out_order_no":"1234323JKHDFE1243252","appid":"wxd678efh567hg6787","service_id":"500001","service_introduction":"网约车",
			"post_payments":[{"name":"里程费","amount":0,"description":"免费","count":1}],
			"post_discounts":[{"name":"新人券","description":"首单","amount":10}],
			"time_range":{"start_time":"OnAccept","start_time_remark":"上车","end_time":"20261201100000","end_time_remark":"下车"},
			"location":{"start_location":"望京"},"risk_fund":{"name":"DEPOSIT","amount":10000,"description":"押金"},
			"attach":"a&b=<c>","notify_url":"https://m.example/notify","openid":"oUser","need_user_confirm":false,
			"device":{"start_device_id":"D1","end_device_id":"D2","materiel_no":"M1"}}`},
		{"create service order leaves optional fields out", func() error {
			_, err := c.CreateServiceOrder(ctx, client.CreateServiceOrderRequest{
				OutOrderNo: no, AppID: app, ServiceID: svc, ServiceIntroduction: "网约车",
				TimeRange: client.TimeRange{StartTime: "20261201"},
				RiskFund:  client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: 10000},
				NotifyURL: "https://m.example/notify",
			})
			return err
		}, "POST", "/v3/payscore/serviceorder",
			`{"out_order_no":"1234323JKHDFE1243252","appid":"wxd678efh567hg6787","service_id":"500001","service_introduction":"网约车",
			"time_range":{"start_time":"20261201"},"risk_fund":{"name":"ESTIMATE_ORDER_COST","amount":10000},"notify_url":"https://m.example/notify"}`},
		{"query by out_order_no", func() error {
			_, err := c.QueryServiceOrder(ctx, client.QueryServiceOrderRequest{OutOrderNo: no, ServiceID: svc, AppID: app})
			return err
		}, "GET", "/v3/payscore/serviceorder?appid=wxd678efh567hg6787&out_order_no=1234323JKHDFE1243252&service_id=500001", ""},
		{"query by query_id", func() error {
			_, err := c.QueryServiceOrder(ctx, client.QueryServiceOrderRequest{QueryID: "15646546545165651651", ServiceID: svc, AppID: app})
			return err
		}, "GET", "/v3/payscore/serviceorder?appid=wxd678efh567hg6787&query_id=15646546545165651651&service_id=500001", ""},
		{"cancel escapes out_order_no", func() error {
			_, err := c.CancelServiceOrder(ctx, client.CancelServiceOrderRequest{OutOrderNo: "A|B*C", AppID: app, ServiceID: svc, Reason: "用户投诉"})
			return err
		}, "POST", "/v3/payscore/serviceorder/A%7CB%2AC/cancel", `{"appid":"wxd678efh567hg6787","service_id":"500001","reason":"用户投诉"}`},
		{"complete with total 0", func() error {
			_, err := c.CompleteServiceOrder(ctx, client.CompleteServiceOrderRequest{
				OutOrderNo: no, AppID: app, ServiceID: svc,
				PostPayments:  []client.Payment{{Name: "里程费", Amount: client.Fen(0)}},
				TotalAmount:   0,
				TimeRange:     client.TimeRange{EndTime: "20261201100000"},
				Location:      client.Location{EndLocation: "国贸"},
				ProfitSharing: true, GoodsTag: "tag",
			})
			return err
		}, "POST", "/v3/payscore/serviceorder/1234323JKHDFE1243252/complete",
			`{"appid":"wxd678efh567hg6787","service_id":"500001","post_payments":[{"name":"里程费","amount":0}],"total_amount":0,
			"time_range":{"end_time":"20261201100000"},"location":{"end_location":"国贸"},"profit_sharing":true,"goods_tag":"tag"}`},
		{"modify", func() error {
			_, err := c.ModifyServiceOrder(ctx, client.ModifyServiceOrderRequest{
				OutOrderNo: no, AppID: app, ServiceID: svc,
				PostPayments:  []client.Payment{{Name: "里程费", Amount: client.Fen(1000)}},
				PostDiscounts: []client.Discount{{Name: "券", Amount: client.Fen(100)}},
				TotalAmount:   900, Reason: "多收",
			})
			return err
		}, "POST", "/v3/payscore/serviceorder/1234323JKHDFE1243252/modify",
			`{"appid":"wxd678efh567hg6787","service_id":"500001","post_payments":[{"name":"里程费","amount":1000}],"post_discounts":[{"name":"券","amount":100}],"total_amount":900,"reason":"多收"}`},
		{"pay", func() error {
			_, err := c.PayServiceOrder(ctx, client.PayServiceOrderRequest{OutOrderNo: no, AppID: app, ServiceID: svc})
			return err
		}, "POST", "/v3/payscore/serviceorder/1234323JKHDFE1243252/pay", `{"appid":"wxd678efh567hg6787","service_id":"500001"}`},
		{"sync", func() error {
			_, err := c.SyncServiceOrder(ctx, client.SyncServiceOrderRequest{
				OutOrderNo: no, AppID: app, ServiceID: svc, Type: client.SyncOrderPaid,
				Detail: client.SyncDetail{PaidTime: "20261201100500"},
			})
			return err
		}, "POST", "/v3/payscore/serviceorder/1234323JKHDFE1243252/sync",
			`{"appid":"wxd678efh567hg6787","service_id":"500001","type":"Order_Paid","detail":{"paid_time":"20261201100500"}}`},
		{"direct complete", func() error {
			_, err := c.DirectCompleteServiceOrder(ctx, client.DirectCompleteServiceOrderRequest{
				OutOrderNo: no, AppID: app, ServiceID: svc, OpenID: "oUser", ServiceIntroduction: "充电",
				PostPayments: []client.Payment{{Name: "充电费", Amount: client.Fen(300)}},
				TimeRange:    client.TimeRange{StartTime: "20261201090000", EndTime: "20261201093000"},
				Location:     client.Location{StartLocation: "A", EndLocation: "B"},
				TotalAmount:  300, ProfitSharing: true, GoodsTag: "tag", Attach: "x", NotifyURL: "https://m.example/notify",
			})
			return err
		}, "POST", "/v3/payscore/serviceorder/direct-complete",
			`{"out_order_no":"1234323JKHDFE1243252","appid":"wxd678efh567hg6787","service_id":"500001","openid":"oUser","service_introduction":"充电",
			"post_payments":[{"name":"充电费","amount":300}],"time_range":{"start_time":"20261201090000","end_time":"20261201093000"},
			"location":{"start_location":"A","end_location":"B"},"total_amount":300,"profit_sharing":true,"goods_tag":"tag","attach":"x","notify_url":"https://m.example/notify"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rec.all())
			err := tc.call()
			require.True(t, client.IsCode(err, client.CodeParamError), "want the canned answer, got %v", err)
			sent := rec.all()[before:]
			require.Len(t, sent, 1)
			assert.Equal(t, tc.method, sent[0].Method)
			assert.Equal(t, tc.uri, sent[0].URI)
			if tc.wantBody == "" {
				assert.Empty(t, sent[0].Body)
				return
			}
			assert.JSONEq(t, tc.wantBody, string(sent[0].Body))
			assert.Equal(t, "application/json", sent[0].Header.Get("Content-Type"))
		})
	}
}
