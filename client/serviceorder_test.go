package client_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/mock"
)

func TestServiceOrder_WalletShortThenPay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const openid, no = "oShort", "SHORT-001"
	e.authorize(t, openid, "AUTH_short")
	balance := int64(1000)
	require.NoError(t, e.srv.SetWallet(openid, mock.Wallet{Balance: &balance}))

	e.createAndComplete(t, no, openid, 2500)
	e.advance(t, time.Minute) // the deduction fails
	assert.Empty(t, e.inbox.ofType(client.EventUserPaid))
	unpaid := e.query(t, no)
	assert.Equal(t, client.StateDoing, unpaid.State)
	require.NotNil(t, unpaid.Collection)
	assert.Equal(t, client.CollectionUserPaying, unpaid.Collection.State)
	assert.Equal(t, int64(2500), unpaid.Collection.PayingAmount)

	require.NoError(t, e.srv.SetWallet(openid, mock.Wallet{})) // unlimited
	ref, err := e.c.PayServiceOrder(ctx, client.PayServiceOrderRequest{OutOrderNo: no, AppID: e.appID, ServiceID: e.serviceID})
	require.NoError(t, err)
	assert.Equal(t, client.ServiceOrderRef{
		AppID: e.appID, MchID: e.mchID, OutOrderNo: no, ServiceID: e.serviceID, OrderID: unpaid.OrderID,
	}, *ref)
	e.advance(t, 5*time.Second)
	assertPaidEvent(t, e.inbox.only(t, client.EventUserPaid), no, 2500)
}

func TestServiceOrder_SyncPaidByMerchant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const openid, no = "oCash", "SYNC-001"
	e.authorize(t, openid, "AUTH_cash")
	zero := int64(0)
	require.NoError(t, e.srv.SetWallet(openid, mock.Wallet{Balance: &zero}))
	e.createAndComplete(t, no, openid, 1800)
	e.advance(t, time.Minute)

	synced, err := e.c.SyncServiceOrder(ctx, client.SyncServiceOrderRequest{
		OutOrderNo: no, AppID: e.appID, ServiceID: e.serviceID,
		Type:   client.SyncOrderPaid,
		Detail: client.SyncDetail{PaidTime: client.Time14(e.now())},
	})
	require.NoError(t, err)
	assert.Equal(t, client.StateDone, synced.State)
	require.NotNil(t, synced.Collection)
	assert.Equal(t, client.CollectionUserPaid, synced.Collection.State)
	require.Len(t, synced.Collection.Details, 1)
	d := synced.Collection.Details[0]
	assert.Equal(t, client.PaidTypeMch, d.PaidType)
	assert.Equal(t, int64(1800), d.Amount)
	assert.Empty(t, d.TransactionID, "only NEWTON collections have a WeChat Pay transaction")
	paidAt, err := d.PaidAt()
	require.NoError(t, err)
	assert.True(t, paidAt.Equal(e.now().Truncate(time.Second)), "paid at %v, synced at %v", paidAt, e.now())
}

func TestServiceOrder_ModifyLowersAmount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const openid, no = "oOvercharged", "MODIFY-001"
	e.authorize(t, openid, "AUTH_over")
	zero := int64(0)
	require.NoError(t, e.srv.SetWallet(openid, mock.Wallet{Balance: &zero}))
	e.createAndComplete(t, no, openid, 9900)

	modified, err := e.c.ModifyServiceOrder(ctx, client.ModifyServiceOrderRequest{
		OutOrderNo:    no,
		AppID:         e.appID,
		ServiceID:     e.serviceID,
		PostPayments:  []client.Payment{{Name: "里程费", Amount: client.Fen(1200)}},
		PostDiscounts: []client.Discount{{Name: "新人立减", Amount: client.Fen(200), Description: "首单"}},
		TotalAmount:   1000,
		Reason:        "司机多收费",
	})
	require.NoError(t, err)
	assert.Equal(t, client.StateDoing, modified.State)
	assert.Equal(t, client.DescriptionMchComplete, modified.StateDescription)
	assert.Equal(t, int64(1000), modified.TotalAmount)
	require.Len(t, modified.PostDiscounts, 1)
	assert.Equal(t, "新人立减", modified.PostDiscounts[0].Name)

	q := e.query(t, no)
	require.NotNil(t, q.Collection)
	assert.Equal(t, int64(1000), q.Collection.PayingAmount)

	require.NoError(t, e.srv.SetWallet(openid, mock.Wallet{}))
	_, err = e.c.PayServiceOrder(ctx, client.PayServiceOrderRequest{OutOrderNo: no, AppID: e.appID, ServiceID: e.serviceID})
	require.NoError(t, err)
	e.advance(t, 5*time.Second)
	assertPaidEvent(t, e.inbox.only(t, client.EventUserPaid), no, 1000)
}

