package mock_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

type certificatesBody struct {
	Data []struct {
		SerialNo           string `json:"serial_no"`
		EffectiveTime      string `json:"effective_time"`
		ExpireTime         string `json:"expire_time"`
		EncryptCertificate struct {
			Algorithm      string `json:"algorithm"`
			Nonce          string `json:"nonce"`
			AssociatedData string `json:"associated_data"`
			Ciphertext     string `json:"ciphertext"`
		} `json:"encrypt_certificate"`
	} `json:"data"`
}

func TestCertificates(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	me := defaultMerchant(t)
	p := srv.Platform()
	tests := []struct {
		uri     string
		status  int
		entries int
	}{
		{"/v3/certificates", 200, 1},
		{"/v3/certificates?algorithm_type=RSA", 200, 1},
		{"/v3/certificates?algorithm_type=ALL", 200, 1},
		{"/v3/certificates?algorithm_type=SM2", 200, 0},
		{"/v3/certificates?algorithm_type=rsa", 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			resp, body := me.call(t, ts, "GET", tt.uri, nil)
			require.Equal(t, tt.status, resp.StatusCode, string(body))
			verifyResponse(t, p, resp, body)
			if tt.status != 200 {
				e := decodeError(t, body)
				assert.Equal(t, "PARAM_ERROR", e.Code)
				assert.Equal(t, "algorithm_type", e.Detail["field"])
				assert.Equal(t, "query", e.Detail["location"])
				return
			}
			var cb certificatesBody
			require.NoError(t, json.Unmarshal(body, &cb))
			require.Len(t, cb.Data, tt.entries)
			for _, c := range cb.Data {
				assert.Equal(t, p.SerialNo, c.SerialNo)
				ec := c.EncryptCertificate
				assert.Equal(t, "AEAD_AES_256_GCM", ec.Algorithm)
				assert.Equal(t, "certificate", ec.AssociatedData)
				assert.Len(t, ec.Nonce, 12)
				plain, err := protocol.Decrypt([]byte(me.apiV3Key), ec.Nonce, ec.AssociatedData, ec.Ciphertext)
				require.NoError(t, err)
				assert.Equal(t, p.CertificatePEM, string(plain))
				cert, err := protocol.ParseCertificate(plain)
				require.NoError(t, err)
				eff, err := time.Parse(time.RFC3339, c.EffectiveTime)
				require.NoError(t, err)
				assert.True(t, eff.Equal(cert.NotBefore))
				assert.Regexp(t, `\+08:00$`, c.ExpireTime)
			}
		})
	}
}

// TestResponseSigner covers protocol.md §1.6: the merchant's platform mode
// picks the signing identity, and a request's Wechatpay-Serial may pick the
// other one during a migration.
func TestResponseSigner(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	p := srv.Platform()
	pkm, err := srv.CreateMerchant(mock.MerchantSpec{PlatformMode: "public_key"})
	require.NoError(t, err)
	certMerchant, pubMerchant := defaultMerchant(t), keyOf(t, pkm)
	tests := []struct {
		name      string
		who       merchantKey
		requested string
		want      string
	}{
		{"certificate mode", certMerchant, "", p.SerialNo},
		{"certificate mode asks for the public key", certMerchant, p.PublicKeyID, p.PublicKeyID},
		{"certificate mode names its certificate", certMerchant, p.SerialNo, p.SerialNo},
		{"certificate mode names an unknown serial", certMerchant, "0123", p.SerialNo},
		{"public key mode", pubMerchant, "", p.PublicKeyID},
		{"public key mode asks for a certificate it has not got", pubMerchant, p.SerialNo, p.PublicKeyID},
		{"unauthenticated request asks for the public key", merchantKey{mchid: "1", serial: "x", key: certMerchant.key}, p.PublicKeyID, p.PublicKeyID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.who.request(t, ts, "GET", "/v3/certificates", nil)
			if tt.requested != "" {
				req.Header.Set("Wechatpay-Serial", tt.requested)
			}
			resp, body := send(t, req)
			assert.Equal(t, tt.want, verifyResponse(t, p, resp, body))
		})
	}
}

