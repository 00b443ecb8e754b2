package mock_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-pay/gopay"
	wechat "github.com/go-pay/gopay/wechat/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
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
