package event

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every callback in the list says how its envelope reads.
func TestTypes(t *testing.T) {
	tests := []struct {
		t                            Type
		summary, original, associate string
		refund, authorization        bool
	}{
		{UserConfirm, "确认订单", "payscore", "", false, false},
		{UserPaid, "支付成功", "payscore", "", false, false},
		{UserOpenService, "授权成功", "payscore", "", false, true},
		{UserCloseService, "解除授权", "payscore", "", false, true},
		{UserAccepted, "用户确认订单", "payscore", "", false, false},
		{BindServiceAccount, "服务账户绑定结果", "payscore", "", false, false},
		{RefundSuccess, "退款成功", "refund", "refund", true, false},
		{RefundAbnormal, "退款异常", "refund", "refund", true, false},
		{RefundClosed, "退款关闭", "refund", "refund", true, false},
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
		})
	}
	assert.False(t, Type("PAYSCORE.MCH_PREPAY").Known(), "a callback the mock does not send")
}
