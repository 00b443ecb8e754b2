package client_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// payAfterRequest is the reference integration's legacy ride-hailing order
// (payscore-integration-notes.zh.txt): openid "" makes it need the user's
// acceptance, otherwise it is 免确认 for that (authorised) user.
func (e *payscoreEnv) payAfterRequest(outOrderNo, openid string) client.CreatePayAfterOrderRequest {
	req := client.CreatePayAfterOrderRequest{
		AppID:                e.appID,
		OutOrderNo:           outOrderNo,
		ServiceID:            e.serviceID,
		ServiceStartTime:     client.Time14(e.now().Add(time.Second)),
		ServiceStartLocation: "望京SOHO",
		ServiceIntroduction:  "网约车出行",
		Fees:                 []client.PayAfterFee{{Name: "预估车费", Amount: 5000, Description: "起步价+里程费"}},
		RiskAmount:           10000,
		Attach:               "ride-" + outOrderNo,
	}
	if openid != "" {
		req.OpenID = openid
		req.NeedUserConfirm = client.Bool(false)
	}
	return req
}

// payAfterComplete finishes an order with a fare of amount, ending now.
func (e *payscoreEnv) payAfterComplete(outOrderNo, ticket string, amount int64) client.CompletePayAfterOrderRequest {
	return client.CompletePayAfterOrderRequest{
		OutOrderNo:             outOrderNo,
		AppID:                  e.appID,
		ServiceID:              e.serviceID,
		FinishType:             client.FinishTypeFinished,
		RealServiceEndTime:     client.Time14(e.now()),
		RealServiceEndLocation: "国贸",
		Fees:                   []client.PayAfterFee{{Name: "里程费", Amount: amount, Count: 1}},
		TotalAmount:            amount,
		FinishTicket:           ticket,
	}
}

func (e *payscoreEnv) queryPayAfter(t *testing.T, outOrderNo string) *client.PayAfterOrder {
	t.Helper()
	o, err := e.c.QueryPayAfterOrder(context.Background(), client.QueryPayAfterOrderRequest{
		OutOrderNo: outOrderNo, ServiceID: e.serviceID, AppID: e.appID,
	})
	require.NoError(t, err)
	return o
}

// payAfterPaid runs a 免确认 legacy order of an authorised user to
// USER_PAID and returns the paid order.
func (e *payscoreEnv) payAfterPaid(t *testing.T, outOrderNo, openid string, amount int64) *client.PayAfterOrder {
	t.Helper()
	ctx := context.Background()
	_, err := e.c.CreatePayAfterOrder(ctx, e.payAfterRequest(outOrderNo, openid))
	require.NoError(t, err)
	ticket := e.queryPayAfter(t, outOrderNo).FinishTicket
	require.NotEmpty(t, ticket)
	e.advance(t, 20*time.Minute)
	_, err = e.c.CompletePayAfterOrder(ctx, e.payAfterComplete(outOrderNo, ticket, amount))
	require.NoError(t, err)
	e.advance(t, 5*time.Second)
	paid := e.queryPayAfter(t, outOrderNo)
	require.Equal(t, client.PayAfterUserPaid, paid.State)
	require.NotEmpty(t, paid.FinishTransactionID)
	return paid
}

// TestPayAfter_ReferenceIntegration is the legacy flow of the reference
// integration, through the client only: create a 免确认 order, query it for
// the finish_ticket, complete it with the fare, receive the paid callback
// and query the paid order.
func TestPayAfter_ReferenceIntegration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const openid, no = "oPassenger", "OLA-20261201-0001"
	e.authorize(t, openid, "AUTH_ola")

	created, err := e.c.CreatePayAfterOrder(ctx, e.payAfterRequest(no, openid))
	require.NoError(t, err)
	assert.Equal(t, e.appID, created.AppID)
	assert.Equal(t, e.mchID, created.MchID)
	assert.Equal(t, no, created.OutOrderNo)
	assert.Equal(t, e.serviceID, created.ServiceID)
	assert.NotEmpty(t, created.OrderID)

	// 免确认: accepted at once, and the ticket is only in the query.
	accepted := e.queryPayAfter(t, no)
	assert.Equal(t, client.PayAfterUserAccepted, accepted.State)
	assert.Equal(t, openid, accepted.OpenID)
	assert.Equal(t, created.OrderID, accepted.OrderID)
	assert.Equal(t, "网约车出行", accepted.ServiceIntroduction)
	assert.Equal(t, "望京SOHO", accepted.ServiceStartLocation)
	assert.Equal(t, int64(10000), accepted.RiskAmount)
	assert.Equal(t, "ride-"+no, accepted.Attach)
	assert.Equal(t, []client.PayAfterFee{{Name: "预估车费", Amount: 5000, Description: "起步价+里程费"}}, accepted.Fees)
	assert.Empty(t, accepted.FinishTransactionID)
	ticket := accepted.FinishTicket
	require.NotEmpty(t, ticket, "a USER_ACCEPTED order shows its finish_ticket")

	e.advance(t, 25*time.Minute) // the ride; the ticket shown has changed meanwhile
	later := e.queryPayAfter(t, no)
	assert.NotEqual(t, ticket, later.FinishTicket, "the ticket shown changes every 10 minutes")

	req := e.payAfterComplete(no, ticket, 4200) // an older ticket stays valid
	req.Discounts = []client.PayAfterDiscount{{Name: "新人立减", Description: "首单", Amount: client.Fen(200)}}
	req.Fees = append(req.Fees, client.PayAfterFee{Name: "高速费", Amount: 200})
	ref, err := e.c.CompletePayAfterOrder(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, client.PayAfterOrderRef{
		AppID: e.appID, MchID: e.mchID, OutOrderNo: no, ServiceID: e.serviceID, OrderID: created.OrderID,
	}, *ref)

	finished := e.queryPayAfter(t, no)
	assert.Equal(t, client.PayAfterFinished, finished.State)
	assert.Equal(t, client.FinishTypeFinished, finished.FinishType)
	assert.Equal(t, int64(4200), finished.TotalAmount)
	assert.Empty(t, finished.FinishTicket, "the ticket is shown only while USER_ACCEPTED")
	assert.Equal(t, "国贸", finished.RealServiceEndLocation)
	require.Len(t, finished.Discounts, 1)
	assert.Equal(t, client.Fen(200), finished.Discounts[0].Amount)
	assert.Empty(t, e.inbox.ofType(client.EventUserPaid), "nothing is collected before the deduction")

	e.advance(t, 5*time.Second) // WeChat Pay's deduction
	paidAt := e.now()
	n := e.inbox.only(t, client.EventUserPaid)
	ev, err := n.PayAfterEvent()
	require.NoError(t, err)
	assert.Equal(t, client.PayAfterUserPaid, ev.State, "what the reference integration's handler checks")
	assert.Equal(t, no, ev.OutOrderNo)
	assert.Equal(t, e.mchID, ev.MchID)
	assert.Equal(t, int64(4200), ev.TotalAmount)
	assert.NotEmpty(t, ev.FinishTransactionID, "the id refunds are made against")
	require.NotEmpty(t, ev.PaySuccTime, "what the reference integration's handler checks")
	got, err := ev.PaidAt()
	require.NoError(t, err)
	assert.WithinDuration(t, paidAt, got, time.Second)
	var decoded client.PayAfterEvent
	require.NoError(t, n.Decode(&decoded))
	assert.Equal(t, *ev, decoded)

	paid := e.queryPayAfter(t, no)
	assert.Equal(t, client.PayAfterUserPaid, paid.State)
	assert.Equal(t, ev.FinishTransactionID, paid.FinishTransactionID)
	assert.Equal(t, ev.PaySuccTime, paid.PaySuccTime)
	assert.Empty(t, paid.FinishTicket)
}

