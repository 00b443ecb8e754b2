// Package sandbox is a Go client of mockpay's sandbox control API, the
// plain-JSON endpoints under /sandbox that stand for everything outside the
// merchant's own API calls: the WeChat user (authorize, confirm, pay, the
// wallet), WeChat Pay's back office (merchants, callbacks) and time (the
// mock's clock). A Go test in another process than the mock uses it as the
// in-process tests use the methods of *mock.Server; the mockpay CLI
// (cmd/client) is built on it. It speaks HTTP only and never imports the
// mock, so it adds nothing of the server to a test binary.
//
// Every endpoint of the API has one method, and every method that takes
// parameters takes one request struct named after it: GetMerchant takes a
// GetMerchantRequest, AdvanceClock an AdvanceClockRequest. Reads of one
// object are Get*, of several List*; the user's actions are AuthorizeUser,
// RevokeUser, SetWallet, ConfirmOrder and PayOrder.
//
//	sb, err := sandbox.New("http://127.0.0.1:8080", sandbox.WithToken(os.Getenv("MOCKPAY_SANDBOX_TOKEN")))
//	if err != nil { ... }
//	m, err := sb.CreateMerchant(ctx, sandbox.CreateMerchantRequest{NotifyURL: notifyURL})
//	// … configure the integration under test with m's credentials; it creates RIDE-1 …
//	_, err = sb.ConfirmOrder(ctx, sandbox.ConfirmOrderRequest{MchID: m.MchID, OutOrderNo: "RIDE-1", OpenID: "oUser1"})
//	_, err = sb.AdvanceClock(ctx, sandbox.AdvanceClockRequest{Duration: 30 * time.Minute})
//	o, err := sb.GetOrder(ctx, sandbox.GetOrderRequest{MchID: m.MchID, OutOrderNo: "RIDE-1"})
//	// o.ServiceOrder.State == client.StateDone; o.Timeline says how it got there
//
// Where the sandbox shows what the v3 API returns (an order, an
// authorization record, a callback's payload), the types are those of
// package client, so a test compares states with client.StateDone or
// client.PayAfterUserPaid and decodes a callback with the same methods as
// the merchant's own handler (Notification.Decrypted). The sandbox's own
// states are typed too: NotificationState, ClockMode, PlatformMode,
// OrderKind, SignatureVerdict.
//
// Every value a call answers with also keeps the JSON the sandbox sent
// (Raw), with the fields this package does not declare: a mock newer than
// this client loses nothing.
//
// A non-2xx answer is an *Error carrying the HTTP status and the sandbox's
// {"code","message","detail"}; test for a code with IsCode, e.g.
// IsCode(err, sandbox.CodeNotFound). The sandbox shares the error shape,
// and so the client.ErrorCode type, with WeChat Pay's API: a malformed
// request is client.CodeParamError, whether the API or the sandbox refused
// it.
//
// Events follows the mock's live events (GET /sandbox/events, Server-Sent
// Events) as an iterator, for a test that waits on what happens rather
// than polling a listing.
//
// The API's reference is docs/sandbox-api.md and the OpenAPI document the
// mock serves at GET /sandbox/openapi.json.
package sandbox
