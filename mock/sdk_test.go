package mock_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/consts"
	"github.com/wechatpay-apiv3/wechatpay-go/core/downloader"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
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

// sdkReceiver is a merchant callback endpoint built on the official SDK's
// notify.Handler: it verifies and decrypts every callback the mock sends.
type sdkReceiver struct {
	mu     sync.Mutex
	events []map[string]any
	types  []string
	errs   []error
}

func (r *sdkReceiver) handler(t *testing.T, h *notify.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		content := map[string]any{}
		n, err := h.ParseNotifyRequest(req.Context(), req, &content)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			r.errs = append(r.errs, err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.types = append(r.types, n.EventType)
		r.events = append(r.events, content)
		w.WriteHeader(http.StatusOK)
	})
}

// TestSDK_ServiceOrderFlow runs the ride-hailing flow through the unmodified
// official SDK: its core client with the validator on for every call, and
// its notify.Handler decrypting every callback.
func TestSDK_ServiceOrderFlow(t *testing.T) {
	for _, mode := range []string{"certificate", "public_key"} {
		t.Run(mode, func(t *testing.T) {
			srv, ts := mock.NewTestServer(t, mock.Options{})
			p := srv.Platform()
			ctx := context.Background()
			hc := sdkHTTPClient(t, ts)
			m, err := srv.CreateMerchant(mock.MerchantSpec{PlatformMode: mode})
			require.NoError(t, err)
			k := keyOf(t, m)

			var verifier auth.Verifier
			if mode == "public_key" {
				pub, err := protocol.ParsePublicKey([]byte(p.PublicKeyPEM))
				require.NoError(t, err)
				verifier = verifiers.NewSHA256WithRSAPubkeyVerifier(p.PublicKeyID, *pub)
			} else {
				boot, err := core.NewClient(ctx, option.WithMerchantCredential(k.mchid, k.serial, k.key), option.WithoutValidator(), option.WithHTTPClient(hc))
				require.NoError(t, err)
				dl, err := downloader.NewCertificateDownloaderWithClient(ctx, boot, k.apiV3Key)
				require.NoError(t, err)
				verifier = verifiers.NewSHA256WithRSAVerifier(dl)
			}
			sdk, err := core.NewClient(ctx, option.WithMerchantCredential(k.mchid, k.serial, k.key), option.WithVerifier(verifier), option.WithHTTPClient(hc))
			require.NoError(t, err)
			nh, err := notify.NewRSANotifyHandler(k.apiV3Key, verifier)
			require.NoError(t, err)
			var rc sdkReceiver
			notifySrv := httptest.NewServer(rc.handler(t, nh))
			defer notifySrv.Close()

			api := consts.WechatPayAPIServer
			appid, serviceID, openid := m.AppIDs[0], m.ServiceIDs[0], "oSDKUser"
			post := func(path string, body map[string]any) map[string]any {
				t.Helper()
				res, err := sdk.Post(ctx, api+path, body)
				require.NoError(t, err, path)
				out := map[string]any{}
				if res.Response.StatusCode != http.StatusNoContent {
					require.NoError(t, core.UnMarshalResponse(res.Response, &out))
				}
				return out
			}
			get := func(path string) map[string]any {
				t.Helper()
				res, err := sdk.Get(ctx, api+path)
				require.NoError(t, err, path)
				out := map[string]any{}
				require.NoError(t, core.UnMarshalResponse(res.Response, &out))
				return out
			}
			settle := func() { srv.Clock().(*clock.Virtual).Settle() }

			state := get("/v3/payscore/user-service-state?" + url.Values{"service_id": {serviceID}, "appid": {appid}, "openid": {openid}}.Encode())
			assert.Equal(t, "UNAVAILABLE", state["use_service_state"])
			tok := post("/v3/payscore/permissions", map[string]any{"service_id": serviceID, "appid": appid, "authorization_code": "SDK-AUTH-1", "notify_url": notifySrv.URL})
			assert.NotEmpty(t, tok["apply_permissions_token"])
			_, err = srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: k.mchid})
			require.NoError(t, err)
			settle()

			now := srv.Clock().Now()
			order := post("/v3/payscore/serviceorder", map[string]any{
				"out_order_no": "SDK-RIDE-1", "appid": appid, "service_id": serviceID, "service_introduction": "网约车",
				"time_range": map[string]any{"start_time": protocol.Format14(now)}, "need_user_confirm": false, "openid": openid,
				"risk_fund": map[string]any{"name": "ESTIMATE_ORDER_COST", "amount": 5000}, "notify_url": notifySrv.URL,
			})
			assert.Equal(t, "DOING", order["state"])
			_, err = srv.Advance(30 * time.Minute)
			require.NoError(t, err)
			done := post("/v3/payscore/serviceorder/SDK-RIDE-1/complete", map[string]any{
				"appid": appid, "service_id": serviceID, "total_amount": 3300,
				"post_payments": []map[string]any{{"name": "车费", "amount": 3300}},
				"time_range":    map[string]any{"end_time": protocol.Format14(srv.Clock().Now())},
			})
			assert.Equal(t, "MCH_COMPLETE", done["state_description"])
			_, err = srv.Advance(5 * time.Second)
			require.NoError(t, err)

			q := get("/v3/payscore/serviceorder?" + url.Values{"out_order_no": {"SDK-RIDE-1"}, "service_id": {serviceID}, "appid": {appid}}.Encode())
			assert.Equal(t, "DONE", q["state"])

			post("/v3/payscore/permissions/authorization-code/SDK-AUTH-1/terminate", map[string]any{"service_id": serviceID, "reason": "用户注销"})
			settle()

			rc.mu.Lock()
			defer rc.mu.Unlock()
			assert.Empty(t, rc.errs, "the SDK's notify handler accepts every callback")
			assert.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_PAID", "PAYSCORE.USER_CLOSE_SERVICE"}, rc.types)
			require.Len(t, rc.events, 3)
			assert.Equal(t, "SDK-RIDE-1", rc.events[1]["out_order_no"])
			assert.Equal(t, "USER_PAID", rc.events[1]["collection"].(map[string]any)["state"])
		})
	}
}

