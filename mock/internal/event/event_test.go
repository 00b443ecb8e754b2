package event

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every callback in the list says how its envelope reads.
func TestTypes(t *testing.T) {
	tests := []struct {
		t                              Type
		summary, original, associate   string
		refund, authorization, parking bool
	}{
		{UserConfirm, "确认订单", "payscore", "", false, false, false},
		{UserPaid, "支付成功", "payscore", "", false, false, false},
		{UserOpenService, "授权成功", "payscore", "", false, true, false},
		{UserCloseService, "解除授权", "payscore", "", false, true, false},
		{UserAccepted, "用户确认订单", "payscore", "", false, false, false},
		{BindServiceAccount, "服务账户绑定结果", "payscore", "", false, false, false},
		{RefundSuccess, "退款成功", "refund", "refund", true, false, false},
		{RefundAbnormal, "退款异常", "refund", "refund", true, false, false},
		{RefundClosed, "退款关闭", "refund", "refund", true, false, false},
		{EntranceStateChange, "停车入场状态通知", "", "", false, false, true},
		{TransactionSuccess, "支付成功", "transaction", "transaction", false, false, true},
		{TransactionFail, "支付失败", "transaction", "transaction", false, false, true},
		{TransactionPayBack, "垫资还款成功", "transaction", "transaction", false, false, true},
	}
	assert.Len(t, All, len(tests), "All lists every type")
	for _, tt := range tests {
		t.Run(string(tt.t), func(t *testing.T) {
			assert.Contains(t, All, tt.t)
			assert.True(t, tt.t.Known())
			assert.Equal(t, tt.summary, tt.t.Summary())
			assert.Equal(t, tt.original, tt.t.OriginalType())
			assert.Equal(t, tt.associate, tt.t.AssociatedData())
			assert.Equal(t, tt.refund, tt.t.IsRefund())
			assert.Equal(t, tt.authorization, tt.t.IsAuthorization())
			assert.Equal(t, tt.parking, tt.t.IsParking())
		})
	}
	assert.False(t, Type("PAYSCORE.MCH_PREPAY").Known(), "a callback the mock does not send")
}
