package mock_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// The authorization queries show the user's 用户分层 (user_risk_level,
// risk_level_version) once it is known, from the user's authorization on,
// and not for a pre-authorization the user has not completed.
func TestFidelity_AuthorizationRiskLevel(t *testing.T) {
	f := newFixture(t)
	const openid, code = "oRisk", "AUTH-RISK"
	status, e := f.v3("POST", "/v3/payscore/permissions", map[string]any{
		"service_id": f.serviceID(), "appid": f.appid(), "authorization_code": code, "notify_url": f.rc.url(),
	}, nil)
	require.Equal(t, http.StatusOK, status, "%+v", e)

	byCode := "/v3/payscore/permissions/authorization-code/" + code + "?" + url.Values{"service_id": {f.serviceID()}}.Encode()
	byOpenID := "/v3/payscore/permissions/openid/" + openid + "?" + url.Values{"service_id": {f.serviceID()}, "appid": {f.appid()}}.Encode()
	query := func(uri string) map[string]any {
		t.Helper()
		out := map[string]any{}
		status, e := f.v3("GET", uri, nil, &out)
		require.Equal(t, http.StatusOK, status, "%+v", e)
		return out
	}

	p := query(byCode)
	assert.Equal(t, "UNBINDUSER", p["authorization_state"])
	assert.NotContains(t, p, "user_risk_level", "not known before the user authorises")
	assert.NotContains(t, p, "risk_level_version")

	_, err := f.srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: f.me.mchid, AuthorizationCode: code})
	require.NoError(t, err)
	status, e = f.v3("POST", "/v3/payscore/permissions/openid/"+openid+"/terminate", map[string]any{
		"service_id": f.serviceID(), "appid": f.appid(), "reason": "用户注销",
	}, nil)
	require.Equal(t, http.StatusNoContent, status, "%+v", e)
	for _, uri := range []string{byCode, byOpenID} {
		p := query(uri)
		assert.Equal(t, "UNAVAILABLE", p["authorization_state"], uri)
		assert.Equal(t, float64(1), p["user_risk_level"], "assessed when the user authorised, kept after: %s", uri)
		assert.Equal(t, float64(1), p["risk_level_version"], uri)
	}
}
