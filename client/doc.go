// Package client is a Go client for the WeChat Pay API v3 (微信支付 APIv3) as
// used by Pay Score (微信支付分) direct merchants. It works the same against
// the real WeChat Pay and against the mockpay sandbox; only the base URL
// differs.
//
// A Client signs every request with the merchant API key
// (WECHATPAY2-SHA256-RSA2048), verifies every 2xx answer (all Wechatpay-*
// headers present, timestamp within 5 minutes of the client clock, no
// WECHATPAY/SIGNTEST/ probe, signature valid for Wechatpay-Serial), turns
// every other answer into an *APIError, and verifies and decrypts callbacks
// (ParseNotification, NotificationHandler).
//
// Answers and callbacks are verified by a Verifier:
//   - by default a CertificateSource, which downloads the platform
//     certificates from GET /v3/certificates on first use and again when an
//     unknown serial appears (needs Config.APIv3Key);
//   - NewPublicKeyVerifier for merchants in public-key mode (all merchants
//     created since 2024: they have no platform certificates);
//   - NewMultiVerifier while migrating from certificates to the public key;
//   - NewCertificateVerifier for certificates managed elsewhere.
//
// Nothing is global: the host, HTTP client, clock, verifier and retry policy
// are options, so tests run against the mockpay sandbox, in-process or in
// another process, without patching. Package client/sandbox drives the
// sandbox's side (the WeChat user, the clock, what happened) from Go.
//
// Usage:
//
//	key, err := protocol.ParsePrivateKey(keyPEM) // apiclient_key.pem
//	if err != nil { ... }
//	pub, err := protocol.ParsePublicKey(pubPEM) // pub_key.pem
//	if err != nil { ... }
//	c, err := client.New(client.Config{
//		MchID:      "1230000109",
//		SerialNo:   "3775B6A45ACD588826D15E583A95F5DD********",
//		PrivateKey: key,
//		APIv3Key:   apiV3Key,
//	},
//		client.WithVerifier(client.NewPublicKeyVerifier("PUB_KEY_ID_0114232134912410000000000000", pub)),
//		client.WithRetry(client.RetryPolicy{MaxAttempts: 3}),
//	)
//	if err != nil { ... }
//
//	order, err := c.CreateServiceOrder(ctx, client.CreateServiceOrderRequest{
//		OutOrderNo:          "RIDE-20261201-0001",
//		AppID:               appID,
//		ServiceID:           serviceID,
//		ServiceIntroduction: "网约车出行",
//		PostPayments:        []client.Payment{{Name: "预估车费", Amount: client.Fen(5000)}},
//		TimeRange:           client.TimeRange{StartTime: client.StartOnAccept},
//		RiskFund:            client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: 10000},
//		NotifyURL:           "https://merchant.example/wechatpay/notify",
//	})
//	if err != nil { ... }
//	// order.State is CREATED; order.Package goes to the front end.
//
//	http.Handle("/wechatpay/notify", c.NotificationHandler(func(ctx context.Context, n *client.Notification) error {
//		switch n.EventType {
//		case client.EventUserConfirm, client.EventUserPaid:
//			ev, err := n.ServiceOrderEvent()
//			if err != nil {
//				return err // 500: WeChat Pay delivers again later
//			}
//			return markOrder(ctx, n.ID, ev.OutOrderNo, ev.State) // must be idempotent
//		}
//		return nil
//	}, client.WithRejectHook(func(r *http.Request, err *client.NotificationError) {
//		log.Printf("rejected a callback from %s: %v", r.RemoteAddr, err) // answered 401
//	})))
//
// The Pay Score API has one method per endpoint, each taking one request
// struct named after it (CreateServiceOrder takes a
// CreateServiceOrderRequest, and so on); only Certificates, which has no
// parameters, takes none. They are UserServiceState; the authorization
// calls CreatePermission, QueryPermissionByCode, QueryPermissionByOpenID,
// TerminatePermissionByCode, TerminatePermissionByOpenID and
// TerminateUserService; the service-order calls CreateServiceOrder,
// QueryServiceOrder, CancelServiceOrder, CompleteServiceOrder,
// ModifyServiceOrder, PayServiceOrder, SyncServiceOrder and
// DirectCompleteServiceOrder. The legacy 先享后付 API has its own calls
// (CreatePayAfterOrder, QueryPayAfterOrder, CancelPayAfterOrder,
// CompletePayAfterOrder with the order's finish_ticket, SyncPayAfterOrder);
// its sensitive user fields are encrypted with the key of
// WithEncryptionKey. Charges are refunded by their transaction id with
// CreateRefund and QueryRefund. Pay Score parking (微信支付分停车) has
// QueryPlateService, CreateParking, CreateParkingTransaction and
// QueryParkingTransaction, for direct merchants and, with SubMchID, for
// service providers. States are typed (State, PayAfterState,
// AuthorizationState, RefundStatus, TradeState, …). Callbacks decode into
// ServiceOrderEvent, PermissionEvent, PayAfterEvent, RefundEvent,
// ParkingEntranceEvent and ParkingTransactionEvent
// (Notification.ServiceOrderEvent, Notification.PermissionEvent, …).
//
// A service provider (服务商) signs with its own credentials and acts for
// its sub-merchants through the partner API, each request naming the
// sub-merchant (SubMchID): CreatePartnerServiceOrder,
// QueryPartnerServiceOrder, CancelPartnerServiceOrder,
// CompletePartnerServiceOrder, ModifyPartnerServiceOrder,
// PayPartnerServiceOrder, SyncPartnerServiceOrder and
// DirectCompletePartnerServiceOrder (the calls on an order are answered
// 204, so they return only an error), and CreatePartnerPermission,
// QueryPartnerPermissionByCode, TerminatePartnerPermissionByCode,
// QueryPartnerPermission and TerminatePartnerPermission; a 平台收付通 service
// provider binds a sub-merchant with ApplyServiceAccount and
// QueryServiceAccountApplication (PAYSCORE.BIND_SERVICE_ACCOUNT decodes
// with Notification.ServiceAccountEvent). Its refunds are
// CreateRefund and QueryRefund with SubMchID; its callbacks are the same
// events, decrypted with its APIv3 key, with the sub-merchant in SubMchID.
//
// Errors: a request that can be seen to be wrong locally (a missing field,
// a text too long, amounts that do not add up) is a *ValidationError and is
// not sent; an answer with a non-2xx status is an *APIError, whose Code is
// an ErrorCode (test it with IsCode, e.g. IsCode(err,
// client.CodeOrderNotExist)); a 2xx answer that fails verification is a
// *VerificationError; a rejected callback is a *NotificationError. The last
// two wrap sentinel errors such as ErrStaleTimestamp and ErrSignatureProbe
// for errors.Is.
//
// Protocol reference: https://pay.weixin.qq.com/docs/merchant/development/interface-rules/introduction.html
package client
