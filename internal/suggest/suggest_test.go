package suggest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"amount", "amount", 0},
		{"amout", "amount", 1},
		{"mchd", "mchid", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
		{"退款", "退款成功", 2}, // runes, not bytes
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			assert.Equal(t, tt.want, Distance(tt.a, tt.b))
			assert.Equal(t, tt.want, Distance(tt.b, tt.a), "symmetric")
		})
	}
}

func TestName(t *testing.T) {
	flags := []string{"amount", "out-order-no", "openid", "notify-url", "mchid"}
	tests := []struct {
		word, want string
		ok         bool
	}{
		{"amout", "amount", true},
		{"ammount", "amount", true},
		{"out-order", "out-order-no", true},
		{"opnid", "openid", true},
		{"mchd", "mchid", true},
		{"amount", "", false}, // not a mistake
		{"refund", "", false}, // nothing near
		{"x", "", false},      // too short to be near anything
		{"notifyurl", "notify-url", true},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			got, ok := Name(tt.word, flags)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("first of equally near wins", func(t *testing.T) {
		got, ok := Name("ab", []string{"abc", "abd"})
		assert.True(t, ok)
		assert.Equal(t, "abc", got)
	})
}

func TestPath(t *testing.T) {
	templates := []string{
		"/v3/payscore/serviceorder",
		"/v3/payscore/serviceorder/{out_order_no}/complete",
		"/v3/payscore/user-service-state",
		"/sandbox/notifications",
		"/sandbox/orders/{mchid}/{out_order_no}/confirm",
	}
	tests := []struct {
		path string
		want int // -1: no suggestion
	}{
		{"/v3/payscore/serviceorders", 0},
		{"/v3/payscore/serviceorder/RIDE-1/complet", 1},
		{"/v3/payscore/user-service-status", 2},
		{"/sandbox/notification", 3},
		{"/sandbox/orders/1230000109/RIDE-1/confirn", 4},
		{"/v3/payscore/serviceorder", -1},           // a template itself
		{"/v3/payscore/serviceorder//complete", -1}, // an empty segment is no variable
		{"/v3/refund/domestic/refunds", -1},         // far from everything
		{"/", -1},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := Path(tt.path, templates)
			assert.Equal(t, tt.want >= 0, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}