// sdkCertificateClient is the official SDK set up as a certificate-mode
// merchant does it: a bootstrap client downloads and decrypts the platform
// certificates, then a client with the validator on and a notify handler
// verify with them.
func sdkCertificateClient(t *testing.T, hc *http.Client, k merchantKey) (*core.Client, *notify.Handler) {
	t.Helper()
	ctx := context.Background()
	boot, err := core.NewClient(ctx, option.WithMerchantCredential(k.mchid, k.serial, k.key), option.WithoutValidator(), option.WithHTTPClient(hc))
	require.NoError(t, err)
	dl, err := downloader.NewCertificateDownloaderWithClient(ctx, boot, k.apiV3Key)
	require.NoError(t, err)
	verifier := verifiers.NewSHA256WithRSAVerifier(dl)
	c, err := core.NewClient(ctx, option.WithMerchantCredential(k.mchid, k.serial, k.key), option.WithVerifier(verifier), option.WithHTTPClient(hc))
	require.NoError(t, err)
	nh, err := notify.NewRSANotifyHandler(k.apiV3Key, verifier)
	require.NoError(t, err)
	return c, nh
}

// TestSDK_PayAfterFlow runs the reference integration's legacy 先享后付 flow
// and a refund through the unmodified official SDK with its validator on,
// its notify.Handler decrypting the callbacks.
func TestSDK_PayAfterFlow(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	ctx := context.Background()
	hc := sdkHTTPClient(t, ts)

	var rc sdkReceiver
	var nh *notify.Handler
	notifySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rc.handler(t, nh).ServeHTTP(w, r) }))
	defer notifySrv.Close()
	m, err := srv.CreateMerchant(mock.MerchantSpec{NotifyURL: notifySrv.URL})
	require.NoError(t, err)
	k := keyOf(t, m)
	sdk, nh := sdkCertificateClient(t, hc, k)

	api := consts.WechatPayAPIServer
	appid, serviceID, openid := m.AppIDs[0], m.ServiceIDs[0], "oSDKLegacy"
	_, err = srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: k.mchid})
	require.NoError(t, err)
	settle := func() { srv.Clock().(*clock.Virtual).Settle() }
	settle()

	res, err := sdk.Post(ctx, api+"/v3/payscore/payafter-orders", map[string]any{
		"appid": appid, "out_order_no": "SDK-TRIP-1", "service_id": serviceID, "need_user_confirm": false, "openid": openid,
		"service_start_time": protocol.Format14(srv.Clock().Now()), "service_start_location": "北京南站",
		"service_introduction": "网约车", "risk_amount": 20000,
		"fees": []map[string]any{{"fee_name": "车费", "fee_amount": 3000}},
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Response.StatusCode)
	query := func() map[string]any {
		res, err := sdk.Get(ctx, api+"/v3/payscore/payafter-orders?"+url.Values{"out_order_no": {"SDK-TRIP-1"}, "service_id": {serviceID}, "appid": {appid}}.Encode())
		require.NoError(t, err)
		out := map[string]any{}
		require.NoError(t, core.UnMarshalResponse(res.Response, &out))
		return out
	}
	q := query()
	require.Equal(t, "USER_ACCEPTED", q["state"])
	ticket := q["finish_ticket"].(string)

	_, err = srv.Advance(20 * time.Minute)
	require.NoError(t, err)
	_, err = sdk.Post(ctx, api+"/v3/payscore/payafter-orders/SDK-TRIP-1/complete", map[string]any{
		"appid": appid, "service_id": serviceID, "finish_type": 2, "finish_ticket": ticket, "total_amount": 2600,
		"real_service_end_time": protocol.Format14(srv.Clock().Now()),
		"fees":                  []map[string]any{{"fee_name": "车费", "fee_amount": 2600}},
	})
	require.NoError(t, err)
	_, err = srv.Advance(5 * time.Second)
	require.NoError(t, err)
	q = query()
	require.Equal(t, "USER_PAID", q["state"])

	res, err = sdk.Post(ctx, api+"/v3/refund/domestic/refunds", map[string]any{
		"transaction_id": q["finish_transaction_id"], "out_refund_no": "SDK-REFUND-1",
		"amount": map[string]any{"refund": 600, "total": 2600, "currency": "CNY"},
	})
	require.NoError(t, err)
	out := map[string]any{}
	require.NoError(t, core.UnMarshalResponse(res.Response, &out))
	assert.Equal(t, "PROCESSING", out["status"])
	_, err = srv.Advance(5 * time.Second)
	require.NoError(t, err)

	rc.mu.Lock()
	defer rc.mu.Unlock()
	assert.Empty(t, rc.errs)
	assert.Equal(t, []string{"PAYSCORE.USER_OPEN_SERVICE", "PAYSCORE.USER_ACCEPTED", "PAYSCORE.USER_PAID", "REFUND.SUCCESS"}, rc.types)
	require.Len(t, rc.events, 4)
	assert.Equal(t, ticket, rc.events[1]["finish_ticket"])
	assert.Equal(t, "USER_PAID", rc.events[2]["state"])
	assert.NotEmpty(t, rc.events[2]["pay_succ_time"])
	assert.Equal(t, "SUCCESS", rc.events[3]["refund_status"])
}