// TestPayAfter_UserAccepts is the 需确认 variant: the user accepts in WeChat,
// and the PAYSCORE.USER_ACCEPTED callback carries the finish_ticket.
func TestPayAfter_UserAccepts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const openid, no = "oAccepting", "OLA-CONFIRM-001"

	created, err := e.c.CreatePayAfterOrder(ctx, e.payAfterRequest(no, ""))
	require.NoError(t, err)
	assert.NotEmpty(t, created.Package, "the front end needs it to open the mini-program")
	assert.Equal(t, "wxpayScoreUse", created.MiniprogramBusinessType)
	assert.NotEmpty(t, created.MiniprogramAppID)
	assert.NotEmpty(t, created.MiniprogramPath)
	assert.NotEmpty(t, created.MiniprogramUsername)
	o := e.queryPayAfter(t, no)
	assert.Equal(t, client.PayAfterCreated, o.State)
	assert.Empty(t, o.FinishTicket, "no ticket before the user accepts")

	_, err = e.srv.ConfirmOrder(e.mchID, "", no, mock.ConfirmRequest{OpenID: openid})
	require.NoError(t, err)
	e.settle()

	n := e.inbox.only(t, client.EventUserAccepted)
	assert.Equal(t, "payscore", n.Resource.OriginalType)
	ev, err := n.PayAfterEvent()
	require.NoError(t, err)
	assert.Equal(t, client.PayAfterUserAccepted, ev.State)
	assert.Equal(t, no, ev.OutOrderNo)
	assert.Equal(t, openid, ev.OpenID)
	assert.Equal(t, created.OrderID, ev.OrderID)
	require.NotEmpty(t, ev.FinishTicket, "USER_ACCEPTED hands over the finish_ticket")

	e.advance(t, 15*time.Minute)
	_, err = e.c.CompletePayAfterOrder(ctx, e.payAfterComplete(no, ev.FinishTicket, 3100))
	require.NoError(t, err)
	assert.Equal(t, client.PayAfterFinished, e.queryPayAfter(t, no).State)
	e.advance(t, 5*time.Second)
	paid, err := e.inbox.only(t, client.EventUserPaid).PayAfterEvent()
	require.NoError(t, err)
	assert.Equal(t, client.PayAfterUserPaid, paid.State)
	assert.Equal(t, int64(3100), paid.TotalAmount)
}

func TestPayAfter_BogusTicketIsRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const openid, no = "oBogus", "OLA-BOGUS-001"
	e.authorize(t, openid, "AUTH_bogus")
	_, err := e.c.CreatePayAfterOrder(ctx, e.payAfterRequest(no, openid))
	require.NoError(t, err)
	e.advance(t, 10*time.Minute)

	_, err = e.c.CompletePayAfterOrder(ctx, e.payAfterComplete(no, "bogus-ticket", 1500))
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.NotEmpty(t, ae.Code)
	assert.NotEmpty(t, ae.RequestID)

	o := e.queryPayAfter(t, no)
	assert.Equal(t, client.PayAfterUserAccepted, o.State, "a refused completion changes nothing")
	assert.Zero(t, o.TotalAmount)
	assert.Zero(t, o.FinishType)
}

func TestPayAfter_ExpiresAfterAnHour(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const no = "OLA-EXPIRE-001"
	_, err := e.c.CreatePayAfterOrder(ctx, e.payAfterRequest(no, ""))
	require.NoError(t, err)

	e.advance(t, 59*time.Minute)
	assert.Equal(t, client.PayAfterCreated, e.queryPayAfter(t, no).State)
	e.advance(t, 2*time.Minute)
	o := e.queryPayAfter(t, no)
	assert.Equal(t, client.PayAfterExpired, o.State)
	assert.Empty(t, o.FinishTicket)

	_, err = e.srv.ConfirmOrder(e.mchID, "", no, mock.ConfirmRequest{OpenID: "oLate"})
	assert.Error(t, err, "an expired order cannot be accepted")
}

