package mock

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mockpay/mockpay/mock/internal/apierr"
)

// A confirm that finds the order and then loses it to a reset answers the
// sandbox's NOT_FOUND, never the v3 API's ORDER_NOT_EXIST.
func TestSandboxOrderError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want apierr.Code
	}{
		{"gone in between", apierr.New(apierr.OrderNotExist, "订单不存在"), apierr.NotFound},
		{"refused by its state", apierr.New(apierr.InvalidRequest, "x").WithDetail(apierr.Detail{Field: "state", Issue: "the order is DONE"}), apierr.Conflict},
		{"anything else", apierr.New(apierr.SystemError, "x"), apierr.SystemError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ae *apierr.Error
			assert.True(t, errors.As(sandboxOrderError(tt.err), &ae))
			assert.Equal(t, tt.want, ae.Code)
		})
	}
}
