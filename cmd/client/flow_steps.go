package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/sandbox"
)

// The steps of `flow ride`, in the order the reference integration takes
// them. Each returns what it saw; the first error stops the flow.

func (f *ride) userServiceState(ctx context.Context) (stepResult, error) {
	st, err := f.c.UserServiceState(ctx, client.UserServiceStateRequest{ServiceID: f.serviceID, AppID: f.appID, OpenID: f.openid, SubMchID: f.subMchID})
	if err != nil {
		return stepResult{}, err
	}
	f.alreadyAuthorised = st.UseServiceState == client.UseServiceAvailable
	detail := string(st.UseServiceState)
	if !f.alreadyAuthorised {
		detail += ": the app guides the user to open the service"
	}
	return stepResult{detail, st}, nil
}

func (f *ride) preAuthorize(ctx context.Context) (stepResult, error) {
	if f.alreadyAuthorised {
		return stepResult{detail: "skipped: the user already authorised the service"}, nil
	}
	resp, err := f.c.createPermission(ctx, client.CreatePermissionRequest{
		ServiceID: f.serviceID, AppID: f.appID, AuthorizationCode: f.authCode, NotifyURL: f.notifyURL,
	})
	if err != nil {
		return stepResult{}, err
	}
	return stepResult{fmt.Sprintf("authorization_code %s, apply_permissions_token %s", f.authCode, resp.ApplyPermissionsToken), resp}, nil
}

// userStep is a step only the user can take: against the mock the
// sandbox plays the user, against WeChat Pay the flow asks a real one;
// either way the step ends with the callback that reports it.
type userStep struct {
	what      string // "the user confirms", for errors
	sandbox   func(context.Context, *sandbox.Client) error
	ask       string // what a real user must do
	eventType string
	about     string // the order number the callback is about, "" for none
	match     func(*client.Notification) bool
}

// byUser has the user take s and returns the callback.
func (f *flowRun) byUser(ctx context.Context, s userStep) (*callback, error) {
	if f.sb != nil {
		if err := s.sandbox(ctx, f.sb); err != nil {
			return nil, fmt.Errorf("sandbox: %s: %w", s.what, err)
		}
	} else {
		f.p.note("%s", s.ask)
	}
	return f.await(ctx, s.eventType, s.about, s.match)
}

// sandboxConfirm plays the user who confirms (service order) or accepts
// (legacy order) the flow's order.
func (f *ride) sandboxConfirm(ctx context.Context, sb *sandbox.Client) error {
	_, err := sb.ConfirmOrder(ctx, sandbox.ConfirmOrderRequest{MchID: f.mchID, SubMchID: f.subMchID, OutOrderNo: f.outOrderNo, OpenID: f.openid})
	return err
}

func (f *ride) userAuthorizes(ctx context.Context) (stepResult, error) {
	if f.alreadyAuthorised {
		return stepResult{detail: "skipped: the user already authorised the service"}, nil
	}
	n, err := f.byUser(ctx, userStep{
		what: "the user authorises",
		sandbox: func(ctx context.Context, sb *sandbox.Client) error {
			_, err := sb.AuthorizeUser(ctx, sandbox.AuthorizeUserRequest{
				OpenID: f.openid, MchID: f.mchID, SubMchID: f.subMchID, ServiceID: f.serviceID, AppID: f.appID, AuthorizationCode: f.authCode,
			})
			return err
		},
		ask:       "a real user must authorise: open the Pay Score mini-program with the apply_permissions_token above (wx.openBusinessView, businessType wxpayScoreEnable) as " + f.openid,
		eventType: client.EventUserOpenService,
		match: func(n *client.Notification) bool {
			ev, err := n.PermissionEvent()
			return err == nil && ev.AuthorizationCode == f.authCode && ev.SubMchID == f.subMchID
		},
	})
	return f.permissionResult(n, err)
}

// permissionResult reports the authorization callback a user step
// awaited.
func (f *ride) permissionResult(n *callback, err error) (stepResult, error) {
	if err != nil {
		return stepResult{}, err
	}
	ev, err := n.PermissionEvent()
	if err != nil {
		return stepResult{}, err
	}
	return stepResult{fmt.Sprintf("%s: user %s %s%s", n.seen, ev.OpenID, ev.UserServiceStatus, f.forSub(ev.SubMchID)), ev}, nil
}