func TestPayAfter_EndWithoutCharge(t *testing.T) {
	ctx := context.Background()
	t.Run("cancel a CREATED order", func(t *testing.T) {
		t.Parallel()
		e := newPayscoreEnv(t)
		const no = "OLA-CANCEL-001"
		created, err := e.c.CreatePayAfterOrder(ctx, e.payAfterRequest(no, ""))
		require.NoError(t, err)
		ref, err := e.c.CancelPayAfterOrder(ctx, client.CancelPayAfterOrderRequest{
			OutOrderNo: no, AppID: e.appID, ServiceID: e.serviceID, Reason: "乘客取消行程",
		})
		require.NoError(t, err)
		assert.Equal(t, created.OrderID, ref.OrderID)
		assert.Equal(t, no, ref.OutOrderNo)
		assert.Equal(t, client.PayAfterRevoked, e.queryPayAfter(t, no).State)
	})
	t.Run("complete with finish_type 1", func(t *testing.T) {
		t.Parallel()
		e := newPayscoreEnv(t)
		const openid, no = "oNoShow", "OLA-NOSHOW-001"
		e.authorize(t, openid, "AUTH_noshow")
		_, err := e.c.CreatePayAfterOrder(ctx, e.payAfterRequest(no, openid))
		require.NoError(t, err)
		ticket := e.queryPayAfter(t, no).FinishTicket
		e.advance(t, 5*time.Minute)
		_, err = e.c.CompletePayAfterOrder(ctx, client.CompletePayAfterOrderRequest{
			OutOrderNo: no, AppID: e.appID, ServiceID: e.serviceID,
			FinishType: client.FinishTypeCancelled, CancelReason: "乘客未上车", FinishTicket: ticket,
		})
		require.NoError(t, err)
		e.advance(t, time.Minute)
		o := e.queryPayAfter(t, no)
		assert.Equal(t, client.FinishTypeCancelled, o.FinishType)
		assert.Zero(t, o.TotalAmount)
		assert.NotEqual(t, client.PayAfterUserPaid, o.State, "nothing is charged")
		assert.Empty(t, e.inbox.ofType(client.EventUserPaid))
	})
}

func TestPayAfter_SyncPaidByMerchant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const openid, no = "oCashRider", "OLA-SYNC-001"
	e.authorize(t, openid, "AUTH_cash")
	zero := int64(0)
	require.NoError(t, e.srv.SetWallet(openid, mock.Wallet{Balance: &zero}))
	_, err := e.c.CreatePayAfterOrder(ctx, e.payAfterRequest(no, openid))
	require.NoError(t, err)
	ticket := e.queryPayAfter(t, no).FinishTicket
	e.advance(t, 20*time.Minute)
	_, err = e.c.CompletePayAfterOrder(ctx, e.payAfterComplete(no, ticket, 2600))
	require.NoError(t, err)
	e.advance(t, time.Minute) // the deduction fails: the wallet is empty
	assert.Equal(t, client.PayAfterFinished, e.queryPayAfter(t, no).State)
	assert.Empty(t, e.inbox.ofType(client.EventUserPaid))

	ref, err := e.c.SyncPayAfterOrder(ctx, client.SyncPayAfterOrderRequest{
		OutOrderNo: no, AppID: e.appID, ServiceID: e.serviceID,
		Type: client.SyncOrderPaid, Detail: client.SyncDetail{PaidTime: client.Time14(e.now())},
	})
	require.NoError(t, err)
	assert.Equal(t, no, ref.OutOrderNo)
	assert.Equal(t, e.mchID, ref.MchID)
	o := e.queryPayAfter(t, no)
	assert.Equal(t, client.PayAfterUserPaid, o.State)
	assert.Equal(t, client.PayTypeMchChannel, o.PayType)
}

func TestPayAfter_APIErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const created, unknown = "OLA-ERR-CREATED", "OLA-ERR-NOPE"
	_, err := e.c.CreatePayAfterOrder(ctx, e.payAfterRequest(created, ""))
	require.NoError(t, err)

	tests := []struct {
		name   string
		call   func() error
		code   client.ErrorCode
		status int
	}{
		{"complete a CREATED order", func() error {
			_, err := e.c.CompletePayAfterOrder(ctx, e.payAfterComplete(created, "no-ticket-yet", 100))
			return err
		}, "", http.StatusBadRequest},
		{"query an unknown order", func() error {
			_, err := e.c.QueryPayAfterOrder(ctx, client.QueryPayAfterOrderRequest{OutOrderNo: unknown, ServiceID: e.serviceID, AppID: e.appID})
			return err
		}, client.CodeOrderNotExist, http.StatusNotFound},
		{"cancel an unknown order", func() error {
			_, err := e.c.CancelPayAfterOrder(ctx, client.CancelPayAfterOrderRequest{OutOrderNo: unknown, AppID: e.appID, ServiceID: e.serviceID, Reason: "x"})
			return err
		}, client.CodeOrderNotExist, http.StatusNotFound},
		{"免确认 order for a user without authorization", func() error {
			_, err := e.c.CreatePayAfterOrder(ctx, e.payAfterRequest("OLA-ERR-NOAUTH", "oStranger"))
			return err
		}, "", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae *client.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.status, ae.StatusCode)
			if tc.code != "" {
				assert.True(t, client.IsCode(err, tc.code), "want %s, got %v", tc.code, err)
			}
		})
	}
}

