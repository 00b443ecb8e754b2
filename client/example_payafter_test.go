package client_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/mock"
)

// The legacy 先享后付 flow of a ride-hailing merchant in 免确认 mode: create
// the order when the driver picks the passenger up, query it for the
// finish_ticket, complete it with the fare at the end of the trip, and
// handle the paid callback (state USER_PAID, pay_succ_time).
func ExampleClient_CompletePayAfterOrder() {
	e := newExampleEnv()
	defer e.Close()
	paid := make(chan *client.PayAfterEvent, 10)
	// Legacy callbacks go to the notify_url registered for the merchant.
	e.mux.Handle("/notify", e.c.NotificationHandler(func(ctx context.Context, n *client.Notification) error {
		if n.EventType != client.EventUserPaid {
			return nil
		}
		ev, err := n.PayAfterEvent()
		if err != nil {
			return err // 500: WeChat Pay delivers again later
		}
		paid <- ev
		return nil
	}))
	ctx := context.Background()
	const openid, no = "oPassenger", "OLA-20261201-0001"
	// The passenger enabled the service once before; the sandbox plays that part.
	if _, err := e.srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: e.mchID, ServiceID: e.serviceID, AppID: e.appID}); err != nil {
		panic(err)
	}

	if _, err := e.c.CreatePayAfterOrder(ctx, client.CreatePayAfterOrderRequest{
		AppID:                e.appID,
		OutOrderNo:           no,
		ServiceID:            e.serviceID,
		ServiceStartTime:     client.Time14(e.clk.Now().Add(time.Second)),
		ServiceStartLocation: "望京SOHO",
		ServiceIntroduction:  "网约车出行",
		Fees:                 []client.PayAfterFee{{Name: "预估车费", Amount: 5000}},
		RiskAmount:           10000,
		NeedUserConfirm:      client.Bool(false),
		OpenID:               openid,
	}); err != nil {
		panic(err)
	}
	query := client.QueryPayAfterOrderRequest{OutOrderNo: no, ServiceID: e.serviceID, AppID: e.appID}
	order, err := e.c.QueryPayAfterOrder(ctx, query)
	if err != nil {
		panic(err)
	}
	fmt.Printf("created: %s, finish_ticket: %t\n", order.State, order.FinishTicket != "")

	if _, err := e.srv.Advance(30 * time.Minute); err != nil { // the ride
		panic(err)
	}
	if _, err := e.c.CompletePayAfterOrder(ctx, client.CompletePayAfterOrderRequest{
		OutOrderNo:         no,
		AppID:              e.appID,
		ServiceID:          e.serviceID,
		FinishType:         client.FinishTypeFinished,
		RealServiceEndTime: client.Time14(e.clk.Now()),
		Fees:               []client.PayAfterFee{{Name: "里程费", Amount: 4200}},
		TotalAmount:        4200,
		FinishTicket:       order.FinishTicket,
	}); err != nil {
		panic(err)
	}

	if _, err := e.srv.Advance(5 * time.Second); err != nil { // WeChat Pay deducts
		panic(err)
	}
	select {
	case ev := <-paid:
		fmt.Printf("callback: %s, %d fen, pay_succ_time set: %t\n", ev.State, ev.TotalAmount, ev.PaySuccTime != "")
	default:
		fmt.Println("no callback")
	}
	order, err = e.c.QueryPayAfterOrder(ctx, query)
	if err != nil {
		panic(err)
	}
	fmt.Printf("query: %s, refundable transaction: %t\n", order.State, order.FinishTransactionID != "")
	// Output:
	// created: USER_ACCEPTED, finish_ticket: true
	// callback: USER_PAID, 4200 fen, pay_succ_time set: true
	// query: USER_PAID, refundable transaction: true
}

