package client_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/mock"
)

func TestPermissions_PreAuthorizationBeforeTheUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const code = "AUTH_pending-1*"

	resp, err := e.c.CreatePermission(ctx, client.CreatePermissionRequest{ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: code, NotifyURL: e.notifyURL})
	require.NoError(t, err)
	assert.NotEmpty(t, resp.ApplyPermissionsToken)

	p, err := e.c.QueryPermissionByCode(ctx, client.QueryPermissionByCodeRequest{AuthorizationCode: code, ServiceID: e.serviceID})
	require.NoError(t, err)
	assert.Equal(t, client.AuthorizationUnbindUser, p.AuthorizationState)
	assert.Equal(t, code, p.AuthorizationCode)
	assert.Equal(t, e.serviceID, p.ServiceID)
	assert.Equal(t, e.mchID, p.MchID)
	assert.Equal(t, e.notifyURL, p.NotifyURL)
	assert.Empty(t, p.OpenID)
	assert.Empty(t, p.AuthorizationSuccessTime)
	assert.Empty(t, e.inbox.ofType(client.EventUserOpenService), "nothing happens until the user authorises")
}

func TestPermissions_APIErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	// protocol.md documents no code for a missing authorization record;
	// "" leaves the code unchecked.
	tests := []struct {
		name   string
		call   func() error
		status int
		code   client.ErrorCode
	}{
		{"unknown authorization code", func() error {
			_, err := e.c.QueryPermissionByCode(ctx, client.QueryPermissionByCodeRequest{AuthorizationCode: "AUTH_unknown", ServiceID: e.serviceID})
			return err
		}, http.StatusNotFound, ""},
		{"user who never authorised", func() error {
			_, err := e.c.QueryPermissionByOpenID(ctx, client.QueryPermissionByOpenIDRequest{OpenID: "oStranger", ServiceID: e.serviceID, AppID: e.appID})
			return err
		}, http.StatusNotFound, ""},
		{"terminate an unknown authorization code", func() error {
			return e.c.TerminatePermissionByCode(ctx, client.TerminatePermissionByCodeRequest{AuthorizationCode: "AUTH_unknown", ServiceID: e.serviceID, Reason: "注销"})
		}, http.StatusNotFound, ""},
		{"service of another merchant", func() error {
			_, err := e.c.UserServiceState(ctx, client.UserServiceStateRequest{ServiceID: "000040000000000000000000", AppID: e.appID, OpenID: "oUser"})
			return err
		}, http.StatusForbidden, client.CodeNoAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae *client.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.status, ae.StatusCode, "%v", err)
			assert.NotEmpty(t, ae.Code)
			if tc.code != "" {
				assert.Equal(t, tc.code, ae.Code)
			}
		})
	}

	t.Run("revoked by the user in WeChat", func(t *testing.T) {
		e.authorize(t, "oRevoker", "AUTH_revoker")
		_, err := e.srv.RevokeUser("oRevoker", mock.RevokeRequest{MchID: e.mchID, ServiceID: e.serviceID})
		require.NoError(t, err)
		e.settle()
		closed, err := e.inbox.only(t, client.EventUserCloseService).PermissionEvent()
		require.NoError(t, err)
		assert.Equal(t, "oRevoker", closed.OpenID)

		p, err := e.c.QueryPermissionByOpenID(ctx, client.QueryPermissionByOpenIDRequest{OpenID: "oRevoker", ServiceID: e.serviceID, AppID: e.appID})
		require.NoError(t, err)
		assert.Equal(t, client.AuthorizationUnavailable, p.AuthorizationState)
		_, err = e.c.CreateServiceOrder(ctx, e.createRequest("AFTER-REVOKE", "oRevoker"))
		var ae *client.APIError
		require.ErrorAs(t, err, &ae, "a 免确认 order needs an AVAILABLE authorization")
		assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	})
}

func TestPermissions_Validation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	tests := []struct {
		name  string
		call  func() error
		field string
		issue string
	}{
		{"state: openid missing", func() error {
			_, err := e.c.UserServiceState(ctx, client.UserServiceStateRequest{ServiceID: e.serviceID, AppID: e.appID})
			return err
		}, "openid", "is required"},
		{"create: authorization_code with a dot", func() error {
			_, err := e.c.CreatePermission(ctx, client.CreatePermissionRequest{ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: "AUTH.1"})
			return err
		}, "/authorization_code", `'.'`},
		{"create: authorization_code 33 characters", func() error {
			_, err := e.c.CreatePermission(ctx, client.CreatePermissionRequest{ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: strings.Repeat("A", 33)})
			return err
		}, "/authorization_code", "at most 32"},
		{"create: notify_url with fragment", func() error {
			_, err := e.c.CreatePermission(ctx, client.CreatePermissionRequest{ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: "A1", NotifyURL: e.notifyURL + "#x"})
			return err
		}, "/notify_url", "fragment"},
		{"by code: code missing", func() error {
			_, err := e.c.QueryPermissionByCode(ctx, client.QueryPermissionByCodeRequest{AuthorizationCode: "", ServiceID: e.serviceID})
			return err
		}, "authorization_code", "is required"},
		{"by openid: appid missing", func() error {
			_, err := e.c.QueryPermissionByOpenID(ctx, client.QueryPermissionByOpenIDRequest{OpenID: "o1", ServiceID: e.serviceID, AppID: ""})
			return err
		}, "appid", "is required"},
		{"terminate by code: reason missing", func() error {
			return e.c.TerminatePermissionByCode(ctx, client.TerminatePermissionByCodeRequest{AuthorizationCode: "A1", ServiceID: e.serviceID})
		}, "/reason", "is required"},
		{"terminate by code: code missing", func() error {
			return e.c.TerminatePermissionByCode(ctx, client.TerminatePermissionByCodeRequest{ServiceID: e.serviceID, Reason: "注销"})
		}, "authorization_code", "is required"},
		{"terminate by openid: appid missing", func() error {
			return e.c.TerminatePermissionByOpenID(ctx, client.TerminatePermissionByOpenIDRequest{OpenID: "o1", ServiceID: e.serviceID, Reason: "注销"})
		}, "/appid", "is required"},
		{"terminate by openid: openid missing", func() error {
			return e.c.TerminatePermissionByOpenID(ctx, client.TerminatePermissionByOpenIDRequest{ServiceID: e.serviceID, AppID: e.appID, Reason: "注销"})
		}, "openid", "is required"},
		{"terminate user service: service_id missing", func() error {
			return e.c.TerminateUserService(ctx, client.TerminateUserServiceRequest{OpenID: "o1", ServiceID: "", AppID: e.appID, Reason: "注销"})
		}, "service_id", "is required"},
		{"terminate user service: reason with emoji", func() error {
			return e.c.TerminateUserService(ctx, client.TerminateUserServiceRequest{OpenID: "o1", ServiceID: e.serviceID, AppID: e.appID, Reason: "再见👋"})
		}, "/reason", "Basic Multilingual Plane"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ve *client.ValidationError
			require.ErrorAs(t, err, &ve, "got %v", err)
			assert.Equal(t, tc.field, ve.Field)
			assert.Contains(t, ve.Issue, tc.issue)
			assert.Equal(t, "client: invalid request: "+ve.Field+": "+ve.Issue, ve.Error())
		})
	}
	assert.Zero(t, e.rec.count(), "nothing was sent")
	assert.Empty(t, e.srv.Requests(mock.RequestFilter{}))
}
