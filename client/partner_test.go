package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/mock"
)

// The sub-merchants of newPartnerEnv's service provider.
const (
	partnerSub      = "1900000109"
	partnerSubApp   = "wxsubapp0000000001"
	partnerOtherSub = "1900000110"
)

// newPartnerEnv is newPayscoreEnv for a service provider (服务商) with two
// sub-merchants: its client signs as the service provider and its
// NotificationHandler decrypts with the service provider's APIv3 key.
func newPartnerEnv(t *testing.T) *payscoreEnv {
	t.Helper()
	return newEnvOf(t, mock.MerchantSpec{Kind: "partner", SubMerchants: []mock.SubMerchant{
		{SubMchID: partnerSub, SubAppIDs: []string{partnerSubApp}},
		{SubMchID: partnerOtherSub, SubAppIDs: []string{}},
	}})
}

// partnerCreateRequest is createRequest for the sub-merchant.
func (e *payscoreEnv) partnerCreateRequest(outOrderNo, openid string) client.CreatePartnerServiceOrderRequest {
	return client.CreatePartnerServiceOrderRequest{SubMchID: partnerSub, CreateServiceOrderRequest: e.createRequest(outOrderNo, openid)}
}

// partnerCompleteRequest is completeRequest for the sub-merchant.
func (e *payscoreEnv) partnerCompleteRequest(outOrderNo string, amount int64) client.CompletePartnerServiceOrderRequest {
	d := e.completeRequest(outOrderNo, amount)
	return client.CompletePartnerServiceOrderRequest{
		OutOrderNo: outOrderNo, SubMchID: partnerSub, ServiceID: e.serviceID,
		PostPayments: d.PostPayments, TotalAmount: d.TotalAmount, TimeRange: d.TimeRange, Location: d.Location,
		CompleteTime: e.now().Format(time.RFC3339),
	}
}

func (e *payscoreEnv) partnerQuery(t *testing.T, outOrderNo string) *client.ServiceOrder {
	t.Helper()
	o, err := e.c.QueryPartnerServiceOrder(context.Background(), client.QueryPartnerServiceOrderRequest{
		OutOrderNo: outOrderNo, ServiceID: e.serviceID, SubMchID: partnerSub,
	})
	require.NoError(t, err)
	return o
}