// Every response is signed, whatever its status, including an empty body.
func TestResponseSigning_AllStatuses(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	me := defaultMerchant(t)
	for _, c := range []struct {
		method, uri string
		status      int
	}{
		{"GET", "/v3/certificates", http.StatusOK},
		{"GET", "/v3/certificates?algorithm_type=x", http.StatusBadRequest},
		{"GET", "/v3/nowhere", http.StatusNotFound},
		{"PUT", "/v3/certificates", http.StatusMethodNotAllowed},
	} {
		resp, body := me.call(t, ts, c.method, c.uri, nil)
		assert.Equal(t, c.status, resp.StatusCode)
		verifyResponse(t, srv.Platform(), resp, body)
	}
	// Unauthenticated failures are signed too.
	req := me.request(t, ts, "GET", "/v3/certificates", nil)
	req.Header.Set("Authorization", "garbage")
	resp, body := send(t, req)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	verifyResponse(t, srv.Platform(), resp, body)
}

// A path outside /v3 and /sandbox gets WeChat Pay's signed 404, and a path
// that only lacks the /v3 prefix is named in the answer (Pay Score's own
// paths are served without it: see TestEndpoints_Aliases).
func TestUnknownPaths(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	me := defaultMerchant(t)
	tests := []struct {
		method, uri string
		status      int
		issue       string
	}{
		{"GET", "/refund/domestic/refunds/R1", http.StatusNotFound, "WeChat Pay's API paths start with /v3: GET /v3/refund/domestic/refunds/R1"},
		{"GET", "/certificates", http.StatusNotFound, "WeChat Pay's API paths start with /v3: GET /v3/certificates"},
		{"GET", "/nowhere", http.StatusNotFound, "GET /nowhere is not an API that mockpay serves"},
		{"GET", "/v3/nowhere", http.StatusNotFound, "GET /v3/nowhere is not an API that mockpay serves"},
		// A near miss names the nearest endpoint, its variables filled in
		// by the path's own segments when the shapes agree.
		{"POST", "/v3/payscore/serviceorders", http.StatusNotFound, "did you mean POST /v3/payscore/serviceorder?"},
		{"POST", "/v3/payscore/serviceorder/RIDE-1/complet", http.StatusNotFound, "did you mean POST /v3/payscore/serviceorder/{out_order_no}/complete?"},
		{"GET", "/v3/payscore/user-service-status?openid=o1", http.StatusNotFound, "did you mean GET /v3/payscore/user-service-state?"},
		{"GET", "/payscore/serviceorders", http.StatusNotFound, "did you mean GET /payscore/serviceorder?"},
		{"POST", "/payscore/serviceorders", http.StatusNotFound, "did you mean POST /payscore/serviceorder?"},
		// A path that exists under another method: 405, naming those.
		{"DELETE", "/v3/certificates", http.StatusMethodNotAllowed, "/v3/certificates answers GET"},
		{"GET", "/v3/payscore/serviceorder/RIDE-1/complete", http.StatusMethodNotAllowed, "answers POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.uri, func(t *testing.T) {
			resp, body := me.call(t, ts, tt.method, tt.uri, nil)
			require.Equal(t, tt.status, resp.StatusCode)
			verifyResponse(t, srv.Platform(), resp, body)
			var e struct {
				Code   string `json:"code"`
				Detail struct {
					Field, Issue string
				} `json:"detail"`
			}
			require.NoError(t, json.Unmarshal(body, &e))
			assert.Equal(t, "url", e.Detail.Field)
			assert.Contains(t, e.Detail.Issue, tt.issue)
			if !strings.Contains(tt.issue, "start with /v3") {
				assert.NotContains(t, e.Detail.Issue, "start with /v3")
			}
			if tt.status == http.StatusMethodNotAllowed {
				assert.Equal(t, "METHOD_NOT_ALLOWED", e.Code)
				assert.NotEmpty(t, resp.Header.Get("Allow"))
				assert.Contains(t, tt.issue, resp.Header.Get("Allow"), "Allow lists what the issue names")
			} else {
				assert.Equal(t, "NOT_FOUND", e.Code)
				assert.Empty(t, resp.Header.Get("Allow"))
			}
			if !strings.Contains(tt.issue, "did you mean") {
				assert.NotContains(t, e.Detail.Issue, "did you mean")
			}
		})
	}
}
