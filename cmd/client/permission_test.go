package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

func TestPermission(t *testing.T) {
	t.Parallel()

	t.Run("create, authorize, query, terminate by code", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		var created struct {
			AuthorizationCode     string `json:"authorization_code"`
			ApplyPermissionsToken string `json:"apply_permissions_token"`
		}
		h.okJSON(t, &created, "permission", "create", "--code", "AUTH-C1")
		assert.Equal(t, "AUTH-C1", created.AuthorizationCode)
		assert.NotEmpty(t, created.ApplyPermissionsToken)
		assert.Contains(t, h.ok(t, "permission", "query", "--code", "AUTH-C1"), "authorization AUTH-C1: UNBINDUSER, user (no user yet)")

		h.ok(t, "sandbox", "authorize", "oC1", "--code", "AUTH-C1")
		assert.Contains(t, h.ok(t, "permission", "query", "--code", "AUTH-C1"), "authorization AUTH-C1: AVAILABLE, user oC1")

		assert.Contains(t, h.ok(t, "permission", "terminate", "--code", "AUTH-C1", "--reason", "测试"), "authorization AUTH-C1 terminated")
		assert.Contains(t, h.ok(t, "permission", "query", "--code", "AUTH-C1"), "UNAVAILABLE")
	})
	t.Run("generated code and hint", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		out := h.ok(t, "permission", "create")
		assert.Regexp(t, `pre-authorization AUTH-\d{14}-[0-9a-f]{6} created`, out)
		assert.Contains(t, out, "→ in the sandbox the user authorises with: client sandbox authorize <openid> --code AUTH-")
	})
	t.Run("query and terminate by openid", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		h.authorize(t, "oO1")
		assert.Contains(t, h.ok(t, "permission", "query", "--openid", "oO1"), "AVAILABLE, user oO1")
		assert.Contains(t, h.ok(t, "permission", "terminate", "--openid", "oO1"), "user oO1 terminated")
		var p struct {
			AuthorizationState string `json:"authorization_state"`
		}
		h.okJSON(t, &p, "permission", "query", "--openid", "oO1")
		assert.Equal(t, "UNAVAILABLE", p.AuthorizationState)
	})
	t.Run("terminate with the older endpoint", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		h.authorize(t, "oL1")
		out := h.ok(t, "permission", "terminate", "--openid", "oL1", "--legacy")
		assert.Contains(t, out, "user oL1 terminated")
		assert.Contains(t, h.ok(t, "user-state", "--openid", "oL1"), "UNAVAILABLE")
		reqs := h.srv.Requests(mock.RequestFilter{Limit: 50})
		var found bool
		for _, r := range reqs {
			found = found || r.URL == "/v3/payscore/users/oL1/permissions/500001/terminate"
		}
		require.True(t, found, "the older users/{openid}/permissions/{service_id} endpoint was called")
	})
	t.Run("unknown openid", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		stderr := h.fails(t, exitFailure, "permission", "query", "--openid", "oNever")
		assert.Regexp(t, `^ORDER_NOT_EXIST: \S`, stderr)
	})
	t.Run("terminate before the user authorised", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		h.ok(t, "permission", "create", "--code", "AUTH-U1")
		stderr := h.fails(t, exitFailure, "permission", "terminate", "--code", "AUTH-U1")
		assert.Regexp(t, `^INVALID_REQUEST: \S`, stderr)
	})
	t.Run("an authorization code is used once", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		h.ok(t, "permission", "create", "--code", "AUTH-D1")
		h.ok(t, "sandbox", "authorize", "oD1", "--code", "AUTH-D1")
		stderr := h.fails(t, exitFailure, "permission", "create", "--code", "AUTH-D1")
		assert.Regexp(t, `^INVALID_REQUEST: 授权协议号已被使用`, stderr)
		assert.Contains(t, stderr, "/authorization_code")
	})
	t.Run("legacy needs openid", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, mock.Options{})
		assert.Contains(t, h.fails(t, exitUsage, "permission", "terminate", "--code", "X", "--legacy"), "--legacy terminates by openid")
	})
}