// TestPartnerRide is a service provider's whole ride for its sub-merchant
// through package client on the virtual clock: authorize, create, the user
// confirms, complete, the deduction, USER_PAID, the query and a refund,
// with every callback verified and decrypted by the client's
// NotificationHandler and naming the sub-merchant.
func TestPartnerRide(t *testing.T) {
	e := newPartnerEnv(t)
	ctx := context.Background()
	const openid, code, no = "oPartnerRide", "AUTH-P-1", "P-RIDE-1"

	st, err := e.c.UserServiceState(ctx, client.UserServiceStateRequest{ServiceID: e.serviceID, AppID: e.appID, OpenID: openid, SubMchID: partnerSub})
	require.NoError(t, err)
	assert.Equal(t, client.UseServiceUnavailable, st.UseServiceState)

	token, err := e.c.CreatePartnerPermission(ctx, client.CreatePartnerPermissionRequest{SubMchID: partnerSub,
		CreatePermissionRequest: client.CreatePermissionRequest{ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: code, NotifyURL: e.notifyURL}})
	require.NoError(t, err)
	require.NotEmpty(t, token.ApplyPermissionsToken)
	_, err = e.srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: e.mchID, SubMchID: partnerSub, AuthorizationCode: code})
	require.NoError(t, err)
	e.settle()
	open, err := e.inbox.only(t, client.EventUserOpenService).PermissionEvent()
	require.NoError(t, err)
	assert.Equal(t, client.PermissionEvent{
		AppID: e.appID, MchID: e.mchID, SubMchID: partnerSub, ServiceID: e.serviceID, OpenID: openid,
		UserServiceStatus: client.UserOpenService, OpenOrCloseTime: client.Time14(e.now()), AuthorizationCode: code,
	}, *open)
	p, err := e.c.QueryPartnerPermission(ctx, client.QueryPartnerPermissionRequest{ServiceID: e.serviceID, AppID: e.appID, SubMchID: partnerSub, OpenID: openid})
	require.NoError(t, err)
	assert.Equal(t, client.AuthorizationAvailable, p.AuthorizationState)
	assert.Equal(t, partnerSub, p.SubMchID)

	created, err := e.c.CreatePartnerServiceOrder(ctx, e.partnerCreateRequest(no, ""))
	require.NoError(t, err)
	assert.Equal(t, client.StateCreated, created.State)
	assert.Equal(t, e.mchID, created.MchID, "mchid is the service provider's")
	assert.Equal(t, partnerSub, created.SubMchID)
	assert.NotEmpty(t, created.Package)

	_, err = e.srv.ConfirmOrder(e.mchID, partnerSub, no, mock.ConfirmRequest{OpenID: openid})
	require.NoError(t, err)
	e.settle()
	confirmed, err := e.inbox.only(t, client.EventUserConfirm).ServiceOrderEvent()
	require.NoError(t, err)
	assert.Equal(t, client.DescriptionUserConfirm, confirmed.StateDescription)
	assert.Equal(t, partnerSub, confirmed.SubMchID)
	assert.Equal(t, openid, confirmed.OpenID)

	e.advance(t, 20*time.Minute)
	require.NoError(t, e.c.CompletePartnerServiceOrder(ctx, e.partnerCompleteRequest(no, 4200)), "answered 204, signed")
	assert.Equal(t, client.DescriptionMchComplete, e.partnerQuery(t, no).StateDescription)

	e.advance(t, 5*time.Second)
	paid := e.inbox.only(t, client.EventUserPaid)
	assertPaidEvent(t, paid, no, 4200)
	ev, err := paid.ServiceOrderEvent()
	require.NoError(t, err)
	assert.Equal(t, partnerSub, ev.SubMchID)

	done := e.partnerQuery(t, no)
	require.Equal(t, client.StateDone, done.State)
	txID := done.Collection.Details[0].TransactionID

	r, err := e.c.CreateRefund(ctx, client.CreateRefundRequest{
		SubMchID: partnerSub, TransactionID: txID, OutRefundNo: "P-RF-1", NotifyURL: e.notifyURL,
		Amount: client.CreateRefundAmount{Refund: 4200, Total: 4200, Currency: client.CurrencyCNY},
	})
	require.NoError(t, err)
	assert.Equal(t, client.RefundProcessing, r.Status)
	e.advance(t, 5*time.Second)
	rf, err := e.inbox.only(t, client.EventRefundSuccess).RefundEvent()
	require.NoError(t, err)
	assert.Equal(t, e.mchID, rf.SpMchID, "a partner's refund callback names the service provider sp_mchid")
	assert.Equal(t, partnerSub, rf.SubMchID)
	assert.Empty(t, rf.MchID)
	got, err := e.c.QueryRefund(ctx, client.QueryRefundRequest{OutRefundNo: "P-RF-1", SubMchID: partnerSub})
	require.NoError(t, err)
	assert.Equal(t, client.RefundSuccess, got.Status)
}