func TestServiceOrder_Cancel(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T, e *payscoreEnv, no string)
	}{
		{"created", func(t *testing.T, e *payscoreEnv, no string) {
			_, err := e.c.CreateServiceOrder(ctx, e.createRequest(no, ""))
			require.NoError(t, err)
		}},
		{"doing user_confirm", func(t *testing.T, e *payscoreEnv, no string) {
			e.authorize(t, "oCancel", "AUTH_cancel")
			_, err := e.c.CreateServiceOrder(ctx, e.createRequest(no, "oCancel"))
			require.NoError(t, err)
		}},
		{"completed and unpaid", func(t *testing.T, e *payscoreEnv, no string) {
			e.authorize(t, "oCancel", "AUTH_cancel")
			zero := int64(0)
			require.NoError(t, e.srv.SetWallet("oCancel", mock.Wallet{Balance: &zero}))
			e.createAndComplete(t, no, "oCancel", 800)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newPayscoreEnv(t)
			const no = "CANCEL-001"
			tc.setup(t, e, no)
			req := client.CancelServiceOrderRequest{OutOrderNo: no, AppID: e.appID, ServiceID: e.serviceID, Reason: "乘客取消行程"}

			ref, err := e.c.CancelServiceOrder(ctx, req)
			require.NoError(t, err)
			assert.Equal(t, no, ref.OutOrderNo)
			assert.Equal(t, e.mchID, ref.MchID)
			assert.NotEmpty(t, ref.OrderID)
			assert.Equal(t, client.StateRevoked, e.query(t, no).State)

			again, err := e.c.CancelServiceOrder(ctx, req)
			require.NoError(t, err, "an identical retry is idempotent")
			assert.Equal(t, ref.OrderID, again.OrderID)
		})
	}
}

func TestServiceOrder_QueryByQueryID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const no = "QID-001"
	created, err := e.c.CreateServiceOrder(ctx, e.createRequest(no, ""))
	require.NoError(t, err)
	confirmed, err := e.srv.ConfirmOrder(e.mchID, "", no, mock.ConfirmRequest{OpenID: "oQuery"})
	require.NoError(t, err)
	require.NotEmpty(t, confirmed.QueryID)
	e.settle()

	o, err := e.c.QueryServiceOrder(ctx, client.QueryServiceOrderRequest{QueryID: confirmed.QueryID, ServiceID: e.serviceID, AppID: e.appID})
	require.NoError(t, err)
	assert.Equal(t, no, o.OutOrderNo)
	assert.Equal(t, created.OrderID, o.OrderID)
	assert.Equal(t, client.StateDoing, o.State)
	assert.Equal(t, "oQuery", o.OpenID)
	sent := e.rec.all()
	assert.Contains(t, sent[len(sent)-1].URI, "query_id=")
}

