package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
)

// partnerHarness is a harness acting as a service provider with two
// sub-merchants, for the first of them (--mchid, --sub-mchid in the
// environment); it returns the second's sub_mchid too.
func partnerHarness(t *testing.T) (h *harness, sub, other string) {
	t.Helper()
	h = newHarness(t, mock.Options{})
	p, err := h.srv.CreateMerchant(mock.MerchantSpec{Kind: "partner", SubMerchants: []mock.SubMerchant{{}, {}}})
	require.NoError(t, err)
	sub, other = p.SubMerchants[0].SubMchID, p.SubMerchants[1].SubMchID
	h.env["MOCKPAY_MCHID"], h.env["MOCKPAY_SUB_MCHID"] = p.MchID, sub
	return h, sub, other
}

// With --sub-mchid every order and permission command speaks the partner
// API for the sub-merchant, and the refund, user-state and sandbox commands
// name it; the calls on an order, answered 204, are followed by a query.
func TestPartnerCommands(t *testing.T) {
	t.Parallel()
	h, sub, other := partnerHarness(t)

	out := h.ok(t, "permission", "create", "--code", "AUTH-P")
	assert.Contains(t, out, "pre-authorization AUTH-P created")
	h.ok(t, "sandbox", "authorize", "oPartner", "--code", "AUTH-P")
	assert.Contains(t, h.ok(t, "user-state", "--openid", "oPartner"), "AVAILABLE")
	var perm struct {
		SubMchID           string `json:"sub_mchid"`
		AuthorizationState string `json:"authorization_state"`
	}
	h.okJSON(t, &perm, "permission", "query", "--openid", "oPartner")
	assert.Equal(t, sub, perm.SubMchID)
	assert.Equal(t, "AVAILABLE", perm.AuthorizationState)

	out = h.ok(t, "order", "create", "--out-order-no", "P-1", "--amount", "5000", "--openid", "oPartner")
	assert.Contains(t, out, "order P-1 created: DOING/USER_CONFIRM")
	h.advance(t, 20*time.Minute)
	out = h.ok(t, "order", "complete", "--out-order-no", "P-1", "--amount", "4200")
	assert.Contains(t, out, "order P-1 completed: DOING/MCH_COMPLETE, total ¥42.00", "the order queried after the 204")
	h.advance(t, 5*time.Second)
	var o struct {
		serviceOrder
		SubMchID string `json:"sub_mchid"`
	}
	h.okJSON(t, &o, "order", "query", "--out-order-no", "P-1")
	assert.Equal(t, "DONE", o.State)
	assert.Equal(t, sub, o.SubMchID)
	require.NotNil(t, o.Collection)

	out = h.ok(t, "refund", "create", "--transaction-id", o.Collection.Details[0].TransactionID, "--out-refund-no", "P-RF", "--amount", "4200")
	assert.Contains(t, out, "refund P-RF created: PROCESSING")
	h.advance(t, 5*time.Second)
	assert.Contains(t, h.ok(t, "refund", "query", "--out-refund-no", "P-RF"), "SUCCESS")
	assert.Contains(t, h.ok(t, "sandbox", "order", "P-1"), "DONE")

	h.ok(t, "order", "create", "--out-order-no", "P-2", "--amount", "3000")
	assert.Contains(t, h.ok(t, "sandbox", "orders"), "P-2")
	assert.Contains(t, h.ok(t, "order", "cancel", "--out-order-no", "P-2"), "order P-2 cancelled (REVOKED)")
	h.ok(t, "permission", "terminate", "--code", "AUTH-P")

	// The other sub-merchant sees none of it.
	h.env["MOCKPAY_SUB_MCHID"] = other
	assert.Contains(t, h.fails(t, exitFailure, "order", "query", "--out-order-no", "P-1"), "ORDER_NOT_EXIST")
	assert.Contains(t, h.fails(t, exitFailure, "refund", "query", "--out-refund-no", "P-RF"), "RESOURCE_NOT_EXISTS")
}

// The commands a service provider cannot make: the legacy payafter API and
// the older terminate have no partner form, and a sub-merchant not bound
// to it is refused by the API.
func TestPartnerCommands_refused(t *testing.T) {
	t.Parallel()
	h, _, _ := partnerHarness(t)
	assert.Contains(t, h.fails(t, exitUsage, "payafter", "create", "--amount", "3000"), "the legacy payafter API has no partner form")
	assert.Contains(t, h.fails(t, exitUsage, "permission", "terminate", "--openid", "o1", "--legacy"), "--legacy has no partner form")
	h.env["MOCKPAY_SUB_MCHID"] = "1999999999"
	assert.Contains(t, h.fails(t, exitFailure, "order", "create", "--amount", "3000"), "NO_AUTH")
}

// sandbox merchant new --partner registers a service provider and says how
// to act as it.
func TestPartnerCommands_newPartner(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mock.Options{})
	out := h.ok(t, "sandbox", "merchant", "new", "--partner")
	assert.Contains(t, out, "--sub-mchid")
	ms, err := h.srv.Merchants()
	require.NoError(t, err)
	var kinds []string
	for _, m := range ms {
		kinds = append(kinds, m.Kind)
	}
	assert.Contains(t, kinds, "partner")
}