// TestPayAfter_SensitiveFields: the user's details are sent encrypted for
// the platform certificate or for the WeChat Pay public key, named in
// Wechatpay-Serial; the mock accepts both.
func TestPayAfter_SensitiveFields(t *testing.T) {
	ctx := context.Background()
	f := loadFixtures(t)
	plain := map[string]string{"name": "张三", "phone": "13800138000", "userid": "110101199003077777", "address": "北京市朝阳区望京SOHO"}
	withDetails := func(req client.CreatePayAfterOrderRequest) client.CreatePayAfterOrderRequest {
		req.Name, req.Phone, req.UserID, req.Address = plain["name"], plain["phone"], plain["userid"], plain["address"]
		return req
	}

	tests := []struct {
		name    string
		serial  func(p mock.PlatformInfo) string
		pub     *rsa.PublicKey
		private *rsa.PrivateKey // WeChat Pay's half, to check what was sent
	}{
		{"platform certificate", func(p mock.PlatformInfo) string { return p.SerialNo }, f.platformCert.PublicKey.(*rsa.PublicKey), f.platformKey},
		{"WeChat Pay public key", func(p mock.PlatformInfo) string { return p.PublicKeyID }, f.pubKey, f.pubKeyKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newPayscoreEnv(t)
			p := e.srv.Platform()
			require.Equal(t, protocol.SerialNumber(f.platformCert), p.SerialNo, "the mock embeds testdata/certs")
			require.Equal(t, f.id.PublicKeyID, p.PublicKeyID)
			serial := tc.serial(p)
			m, err := e.srv.Merchant(e.mchID)
			require.NoError(t, err)
			rec := &recorder{}
			// The answer to a request naming the public key is signed with
			// it, so this client verifies both ways.
			c := newClient(t, merchantConfig(t, m),
				client.WithBaseURL(e.apiURL),
				client.WithHTTPClient(&http.Client{Transport: rec}),
				client.WithVerifier(client.NewMultiVerifier(
					client.NewPublicKeyVerifier(p.PublicKeyID, f.pubKey),
					client.NewCertificateVerifier(f.platformCert),
				)),
				client.WithEncryptionKey(serial, tc.pub),
			)
			const no = "OLA-SECRET-001"
			created, err := c.CreatePayAfterOrder(ctx, withDetails(e.payAfterRequest(no, "")))
			require.NoError(t, err, "the mock decrypts the fields")
			assert.NotEmpty(t, created.OrderID)

			sent := rec.all()
			require.Len(t, sent, 1)
			assert.Equal(t, serial, sent[0].Header.Get(protocol.HeaderSerial))
			var body map[string]any
			require.NoError(t, json.Unmarshal(sent[0].Body, &body))
			for field, want := range plain {
				assert.NotContains(t, string(sent[0].Body), want, "%s is not sent in plain text", field)
				ct, ok := body[field].(string)
				require.True(t, ok, "%s is sent", field)
				got, err := protocol.DecryptSensitive(tc.private, ct)
				require.NoError(t, err, field)
				assert.Equal(t, want, got, field)
			}

			// Without sensitive fields the request names the verifier's key as usual.
			_, err = c.CreatePayAfterOrder(ctx, e.payAfterRequest("OLA-PLAIN-001", ""))
			require.NoError(t, err)
			sent = rec.all()
			assert.Equal(t, p.PublicKeyID, sent[len(sent)-1].Header.Get(protocol.HeaderSerial))
			assert.NotContains(t, string(sent[len(sent)-1].Body), `"name"`)
		})
	}

	t.Run("encrypted for another key than named", func(t *testing.T) {
		t.Parallel()
		e := newPayscoreEnv(t)
		p := e.srv.Platform()
		m, err := e.srv.Merchant(e.mchID)
		require.NoError(t, err)
		c := newClient(t, merchantConfig(t, m),
			client.WithBaseURL(e.apiURL),
			client.WithVerifier(client.NewMultiVerifier(
				client.NewPublicKeyVerifier(p.PublicKeyID, f.pubKey),
				client.NewCertificateVerifier(f.platformCert),
			)),
			client.WithEncryptionKey(p.PublicKeyID, f.platformCert.PublicKey.(*rsa.PublicKey)), // mismatched
		)
		_, err = c.CreatePayAfterOrder(ctx, withDetails(e.payAfterRequest("OLA-MISMATCH-001", "")))
		var ae *client.APIError
		require.ErrorAs(t, err, &ae, "WeChat Pay decrypts with the key the serial names")
		assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	})

	t.Run("without a key", func(t *testing.T) {
		t.Parallel()
		e := newPayscoreEnv(t)
		for field, set := range map[string]func(*client.CreatePayAfterOrderRequest){
			"/name":    func(r *client.CreatePayAfterOrderRequest) { r.Name = "张三" },
			"/phone":   func(r *client.CreatePayAfterOrderRequest) { r.Phone = "13800138000" },
			"/userid":  func(r *client.CreatePayAfterOrderRequest) { r.UserID = "110101199003077777" },
			"/address": func(r *client.CreatePayAfterOrderRequest) { r.Address = "望京" },
		} {
			req := e.payAfterRequest("OLA-NOKEY-001", "")
			set(&req)
			_, err := e.c.CreatePayAfterOrder(ctx, req)
			var ve *client.ValidationError
			require.ErrorAs(t, err, &ve, field)
			assert.Equal(t, field, ve.Field)
			assert.Contains(t, ve.Issue, "WithEncryptionKey")
		}
		assert.Zero(t, e.rec.count(), "nothing is sent")
	})

	t.Run("too long to encrypt", func(t *testing.T) {
		t.Parallel()
		e := newPayscoreEnv(t)
		m, err := e.srv.Merchant(e.mchID)
		require.NoError(t, err)
		rec := &recorder{}
		c := newClient(t, merchantConfig(t, m),
			client.WithBaseURL(e.apiURL),
			client.WithHTTPClient(&http.Client{Transport: rec}),
			client.WithVerifier(client.NewCertificateVerifier(f.platformCert)),
			client.WithEncryptionKey(protocol.SerialNumber(f.platformCert), f.platformCert.PublicKey.(*rsa.PublicKey)),
		)
		req := e.payAfterRequest("OLA-LONG-001", "")
		req.Address = strings.Repeat("路", 72) // 216 bytes; OAEP/SHA-1 seals 214 with 2048 bits
		_, err = c.CreatePayAfterOrder(ctx, req)
		var ve *client.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "/address", ve.Field)
		assert.Contains(t, ve.Issue, "at most 214")
		assert.Zero(t, rec.count())
	})
}

