package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

// exampleEnv is the set-up the examples share: an in-process mock on a
// virtual clock, one merchant, a client for it, and the merchant's web site
// (mux) that serves the notify_url.
type exampleEnv struct {
	srv       *mock.Server
	clk       *clock.Virtual
	c         *client.Client
	mux       *http.ServeMux
	notifyURL string
	mchID     string
	appID     string
	serviceID string
	closers   []func()
}

func newExampleEnv() *exampleEnv {
	clk := clock.NewVirtual(mock.TestStart)
	srv, err := mock.New(mock.Options{Clock: clk})
	if err != nil {
		panic(err)
	}
	api := httptest.NewServer(srv)
	mux := http.NewServeMux()
	site := httptest.NewServer(mux)
	m, err := srv.CreateMerchant(mock.MerchantSpec{NotifyURL: site.URL + "/notify"})
	if err != nil {
		panic(err)
	}
	key, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM))
	if err != nil {
		panic(err)
	}
	c, err := client.New(client.Config{
		MchID:      m.MchID,
		SerialNo:   m.SerialNo,
		PrivateKey: key,
		APIv3Key:   m.APIv3Key,
	}, client.WithBaseURL(api.URL))
	if err != nil {
		panic(err)
	}
	return &exampleEnv{
		srv: srv, clk: clk, c: c, mux: mux, notifyURL: site.URL + "/notify",
		mchID: m.MchID, appID: m.AppIDs[0], serviceID: m.ServiceIDs[0],
		closers: []func(){site.Close, api.Close, func() { _ = srv.Close() }},
	}
}

func (e *exampleEnv) Close() {
	for _, f := range e.closers {
		f()
	}
}

// rideOrder is a 需确认 ride-hailing order starting a second from now.
func (e *exampleEnv) rideOrder(outOrderNo string) client.CreateServiceOrderRequest {
	return client.CreateServiceOrderRequest{
		OutOrderNo:          outOrderNo,
		AppID:               e.appID,
		ServiceID:           e.serviceID,
		ServiceIntroduction: "网约车出行",
		PostPayments:        []client.Payment{{Name: "预估车费", Amount: client.Fen(5000)}},
		TimeRange:           client.TimeRange{StartTime: client.Time14(e.clk.Now().Add(time.Second))},
		RiskFund:            client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: 10000},
		NotifyURL:           e.notifyURL,
	}
}

// A 需确认 order starts CREATED; its package goes to the front end, where
// the user confirms it in WeChat.
func ExampleClient_CreateServiceOrder() {
	e := newExampleEnv()
	defer e.Close()

	order, err := e.c.CreateServiceOrder(context.Background(), e.rideOrder("RIDE-20261201-0001"))
	if err != nil {
		panic(err)
	}
	fmt.Println("state:", order.State)
	fmt.Println("package for wx.openBusinessView:", order.Package != "")
	// Output:
	// state: CREATED
	// package for wx.openBusinessView: true
}

// The notify_url is an http.Handler: it verifies and decrypts each
// callback, and the merchant's function decodes the typed payload.
func ExampleClient_NotificationHandler() {
	e := newExampleEnv()
	defer e.Close()
	events := make(chan string, 10)
	e.mux.Handle("/notify", e.c.NotificationHandler(func(ctx context.Context, n *client.Notification) error {
		ev, err := n.ServiceOrderEvent()
		if err != nil {
			return err // 500: WeChat Pay delivers again later
		}
		events <- fmt.Sprintf("%s %s %s/%s", n.EventType, ev.OutOrderNo, ev.State, ev.StateDescription)
		return nil
	}))

	if _, err := e.c.CreateServiceOrder(context.Background(), e.rideOrder("RIDE-20261201-0002")); err != nil {
		panic(err)
	}
	// The user confirms in WeChat; the sandbox plays that part.
	if _, err := e.srv.ConfirmOrder(e.mchID, "", "RIDE-20261201-0002", mock.ConfirmRequest{OpenID: "oRider"}); err != nil {
		panic(err)
	}
	e.clk.Settle() // the callback has been delivered
	select {
	case line := <-events:
		fmt.Println(line)
	default:
		fmt.Println("no callback")
	}
	// Output:
	// PAYSCORE.USER_CONFIRM RIDE-20261201-0002 DOING/USER_CONFIRM
}

