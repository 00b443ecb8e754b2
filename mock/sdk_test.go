package mock_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/consts"
	"github.com/wechatpay-apiv3/wechatpay-go/core/downloader"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// hostRewrite sends requests addressed to the real WeChat Pay host to the
// mock instead: the official SDK hard-codes its host, and this is how a
// merchant points it at mockpay without changing a line of SDK code.
type hostRewrite struct{ target *url.URL }

func (h hostRewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = h.target.Scheme, h.target.Host, h.target.Host
	return http.DefaultTransport.RoundTrip(r)
}

func sdkHTTPClient(t *testing.T, ts *httptest.Server) *http.Client {
	t.Helper()
	u, err := url.Parse(ts.URL)
	require.NoError(t, err)
	return &http.Client{Transport: hostRewrite{target: u}, Timeout: 10 * time.Second}
}

// TestSDK_CertificateMode: the unmodified official SDK downloads the
// platform certificate from the mock, and its validator then accepts the
// mock's responses, also after the domain clock moved 30 days.
func TestSDK_CertificateMode(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	me := defaultMerchant(t)
	ctx := context.Background()
	hc := sdkHTTPClient(t, ts)

	bootstrap, err := core.NewClient(ctx,
		option.WithMerchantCredential(me.mchid, me.serial, me.key),
		option.WithoutValidator(),
		option.WithHTTPClient(hc))
	require.NoError(t, err)
	dl, err := downloader.NewCertificateDownloaderWithClient(ctx, bootstrap, me.apiV3Key)
	require.NoError(t, err, "the SDK downloads and decrypts /v3/certificates")
	assert.Contains(t, dl.GetAll(ctx), srv.Platform().SerialNo)
	assert.Equal(t, srv.Platform().SerialNo, dl.GetNewestSerial(ctx))
	pem, ok := dl.Export(ctx, srv.Platform().SerialNo)
	require.True(t, ok)
	assert.Equal(t, srv.Platform().CertificatePEM, pem)

	sdk, err := core.NewClient(ctx,
		option.WithMerchantCredential(me.mchid, me.serial, me.key),
		option.WithVerifier(verifiers.NewSHA256WithRSAVerifier(dl)),
		option.WithHTTPClient(hc))
	require.NoError(t, err)
	res, err := sdk.Get(ctx, consts.WechatPayAPIServer+"/v3/certificates")
	require.NoError(t, err, "the SDK's validator accepts the mock's signature")
	assert.Equal(t, http.StatusOK, res.Response.StatusCode)

	_, err = srv.Advance(30 * 24 * time.Hour)
	require.NoError(t, err)
	_, err = sdk.Get(ctx, consts.WechatPayAPIServer+"/v3/certificates")
	require.NoError(t, err, "domain time moved 30 days; transport time did not, so signatures still validate")
	require.NoError(t, dl.DownloadCertificates(ctx))

	// An SDK error carries WeChat Pay's code.
	_, err = sdk.Get(ctx, consts.WechatPayAPIServer+"/v3/certificates?algorithm_type=EC")
	var apiErr *core.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "PARAM_ERROR", apiErr.Code)
}

// TestSDK_PublicKeyMode: the SDK configured with the WeChat Pay public key
// announces its key id in Wechatpay-Serial; the mock signs with the public
// key and the SDK's validator accepts it. A public-key merchant has no
// platform certificate to download.
func TestSDK_PublicKeyMode(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	p := srv.Platform()
	pub, err := protocol.ParsePublicKey([]byte(p.PublicKeyPEM))
	require.NoError(t, err)
	ctx := context.Background()
	hc := sdkHTTPClient(t, ts)

	me := defaultMerchant(t)
	sdk, err := core.NewClient(ctx,
		option.WithWechatPayPublicKeyAuthCipher(me.mchid, me.serial, me.key, p.PublicKeyID, pub),
		option.WithHTTPClient(hc))
	require.NoError(t, err)
	res, err := sdk.Get(ctx, consts.WechatPayAPIServer+"/v3/certificates")
	require.NoError(t, err)
	assert.Equal(t, p.PublicKeyID, res.Response.Header.Get("Wechatpay-Serial"))

	pm, err := srv.CreateMerchant(mock.MerchantSpec{PlatformMode: "public_key"})
	require.NoError(t, err)
	k := keyOf(t, pm)
	sdk, err = core.NewClient(ctx,
		option.WithWechatPayPublicKeyAuthCipher(k.mchid, k.serial, k.key, p.PublicKeyID, pub),
		option.WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = sdk.Get(ctx, consts.WechatPayAPIServer+"/v3/certificates")
	var apiErr *core.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	assert.Equal(t, "RESOURCE_NOT_EXISTS", apiErr.Code)
}
