package client_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
)

func TestNew_Validation(t *testing.T) {
	f := loadFixtures(t)
	valid := f.defaultConfig()
	withCfg := func(mut func(*client.Config)) client.Config {
		c := valid
		mut(&c)
		return c
	}
	tests := []struct {
		name    string
		cfg     client.Config
		opts    []client.Option
		wantErr string
	}{
		{name: "valid", cfg: valid},
		{name: "valid without APIv3 key but with a verifier", cfg: withCfg(func(c *client.Config) { c.APIv3Key = "" }),
			opts: []client.Option{client.WithVerifier(client.NewCertificateVerifier(f.platformCert))}},
		{name: "missing mchid", cfg: withCfg(func(c *client.Config) { c.MchID = "" }), wantErr: "MchID is empty"},
		{name: "missing serial", cfg: withCfg(func(c *client.Config) { c.SerialNo = "" }), wantErr: "SerialNo is empty"},
		{name: "missing key", cfg: withCfg(func(c *client.Config) { c.PrivateKey = nil }), wantErr: "PrivateKey is nil"},
		{name: "16-byte APIv3 key", cfg: withCfg(func(c *client.Config) { c.APIv3Key = "testMchAPIv3Key0" }), wantErr: "APIv3Key is 16 bytes, want 32"},
		{name: "default source needs APIv3 key", cfg: withCfg(func(c *client.Config) { c.APIv3Key = "" }), wantErr: "needs Config.APIv3Key"},
		{name: "base URL without scheme", cfg: valid, opts: []client.Option{client.WithBaseURL("api.mch.weixin.qq.com")}, wantErr: "scheme must be https or http"},
		{name: "base URL with query", cfg: valid, opts: []client.Option{client.WithBaseURL("https://h/?a=b")}, wantErr: "must not have a query"},
		{name: "nil HTTP client", cfg: valid, opts: []client.Option{client.WithHTTPClient(nil)}, wantErr: "nil *http.Client"},
		{name: "nil clock", cfg: valid, opts: []client.Option{client.WithClock(nil)}, wantErr: "nil clock"},
		{name: "nil verifier", cfg: valid, opts: []client.Option{client.WithVerifier(nil)}, wantErr: "nil Verifier"},
		{name: "empty user agent", cfg: valid, opts: []client.Option{client.WithUserAgent(" ")}, wantErr: "empty User-Agent"},
		{name: "zero attempts", cfg: valid, opts: []client.Option{client.WithRetry(client.RetryPolicy{})}, wantErr: "MaxAttempts is 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := client.New(tc.cfg, tc.opts...)
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.cfg.MchID, c.MchID())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Nil(t, c)
		})
	}
}

func TestClient_RequestSigning(t *testing.T) {
	f := loadFixtures(t)
	sb := newMockServer(t)
	now := time.Now()
	rec := &recorder{}
	c := newClient(t, f.defaultConfig(),
		client.WithBaseURL(sb.url+"/"), // a trailing slash is tolerated
		client.WithHTTPClient(&http.Client{Transport: rec}),
		client.WithClock(func() time.Time { return now }),
		client.WithVerifier(client.NewCertificateVerifier(f.platformCert)),
	)

	t.Run("GET with query", func(t *testing.T) {
		var out json.RawMessage
		q := url.Values{"algorithm_type": {"RSA"}}
		status, requestID, err := c.DoForTest(context.Background(), http.MethodGet, "/v3/certificates", q, nil, &out)
		require.NoError(t, err, "the mock verified the signature over the URI with its query")
		assert.Equal(t, http.StatusOK, status)
		assert.NotEmpty(t, requestID)
		assert.Contains(t, string(out), `"serial_no"`)

		reqs := rec.all()
		req := reqs[len(reqs)-1]
		assert.Equal(t, "/v3/certificates?algorithm_type=RSA", req.URI)
		assert.Equal(t, "application/json", req.Header.Get("Accept"))
		assert.Empty(t, req.Header.Get("Content-Type"), "no body, no content type")
		assert.True(t, strings.HasPrefix(req.Header.Get("User-Agent"), "mockpay-client/"+client.Version+" Go/"), req.Header.Get("User-Agent"))
		assert.Equal(t, protocol.SerialNumber(f.platformCert), req.Header.Get(protocol.HeaderSerial), "asks for answers signed by the certificate it holds")
		assertSigned(t, f, req, now)
	})

	t.Run("POST body is signed exactly as sent", func(t *testing.T) {
		body := map[string]any{"out_order_no": "1234323JKHDFE1243252", "service_introduction": "某某酒店<&>"}
		_, _, err := c.DoForTest(context.Background(), http.MethodPost, "/v3/unserved/post-probe", nil, body, nil)
		require.Error(t, err) // the mock does not serve the path; the request is what matters
		reqs := rec.all()
		req := reqs[len(reqs)-1]
		assert.Equal(t, `{"out_order_no":"1234323JKHDFE1243252","service_introduction":"某某酒店<&>"}`, string(req.Body),
			"compact JSON as WeChat Pay writes it: no HTML escaping, no trailing newline")
		assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
		assertSigned(t, f, req, now)
	})

	t.Run("custom user agent", func(t *testing.T) {
		rec := &recorder{}
		c := newClient(t, f.defaultConfig(), client.WithBaseURL(sb.url),
			client.WithHTTPClient(&http.Client{Transport: rec}), client.WithUserAgent("merchant-app/2.0"),
			client.WithVerifier(client.NewCertificateVerifier(f.platformCert)))
		_, err := c.Certificates(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "merchant-app/2.0", rec.all()[0].Header.Get("User-Agent"))
	})
}

