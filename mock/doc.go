// Package mock is an in-process WeChat Pay Score API v3 sandbox.
//
// A *Server is an http.Handler that speaks the v3 wire protocol on
// WeChat Pay's paths (and the Pay Score paths without /v3, as WeChat Pay
// serves them): it verifies every request's WECHATPAY2-SHA256-RSA2048
// signature and explains a failure, signs every response, keeps merchants,
// authorizations, orders, refunds, Pay Score parking plates, entries and
// deductions, and callbacks in memory, runs their state machines, and sends AEAD_AES_256_GCM-encrypted, signed callbacks on
// WeChat Pay's retry schedule. Under /sandbox it serves the control API that
// plays the WeChat user and shows what happened; every sandbox endpoint is
// also a method of *Server, for tests in the same process.
//
// Time runs on a clock.Clock: the wall clock for a server people use, a
// *clock.Virtual in tests, which move it with Advance and never sleep.
// NewTestServer builds a server on a virtual clock for a Go test.
//
// Failure paths (a deduction that fails, a callback late, lost or
// duplicated, API faults) are scenarios: data loaded with LoadScenarios,
// in the format of package scenario. Endpoints lists the v3 calls served
// and the names scenarios match them by.
//
// The keys mockpay ships are test-only; see testdata/certs.
package mock