func (f *ride) createOrder(ctx context.Context) (stepResult, error) {
	start, err := f.a.nowTime(ctx)
	if err != nil {
		return stepResult{}, err
	}
	f.start, f.order = start, f.outOrderNo
	req := client.CreateServiceOrderRequest{
		OutOrderNo:          f.outOrderNo,
		AppID:               f.appID,
		ServiceID:           f.serviceID,
		ServiceIntroduction: "网约车出行",
		PostPayments:        []client.Payment{{Name: "预估车费", Amount: client.Fen(f.fare), Description: "起步价+里程费"}},
		TimeRange:           client.TimeRange{StartTime: start, StartTimeRemark: "上车时间"},
		Location:            client.Location{StartLocation: "望京SOHO"},
		RiskFund:            client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: f.fare, Description: "预估车费"},
		NotifyURL:           f.notifyURL,
	}
	if f.o.confirm {
		req.NeedUserConfirm = client.Bool(true)
	} else {
		req.OpenID, req.NeedUserConfirm = f.openid, client.Bool(false)
	}
	o, err := f.c.createOrder(ctx, req)
	if err != nil {
		return stepResult{}, err
	}
	want := client.StateDoing
	if f.o.confirm {
		want = client.StateCreated
	}
	if o.State != want {
		return stepResult{}, fmt.Errorf("order %s is %s, want %s", o.OutOrderNo, o.State, want)
	}
	detail := fmt.Sprintf("%s %s/%s (免确认), order_id %s", o.OutOrderNo, o.State, o.StateDescription, o.OrderID)
	if f.o.confirm {
		detail = fmt.Sprintf("%s %s (需确认), order_id %s, package for the front end %s", o.OutOrderNo, o.State, o.OrderID, o.Package)
	}
	return stepResult{detail + f.forSub(o.SubMchID), o}, nil
}

func (f *ride) userConfirms(ctx context.Context) (stepResult, error) {
	n, err := f.byUser(ctx, userStep{
		what:      "the user confirms",
		sandbox:   f.sandboxConfirm,
		ask:       "a real user must confirm: the front end opens wx.openBusinessView (businessType wxpayScoreUse) with the package above",
		eventType: client.EventUserConfirm,
		about:     f.outOrderNo,
		match:     f.isOrderEvent,
	})
	if err != nil {
		return stepResult{}, err
	}
	ev, err := n.ServiceOrderEvent()
	if err != nil {
		return stepResult{}, err
	}
	if ev.State != client.StateDoing {
		return stepResult{}, fmt.Errorf("%s says %s, want %s", n.EventType, ev.State, client.StateDoing)
	}
	f.openid = ev.OpenID
	return stepResult{fmt.Sprintf("%s: %s/%s, user %s", n.seen, ev.State, ev.StateDescription, ev.OpenID), ev}, nil
}

// isOrderEvent matches a service order's callback about the flow's order.
func (f *ride) isOrderEvent(n *client.Notification) bool {
	ev, err := n.ServiceOrderEvent()
	return err == nil && ev.OutOrderNo == f.outOrderNo && ev.SubMchID == f.subMchID
}

// forSub notes, in a --partner flow's report, the sub-merchant an answer
// or callback named: the check that it is the flow's is the matching.
func (f *ride) forSub(subMchID string) string {
	if !f.partner {
		return ""
	}
	return ", sub_mchid " + subMchID
}

// isPayAfterEvent matches a legacy callback about the flow's order.
func (f *ride) isPayAfterEvent(n *client.Notification) bool {
	ev, err := n.PayAfterEvent()
	return err == nil && ev.OutOrderNo == f.outOrderNo
}

func (f *ride) completeOrder(ctx context.Context) (stepResult, error) {
	end, err := f.a.nowTime(ctx)
	if err != nil {
		return stepResult{}, err
	}
	o, err := f.c.completeOrder(ctx, client.CompleteServiceOrderRequest{
		OutOrderNo:   f.outOrderNo,
		PostPayments: []client.Payment{{Name: "车费", Amount: client.Fen(f.fare), Description: "起步价+里程费"}},
		TotalAmount:  f.fare,
		TimeRange:    client.TimeRange{EndTime: end, EndTimeRemark: "下车时间"},
		Location:     client.Location{EndLocation: "国贸"},
	})
	if err != nil {
		return stepResult{}, err
	}
	answer := ""
	if f.partner {
		answer = "answered 204, queried: "
	}
	return stepResult{fmt.Sprintf("%s%s/%s, total %s; WeChat Pay now deducts", answer, o.State, o.StateDescription, yuan(o.TotalAmount)), o}, nil
}

