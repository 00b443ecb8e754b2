package client_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
)

// notifyNow is the fixed client clock of the notification tests.
var notifyNow = time.Unix(1_700_000_000, 0)

const userPaidPlaintext = `{"appid":"wxd678efh567hg6787","mchid":"1230000109","out_order_no":"1234323JKHDFE1243252","service_id":"500001","openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","state":"DONE","total_amount":3900}`

// callback describes a notification to build; the zero value of every
// field means "as WeChat Pay would send it".
type callback struct {
	ts           int64 // default notifyNow
	key          *rsa.PrivateKey
	serial       string // default the platform certificate's
	sigType      string // default protocol.Schema; "-" omits the header
	drop         string // header to remove after signing
	signature    string // replaces the computed signature
	plaintext    string
	sealAD       string // associated data used to encrypt; default "payscore", "-" for none
	envelopeAD   *string
	algorithm    string
	apiV3Key     string
	body         []byte                   // replaces the whole body (still signed)
	editEnvelope func(map[string]any)     // edits the envelope before signing
	afterSign    func(body []byte) []byte // changes the body after signing
	editHeader   func(h http.Header)      // last word on headers
}

func buildCallback(t testing.TB, f fixtures, cb callback) *http.Request {
	t.Helper()
	if cb.ts == 0 {
		cb.ts = notifyNow.Unix()
	}
	if cb.key == nil {
		cb.key = f.platformKey
	}
	if cb.serial == "" {
		cb.serial = protocol.SerialNumber(f.platformCert)
	}
	if cb.plaintext == "" {
		cb.plaintext = userPaidPlaintext
	}
	switch cb.sealAD {
	case "":
		cb.sealAD = "payscore"
	case "-":
		cb.sealAD = ""
	}
	if cb.algorithm == "" {
		cb.algorithm = protocol.AlgorithmAEADAES256GCM
	}
	if cb.apiV3Key == "" {
		cb.apiV3Key = f.id.APIv3Key
	}
	envelopeAD := cb.sealAD
	if cb.envelopeAD != nil {
		envelopeAD = *cb.envelopeAD
	}

	body := cb.body
	if body == nil {
		nonce := "Kj7QIyUiYx1q"
		ct, err := protocol.Encrypt([]byte(cb.apiV3Key), nonce, cb.sealAD, []byte(cb.plaintext))
		require.NoError(t, err)
		env := map[string]any{
			"id":            "EV-2018022511223320873",
			"create_time":   "2015-05-20T13:29:35+08:00",
			"resource_type": "encrypt-resource",
			"event_type":    "PAYSCORE.USER_PAID",
			"summary":       "支付成功",
			"resource": map[string]any{
				"original_type":   "payscore",
				"algorithm":       cb.algorithm,
				"ciphertext":      ct,
				"associated_data": envelopeAD,
				"nonce":           nonce,
			},
		}
		if cb.editEnvelope != nil {
			cb.editEnvelope(env)
		}
		body, err = json.Marshal(env)
		require.NoError(t, err)
	}
	nonce := protocol.NewNonce(32)
	sig, err := protocol.Sign(cb.key, protocol.ResponseMessage(cb.ts, nonce, body))
	require.NoError(t, err)
	if cb.signature != "" {
		sig = cb.signature
	}
	if cb.afterSign != nil {
		body = cb.afterSign(bytes.Clone(body))
	}

	r := httptest.NewRequest(http.MethodPost, "https://merchant.example/wechatpay/notify", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(protocol.HeaderRequestID, "08F78BB5AF0610D302A6A6C6")
	r.Header.Set(protocol.HeaderTimestamp, strconv.FormatInt(cb.ts, 10))
	r.Header.Set(protocol.HeaderNonce, nonce)
	r.Header.Set(protocol.HeaderSerial, cb.serial)
	r.Header.Set(protocol.HeaderSignature, sig)
	switch cb.sigType {
	case "":
		r.Header.Set(protocol.HeaderSignatureType, protocol.Schema)
	case "-":
	default:
		r.Header.Set(protocol.HeaderSignatureType, cb.sigType)
	}
	if cb.drop != "" {
		r.Header.Del(cb.drop)
	}
	if cb.editHeader != nil {
		cb.editHeader(r.Header)
	}
	return r
}

// notifyClient verifies with the fixed platform certificate, so the tests
// need no network, at the fixed clock notifyNow.
func notifyClient(t testing.TB, f fixtures, opts ...client.Option) *client.Client {
	t.Helper()
	base := []client.Option{
		client.WithVerifier(client.NewCertificateVerifier(f.platformCert)),
		client.WithClock(func() time.Time { return notifyNow }),
	}
	return newClient(t, f.defaultConfig(), append(base, opts...)...)
}

func TestClient_ParseNotification(t *testing.T) {
	f := loadFixtures(t)
	c := notifyClient(t, f)
	refund := "refund"

	tests := []struct {
		name    string
		cb      callback
		wantErr error  // nil: accepted
		reason  string // in NotificationError.Reason
	}{
		{name: "valid", cb: callback{}},
		{name: "valid without signature type", cb: callback{sigType: "-"}},
		{name: "valid 299 s old", cb: callback{ts: notifyNow.Unix() - 299}},
		{name: "valid with empty associated data", cb: callback{sealAD: "-"}},
		{name: "missing Wechatpay-Timestamp", cb: callback{drop: protocol.HeaderTimestamp}, wantErr: client.ErrMissingHeader, reason: protocol.HeaderTimestamp},
		{name: "missing Wechatpay-Nonce", cb: callback{drop: protocol.HeaderNonce}, wantErr: client.ErrMissingHeader, reason: protocol.HeaderNonce},
		{name: "missing Wechatpay-Serial", cb: callback{drop: protocol.HeaderSerial}, wantErr: client.ErrMissingHeader, reason: protocol.HeaderSerial},
		{name: "missing Wechatpay-Signature", cb: callback{drop: protocol.HeaderSignature}, wantErr: client.ErrMissingHeader, reason: protocol.HeaderSignature},
		{name: "bad signature type", cb: callback{sigType: "WECHATPAY2-SM2-WITH-SM3"}, wantErr: client.ErrUnsupportedSignatureType, reason: "WECHATPAY2-SM2-WITH-SM3"},
		{name: "timestamp not a number", cb: callback{editHeader: func(h http.Header) { h.Set(protocol.HeaderTimestamp, "-5") }}, wantErr: client.ErrInvalidHeader},
		{name: "timestamp in milliseconds", cb: callback{ts: notifyNow.UnixMilli()}, wantErr: client.ErrStaleTimestamp},
		{name: "stale timestamp", cb: callback{ts: notifyNow.Unix() - 300}, wantErr: client.ErrStaleTimestamp},
		{name: "future timestamp", cb: callback{ts: notifyNow.Unix() + 300}, wantErr: client.ErrStaleTimestamp},
		{name: "SIGNTEST probe", cb: callback{signature: protocol.SignTestPrefix + "c2ln"}, wantErr: client.ErrSignatureProbe},
		{name: "bad signature", cb: callback{key: f.merchantKey}, wantErr: client.ErrSignatureMismatch},
		{name: "signature not Base64", cb: callback{signature: "%%%"}, wantErr: client.ErrSignatureMismatch},
		{name: "body changed after signing", cb: callback{afterSign: func(b []byte) []byte { return bytes.Replace(b, []byte("支付成功"), []byte("支付失败"), 1) }}, wantErr: client.ErrSignatureMismatch},
		{name: "unknown serial", cb: callback{serial: "0BADC0DE"}, wantErr: client.ErrUnknownSerial},
		{name: "tampered ciphertext, re-signed", cb: callback{editEnvelope: func(env map[string]any) {
			res := env["resource"].(map[string]any)
			raw, _ := base64.StdEncoding.DecodeString(res["ciphertext"].(string))
			raw[0] ^= 1
			res["ciphertext"] = base64.StdEncoding.EncodeToString(raw)
		}}, wantErr: client.ErrDecrypt},
		{name: "ciphertext not Base64", cb: callback{editEnvelope: func(env map[string]any) {
			env["resource"].(map[string]any)["ciphertext"] = "@@@"
		}}, wantErr: client.ErrDecrypt},
		{name: "wrong associated data", cb: callback{envelopeAD: &refund}, wantErr: client.ErrDecrypt},
		{name: "sealed with another APIv3 key", cb: callback{apiV3Key: "0123456789abcdefghijklmnopqrstuv"}, wantErr: client.ErrDecrypt},
		{name: "wrong nonce length", cb: callback{editEnvelope: func(env map[string]any) {
			env["resource"].(map[string]any)["nonce"] = "short"
		}}, wantErr: client.ErrDecrypt},
		{name: "malformed JSON", cb: callback{body: []byte(`{"id":"EV-1","resource":`)}, wantErr: client.ErrMalformed},
		{name: "no resource", cb: callback{body: []byte(`{"id":"EV-1","event_type":"PAYSCORE.USER_PAID"}`)}, wantErr: client.ErrMalformed, reason: "no resource"},
		{name: "wrong algorithm", cb: callback{algorithm: "AEAD_SM4_GCM"}, wantErr: client.ErrUnsupportedAlgorithm, reason: "AEAD_SM4_GCM"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := buildCallback(t, f, tc.cb)
			sent := bytes.Clone(readAll(t, r))
			r.Body = io.NopCloser(bytes.NewReader(sent))

			n, err := c.ParseNotification(r)
			assert.Equal(t, sent, readAll(t, r), "r.Body is restored")
			if tc.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, "EV-2018022511223320873", n.ID)
				assert.Equal(t, "PAYSCORE.USER_PAID", n.EventType)
				assert.Equal(t, "encrypt-resource", n.ResourceType)
				assert.Equal(t, "支付成功", n.Summary)
				assert.Equal(t, "payscore", n.Resource.OriginalType)
				assert.Equal(t, "08F78BB5AF0610D302A6A6C6", n.RequestID)
				assert.Equal(t, protocol.SerialNumber(f.platformCert), n.Serial)
				assert.JSONEq(t, userPaidPlaintext, string(n.Plaintext))
				var order struct {
					OutOrderNo  string `json:"out_order_no"`
					State       string `json:"state"`
					TotalAmount int64  `json:"total_amount"`
				}
				require.NoError(t, n.Decode(&order))
				assert.Equal(t, "1234323JKHDFE1243252", order.OutOrderNo)
				assert.Equal(t, int64(3900), order.TotalAmount)
				created, err := n.CreatedAt()
				require.NoError(t, err)
				assert.True(t, created.Equal(time.Date(2015, 5, 20, 5, 29, 35, 0, time.UTC)))
				return
			}
			require.Error(t, err)
			assert.Nil(t, n)
			var ne *client.NotificationError
			require.True(t, errors.As(err, &ne), "want *NotificationError, got %T: %v", err, err)
			assert.ErrorIs(t, err, tc.wantErr)
			assert.Contains(t, ne.Reason, tc.reason)
			assert.Equal(t, "08F78BB5AF0610D302A6A6C6", ne.RequestID)
		})
	}
}