func TestServiceOrder_DirectComplete(t *testing.T) {
	ctx := context.Background()
	t.Run("positive amount is collected", func(t *testing.T) {
		t.Parallel()
		e := newPayscoreEnv(t)
		const openid, no = "oDirect", "DIRECT-001"
		e.authorize(t, openid, "AUTH_direct")
		start := e.now().Add(-30 * time.Minute)
		o, err := e.c.DirectCompleteServiceOrder(ctx, client.DirectCompleteServiceOrderRequest{
			OutOrderNo:          no,
			AppID:               e.appID,
			ServiceID:           e.serviceID,
			OpenID:              openid,
			ServiceIntroduction: "共享充电宝",
			PostPayments:        []client.Payment{{Name: "充电费", Amount: client.Fen(300), Description: "30分钟"}},
			TimeRange:           client.TimeRange{StartTime: client.Time14(start), EndTime: client.Time14(e.now())},
			TotalAmount:         300,
			Attach:              "powerbank",
			NotifyURL:           e.notifyURL,
		})
		require.NoError(t, err)
		assert.Equal(t, no, o.OutOrderNo)
		assert.Equal(t, client.StateDoing, o.State)
		assert.Equal(t, client.DescriptionMchComplete, o.StateDescription)
		assert.Equal(t, int64(300), o.TotalAmount)
		assert.NotEmpty(t, o.OrderID)

		e.advance(t, 5*time.Second)
		assertPaidEvent(t, e.inbox.only(t, client.EventUserPaid), no, 300)
	})
}

// TestServiceOrder_CompleteWithZeroAmount: nothing to collect. protocol.md
// leaves the outcome unconfirmed (§4.11 row 7); the client must in any case
// read need_collection=false and an absent collection.
func TestServiceOrder_CompleteWithZeroAmount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const no = "FREE-RIDE-001"
	e.authorize(t, "oFree", "AUTH_free")
	_, err := e.c.CreateServiceOrder(ctx, e.createRequest(no, "oFree"))
	require.NoError(t, err)
	e.advance(t, 10*time.Minute)

	o, err := e.c.CompleteServiceOrder(ctx, e.completeRequest(no, 0))
	require.NoError(t, err)
	assert.Equal(t, int64(0), o.TotalAmount)
	require.NotNil(t, o.NeedCollection, "need_collection is returned after completion")
	assert.False(t, *o.NeedCollection)
	assert.Nil(t, o.Collection)
	e.advance(t, time.Minute)
	assert.Empty(t, e.inbox.ofType(client.EventUserPaid))
}