// The partner calls this ride does not make: each does what its direct
// twin does, for the sub-merchant, answering 204 on an order.
func TestPartnerCalls(t *testing.T) {
	e := newPartnerEnv(t)
	ctx := context.Background()

	// A user of the sub-merchant's own app: known by sub_openid.
	_, err := e.srv.AuthorizeUser("oSubApp", mock.AuthorizeRequest{MchID: e.mchID, SubMchID: partnerSub, SubAppID: partnerSubApp})
	require.NoError(t, err)
	e.settle()
	byApp := client.QueryPartnerPermissionRequest{ServiceID: e.serviceID, AppID: e.appID, SubMchID: partnerSub, SubAppID: partnerSubApp, SubOpenID: "oSubApp"}
	p, err := e.c.QueryPartnerPermission(ctx, byApp)
	require.NoError(t, err)
	assert.Equal(t, "oSubApp", p.SubOpenID)
	assert.Empty(t, p.OpenID)

	free := e.partnerCreateRequest("P-FREE", "")
	free.NeedUserConfirm, free.SubAppID, free.SubOpenID = client.Bool(false), partnerSubApp, "oSubApp"
	o, err := e.c.CreatePartnerServiceOrder(ctx, free)
	require.NoError(t, err)
	assert.Equal(t, client.StateDoing, o.State)
	e.advance(t, 20*time.Minute)
	require.NoError(t, e.srv.SetWallet("oSubApp", mock.Wallet{Balance: new(int64)}))
	require.NoError(t, e.c.CompletePartnerServiceOrder(ctx, e.partnerCompleteRequest("P-FREE", 3000)))
	e.advance(t, time.Minute) // the deduction fails: the wallet is empty
	require.NoError(t, e.c.ModifyPartnerServiceOrder(ctx, client.ModifyPartnerServiceOrderRequest{
		OutOrderNo: "P-FREE", SubMchID: partnerSub, TotalAmount: 2000, Reason: "优惠",
		PostPayments: []client.Payment{{Name: "里程费", Amount: client.Fen(2000)}},
	}))
	assert.Equal(t, int64(2000), e.partnerQuery(t, "P-FREE").TotalAmount)
	require.NoError(t, e.c.PayPartnerServiceOrder(ctx, client.PayPartnerServiceOrderRequest{OutOrderNo: "P-FREE", SubMchID: partnerSub}))
	require.NoError(t, e.c.SyncPartnerServiceOrder(ctx, client.SyncPartnerServiceOrderRequest{
		OutOrderNo: "P-FREE", SubMchID: partnerSub, ServiceID: e.serviceID, Type: client.SyncOrderPaid,
		Detail: client.SyncDetail{PaidTime: client.Time14(e.now())},
	}))
	synced := e.partnerQuery(t, "P-FREE")
	assert.Equal(t, client.StateDone, synced.State)
	assert.Equal(t, "oSubApp", synced.SubOpenID)

	_, err = e.c.CreatePartnerServiceOrder(ctx, e.partnerCreateRequest("P-CANCEL", ""))
	require.NoError(t, err)
	require.NoError(t, e.c.CancelPartnerServiceOrder(ctx, client.CancelPartnerServiceOrderRequest{OutOrderNo: "P-CANCEL", SubMchID: partnerSub, Reason: "取消"}))
	assert.Equal(t, client.StateRevoked, e.partnerQuery(t, "P-CANCEL").State)

	require.NoError(t, e.c.TerminatePartnerPermission(ctx, client.TerminatePartnerPermissionRequest{
		SubMchID: partnerSub, ServiceID: e.serviceID, AppID: e.appID, SubAppID: partnerSubApp, SubOpenID: "oSubApp", Reason: "注销",
	}))
	p, err = e.c.QueryPartnerPermission(ctx, byApp)
	require.NoError(t, err)
	assert.Equal(t, client.AuthorizationUnavailable, p.AuthorizationState)
	e.settle()
	closed, err := e.inbox.only(t, client.EventUserCloseService).PermissionEvent()
	require.NoError(t, err)
	assert.Equal(t, partnerSubApp, closed.SubAppID)
	assert.Equal(t, "oSubApp", closed.SubOpenID)

	// By code, and direct-complete, for a user by openid.
	_, err = e.c.CreatePartnerPermission(ctx, client.CreatePartnerPermissionRequest{SubMchID: partnerSub,
		CreatePermissionRequest: client.CreatePermissionRequest{ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: "AUTH-P-2"}})
	require.NoError(t, err)
	_, err = e.srv.AuthorizeUser("oDirect", mock.AuthorizeRequest{MchID: e.mchID, SubMchID: partnerSub, AuthorizationCode: "AUTH-P-2"})
	require.NoError(t, err)
	byCode := client.QueryPartnerPermissionByCodeRequest{SubMchID: partnerSub,
		QueryPermissionByCodeRequest: client.QueryPermissionByCodeRequest{AuthorizationCode: "AUTH-P-2", ServiceID: e.serviceID}}
	p, err = e.c.QueryPartnerPermissionByCode(ctx, byCode)
	require.NoError(t, err)
	assert.Equal(t, "oDirect", p.OpenID)
	require.NoError(t, e.c.DirectCompletePartnerServiceOrder(ctx, client.DirectCompletePartnerServiceOrderRequest{SubMchID: partnerSub,
		DirectCompleteServiceOrderRequest: client.DirectCompleteServiceOrderRequest{
			OutOrderNo: "P-DIRECT", AppID: e.appID, ServiceID: e.serviceID, OpenID: "oDirect", ServiceIntroduction: "充电宝",
			PostPayments: []client.Payment{{Name: "租金", Amount: client.Fen(300)}}, TotalAmount: 300, NotifyURL: e.notifyURL,
			TimeRange: client.TimeRange{StartTime: client.Time14(e.now().Add(-time.Hour)), EndTime: client.Time14(e.now().Add(-time.Minute))},
		}}))
	assert.Equal(t, client.DescriptionMchComplete, e.partnerQuery(t, "P-DIRECT").StateDescription)
	require.NoError(t, e.c.TerminatePartnerPermissionByCode(ctx, client.TerminatePartnerPermissionByCodeRequest{SubMchID: partnerSub,
		TerminatePermissionByCodeRequest: client.TerminatePermissionByCodeRequest{AuthorizationCode: "AUTH-P-2", ServiceID: e.serviceID, Reason: "注销"}}))

	// Another sub-merchant sees none of it.
	_, err = e.c.QueryPartnerServiceOrder(ctx, client.QueryPartnerServiceOrderRequest{OutOrderNo: "P-DIRECT", ServiceID: e.serviceID, SubMchID: partnerOtherSub})
	assert.True(t, client.IsCode(err, client.CodeOrderNotExist), "%v", err)
}