func TestWithEncryptionKey_Invalid(t *testing.T) {
	f := loadFixtures(t)
	tests := []struct {
		name   string
		serial string
		pub    *rsa.PublicKey
		want   string
	}{
		{"empty serial", "", f.pubKey, "empty serial"},
		{"nil key", "PUB_KEY_ID_1", nil, "nil public key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.New(f.defaultConfig(), client.WithVerifier(client.NewPublicKeyVerifier(f.id.PublicKeyID, f.pubKey)),
				client.WithEncryptionKey(tc.serial, tc.pub))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestPayAfter_Validation checks that mistakes a caller can see locally
// come back as a *ValidationError and that nothing is sent.
func TestPayAfter_Validation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	create := func(mut func(*client.CreatePayAfterOrderRequest)) func() error {
		return func() error {
			req := e.payAfterRequest("OLA-VALID-001", "")
			mut(&req)
			_, err := e.c.CreatePayAfterOrder(ctx, req)
			return err
		}
	}
	complete := func(mut func(*client.CompletePayAfterOrderRequest)) func() error {
		return func() error {
			req := e.payAfterComplete("OLA-VALID-001", "ticket", 1000)
			mut(&req)
			_, err := e.c.CompletePayAfterOrder(ctx, req)
			return err
		}
	}
	sync := func(mut func(*client.SyncPayAfterOrderRequest)) func() error {
		return func() error {
			req := client.SyncPayAfterOrderRequest{
				OutOrderNo: "A", AppID: e.appID, ServiceID: e.serviceID,
				Type: client.SyncOrderPaid, Detail: client.SyncDetail{PaidTime: "20261201090000"},
			}
			mut(&req)
			_, err := e.c.SyncPayAfterOrder(ctx, req)
			return err
		}
	}
	tests := []struct {
		name  string
		call  func() error
		field string
		issue string
	}{
		{"create: appid missing", create(func(r *client.CreatePayAfterOrderRequest) { r.AppID = "" }), "/appid", "is required"},
		{"create: out_order_no bad character", create(func(r *client.CreatePayAfterOrderRequest) { r.OutOrderNo = "OLA#1" }), "/out_order_no", `'#'`},
		{"create: no start time", create(func(r *client.CreatePayAfterOrderRequest) { r.ServiceStartTime = "" }), "/service_start_time", "OnAccept"},
		{"create: start time in RFC 3339", create(func(r *client.CreatePayAfterOrderRequest) {
			r.ServiceStartTime = "2026-12-01T09:00:00+08:00"
		}), "/service_start_time", "yyyyMMddHHmmss"},
		{"create: end before start", create(func(r *client.CreatePayAfterOrderRequest) {
			r.ServiceStartTime, r.ServiceEndTime = "20261201100000", "20261201090000"
		}), "/service_end_time", "not after service_start_time"},
		{"create: start location 21 characters", create(func(r *client.CreatePayAfterOrderRequest) {
			r.ServiceStartLocation = strings.Repeat("路", 21)
		}), "/service_start_location", "at most 20"},
		{"create: introduction missing", create(func(r *client.CreatePayAfterOrderRequest) { r.ServiceIntroduction = "" }), "/service_introduction", "is required"},
		{"create: no fees", create(func(r *client.CreatePayAfterOrderRequest) { r.Fees = nil }), "/fees", "at least one"},
		{"create: fee without name", create(func(r *client.CreatePayAfterOrderRequest) { r.Fees[0].Name = "" }), "/fees/0/fee_name", "is required"},
		{"create: negative fee", create(func(r *client.CreatePayAfterOrderRequest) { r.Fees[0].Amount = -1 }), "/fees/0/fee_amount", "negative"},
		{"create: six discounts", create(func(r *client.CreatePayAfterOrderRequest) {
			r.Discounts = make([]client.PayAfterDiscount, 6)
			for i := range r.Discounts {
				r.Discounts[i] = client.PayAfterDiscount{Name: "券" + string(rune('A'+i)), Description: "优惠"}
			}
		}), "/discounts", "at most 5"},
		{"create: discount with amount", create(func(r *client.CreatePayAfterOrderRequest) {
			r.Discounts = []client.PayAfterDiscount{{Name: "立减", Description: "首单", Amount: client.Fen(100)}}
		}), "/discounts/0/discount_amount", "not accepted at creation"},
		{"create: zero risk amount", create(func(r *client.CreatePayAfterOrderRequest) { r.RiskAmount = 0 }), "/risk_amount", "positive"},
		{"create: attach 201 characters", create(func(r *client.CreatePayAfterOrderRequest) { r.Attach = strings.Repeat("a", 201) }), "/attach", "at most 200"},
		{"create: 免确认 without openid", create(func(r *client.CreatePayAfterOrderRequest) { r.NeedUserConfirm = client.Bool(false) }), "/openid", "need_user_confirm is false"},

		{"query: neither id", func() error {
			_, err := e.c.QueryPayAfterOrder(ctx, client.QueryPayAfterOrderRequest{ServiceID: e.serviceID, AppID: e.appID})
			return err
		}, "out_order_no", "is required (or query_id)"},
		{"query: both ids", func() error {
			_, err := e.c.QueryPayAfterOrder(ctx, client.QueryPayAfterOrderRequest{OutOrderNo: "A", QueryID: "B", ServiceID: e.serviceID, AppID: e.appID})
			return err
		}, "query_id", "exactly one"},
		{"query: service_id missing", func() error {
			_, err := e.c.QueryPayAfterOrder(ctx, client.QueryPayAfterOrderRequest{OutOrderNo: "A", AppID: e.appID})
			return err
		}, "service_id", "is required"},

		{"complete: no ticket", complete(func(r *client.CompletePayAfterOrderRequest) { r.FinishTicket = "" }), "/finish_ticket", "is required"},
		{"complete: no finish_type", complete(func(r *client.CompletePayAfterOrderRequest) { r.FinishType = 0 }), "/finish_type", "is required"},
		{"complete: finish_type 3", complete(func(r *client.CompletePayAfterOrderRequest) { r.FinishType = 3 }), "/finish_type", "is 3"},
		{"complete: total does not add up", complete(func(r *client.CompletePayAfterOrderRequest) { r.TotalAmount = 999 }), "/total_amount", "1000 - 0 = 1000"},
		{"complete: total ignores discount", complete(func(r *client.CompletePayAfterOrderRequest) {
			r.Discounts = []client.PayAfterDiscount{{Name: "券", Amount: client.Fen(100)}}
		}), "/total_amount", "1000 - 100 = 900"},
		{"complete: discount without amount", complete(func(r *client.CompletePayAfterOrderRequest) {
			r.Discounts = []client.PayAfterDiscount{{Name: "券", Description: "满减"}}
		}), "/discounts/0/discount_amount", "is required"},
		{"complete: cancelled with an amount", complete(func(r *client.CompletePayAfterOrderRequest) {
			r.FinishType, r.CancelReason = client.FinishTypeCancelled, "未上车"
		}), "/total_amount", "must be 0"},
		{"complete: cancelled without reason", complete(func(r *client.CompletePayAfterOrderRequest) {
			r.FinishType, r.TotalAmount, r.Fees = client.FinishTypeCancelled, 0, nil
		}), "/cancel_reason", "is required"},
		{"complete: end time in UTC RFC 3339", complete(func(r *client.CompletePayAfterOrderRequest) {
			r.RealServiceEndTime = "2026-12-01T01:00:00Z"
		}), "/real_service_end_time", "yyyyMMddHHmmss"},
		{"complete: end before start", complete(func(r *client.CompletePayAfterOrderRequest) {
			r.RealServiceStartTime, r.RealServiceEndTime = "20261201100000", "20261201095959"
		}), "/real_service_end_time", "not after real_service_start_time"},
		{"complete: end location 21 characters", complete(func(r *client.CompletePayAfterOrderRequest) {
			r.RealServiceEndLocation = strings.Repeat("路", 21)
		}), "/real_service_end_location", "at most 20"},
		{"complete: out_order_no missing", complete(func(r *client.CompletePayAfterOrderRequest) { r.OutOrderNo = "" }), "out_order_no", "is required"},

		{"cancel: no reason", func() error {
			_, err := e.c.CancelPayAfterOrder(ctx, client.CancelPayAfterOrderRequest{OutOrderNo: "A", AppID: e.appID, ServiceID: e.serviceID})
			return err
		}, "/reason", "is required"},
		{"cancel: service_id missing", func() error {
			_, err := e.c.CancelPayAfterOrder(ctx, client.CancelPayAfterOrderRequest{OutOrderNo: "A", AppID: e.appID, Reason: "x"})
			return err
		}, "/service_id", "is required"},

		{"sync: no type", sync(func(r *client.SyncPayAfterOrderRequest) { r.Type = "" }), "/type", "is required"},
		{"sync: unknown type", sync(func(r *client.SyncPayAfterOrderRequest) { r.Type = "Order_Refunded" }), "/type", "Order_Paid"},
		{"sync: no paid_time", sync(func(r *client.SyncPayAfterOrderRequest) { r.Detail.PaidTime = "" }), "/detail/paid_time", "is required"},
		{"sync: date-only paid_time", sync(func(r *client.SyncPayAfterOrderRequest) { r.Detail.PaidTime = "20261201" }), "/detail/paid_time", "yyyyMMddHHmmss"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sent := e.rec.count()
			err := tc.call()
			var ve *client.ValidationError
			require.ErrorAs(t, err, &ve, "got %v", err)
			assert.Equal(t, tc.field, ve.Field)
			assert.Contains(t, ve.Issue, tc.issue)
			assert.Equal(t, sent, e.rec.count(), "nothing is sent")
		})
	}
	assert.Empty(t, e.srv.Requests(mock.RequestFilter{}), "the mock saw no request")

	t.Run("valid baseline is accepted", func(t *testing.T) {
		require.NoError(t, create(func(*client.CreatePayAfterOrderRequest) {})())
		req := e.payAfterRequest("OLA-ONACCEPT-001", "")
		req.ServiceStartTime = client.StartOnAccept
		_, err := e.c.CreatePayAfterOrder(ctx, req)
		require.NoError(t, err)
	})
}

