// Package protocol holds the WeChat Pay API v3 wire primitives that both the
// mockpay client and the mockpay server use: the WECHATPAY2-SHA256-RSA2048
// Authorization header, the request and response/notification signature
// messages, SHA256withRSA signing and verification, AEAD_AES_256_GCM
// encryption of notification resources and downloaded certificates, and PEM
// loading of keys and certificates.
//
// There is exactly one implementation of each primitive. Because the client
// and the server share it, a bug here would cancel out in their own tests, so
// the package is pinned by golden vectors (protocol_test.go, testdata/) and
// cross-checked against the official wechatpay-go SDK (interop_test.go).
//
// Reference: https://pay.weixin.qq.com/docs/merchant/development/interface-rules/signature-generation.html
package protocol