// assertSigned checks a recorded request's Authorization header the way
// WeChat Pay does, independently of the client's code.
func assertSigned(t *testing.T, f fixtures, req recordedRequest, now time.Time) {
	t.Helper()
	a, err := protocol.ParseAuthorization(req.Header.Get("Authorization"))
	require.NoError(t, err)
	assert.Equal(t, f.id.MchID, a.MchID)
	assert.Equal(t, protocol.SerialNumber(f.merchantCert), a.SerialNo)
	assert.Equal(t, now.Unix(), a.Timestamp, "the timestamp comes from the injected clock")
	assert.Len(t, a.NonceStr, 32)
	msg := protocol.RequestMessage(req.Method, req.URI, a.Timestamp, a.NonceStr, req.Body)
	assert.NoError(t, protocol.Verify(f.merchantCert.PublicKey.(*rsa.PublicKey), msg, a.Signature))
}

func TestClient_APIError(t *testing.T) {
	f := loadFixtures(t)
	sb := newMockServer(t)
	c := newClient(t, f.defaultConfig(), client.WithBaseURL(sb.url),
		client.WithVerifier(client.NewCertificateVerifier(f.platformCert)))

	t.Run("unknown path", func(t *testing.T) {
		_, _, err := c.DoForTest(context.Background(), http.MethodGet, "/v3/unserved/nowhere", url.Values{"a": {"b"}}, nil, nil)
		require.Error(t, err)
		var ae *client.APIError
		require.True(t, errors.As(err, &ae), "%v", err)
		assert.Equal(t, http.StatusNotFound, ae.StatusCode)
		assert.Equal(t, client.ErrorCode("NOT_FOUND"), ae.Code, "the mock's code for a path it does not serve")
		assert.NotEmpty(t, ae.Message)
		assert.NotEmpty(t, ae.RequestID)
		assert.NotEmpty(t, ae.Body)
		assert.Contains(t, string(ae.Detail), "/v3/unserved/nowhere")
		assert.True(t, client.IsCode(err, "NOT_FOUND"))
		assert.False(t, client.IsCode(err, client.CodeOrderNotExist))
		assert.Contains(t, err.Error(), "GET /v3/unserved/nowhere: wechatpay: 404 NOT_FOUND: ")
		assert.Contains(t, err.Error(), "(request-id "+ae.RequestID+")")
	})

	t.Run("wrong merchant key is a SIGN_ERROR", func(t *testing.T) {
		cfg := f.defaultConfig()
		cfg.PrivateKey = f.platformKey // not the key of the merchant's certificate
		c := newClient(t, cfg, client.WithBaseURL(sb.url), client.WithVerifier(client.NewCertificateVerifier(f.platformCert)))
		_, err := c.Certificates(context.Background())
		assert.True(t, client.IsCode(err, client.CodeSignError), "%v", err)
		var ae *client.APIError
		require.True(t, errors.As(err, &ae))
		assert.Equal(t, http.StatusUnauthorized, ae.StatusCode)
	})
}