// payAfterPaidSample follows protocol.md §5.2's query fields for a paid
// order, plus out_request_no, which the reference integration's paid
// handler reads.
const payAfterPaidSample = `{"appid":"wxd678efh567hg6787","mchid":"1230000109","out_order_no":"OLA-20191205-0001","out_request_no":"OLA-20191205-0001",
"service_id":"500001","state":"USER_PAID","finish_type":2,
"service_start_time":"20191205135948","service_end_time":"20191205150000","real_service_start_time":"20191205140000","real_service_end_time":"20191205142000",
"service_start_location":"望京","service_end_location":"国贸","real_service_start_location":"望京","real_service_end_location":"国贸东",
"service_introduction":"网约车出行","fees":[{"fee_name":"里程费","fee_count":1,"fee_amount":4000,"fee_desc":"12公里"}],
"discounts":[{"discount_name":"新人券","discount_desc":"首单立减","discount_amount":100}],
"risk_amount":10000,"total_amount":3900,"attach":"ride-7","finish_transaction_id":"4200000459201912058437210397",
"pay_succ_time":"20191205142005","order_id":"1000000000201912021121095610061","openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}`

func TestJSON_PayAfterEvent(t *testing.T) {
	ev := roundTrip[client.PayAfterEvent](t, payAfterPaidSample)
	assert.Equal(t, client.PayAfterEvent{
		OutRequestNo: "OLA-20191205-0001",
		PayAfterOrder: client.PayAfterOrder{
			AppID: "wxd678efh567hg6787", MchID: "1230000109", OutOrderNo: "OLA-20191205-0001", ServiceID: "500001",
			State: client.PayAfterUserPaid, FinishType: client.FinishTypeFinished,
			ServiceStartTime: "20191205135948", ServiceEndTime: "20191205150000",
			RealServiceStartTime: "20191205140000", RealServiceEndTime: "20191205142000",
			ServiceStartLocation: "望京", ServiceEndLocation: "国贸", RealServiceStartLocation: "望京", RealServiceEndLocation: "国贸东",
			ServiceIntroduction: "网约车出行",
			Fees:                []client.PayAfterFee{{Name: "里程费", Count: 1, Amount: 4000, Description: "12公里"}},
			Discounts:           []client.PayAfterDiscount{{Name: "新人券", Description: "首单立减", Amount: client.Fen(100)}},
			RiskAmount:          10000, TotalAmount: 3900, Attach: "ride-7",
			FinishTransactionID: "4200000459201912058437210397", PaySuccTime: "20191205142005",
			OrderID: "1000000000201912021121095610061", OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		},
	}, ev)
	paidAt, err := ev.PaidAt()
	require.NoError(t, err)
	assert.Equal(t, "2019-12-05T14:20:05+08:00", paidAt.Format(time.RFC3339))

	var o client.PayAfterOrder
	require.NoError(t, json.Unmarshal([]byte(`{"state":"USER_PAID","pay_type":"MchChannelPayType","pay_succ_time":"2019"}`), &o))
	assert.Equal(t, client.PayTypeMchChannel, o.PayType)
	_, err = o.PaidAt()
	assert.ErrorContains(t, err, "pay_succ_time")
}

