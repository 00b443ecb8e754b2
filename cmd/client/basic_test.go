package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

func TestCertificates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	platformSerial := h.srv.Platform().SerialNo

	t.Run("table", func(t *testing.T) {
		t.Parallel()
		out := h.ok(t, "certificates")
		assert.Contains(t, out, "1 platform certificate(s), verified and decrypted")
		assert.Contains(t, out, platformSerial)
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		var certs []struct {
			SerialNo       string `json:"serial_no"`
			CertificatePEM string `json:"certificate_pem"`
		}
		h.okJSON(t, &certs, "certificates")
		require.Len(t, certs, 1)
		assert.Equal(t, platformSerial, certs[0].SerialNo)
		assert.Contains(t, certs[0].CertificatePEM, "BEGIN CERTIFICATE")
	})
	t.Run("pem", func(t *testing.T) {
		t.Parallel()
		assert.Equal(t, h.srv.Platform().CertificatePEM, h.ok(t, "certificates", "--pem"))
	})
	t.Run("public-key merchant has none", func(t *testing.T) {
		t.Parallel()
		m, err := h.srv.CreateMerchant(mock.MerchantSpec{PlatformMode: "public_key"})
		require.NoError(t, err)
		stderr := h.fails(t, exitFailure, "certificates", "--mchid", m.MchID)
		assert.Regexp(t, `^RESOURCE_NOT_EXISTS: \S`, stderr)
		assert.Contains(t, stderr, "(HTTP 404, Request-ID ")
	})
}

func TestUserState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	h.authorize(t, "oRider")
	// The subtests only read: they share the mock.
	tests := []struct {
		name, openid, want string
	}{
		{"authorised", "oRider", "user oRider: AVAILABLE"},
		{"never authorised", "oStranger", "user oStranger: UNAVAILABLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Contains(t, h.ok(t, "user-state", "--openid", tt.openid), tt.want)
		})
	}
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		var st struct {
			UseServiceState string `json:"use_service_state"`
		}
		h.okJSON(t, &st, "user-state", "--openid", "oRider")
		assert.Equal(t, "AVAILABLE", st.UseServiceState)
	})
	t.Run("appid of another merchant", func(t *testing.T) {
		t.Parallel()
		stderr := h.fails(t, exitFailure, "user-state", "--openid", "oRider", "--appid", "wx0000000000000000")
		assert.Regexp(t, `^PARAM_ERROR: \S`, stderr)
		assert.Contains(t, stderr, "detail:")
	})
	t.Run("openid is required", func(t *testing.T) {
		t.Parallel()
		assert.Contains(t, h.fails(t, exitUsage, "user-state"), "--openid is required")
	})
}