// ParseNotification suits merchants whose web framework is not net/http
// handlers: verify and decrypt, then answer 2xx (or 4xx/5xx to have the
// callback delivered again).
func ExampleClient_ParseNotification() {
	e := newExampleEnv()
	defer e.Close()
	events := make(chan *client.PermissionEvent, 10)
	e.mux.HandleFunc("/notify", func(w http.ResponseWriter, r *http.Request) {
		n, err := e.c.ParseNotification(r)
		if err != nil {
			http.Error(w, `{"code":"FAIL","message":"rejected"}`, http.StatusUnauthorized)
			return
		}
		ev, err := n.PermissionEvent()
		if err != nil {
			http.Error(w, `{"code":"FAIL","message":"unexpected event"}`, http.StatusInternalServerError)
			return
		}
		events <- ev
		w.WriteHeader(http.StatusNoContent)
	})

	ctx := context.Background()
	if _, err := e.c.CreatePermission(ctx, client.CreatePermissionRequest{
		ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: "AUTH_0001", NotifyURL: e.notifyURL,
	}); err != nil {
		panic(err)
	}
	// The user authorises in WeChat; the sandbox plays that part.
	if _, err := e.srv.AuthorizeUser("oRider", mock.AuthorizeRequest{
		MchID: e.mchID, ServiceID: e.serviceID, AppID: e.appID, AuthorizationCode: "AUTH_0001",
	}); err != nil {
		panic(err)
	}
	e.clk.Settle()
	select {
	case ev := <-events:
		fmt.Println(ev.UserServiceStatus, ev.OpenID, ev.AuthorizationCode)
	default:
		fmt.Println("no callback")
	}
	// Output:
	// USER_OPEN_SERVICE oRider AUTH_0001
}

// Completion sets what the user owes; WeChat Pay then deducts it and sends
// PAYSCORE.USER_PAID with the transaction to refund against.
func ExampleClient_CompleteServiceOrder() {
	e := newExampleEnv()
	defer e.Close()
	paid := make(chan *client.ServiceOrderEvent, 10)
	e.mux.Handle("/notify", e.c.NotificationHandler(func(ctx context.Context, n *client.Notification) error {
		if n.EventType == client.EventUserPaid {
			ev, err := n.ServiceOrderEvent()
			if err != nil {
				return err
			}
			paid <- ev
		}
		return nil
	}))
	ctx := context.Background()
	const no = "RIDE-20261201-0003"
	if _, err := e.c.CreateServiceOrder(ctx, e.rideOrder(no)); err != nil {
		panic(err)
	}
	if _, err := e.srv.ConfirmOrder(e.mchID, "", no, mock.ConfirmRequest{OpenID: "oRider"}); err != nil {
		panic(err)
	}
	if _, err := e.srv.Advance(30 * time.Minute); err != nil { // the ride
		panic(err)
	}

	order, err := e.c.CompleteServiceOrder(ctx, client.CompleteServiceOrderRequest{
		OutOrderNo:   no,
		AppID:        e.appID,
		ServiceID:    e.serviceID,
		PostPayments: []client.Payment{{Name: "里程费", Amount: client.Fen(4200)}},
		TotalAmount:  4200,
		TimeRange:    client.TimeRange{EndTime: client.Time14(e.clk.Now())},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("completed: %s/%s, %d fen\n", order.State, order.StateDescription, order.TotalAmount)

	if _, err := e.srv.Advance(5 * time.Second); err != nil { // WeChat Pay deducts
		panic(err)
	}
	select {
	case ev := <-paid:
		d := ev.Collection.Details[0]
		fmt.Printf("paid: %s, %d fen via %s, refundable transaction: %t\n", ev.State, d.Amount, d.PaidType, d.TransactionID != "")
	default:
		fmt.Println("no callback")
	}
	// Output:
	// completed: DOING/MCH_COMPLETE, 4200 fen
	// paid: DONE, 4200 fen via NEWTON, refundable transaction: true
}