func TestNotification_PayAfterEventGuards(t *testing.T) {
	legacyPaid := &client.Notification{ID: "EV-1", EventType: client.EventUserPaid, Plaintext: []byte(payAfterPaidSample)}
	accepted := &client.Notification{ID: "EV-2", EventType: client.EventUserAccepted,
		Plaintext: []byte(`{"out_order_no":"OLA-1","state":"USER_ACCEPTED","finish_ticket":"T1"}`)}
	servicePaid := &client.Notification{ID: "EV-3", EventType: client.EventUserPaid, Plaintext: []byte(userPaidSample)}
	permission := &client.Notification{ID: "EV-4", EventType: client.EventUserOpenService, Plaintext: []byte(permissionEventSample)}

	ev, err := legacyPaid.PayAfterEvent()
	require.NoError(t, err)
	assert.Equal(t, "4200000459201912058437210397", ev.FinishTransactionID)
	ev, err = accepted.PayAfterEvent()
	require.NoError(t, err)
	assert.Equal(t, "T1", ev.FinishTicket)

	_, err = servicePaid.PayAfterEvent()
	assert.ErrorContains(t, err, `state "DONE"`, "a service order's USER_PAID is not mistaken for a legacy one")
	assert.ErrorContains(t, err, "ServiceOrderEvent")
	_, err = permission.PayAfterEvent()
	assert.ErrorContains(t, err, "PAYSCORE.USER_OPEN_SERVICE, not PAYSCORE.USER_ACCEPTED or PAYSCORE.USER_PAID")
	_, err = accepted.RefundEvent()
	assert.ErrorContains(t, err, "PAYSCORE.USER_ACCEPTED, not REFUND.SUCCESS")
}