// Each partner request is checked before it is sent: the sub-merchant, and
// the user named by openid or sub_openid, exactly one.
func TestPartnerValidation(t *testing.T) {
	e := newPartnerEnv(t)
	ctx := context.Background()
	noSub := e.partnerCreateRequest("P-V", "")
	noSub.SubMchID = ""
	both := e.partnerCreateRequest("P-V", "oA")
	both.SubOpenID, both.SubAppID = "oB", partnerSubApp
	neither := e.partnerCreateRequest("P-V", "")
	neither.NeedUserConfirm = client.Bool(false)
	noApp := e.partnerCreateRequest("P-V", "")
	noApp.SubOpenID = "oB"
	complete := e.partnerCompleteRequest("P-V", 100)
	complete.CompleteTime = "20261201"
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"create without sub_mchid", func() error { _, err := e.c.CreatePartnerServiceOrder(ctx, noSub); return err }, "/sub_mchid"},
		{"create naming both users", func() error { _, err := e.c.CreatePartnerServiceOrder(ctx, both); return err }, "/sub_openid"},
		{"免确认 naming no user", func() error { _, err := e.c.CreatePartnerServiceOrder(ctx, neither); return err }, "/openid"},
		{"sub_openid without sub_appid", func() error { _, err := e.c.CreatePartnerServiceOrder(ctx, noApp); return err }, "/sub_appid"},
		{"query without sub_mchid", func() error {
			_, err := e.c.QueryPartnerServiceOrder(ctx, client.QueryPartnerServiceOrderRequest{OutOrderNo: "P-V", ServiceID: e.serviceID})
			return err
		}, "sub_mchid"},
		{"complete_time not RFC 3339", func() error { return e.c.CompletePartnerServiceOrder(ctx, complete) }, "/complete_time"},
		{"cancel without reason", func() error {
			return e.c.CancelPartnerServiceOrder(ctx, client.CancelPartnerServiceOrderRequest{OutOrderNo: "P-V", SubMchID: partnerSub})
		}, "/reason"},
		{"search naming no user", func() error {
			_, err := e.c.QueryPartnerPermission(ctx, client.QueryPartnerPermissionRequest{ServiceID: e.serviceID, AppID: e.appID, SubMchID: partnerSub})
			return err
		}, "openid"},
		{"permission by code without sub_mchid", func() error {
			_, err := e.c.QueryPartnerPermissionByCode(ctx, client.QueryPartnerPermissionByCodeRequest{
				QueryPermissionByCodeRequest: client.QueryPermissionByCodeRequest{AuthorizationCode: "A", ServiceID: e.serviceID}})
			return err
		}, "sub_mchid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.rec.count()
			err := tt.call()
			var ve *client.ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, tt.field, ve.Field)
			assert.Equal(t, before, e.rec.count(), "nothing was sent")
		})
	}
}

// A 平台收付通 service provider binds its sub-merchant: the application is
// PROCESSING, then APPROVED, announced by PAYSCORE.BIND_SERVICE_ACCOUNT.
func TestPartnerServiceAccount(t *testing.T) {
	e := newPartnerEnv(t)
	ctx := context.Background()
	a, err := e.c.ApplyServiceAccount(ctx, client.ApplyServiceAccountRequest{
		SubMchID: partnerSub, ServiceID: e.serviceID, AppID: e.appID, OutApplyNo: "APPLY-1", ResultNotifyURL: e.notifyURL,
	})
	require.NoError(t, err)
	assert.Equal(t, client.ApplyProcessing, a.ApplyState)
	e.advance(t, 5*time.Second)
	ev, err := e.inbox.only(t, client.EventBindServiceAccount).ServiceAccountEvent()
	require.NoError(t, err)
	assert.Equal(t, client.ServiceAccountApplication{
		ServiceID: e.serviceID, MchID: e.mchID, AppID: e.appID, SubMchID: partnerSub, OutApplyNo: "APPLY-1", ApplyState: client.ApplyApproved,
	}, *ev)
	got, err := e.c.QueryServiceAccountApplication(ctx, client.QueryServiceAccountApplicationRequest{OutApplyNo: "APPLY-1"})
	require.NoError(t, err)
	assert.Equal(t, client.ApplyApproved, got.ApplyState)
	_, err = e.c.ApplyServiceAccount(ctx, client.ApplyServiceAccountRequest{SubMchID: partnerSub, ServiceID: e.serviceID, AppID: e.appID, OutApplyNo: "A|1"})
	var ve *client.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "/out_apply_no", ve.Field)
}
