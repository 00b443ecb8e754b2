package mock_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/scenario"
)

// A server is an http.Handler: serve it in-process, on a virtual clock
// that the program moves itself.
func ExampleNew() {
	srv, err := mock.New(mock.Options{Clock: clock.NewVirtual(mock.TestStart)})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	resp, err := http.Get(ts.URL + "/sandbox/health")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var h mock.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, h.Status, h.Clock)
	// Output: 200 ok virtual
}

// Each test gets its own merchant, with generated keys, so tests sharing a
// server never see each other's data. The user side is a method call.
func ExampleServer_AuthorizeUser() {
	srv, err := mock.New(mock.Options{Clock: clock.NewVirtual(mock.TestStart)})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	m, err := srv.CreateMerchant(mock.MerchantSpec{})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.PrivateKeyPEM != "", len(m.APIv3Key), m.ServiceIDs[0] != "")

	a, err := srv.AuthorizeUser("oUser1", mock.AuthorizeRequest{MchID: m.MchID})
	if err != nil {
		panic(err)
	}
	fmt.Println(a.AuthorizationState)
	// Output:
	// true 32 true
	// AVAILABLE
}

// Callbacks wait on the clock: advancing it runs what fell due, delivery
// attempts included, before Advance returns.
func ExampleServer_Advance() {
	srv, err := mock.New(mock.Options{Clock: clock.NewVirtual(mock.TestStart)})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError) // the merchant's app is down
	}))
	defer receiver.Close()
	m, err := srv.CreateMerchant(mock.MerchantSpec{NotifyURL: receiver.URL})
	if err != nil {
		panic(err)
	}
	if _, err := srv.AuthorizeUser("oUser1", mock.AuthorizeRequest{MchID: m.MchID}); err != nil {
		panic(err)
	}
	if _, err := srv.Advance(time.Minute); err != nil {
		panic(err)
	}
	ns, err := srv.Notifications(mock.NotificationFilter{MchID: m.MchID})
	if err != nil {
		panic(err)
	}
	for _, n := range ns {
		fmt.Println(n.EventType, n.State, len(n.Attempts), "attempts")
	}
	// Output: PAYSCORE.USER_OPEN_SERVICE pending 4 attempts
}

// A scenario is data: this one fails every deduction of one merchant's
// orders, as a user with an empty wallet would.
func ExampleServer_LoadScenarios() {
	srv, err := mock.New(mock.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	yaml := []byte(`name: deduct-failure
description: every deduction fails; the order stays DOING with USER_PAYING
deduction:
  fail: true
`)
	infos, err := srv.LoadScenarios("deduct-failure.yaml", yaml, scenario.Scope{MchID: "1230000109"})
	if err != nil {
		panic(err)
	}
	fmt.Println(infos[0].Name, infos[0].Match.MchID, infos[0].Effects)

	_, err = srv.LoadScenarios("typo.yaml", []byte("name: typo\ndescription: d\ndeduction:\n  fial: true\n"), scenario.Scope{})
	fmt.Println(err)
	// Output:
	// deduct-failure 1230000109 [deduction]
	// PARAM_ERROR: typo.yaml:4: deduction.fial: unknown key (known keys: fail, fail_attempts, retry_after, delay, advance, repay_after) (body /deduction/fial)
}

// Endpoints lists what the mock serves and the names scenarios match.
func ExampleEndpoints() {
	for _, e := range mock.Endpoints() {
		if e.Name == "serviceorder.direct_complete" {
			fmt.Println(e.Method, e.Path, e.Aliases)
		}
	}
	// Output: POST /v3/payscore/serviceorder/direct-complete [/payscore/serviceorder/direct-complete]
}