// TestWireFormat_PayAfter pins what the legacy methods send, written from
// protocol.md §5; the answers are a canned 400.
func TestWireFormat_PayAfter(t *testing.T) {
	f := loadFixtures(t)
	rec := &recorder{next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return jsonResponse(r, http.StatusBadRequest, `{"code":"PARAM_ERROR","message":"canned"}`, nil), nil
	})}
	c := newClient(t, f.defaultConfig(),
		client.WithBaseURL("https://api.mch.weixin.qq.com"),
		client.WithHTTPClient(&http.Client{Transport: rec}),
		client.WithVerifier(client.NewCertificateVerifier(f.platformCert)),
	)
	ctx := context.Background()
	const (
		app = "wxd678efh567hg6787"
		svc = "500001"
		no  = "OLA-20191205-0001"
	)
	tests := []struct {
		name     string
		call     func() error
		method   string
		uri      string
		wantBody string // "" for none
	}{
		{"create", func() error {
			_, err := c.CreatePayAfterOrder(ctx, client.CreatePayAfterOrderRequest{
				AppID: app, OutOrderNo: no, ServiceID: svc,
				ServiceStartTime: client.StartOnAccept, ServiceEndTime: "20191205150000",
				ServiceStartLocation: "望京", ServiceEndLocation: "国贸", ServiceIntroduction: "网约车出行",
				Fees:       []client.PayAfterFee{{Name: "预估车费", Count: 1, Amount: 5000, Description: "起步价"}, {Name: "免费等待", Amount: 0}},
				Discounts:  []client.PayAfterDiscount{{Name: "新人券", Description: "首单立减"}},
				RiskAmount: 10000, Attach: "a&b=<c>", NeedUserConfirm: client.Bool(false), OpenID: "oUser",
			})
			return err
		}, "POST", "/v3/payscore/payafter-orders",
			`{"appid":"wxd678efh567hg6787","out_order_no":"OLA-20191205-0001","service_id":"500001",
			"service_start_time":"OnAccept","service_end_time":"20191205150000","service_start_location":"望京","service_end_location":"国贸",
			"service_introduction":"网约车出行",
			"fees":[{"fee_name":"预估车费","fee_count":1,"fee_amount":5000,"fee_desc":"起步价"},{"fee_name":"免费等待","fee_amount":0}],
			"discounts":[{"discount_name":"新人券","discount_desc":"首单立减"}],
			"risk_amount":10000,"attach":"a&b=<c>","need_user_confirm":false,"openid":"oUser"}`},
		{"create leaves optional fields out", func() error {
			_, err := c.CreatePayAfterOrder(ctx, client.CreatePayAfterOrderRequest{
				AppID: app, OutOrderNo: no, ServiceID: svc, ServiceStartTime: "20191205", ServiceIntroduction: "网约车出行",
				Fees: []client.PayAfterFee{{Name: "预估车费", Amount: 5000}}, RiskAmount: 10000,
			})
			return err
		}, "POST", "/v3/payscore/payafter-orders",
			`{"appid":"wxd678efh567hg6787","out_order_no":"OLA-20191205-0001","service_id":"500001","service_start_time":"20191205",
			"service_introduction":"网约车出行","fees":[{"fee_name":"预估车费","fee_amount":5000}],"risk_amount":10000}`},
		{"query by out_order_no", func() error {
			_, err := c.QueryPayAfterOrder(ctx, client.QueryPayAfterOrderRequest{OutOrderNo: no, ServiceID: svc, AppID: app})
			return err
		}, "GET", "/v3/payscore/payafter-orders?appid=wxd678efh567hg6787&out_order_no=OLA-20191205-0001&service_id=500001", ""},
		{"query by query_id", func() error {
			_, err := c.QueryPayAfterOrder(ctx, client.QueryPayAfterOrderRequest{QueryID: "1564654654", ServiceID: svc, AppID: app})
			return err
		}, "GET", "/v3/payscore/payafter-orders?appid=wxd678efh567hg6787&query_id=1564654654&service_id=500001", ""},
		{"cancel escapes out_order_no", func() error {
			_, err := c.CancelPayAfterOrder(ctx, client.CancelPayAfterOrderRequest{OutOrderNo: "A|B*C", AppID: app, ServiceID: svc, Reason: "乘客取消"})
			return err
		}, "POST", "/v3/payscore/payafter-orders/A%7CB%2AC/cancel", `{"appid":"wxd678efh567hg6787","service_id":"500001","reason":"乘客取消"}`},
		{"complete finished", func() error {
			_, err := c.CompletePayAfterOrder(ctx, client.CompletePayAfterOrderRequest{
				OutOrderNo: no, AppID: app, ServiceID: svc, FinishType: client.FinishTypeFinished,
				RealServiceStartTime: "20191205140000", RealServiceEndTime: "20191205142000", RealServiceEndLocation: "国贸东",
				Fees:        []client.PayAfterFee{{Name: "里程费", Count: 1, Amount: 4000}},
				Discounts:   []client.PayAfterDiscount{{Name: "新人券", Description: "首单立减", Amount: client.Fen(100)}},
				TotalAmount: 3900, FinishTicket: "T1", ProfitSharing: true,
			})
			return err
		}, "POST", "/v3/payscore/payafter-orders/OLA-20191205-0001/complete",
			`{"appid":"wxd678efh567hg6787","service_id":"500001","finish_type":2,
			"real_service_start_time":"20191205140000","real_service_end_time":"20191205142000","real_service_end_location":"国贸东",
			"fees":[{"fee_name":"里程费","fee_count":1,"fee_amount":4000}],
			"discounts":[{"discount_name":"新人券","discount_desc":"首单立减","discount_amount":100}],
			"total_amount":3900,"finish_ticket":"T1","profit_sharing":true}`},
		{"complete cancelled sends total 0", func() error {
			_, err := c.CompletePayAfterOrder(ctx, client.CompletePayAfterOrderRequest{
				OutOrderNo: no, AppID: app, ServiceID: svc, FinishType: client.FinishTypeCancelled,
				CancelReason: "乘客未上车", FinishTicket: "T1",
			})
			return err
		}, "POST", "/v3/payscore/payafter-orders/OLA-20191205-0001/complete",
			`{"appid":"wxd678efh567hg6787","service_id":"500001","finish_type":1,"cancel_reason":"乘客未上车","total_amount":0,"finish_ticket":"T1"}`},
		{"sync", func() error {
			_, err := c.SyncPayAfterOrder(ctx, client.SyncPayAfterOrderRequest{
				OutOrderNo: no, AppID: app, ServiceID: svc, Type: client.SyncOrderPaid,
				Detail: client.SyncDetail{PaidTime: "20191205150000"},
			})
			return err
		}, "POST", "/v3/payscore/payafter-orders/OLA-20191205-0001/sync",
			`{"appid":"wxd678efh567hg6787","service_id":"500001","type":"Order_Paid","detail":{"paid_time":"20191205150000"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rec.all())
			err := tc.call()
			require.True(t, client.IsCode(err, client.CodeParamError), "want the canned answer, got %v", err)
			sent := rec.all()[before:]
			require.Len(t, sent, 1)
			assert.Equal(t, tc.method, sent[0].Method)
			assert.Equal(t, tc.uri, sent[0].URI)
			assert.Equal(t, protocol.SerialNumber(f.platformCert), sent[0].Header.Get(protocol.HeaderSerial), "no sensitive field: the verifier's serial")
			if tc.wantBody == "" {
				assert.Empty(t, sent[0].Body)
				return
			}
			assert.JSONEq(t, tc.wantBody, string(sent[0].Body))
		})
	}
}