// A refund names the charge by its WeChat Pay transaction (here a legacy
// order's finish_transaction_id), is PROCESSING when accepted, and ends with
// a REFUND.* callback.
func ExampleClient_CreateRefund() {
	e := newExampleEnv()
	defer e.Close()
	events := make(chan *client.RefundEvent, 10)
	e.mux.Handle("/notify", e.c.NotificationHandler(func(ctx context.Context, n *client.Notification) error {
		if ev, err := n.RefundEvent(); err == nil {
			events <- ev
		}
		return nil
	}))
	ctx := context.Background()
	transactionID := examplePaidPayAfterOrder(e, "OLA-20261201-0002", 4200)

	refund, err := e.c.CreateRefund(ctx, client.CreateRefundRequest{
		TransactionID: transactionID,
		OutRefundNo:   "RF-20261201-0001", // reuse it when retrying this refund
		Reason:        "行程费用多收",
		NotifyURL:     e.notifyURL,
		Amount:        client.CreateRefundAmount{Refund: 1200, Total: 4200, Currency: client.CurrencyCNY},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("accepted:", refund.Status)

	if _, err := e.srv.Advance(5 * time.Second); err != nil { // the refund is processed
		panic(err)
	}
	select {
	case ev := <-events:
		fmt.Printf("callback: %s %s, %d of %d fen\n", ev.OutRefundNo, ev.RefundStatus, ev.Amount.Refund, ev.Amount.Total)
	default:
		fmt.Println("no callback")
	}
	refund, err = e.c.QueryRefund(ctx, client.QueryRefundRequest{OutRefundNo: "RF-20261201-0001"})
	if err != nil {
		panic(err)
	}
	fmt.Println("query:", refund.Status)
	// Output:
	// accepted: PROCESSING
	// callback: RF-20261201-0001 SUCCESS, 1200 of 4200 fen
	// query: SUCCESS
}

// examplePaidPayAfterOrder runs a 免确认 legacy order of amount to USER_PAID
// and returns its finish_transaction_id.
func examplePaidPayAfterOrder(e *exampleEnv, outOrderNo string, amount int64) string {
	ctx := context.Background()
	const openid = "oPassenger"
	if _, err := e.srv.AuthorizeUser(openid, mock.AuthorizeRequest{MchID: e.mchID, ServiceID: e.serviceID, AppID: e.appID}); err != nil {
		panic(err)
	}
	if _, err := e.c.CreatePayAfterOrder(ctx, client.CreatePayAfterOrderRequest{
		AppID: e.appID, OutOrderNo: outOrderNo, ServiceID: e.serviceID,
		ServiceStartTime: client.StartOnAccept, ServiceIntroduction: "网约车出行",
		Fees: []client.PayAfterFee{{Name: "预估车费", Amount: amount}}, RiskAmount: 10000,
		NeedUserConfirm: client.Bool(false), OpenID: openid,
	}); err != nil {
		panic(err)
	}
	query := client.QueryPayAfterOrderRequest{OutOrderNo: outOrderNo, ServiceID: e.serviceID, AppID: e.appID}
	order, err := e.c.QueryPayAfterOrder(ctx, query)
	if err != nil {
		panic(err)
	}
	if _, err := e.srv.Advance(20 * time.Minute); err != nil {
		panic(err)
	}
	if _, err := e.c.CompletePayAfterOrder(ctx, client.CompletePayAfterOrderRequest{
		OutOrderNo: outOrderNo, AppID: e.appID, ServiceID: e.serviceID, FinishType: client.FinishTypeFinished,
		RealServiceEndTime: client.Time14(e.clk.Now()),
		Fees:               []client.PayAfterFee{{Name: "里程费", Amount: amount}}, TotalAmount: amount,
		FinishTicket: order.FinishTicket,
	}); err != nil {
		panic(err)
	}
	if _, err := e.srv.Advance(5 * time.Second); err != nil {
		panic(err)
	}
	if order, err = e.c.QueryPayAfterOrder(ctx, query); err != nil {
		panic(err)
	}
	return order.FinishTransactionID
}
