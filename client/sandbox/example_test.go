package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/client/sandbox"
	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
)

// startMock serves an in-process mock on a virtual clock, as
// `MOCKPAY_CLOCK=virtual go run ./cmd/mockpay` would in another process,
// and returns its URL and what stops it.
func startMock(opts mock.Options) (string, func()) {
	opts.Clock = clock.NewVirtual(mock.TestStart)
	srv, err := mock.New(opts)
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	return ts.URL, func() {
		ts.Close()
		_ = srv.Close()
	}
}

// startSandbox is startMock with a client of its sandbox, for the
// examples that are not about making one.
func startSandbox() (*sandbox.Client, func()) {
	base, stop := startMock(mock.Options{})
	sb, err := sandbox.New(base)
	if err != nil {
		panic(err)
	}
	return sb, stop
}

// A test of a merchant's integration registers a merchant of its own, so
// that it shares the mock with other tests without seeing their orders,
// and plays the WeChat user through the sandbox.
func Example() {
	base, stop := startMock(mock.Options{})
	defer stop()
	ctx := context.Background()
	sb, err := sandbox.New(base)
	if err != nil {
		panic(err)
	}

	m, err := sb.CreateMerchant(ctx, sandbox.CreateMerchantRequest{NotifyURL: "http://127.0.0.1:9/notify"})
	if err != nil {
		panic(err)
	}
	// The integration under test gets the merchant's credentials; here it
	// is mockpay's own client.
	key, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM))
	if err != nil {
		panic(err)
	}
	c, err := client.New(client.Config{MchID: m.MchID, SerialNo: m.SerialNo, PrivateKey: key, APIv3Key: m.APIv3Key}, client.WithBaseURL(base))
	if err != nil {
		panic(err)
	}
	if _, err := c.CreateServiceOrder(ctx, client.CreateServiceOrderRequest{
		OutOrderNo: "RIDE-1", AppID: m.AppIDs[0], ServiceID: m.ServiceIDs[0], ServiceIntroduction: "网约车出行",
		PostPayments: []client.Payment{{Name: "预估车费", Amount: client.Fen(5000)}},
		TimeRange:    client.TimeRange{StartTime: client.StartOnAccept},
		RiskFund:     client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: 10000},
		NotifyURL:    m.NotifyURL,
	}); err != nil {
		panic(err)
	}

	// The user confirms the order in WeChat.
	o, err := sb.ConfirmOrder(ctx, sandbox.ConfirmOrderRequest{MchID: m.MchID, OutOrderNo: "RIDE-1", OpenID: "oUser1"})
	if err != nil {
		panic(err)
	}
	fmt.Println(o.Kind, o.ServiceOrder.OutOrderNo, o.ServiceOrder.State, o.ServiceOrder.StateDescription)
	fmt.Println("doing:", o.ServiceOrder.State == client.StateDoing)
	// Output:
	// serviceorder RIDE-1 DOING USER_CONFIRM
	// doing: true
}

// On a virtual clock, time moves when the test says so; the call returns
// once everything that fell due has run.
func ExampleClient_AdvanceClock() {
	sb, stop := startSandbox()
	defer stop()
	ctx := context.Background()

	st, err := sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{Duration: 30 * time.Minute})
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Mode, st.Now.Format(time.RFC3339))
	st, err = sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{To: st.Now.Add(24 * time.Hour)})
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Mode, st.Now.Format(time.RFC3339))
	// Output:
	// virtual 2026-12-01T09:30:00+08:00
	// virtual 2026-12-02T09:30:00+08:00
}

// The sandbox shows every callback it made with its plaintext, which
// decodes as the merchant's handler decodes it.
func ExampleClient_ListNotifications() {
	sb, stop := startSandbox()
	defer stop()
	ctx := context.Background()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer site.Close()
	m, err := sb.CreateMerchant(ctx, sandbox.CreateMerchantRequest{NotifyURL: site.URL + "/notify"})
	if err != nil {
		panic(err)
	}

	// The user opens the service: PAYSCORE.USER_OPEN_SERVICE goes to the
	// merchant's notify_url.
	if _, err := sb.AuthorizeUser(ctx, sandbox.AuthorizeUserRequest{OpenID: "oUser1", MchID: m.MchID}); err != nil {
		panic(err)
	}
	if _, err := sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{}); err != nil { // the delivery
		panic(err)
	}

	ns, err := sb.ListNotifications(ctx, sandbox.ListNotificationsRequest{MchID: m.MchID})
	if err != nil {
		panic(err)
	}
	for _, n := range ns {
		ev, err := n.Decrypted().PermissionEvent()
		if err != nil {
			panic(err)
		}
		fmt.Println(n.EventType, n.State, "answered", n.Attempts[0].Status)
		fmt.Println(ev.OpenID, ev.UserServiceStatus)
	}
	// Output:
	// PAYSCORE.USER_OPEN_SERVICE delivered answered 204
	// oUser1 USER_OPEN_SERVICE
}

// A refusal carries the sandbox's code, its message and the HTTP status.
func ExampleIsCode() {
	sb, stop := startSandbox()
	defer stop()

	_, err := sb.GetMerchant(context.Background(), sandbox.GetMerchantRequest{MchID: "1999999999"})
	fmt.Println(sandbox.IsCode(err, sandbox.CodeNotFound))
	fmt.Println(err)
	// Output:
	// true
	// NOT_FOUND: merchant 1999999999 is not registered
}

// A mock started with MOCKPAY_SANDBOX_TOKEN answers only callers that
// send the token; its health stays open, for orchestrators.
func ExampleWithToken() {
	base, stop := startMock(mock.Options{SandboxToken: "s3cret"})
	defer stop()
	ctx := context.Background()

	anonymous, err := sandbox.New(base)
	if err != nil {
		panic(err)
	}
	_, err = anonymous.GetClock(ctx)
	fmt.Println("without the token:", err)
	_, err = anonymous.GetHealth(ctx)
	fmt.Println("health without the token:", err)

	sb, err := sandbox.New(base, sandbox.WithToken("s3cret"))
	if err != nil {
		panic(err)
	}
	st, err := sb.GetClock(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("with the token:", st.Mode)
	// Output:
	// without the token: UNAUTHORIZED: the sandbox API needs Authorization: Bearer <MOCKPAY_SANDBOX_TOKEN>
	// health without the token: <nil>
	// with the token: virtual
}