func readAll(t testing.TB, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

func TestClient_ParseNotification_PublicKey(t *testing.T) {
	f := loadFixtures(t)
	// During a migration callbacks come signed with either key.
	c := notifyClient(t, f, client.WithVerifier(client.NewMultiVerifier(
		client.NewPublicKeyVerifier(f.id.PublicKeyID, f.pubKey),
		client.NewCertificateVerifier(f.platformCert))))
	for _, cb := range []callback{
		{key: f.pubKeyKey, serial: f.id.PublicKeyID},
		{},
	} {
		n, err := c.ParseNotification(buildCallback(t, f, cb))
		require.NoError(t, err)
		assert.JSONEq(t, userPaidPlaintext, string(n.Plaintext))
	}
	_, err := c.ParseNotification(buildCallback(t, f, callback{key: f.platformKey, serial: f.id.PublicKeyID}))
	assert.ErrorIs(t, err, client.ErrSignatureMismatch, "the key the serial names decides")
}

func TestClient_ParseNotification_NoAPIv3Key(t *testing.T) {
	f := loadFixtures(t)
	cfg := f.defaultConfig()
	cfg.APIv3Key = ""
	c := newClient(t, cfg, client.WithVerifier(client.NewCertificateVerifier(f.platformCert)),
		client.WithClock(func() time.Time { return notifyNow }))
	_, err := c.ParseNotification(buildCallback(t, f, callback{}))
	assert.ErrorIs(t, err, client.ErrNoAPIv3Key)
}

// TestClient_ParseNotification_Vector checks the golden vector of
// protocol.md §1.9, signed outside this project.
func TestClient_ParseNotification_Vector(t *testing.T) {
	const pubPEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwS9AyanZoUjn1Y+5mF+3
2DleHd8Wmlm08TOrZJLY98MqX8WuoQNv4lyOxMgGGOnJ33wjKSgB+VPySt11+e/i
fwh7Wj6dcHEo41wuN3clNtRDwhBfn780B16mIpDdEcmhMwVKvwx4QCjZnNpwtV1D
jULvRcnfhQJOqWw60bd6n8wzFi+so74L+Hpg4bB/mE6wY/bl+G+YhS2SaFDKvf0o
86jtnsHkkDaU2H8XvW4LYhU2+fskGwV8AaqYCHIudXXaVM7XXikU74ISsypdtswj
kTppYeNE1XF8Zit3ApD2cMIbIth4F8WR51Amfc/TW6MhycO75gmxOPK3dFjJBGSH
aQIDAQAB
-----END PUBLIC KEY-----`
	const body = `{"id":"EV-2018022511223320873","create_time":"2015-05-20T13:29:35+08:00","resource_type":"encrypt-resource","event_type":"PAYSCORE.USER_CONFIRM","summary":"确认订单","resource":{"original_type":"payscore","algorithm":"AEAD_AES_256_GCM","ciphertext":"pVzSPBhfUXWgKPPdNLpDe1qvMMh0qu2dpYvwyePBtsAQQawgZzjox1Yxoe9cLDxVaVhiN+u0cJjK0iatkHragjQOcE+zsftmGyQuKlvpRV7ooU7lKqrIXI0GS5ih6ze+x0Klk1lAisfp0aQ1oY6bzgkZk+zfJV1sV5sDwM3CqS4+KlAFTfHigR0JrwRSyEEZCn0FPC5NK6OOpL7oVdMDsbWoUU4g2wRV68nrQpYiLJy7Lx3rrMVWypEY3jOgAYBC+5G/8a1K2sftzY/KLH6TMOcQRN0tYxRso6U=","associated_data":"payscore","nonce":"Kj7QIyUiYx1q"}}`
	const sig = "VIoDDZTbtc1ztwlWwuGon7QjAdTPPAkR1U84IMMowyV1rHNgNa7Gxvr96pz9O0x8D68LxUIRSpzBLwig6wDyYKLZquexqmnPTNuKoovjip9w5G7jeqOs+Z2sNEDZznNbIgrIN34coI76c4GBw7uSIfLbhSGbIAuvpdsCXGomHA2tGG/kJu6mV+2d9YAO4ROJA0owiuC8+XxcaH6ujcTKiRI8RbKmCc7lbkdeSsz3udc79jrGIRnJaIklyfbIfGZ4/jtDJL+D14J62jDeQ1ESw4kmF5EA2nGwBT/1Q3hD1p6lr2tGmNzFr8sqUt0TQDAsq1ctOug7Oa+GpM8VbrkFZw=="
	const keyID = "PUB_KEY_ID_VECTOR"
	pub, err := protocol.ParsePublicKey([]byte(pubPEM))
	require.NoError(t, err)
	f := loadFixtures(t)
	cfg := f.defaultConfig()
	cfg.APIv3Key = "0123456789abcdefghijklmnopqrstuv"
	c := newClient(t, cfg, client.WithVerifier(client.NewPublicKeyVerifier(keyID, pub)),
		client.WithClock(func() time.Time { return time.Unix(1554209980+60, 0) }))

	r := httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader(body))
	r.Header.Set(protocol.HeaderTimestamp, "1554209980")
	r.Header.Set(protocol.HeaderNonce, "c5ac7061fccab6bf3e254dcf98995b8c")
	r.Header.Set(protocol.HeaderSerial, keyID)
	r.Header.Set(protocol.HeaderSignature, sig)
	n, err := c.ParseNotification(r)
	require.NoError(t, err)
	assert.Equal(t, "PAYSCORE.USER_CONFIRM", n.EventType)
	assert.Contains(t, string(n.Plaintext), `"state_description":"USER_CONFIRM"`)

	ev, err := n.ServiceOrderEvent()
	require.NoError(t, err)
	assert.Equal(t, client.ServiceOrderEvent{ServiceOrder: client.ServiceOrder{
		AppID:            "wxd678efh567hg6787",
		MchID:            "1230000109",
		OutOrderNo:       "1234323JKHDFE1243252",
		ServiceID:        "500001",
		OpenID:           "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		State:            client.StateDoing,
		StateDescription: client.DescriptionUserConfirm,
	}}, *ev)
}

func TestClient_NotificationHandler(t *testing.T) {
	f := loadFixtures(t)
	c := notifyClient(t, f)
	errBusy := errors.New("database is down: secret dsn")

	tests := []struct {
		name        string
		method      string
		cb          callback
		handlerErr  error
		wantStatus  int
		wantMessage string // "" for no body
		wantCalled  bool
	}{
		{name: "success", cb: callback{}, wantStatus: http.StatusNoContent, wantCalled: true},
		{name: "bad signature", cb: callback{key: f.merchantKey}, wantStatus: http.StatusUnauthorized, wantMessage: "signature does not match"},
		{name: "stale", cb: callback{ts: notifyNow.Unix() - 3600}, wantStatus: http.StatusUnauthorized, wantMessage: "5-minute window"},
		{name: "undecryptable", cb: callback{apiV3Key: "0123456789abcdefghijklmnopqrstuv"}, wantStatus: http.StatusUnauthorized, wantMessage: "decryption failed"},
		{name: "handler fails", cb: callback{}, handlerErr: errBusy, wantStatus: http.StatusInternalServerError, wantMessage: "deliver again later", wantCalled: true},
		{name: "not a POST", method: http.MethodGet, cb: callback{}, wantStatus: http.StatusMethodNotAllowed, wantMessage: "POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *client.Notification
			var rejected *client.NotificationError
			h := c.NotificationHandler(func(ctx context.Context, n *client.Notification) error {
				require.NotNil(t, ctx)
				got = n
				return tc.handlerErr
			}, client.WithRejectHook(func(r *http.Request, err *client.NotificationError) {
				require.NotNil(t, r)
				rejected = err
			}))
			r := buildCallback(t, f, tc.cb)
			if tc.method != "" {
				r.Method = tc.method
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			assert.Equal(t, tc.wantStatus, w.Code)
			assert.Equal(t, tc.wantCalled, got != nil)
			if tc.wantStatus == http.StatusUnauthorized {
				require.NotNil(t, rejected, "the reject hook hears of every 401")
				assert.Contains(t, rejected.Reason, tc.wantMessage)
			} else {
				assert.Nil(t, rejected, "only callbacks that fail verification are rejections")
			}
			if tc.wantMessage == "" {
				assert.Empty(t, w.Body.Bytes())
				return
			}
			var reply struct{ Code, Message string }
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &reply), w.Body.String())
			assert.Equal(t, "FAIL", reply.Code)
			assert.Contains(t, reply.Message, tc.wantMessage)
			assert.NotContains(t, reply.Message, "secret", "handler errors stay inside")
			assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
		})
	}
}

func TestClient_NotificationHandler_NilFunc(t *testing.T) {
	c := notifyClient(t, loadFixtures(t))
	assert.PanicsWithValue(t, "client: NotificationHandler: nil handle func", func() { c.NotificationHandler(nil) })
}