func (f *ride) awaitOrderPaid(ctx context.Context) (stepResult, error) {
	n, err := f.await(ctx, client.EventUserPaid, f.outOrderNo, f.isOrderEvent)
	if err != nil {
		return stepResult{}, err
	}
	ev, err := n.ServiceOrderEvent()
	if err != nil {
		return stepResult{}, err
	}
	if ev.State != client.StateDone || ev.Collection == nil || ev.Collection.State != client.CollectionUserPaid {
		return stepResult{}, fmt.Errorf("%s says %s with collection %+v, want DONE/USER_PAID", n.EventType, ev.State, ev.Collection)
	}
	return stepResult{fmt.Sprintf("%s: %s, collection %s, paid %s%s", n.seen, ev.State, ev.Collection.State, yuan(ev.Collection.PaidAmount), f.forSub(ev.SubMchID)), ev}, nil
}

func (f *ride) queryOrderPaid(ctx context.Context) (stepResult, error) {
	o, err := f.c.queryOrder(ctx, f.outOrderNo, "")
	if err != nil {
		return stepResult{}, err
	}
	if o.State != client.StateDone || o.Collection == nil || o.Collection.State != client.CollectionUserPaid || len(o.Collection.Details) == 0 {
		return stepResult{}, fmt.Errorf("order %s is %s, want DONE with collection USER_PAID", o.OutOrderNo, o.State)
	}
	d := o.Collection.Details[0]
	f.transactionID = d.TransactionID
	return stepResult{fmt.Sprintf("%s, collection %s, %s paid at %s, transaction_id %s", o.State, o.Collection.State, yuan(d.Amount), d.PaidTime, d.TransactionID), o}, nil
}

func (f *ride) createPayAfter(ctx context.Context) (stepResult, error) {
	start, err := f.a.nowTime(ctx)
	if err != nil {
		return stepResult{}, err
	}
	f.start, f.order = start, f.outOrderNo
	req := client.CreatePayAfterOrderRequest{
		AppID: f.appID, OutOrderNo: f.outOrderNo, ServiceID: f.serviceID,
		ServiceStartTime:     start,
		ServiceStartLocation: "望京SOHO",
		ServiceIntroduction:  "网约车出行",
		Fees:                 []client.PayAfterFee{{Name: "预估车费", Amount: f.fare, Description: "起步价+里程费"}},
		RiskAmount:           f.fare,
	}
	if f.o.confirm {
		req.NeedUserConfirm = client.Bool(true)
	} else {
		req.OpenID, req.NeedUserConfirm = f.openid, client.Bool(false)
	}
	resp, err := f.c.CreatePayAfterOrder(ctx, req)
	if err != nil {
		return stepResult{}, err
	}
	mode := "免确认: USER_ACCEPTED at once"
	if f.o.confirm {
		mode = "CREATED until the user accepts"
	}
	return stepResult{fmt.Sprintf("%s (%s), order_id %s", resp.OutOrderNo, mode, resp.OrderID), resp}, nil
}

func (f *ride) userAccepts(ctx context.Context) (stepResult, error) {
	n, err := f.byUser(ctx, userStep{
		what:      "the user accepts",
		sandbox:   f.sandboxConfirm,
		ask:       "a real user must accept the order in the Pay Score mini-program (package above)",
		eventType: client.EventUserAccepted,
		about:     f.outOrderNo,
		match:     f.isPayAfterEvent,
	})
	if err != nil {
		return stepResult{}, err
	}
	ev, err := n.PayAfterEvent()
	if err != nil {
		return stepResult{}, err
	}
	return stepResult{fmt.Sprintf("%s: %s, finish_ticket %s", n.seen, ev.State, ev.FinishTicket), ev}, nil
}

func (f *ride) queryFinishTicket(ctx context.Context) (stepResult, error) {
	o, err := f.c.QueryPayAfterOrder(ctx, client.QueryPayAfterOrderRequest{OutOrderNo: f.outOrderNo, ServiceID: f.serviceID, AppID: f.appID})
	if err != nil {
		return stepResult{}, err
	}
	if o.State != client.PayAfterUserAccepted || o.FinishTicket == "" {
		return stepResult{}, fmt.Errorf("order %s is %s without a finish_ticket, want USER_ACCEPTED", o.OutOrderNo, o.State)
	}
	f.finishTicket = o.FinishTicket
	return stepResult{fmt.Sprintf("%s, finish_ticket %s", o.State, o.FinishTicket), o}, nil
}