func TestAPIError_Error(t *testing.T) {
	tests := []struct {
		name string
		err  *client.APIError
		want string
	}{
		{"documented body", &client.APIError{StatusCode: 404, Code: client.CodeOrderNotExist, Message: "订单不存在", RequestID: "08F4"},
			"wechatpay: 404 ORDER_NOT_EXIST: 订单不存在 (request-id 08F4)"},
		{"non-JSON body", &client.APIError{StatusCode: 502, Body: []byte("<html>bad gateway</html>")},
			`wechatpay: 502 Bad Gateway: "<html>bad gateway</html>"`},
		{"empty body", &client.APIError{StatusCode: 503}, "wechatpay: 503 Service Unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.err.Error())
		})
	}
}

func TestClient_NonJSONErrorBody(t *testing.T) {
	f := loadFixtures(t)
	hc := &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return jsonResponse(req, http.StatusBadGateway, "<html>bad gateway</html>", http.Header{"Request-Id": {"rid-1"}}), nil
	})}
	c := newClient(t, f.defaultConfig(), client.WithHTTPClient(hc), client.WithVerifier(client.NewCertificateVerifier(f.platformCert)))
	_, err := c.Certificates(context.Background())
	var ae *client.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, http.StatusBadGateway, ae.StatusCode)
	assert.Empty(t, ae.Code)
	assert.Equal(t, "rid-1", ae.RequestID)
	assert.Equal(t, "<html>bad gateway</html>", string(ae.Body))
}

func TestClient_DecodesVerifiedAnswers(t *testing.T) {
	f := loadFixtures(t)
	now := time.Now()
	serial := protocol.SerialNumber(f.platformCert)
	answer := func(status int, body string) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			resp := jsonResponse(req, status, body, http.Header{protocol.HeaderRequestID: {"rid-2"}})
			resign(t, resp.Header, []byte(body), f.platformKey, serial, now.Unix())
			return resp, nil
		})
	}
	type result struct {
		State string `json:"state"`
	}
	tests := []struct {
		name    string
		status  int
		body    string
		want    result
		wantErr error
	}{
		{name: "200 decodes, unknown fields ignored", status: http.StatusOK, body: `{"state":"DOING","new_field":1}`, want: result{State: "DOING"}},
		{name: "204 has no body", status: http.StatusNoContent, body: "", want: result{State: "untouched"}},
		{name: "202 without body", status: http.StatusAccepted, body: "", want: result{State: "untouched"}},
		{name: "signed but not JSON", status: http.StatusOK, body: `<html>`, wantErr: client.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, f.defaultConfig(), client.WithHTTPClient(&http.Client{Transport: answer(tc.status, tc.body)}),
				client.WithClock(func() time.Time { return now }),
				client.WithVerifier(client.NewCertificateVerifier(f.platformCert)))
			out := result{State: "untouched"}
			status, requestID, err := c.DoForTest(context.Background(), http.MethodPost, "/v3/x", nil, map[string]string{"a": "b"}, &out)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				assert.Contains(t, err.Error(), "rid-2")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, "rid-2", requestID)
			assert.Equal(t, tc.want, out)
		})
	}

	t.Run("nil out", func(t *testing.T) {
		c := newClient(t, f.defaultConfig(), client.WithHTTPClient(&http.Client{Transport: answer(http.StatusOK, `{"state":"DOING"}`)}),
			client.WithClock(func() time.Time { return now }),
			client.WithVerifier(client.NewCertificateVerifier(f.platformCert)))
		_, _, err := c.DoForTest(context.Background(), http.MethodGet, "/v3/x", nil, nil, nil)
		assert.NoError(t, err)
	})

	t.Run("invalid path", func(t *testing.T) {
		c := newClient(t, f.defaultConfig(), client.WithVerifier(client.NewCertificateVerifier(f.platformCert)))
		for _, p := range []string{"v3/x", "/v3/x?a=b", "/v3/%zz"} {
			_, _, err := c.DoForTest(context.Background(), http.MethodGet, p, nil, nil, nil)
			assert.Error(t, err, p)
		}
	})
}