// TestServiceOrder_APIErrors checks that WeChat Pay's refusals reach the
// caller as an *APIError with the documented code.
func TestServiceOrder_APIErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	const created, unpaid, done, unknown = "ERR-CREATED", "ERR-UNPAID", "ERR-DONE", "ERR-NOPE"
	_, err := e.c.CreateServiceOrder(ctx, e.createRequest(created, ""))
	require.NoError(t, err)
	e.authorize(t, "oBroke", "AUTH_broke")
	zero := int64(0)
	require.NoError(t, e.srv.SetWallet("oBroke", mock.Wallet{Balance: &zero}))
	e.createAndComplete(t, unpaid, "oBroke", 700)
	_, err = e.c.CreateServiceOrder(ctx, e.createRequest(done, "oBroke"))
	require.NoError(t, err)
	e.advance(t, time.Minute)
	_, err = e.c.CompleteServiceOrder(ctx, e.completeRequest(done, 0)) // nothing to pay: DONE at once
	require.NoError(t, err)

	tests := []struct {
		name   string
		call   func() error
		code   client.ErrorCode
		status int
	}{
		{"complete a CREATED order", func() error {
			_, err := e.c.CompleteServiceOrder(ctx, e.completeRequest(created, 100))
			return err
		}, client.CodeInvalidRequest, http.StatusBadRequest},
		{"create again with other parameters", func() error {
			req := e.createRequest(created, "")
			req.ServiceIntroduction = "另一个服务"
			_, err := e.c.CreateServiceOrder(ctx, req)
			return err
		}, client.CodeInvalidRequest, http.StatusBadRequest},
		{"免确认 order for a user without authorization", func() error {
			_, err := e.c.CreateServiceOrder(ctx, e.createRequest("ERR-NOAUTH", "oStranger"))
			return err
		}, client.CodeInvalidRequest, http.StatusBadRequest},
		{"complete twice", func() error {
			_, err := e.c.CompleteServiceOrder(ctx, e.completeRequest(unpaid, 700))
			return err
		}, client.CodeInvalidOrderState, http.StatusBadRequest},
		{"complete a DONE order", func() error {
			_, err := e.c.CompleteServiceOrder(ctx, e.completeRequest(done, 100))
			return err
		}, client.CodeOrderDone, http.StatusBadRequest},
		{"cancel a DONE order", func() error {
			_, err := e.c.CancelServiceOrder(ctx, client.CancelServiceOrderRequest{OutOrderNo: done, AppID: e.appID, ServiceID: e.serviceID, Reason: "x"})
			return err
		}, client.CodeParamError, http.StatusBadRequest}, // 当前订单状态不满足撤销条件, as WeChat Pay answers
		{"pay a CREATED order", func() error {
			_, err := e.c.PayServiceOrder(ctx, client.PayServiceOrderRequest{OutOrderNo: created, AppID: e.appID, ServiceID: e.serviceID})
			return err
		}, client.CodeInvalidOrderState, http.StatusBadRequest},
		{"modify above the completed amount", func() error {
			_, err := e.c.ModifyServiceOrder(ctx, client.ModifyServiceOrderRequest{
				OutOrderNo: unpaid, AppID: e.appID, ServiceID: e.serviceID,
				PostPayments: []client.Payment{{Name: "里程费", Amount: client.Fen(701)}}, TotalAmount: 701, Reason: "加价",
			})
			return err
		}, "", http.StatusBadRequest}, // the code is not documented
		{"query an unknown order", func() error {
			_, err := e.c.QueryServiceOrder(ctx, client.QueryServiceOrderRequest{OutOrderNo: unknown, ServiceID: e.serviceID, AppID: e.appID})
			return err
		}, client.CodeOrderNotExist, http.StatusNotFound},
		{"cancel an unknown order", func() error {
			_, err := e.c.CancelServiceOrder(ctx, client.CancelServiceOrderRequest{OutOrderNo: unknown, AppID: e.appID, ServiceID: e.serviceID, Reason: "x"})
			return err
		}, client.CodeOrderNotExist, http.StatusNotFound},
		{"pay an unknown order", func() error {
			_, err := e.c.PayServiceOrder(ctx, client.PayServiceOrderRequest{OutOrderNo: unknown, AppID: e.appID, ServiceID: e.serviceID})
			return err
		}, client.CodeOrderNotExist, http.StatusNotFound},
		{"sync an unknown order", func() error {
			_, err := e.c.SyncServiceOrder(ctx, client.SyncServiceOrderRequest{
				OutOrderNo: unknown, AppID: e.appID, ServiceID: e.serviceID,
				Type: client.SyncOrderPaid, Detail: client.SyncDetail{PaidTime: client.Time14(e.now())},
			})
			return err
		}, client.CodeOrderNotExist, http.StatusNotFound},
		{"modify an unknown order", func() error {
			_, err := e.c.ModifyServiceOrder(ctx, client.ModifyServiceOrderRequest{
				OutOrderNo: unknown, AppID: e.appID, ServiceID: e.serviceID,
				PostPayments: []client.Payment{{Name: "x", Amount: client.Fen(1)}}, TotalAmount: 1, Reason: "x",
			})
			return err
		}, client.CodeOrderNotExist, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			if tc.code != "" {
				assert.True(t, client.IsCode(err, tc.code), "want %s, got %v", tc.code, err)
			}
			var ae *client.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.status, ae.StatusCode)
			assert.NotEmpty(t, ae.RequestID)
		})
	}
}