func (f *ride) completePayAfter(ctx context.Context) (stepResult, error) {
	end, err := f.a.nowTime(ctx)
	if err != nil {
		return stepResult{}, err
	}
	ref, err := f.c.CompletePayAfterOrder(ctx, client.CompletePayAfterOrderRequest{
		OutOrderNo: f.outOrderNo, AppID: f.appID, ServiceID: f.serviceID,
		FinishType:             client.FinishTypeFinished,
		RealServiceStartTime:   f.start,
		RealServiceEndTime:     end,
		RealServiceEndLocation: "国贸",
		Fees:                   []client.PayAfterFee{{Name: "车费", Amount: f.fare, Description: "起步价+里程费"}},
		TotalAmount:            f.fare,
		FinishTicket:           f.finishTicket,
	})
	if err != nil {
		return stepResult{}, err
	}
	return stepResult{fmt.Sprintf("FINISHED, total %s; WeChat Pay now deducts", yuan(f.fare)), ref}, nil
}

func (f *ride) awaitPayAfterPaid(ctx context.Context) (stepResult, error) {
	n, err := f.await(ctx, client.EventUserPaid, f.outOrderNo, f.isPayAfterEvent)
	if err != nil {
		return stepResult{}, err
	}
	ev, err := n.PayAfterEvent()
	if err != nil {
		return stepResult{}, err
	}
	return stepResult{fmt.Sprintf("%s: %s, pay_succ_time %s, finish_transaction_id %s", n.seen, ev.State, ev.PaySuccTime, ev.FinishTransactionID), ev}, nil
}

func (f *ride) queryPayAfterPaid(ctx context.Context) (stepResult, error) {
	o, err := f.c.QueryPayAfterOrder(ctx, client.QueryPayAfterOrderRequest{OutOrderNo: f.outOrderNo, ServiceID: f.serviceID, AppID: f.appID})
	if err != nil {
		return stepResult{}, err
	}
	if o.State != client.PayAfterUserPaid || o.FinishTransactionID == "" {
		return stepResult{}, fmt.Errorf("order %s is %s, want USER_PAID with a finish_transaction_id", o.OutOrderNo, o.State)
	}
	f.transactionID = o.FinishTransactionID
	return stepResult{fmt.Sprintf("%s, total %s, finish_transaction_id %s", o.State, yuan(o.TotalAmount), o.FinishTransactionID), o}, nil
}

func (f *ride) refundFare(ctx context.Context) (stepResult, error) {
	outRefundNo := newNumber("RF")
	r, err := f.c.CreateRefund(ctx, client.CreateRefundRequest{
		SubMchID: f.subMchID, TransactionID: f.transactionID, OutRefundNo: outRefundNo, Reason: "行程费用退款", NotifyURL: f.notifyURL,
		Amount: client.CreateRefundAmount{Refund: f.refund, Total: f.fare, Currency: client.CurrencyCNY},
	})
	if err != nil {
		return stepResult{}, err
	}
	n, err := f.await(ctx, "REFUND.*", f.outOrderNo, func(n *client.Notification) bool {
		ev, err := n.RefundEvent()
		return err == nil && ev.OutRefundNo == outRefundNo && ev.SubMchID == f.subMchID
	})
	if err != nil {
		return stepResult{}, fmt.Errorf("refund %s is %s: %w", outRefundNo, r.Status, err)
	}
	ev, err := n.RefundEvent()
	if err != nil {
		return stepResult{}, err
	}
	want := f.refundOutcome
	if want == "" {
		want = client.RefundSuccess
	}
	if ev.RefundStatus != want {
		return stepResult{}, errors.New(n.seen + ": the refund ended " + string(ev.RefundStatus) + ", not " + string(want))
	}
	return stepResult{fmt.Sprintf("%s %s of %s (%s); %s, to %s", outRefundNo, yuan(ev.Amount.Refund), yuan(ev.Amount.Total), r.Status, n.seen, ev.UserReceivedAccount), ev}, nil
}
