package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/client/sandbox"
	"github.com/mockpay/mockpay/mock"
)

// A client of a running mock, as a merchant's integration test in another
// process makes it: the merchant's credentials come from the sandbox
// (here the default test merchant's), and the client talks to the mock
// exactly as it would to WeChat Pay; only the base URL differs.
func ExampleNew() {
	srv, err := mock.New(mock.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv) // `go run ./cmd/mockpay` serves the same
	defer ts.Close()
	ctx := context.Background()

	sb, err := sandbox.New(ts.URL)
	if err != nil {
		panic(err)
	}
	m, err := sb.GetMerchant(ctx, sandbox.GetMerchantRequest{MchID: "1230000109"})
	if err != nil {
		panic(err)
	}
	key, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM)) // testdata/certs/apiclient_key.pem
	if err != nil {
		panic(err)
	}
	c, err := client.New(client.Config{
		MchID:      m.MchID,
		SerialNo:   m.SerialNo,
		PrivateKey: key,
		APIv3Key:   m.APIv3Key,
	}, client.WithBaseURL(ts.URL))
	if err != nil {
		panic(err)
	}

	st, err := c.UserServiceState(ctx, client.UserServiceStateRequest{ServiceID: m.ServiceIDs[0], AppID: m.AppIDs[0], OpenID: "oUser1"})
	if err != nil {
		panic(err)
	}
	fmt.Println("oUser1:", st.UseServiceState)
	// Output:
	// oUser1: UNAVAILABLE
}

// Certificates downloads and decrypts the platform certificates now; the
// default verifier does the same on first use.
func ExampleClient_Certificates() {
	e := newExampleEnv() // a fresh merchant of the mock, in platform-certificate mode
	defer e.Close()

	certs, err := e.c.Certificates(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println("platform certificates:", len(certs))
	fmt.Println("serial matches the mock:", certs[0].SerialNo == e.srv.Platform().SerialNo)
	// Output:
	// platform certificates: 1
	// serial matches the mock: true
}

// WeChat Pay's refusals are *APIError values; IsCode tells them apart by
// their code, which says what to do (here: the order number is wrong, do
// not retry).
func ExampleIsCode() {
	e := newExampleEnv()
	defer e.Close()

	_, err := e.c.QueryServiceOrder(context.Background(), client.QueryServiceOrderRequest{
		OutOrderNo: "RIDE-NEVER-CREATED", ServiceID: e.serviceID, AppID: e.appID,
	})
	switch {
	case client.IsCode(err, client.CodeOrderNotExist):
		fmt.Println("no such order")
	case client.IsCode(err, client.CodeSystemError), client.IsCode(err, client.CodeFrequencyLimited):
		fmt.Println("retry with the same parameters")
	case err != nil:
		fmt.Println("unexpected:", err)
	}
	var ae *client.APIError
	if errors.As(err, &ae) {
		fmt.Println(ae.StatusCode, ae.Code, ae.RequestID != "")
	}
	// Output:
	// no such order
	// 404 ORDER_NOT_EXIST true
}

// A callback that fails verification never reaches the handle func; the
// reject hook is where it can be logged.
func ExampleWithRejectHook() {
	e := newExampleEnv()
	defer e.Close()
	h := e.c.NotificationHandler(func(context.Context, *client.Notification) error {
		fmt.Println("handled") // not reached
		return nil
	}, client.WithRejectHook(func(_ *http.Request, err *client.NotificationError) {
		fmt.Println("rejected:", err.Reason, errors.Is(err, client.ErrMissingHeader))
	}))

	// A forgery: a callback body without WeChat Pay's signature headers.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader(`{"id":"forged"}`)))
	fmt.Println("answered", w.Code)
	// Output:
	// rejected: missing header Wechatpay-Timestamp true
	// answered 401
}