// TestServiceOrder_Validation checks that mistakes a caller can see locally
// come back as a *ValidationError and that nothing is sent.
func TestServiceOrder_Validation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newPayscoreEnv(t)
	create := func(mut func(*client.CreateServiceOrderRequest)) func() error {
		return func() error {
			req := e.createRequest("VALID-001", "")
			mut(&req)
			_, err := e.c.CreateServiceOrder(ctx, req)
			return err
		}
	}
	complete := func(mut func(*client.CompleteServiceOrderRequest)) func() error {
		return func() error {
			req := e.completeRequest("VALID-001", 1000)
			mut(&req)
			_, err := e.c.CompleteServiceOrder(ctx, req)
			return err
		}
	}
	direct := func(mut func(*client.DirectCompleteServiceOrderRequest)) func() error {
		return func() error {
			req := client.DirectCompleteServiceOrderRequest{
				OutOrderNo: "DIRECT-1", AppID: e.appID, ServiceID: e.serviceID, OpenID: "o1",
				ServiceIntroduction: "充电", PostPayments: []client.Payment{{Name: "充电费", Amount: client.Fen(100)}},
				TimeRange:   client.TimeRange{StartTime: "20261201080000", EndTime: "20261201083000"},
				TotalAmount: 100, NotifyURL: e.notifyURL,
			}
			mut(&req)
			_, err := e.c.DirectCompleteServiceOrder(ctx, req)
			return err
		}
	}
	tests := []struct {
		name  string
		call  func() error
		field string
		issue string
	}{
		{"create: out_order_no missing", create(func(r *client.CreateServiceOrderRequest) { r.OutOrderNo = "" }), "/out_order_no", "is required"},
		{"create: out_order_no too long", create(func(r *client.CreateServiceOrderRequest) { r.OutOrderNo = strings.Repeat("1", 33) }), "/out_order_no", "at most 32"},
		{"create: out_order_no bad character", create(func(r *client.CreateServiceOrderRequest) { r.OutOrderNo = "A#1" }), "/out_order_no", `'#'`},
		{"create: appid missing", create(func(r *client.CreateServiceOrderRequest) { r.AppID = "" }), "/appid", "is required"},
		{"create: service_id missing", create(func(r *client.CreateServiceOrderRequest) { r.ServiceID = "" }), "/service_id", "is required"},
		{"create: introduction is 21 characters", create(func(r *client.CreateServiceOrderRequest) {
			r.ServiceIntroduction = strings.Repeat("车", 21)
		}), "/service_introduction", "21 characters long, at most 20"},
		{"create: emoji", create(func(r *client.CreateServiceOrderRequest) { r.ServiceIntroduction = "网约车🚗" }), "/service_introduction", "Basic Multilingual Plane"},
		{"create: payment without name", create(func(r *client.CreateServiceOrderRequest) { r.PostPayments[0].Name = "" }), "/post_payments/0/name", "is required"},
		{"create: payment without amount or description", create(func(r *client.CreateServiceOrderRequest) {
			r.PostPayments = []client.Payment{{Name: "里程费"}}
		}), "/post_payments/0", "needs amount or description"},
		{"create: duplicate payment names", create(func(r *client.CreateServiceOrderRequest) {
			r.PostPayments = []client.Payment{{Name: "里程费", Amount: client.Fen(1)}, {Name: "里程费", Amount: client.Fen(2)}}
		}), "/post_payments/1/name", "used twice"},
		{"create: negative amount", create(func(r *client.CreateServiceOrderRequest) { r.PostPayments[0].Amount = client.Fen(-1) }), "/post_payments/0/amount", "negative"},
		{"create: count 101", create(func(r *client.CreateServiceOrderRequest) { r.PostPayments[0].Count = 101 }), "/post_payments/0/count", "1–100"},
		{"create: discount without description", create(func(r *client.CreateServiceOrderRequest) {
			r.PostDiscounts = []client.Discount{{Name: "立减"}}
		}), "/post_discounts/0/description", "is required"},
		{"create: no start time", create(func(r *client.CreateServiceOrderRequest) { r.TimeRange = client.TimeRange{} }), "/time_range/start_time", "is required"},
		{"create: start time in UTC RFC 3339", create(func(r *client.CreateServiceOrderRequest) {
			r.TimeRange.StartTime = "2026-12-01T01:00:00Z"
		}), "/time_range/start_time", "yyyyMMddHHmmss"},
		{"create: end before start", create(func(r *client.CreateServiceOrderRequest) {
			r.TimeRange = client.TimeRange{StartTime: "20261201100000", EndTime: "20261201095959"}
		}), "/time_range/end_time", "not after start_time"},
		{"create: end_location too long", create(func(r *client.CreateServiceOrderRequest) {
			r.Location.EndLocation = strings.Repeat("路", 51)
		}), "/location/end_location", "at most 50"},
		{"create: unknown risk fund", create(func(r *client.CreateServiceOrderRequest) { r.RiskFund.Name = "UDEPOSIT" }), "/risk_fund/name", "UDEPOSIT"},
		{"create: zero risk fund", create(func(r *client.CreateServiceOrderRequest) { r.RiskFund.Amount = 0 }), "/risk_fund/amount", "positive"},
		{"create: notify_url with query", create(func(r *client.CreateServiceOrderRequest) { r.NotifyURL += "?shop=1" }), "/notify_url", "query"},
		{"create: notify_url relative", create(func(r *client.CreateServiceOrderRequest) { r.NotifyURL = "/notify" }), "/notify_url", "absolute"},
		{"create: 免确认 without openid", create(func(r *client.CreateServiceOrderRequest) { r.NeedUserConfirm = client.Bool(false) }), "/openid", "need_user_confirm is false"},
		{"create: attach 257 characters", create(func(r *client.CreateServiceOrderRequest) { r.Attach = strings.Repeat("a", 257) }), "/attach", "at most 256"},

		{"query: neither id", func() error {
			_, err := e.c.QueryServiceOrder(ctx, client.QueryServiceOrderRequest{ServiceID: e.serviceID, AppID: e.appID})
			return err
		}, "out_order_no", "is required (or query_id)"},
		{"query: both ids", func() error {
			_, err := e.c.QueryServiceOrder(ctx, client.QueryServiceOrderRequest{OutOrderNo: "A", QueryID: "B", ServiceID: e.serviceID, AppID: e.appID})
			return err
		}, "query_id", "exactly one"},
		{"query: appid missing", func() error {
			_, err := e.c.QueryServiceOrder(ctx, client.QueryServiceOrderRequest{OutOrderNo: "A", ServiceID: e.serviceID})
			return err
		}, "appid", "is required"},

		{"complete: total does not add up", complete(func(r *client.CompleteServiceOrderRequest) { r.TotalAmount = 999 }), "/total_amount", "1000 - 0 = 1000"},
		{"complete: total ignores discount", complete(func(r *client.CompleteServiceOrderRequest) {
			r.PostDiscounts = []client.Discount{{Name: "券", Amount: client.Fen(100)}}
		}), "/total_amount", "1000 - 100 = 900"},
		{"complete: discount without amount", complete(func(r *client.CompleteServiceOrderRequest) {
			r.PostDiscounts = []client.Discount{{Name: "券", Description: "满减"}}
		}), "/post_discounts/0/amount", "is required"},
		{"complete: no payments", complete(func(r *client.CompleteServiceOrderRequest) { r.PostPayments = nil; r.TotalAmount = 0 }), "/post_payments", "at least one"},
		{"complete: OnAccept is not an actual time", complete(func(r *client.CompleteServiceOrderRequest) { r.TimeRange.StartTime = client.StartOnAccept }), "/time_range/start_time", "yyyyMMddHHmmss"},
		{"complete: start_location", complete(func(r *client.CompleteServiceOrderRequest) { r.Location.StartLocation = "望京" }), "/location/start_location", "only end_location"},
		{"complete: out_order_no missing", complete(func(r *client.CompleteServiceOrderRequest) { r.OutOrderNo = "" }), "out_order_no", "is required"},

		{"cancel: no reason", func() error {
			_, err := e.c.CancelServiceOrder(ctx, client.CancelServiceOrderRequest{OutOrderNo: "A", AppID: e.appID, ServiceID: e.serviceID})
			return err
		}, "/reason", "is required"},
		{"cancel: reason 51 characters", func() error {
			_, err := e.c.CancelServiceOrder(ctx, client.CancelServiceOrderRequest{OutOrderNo: "A", AppID: e.appID, ServiceID: e.serviceID, Reason: strings.Repeat("因", 51)})
			return err
		}, "/reason", "at most 50"},
		{"modify: no reason", func() error {
			_, err := e.c.ModifyServiceOrder(ctx, client.ModifyServiceOrderRequest{
				OutOrderNo: "A", AppID: e.appID, ServiceID: e.serviceID,
				PostPayments: []client.Payment{{Name: "x", Amount: client.Fen(1)}}, TotalAmount: 1,
			})
			return err
		}, "/reason", "is required"},
		{"pay: service_id missing", func() error {
			_, err := e.c.PayServiceOrder(ctx, client.PayServiceOrderRequest{OutOrderNo: "A", AppID: e.appID})
			return err
		}, "/service_id", "is required"},
		{"sync: no type", func() error {
			_, err := e.c.SyncServiceOrder(ctx, client.SyncServiceOrderRequest{OutOrderNo: "A", AppID: e.appID, ServiceID: e.serviceID, Detail: client.SyncDetail{PaidTime: "20261201090000"}})
			return err
		}, "/type", "is required"},
		{"sync: unknown type", func() error {
			_, err := e.c.SyncServiceOrder(ctx, client.SyncServiceOrderRequest{OutOrderNo: "A", AppID: e.appID, ServiceID: e.serviceID, Type: "Order_Refunded", Detail: client.SyncDetail{PaidTime: "20261201090000"}})
			return err
		}, "/type", "Order_Paid"},
		{"sync: Order_Paid without paid_time", func() error {
			_, err := e.c.SyncServiceOrder(ctx, client.SyncServiceOrderRequest{OutOrderNo: "A", AppID: e.appID, ServiceID: e.serviceID, Type: client.SyncOrderPaid})
			return err
		}, "/detail/paid_time", "is required"},
		{"sync: paid_time as Unix seconds", func() error {
			_, err := e.c.SyncServiceOrder(ctx, client.SyncServiceOrderRequest{OutOrderNo: "A", AppID: e.appID, ServiceID: e.serviceID, Type: client.SyncOrderPaid, Detail: client.SyncDetail{PaidTime: "1796086800"}})
			return err
		}, "/detail/paid_time", "yyyyMMddHHmmss"},

		{"direct: openid missing", direct(func(r *client.DirectCompleteServiceOrderRequest) { r.OpenID = "" }), "/openid", "is required"},
		{"direct: end time missing", direct(func(r *client.DirectCompleteServiceOrderRequest) { r.TimeRange.EndTime = "" }), "/time_range/end_time", "is required"},
		{"direct: notify_url missing with an amount", direct(func(r *client.DirectCompleteServiceOrderRequest) { r.NotifyURL = "" }), "/notify_url", "is required"},
		{"direct: total does not add up", direct(func(r *client.DirectCompleteServiceOrderRequest) { r.TotalAmount = 0 }), "/total_amount", "is 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sent := e.rec.count()
			err := tc.call()
			require.Error(t, err)
			var ve *client.ValidationError
			require.ErrorAs(t, err, &ve, "got %v", err)
			assert.Equal(t, tc.field, ve.Field)
			assert.Contains(t, ve.Issue, tc.issue)
			assert.Equal(t, sent, e.rec.count(), "nothing is sent")
		})
	}
	assert.Empty(t, e.srv.Requests(mock.RequestFilter{}), "the mock saw no request")

	t.Run("valid baseline is accepted", func(t *testing.T) {
		err := create(func(*client.CreateServiceOrderRequest) {})()
		require.NoError(t, err)
		_, err = e.c.DirectCompleteServiceOrder(ctx, client.DirectCompleteServiceOrderRequest{
			OutOrderNo: "DIRECT-ZERO", AppID: e.appID, ServiceID: e.serviceID, OpenID: "oNobody",
			ServiceIntroduction: "充电", PostPayments: []client.Payment{{Name: "充电费", Amount: client.Fen(0)}},
			TimeRange: client.TimeRange{StartTime: "20261201080000", EndTime: "20261201083000"},
		})
		var ve *client.ValidationError
		assert.NotErrorAs(t, err, &ve, "a zero amount needs no notify_url")
	})
}
