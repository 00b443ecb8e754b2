package mock_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Amounts that are each valid but whose sum does not fit in 64 bits are
// refused, naming the list, wherever amounts are summed; before, three
// post_payments of 2^63−1 less a discount made a total of 100 fen.
func TestFidelity_AmountSumsOverflow(t *testing.T) {
	f := newPayAfterFixture(t)
	const openid = "oOverflow"
	f.authorize(openid)
	charge := f.paidServiceOrder("OV-PAID", openid, 500)
	f.mustCreate("OV-DOING", false, openid)
	f.advance(time.Minute)

	huge := []map[string]any{
		{"name": "a", "amount": int64(math.MaxInt64)}, {"name": "b", "amount": int64(math.MaxInt64)}, {"name": "c", "amount": int64(math.MaxInt64)},
	}
	// What the three amounts add up to in wrapping 64-bit arithmetic, less
	// 100: a discount that made the old sum 100.
	wrapped := int64(math.MaxInt64)
	wrapped += wrapped + wrapped
	discount := []map[string]any{{"name": "折扣", "amount": wrapped - 100}}

	complete := f.completeBody(100)
	complete["post_payments"], complete["post_discounts"] = huge, discount
	direct := f.directCompleteBody("OV-DIRECT", openid, 0)
	direct["post_payments"], direct["post_discounts"], direct["total_amount"] = huge, discount, 100
	create := f.createBody("OV-NEW", true, "")
	create["post_payments"] = huge
	payafter := f.payAfterBody("OV-PA", true, "")
	payafter["fees"] = []map[string]any{{"fee_name": "a", "fee_amount": int64(math.MaxInt64)}, {"fee_name": "b", "fee_amount": int64(math.MaxInt64)}}
	payafter["discounts"] = []map[string]any{{"discount_name": "d", "discount_amount": 1}}
	refund := f.refundBody(charge, "OV-R1", 100, 500)
	refund["amount"].(map[string]any)["from"] = []map[string]any{
		{"account": "AVAILABLE", "amount": int64(math.MaxInt64)}, {"account": "UNAVAILABLE", "amount": int64(math.MaxInt64)},
	}

	tests := []struct {
		name, uri string
		body      map[string]any
		field     string
	}{
		{"complete", "/v3/payscore/serviceorder/OV-DOING/complete", complete, "/post_payments"},
		{"direct-complete", "/v3/payscore/serviceorder/direct-complete", direct, "/post_payments"},
		{"create", "/v3/payscore/serviceorder", create, "/post_payments"},
		{"payafter create", "/v3/payscore/payafter-orders", payafter, "/fees"},
		{"refund", "/v3/refund/domestic/refunds", refund, "/amount/from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			before := f.snapshot()
			status, e := f.v3("POST", tt.uri, tt.body, nil)
			require.Equal(t, http.StatusBadRequest, status, "%+v", e)
			assert.Equal(t, "PARAM_ERROR", e.Code)
			assert.Equal(t, tt.field, e.Detail["field"])
			assert.Contains(t, e.Message, "金额之和超出范围")
			assert.Equal(t, before, f.snapshot())
		})
	}
}

// A callback address follows one rule wherever it is given (a service
// order, a pre-authorization, a refund, the sandbox's merchant): at most
// 255 characters, no query string, no fragment.
func TestFidelity_NotifyURLOneRule(t *testing.T) {
	f := newFixture(t)
	f.authorize("oURL")
	charge := f.paidServiceOrder("URL-PAID", "oURL", 500)
	base := f.rc.url() + "/"
	long := base + strings.Repeat("n", 255-len(base))
	require.Len(t, long, 255)
	n := 0
	next := func() string { n++; return fmt.Sprintf("URL-%d", n) }

	endpoints := []struct {
		name string
		send func(notifyURL string) (int, map[string]any)
	}{
		{"create", func(u string) (int, map[string]any) {
			b := f.createBody(next(), true, "")
			b["notify_url"] = u
			status, e := f.v3("POST", "/v3/payscore/serviceorder", b, nil)
			return status, e.Detail
		}},
		{"pre-authorize", func(u string) (int, map[string]any) {
			status, e := f.v3("POST", "/v3/payscore/permissions", map[string]any{
				"service_id": f.serviceID(), "appid": f.appid(), "authorization_code": next(), "notify_url": u,
			}, nil)
			return status, e.Detail
		}},
		{"refund", func(u string) (int, map[string]any) {
			f.advance(time.Minute) // refunds of one charge are a minute apart
			b := f.refundBody(charge, next(), 1, 500)
			b["notify_url"] = u
			status, e := f.v3("POST", "/v3/refund/domestic/refunds", b, nil)
			return status, e.Detail
		}},
		{"sandbox merchant", func(u string) (int, map[string]any) {
			status, body := patchMerchant(t, f.ts, f.me.mchid, map[string]any{"notify_url": u})
			var e errorBody
			if status >= 300 {
				require.NoError(t, json.Unmarshal(body, &e))
			}
			return status, e.Detail
		}},
	}
	urls := []struct {
		name string
		url  string
		ok   bool
	}{
		{"255 characters", long, true},
		{"256 characters", long + "n", false},
		{"a query string", base + "n?env=test", false},
		{"a fragment", base + "n#top", false},
	}
	for _, ep := range endpoints {
		for _, u := range urls {
			t.Run(ep.name+"/"+u.name, func(t *testing.T) {
				f.t = t
				status, detail := ep.send(u.url)
				if u.ok {
					assert.Less(t, status, 300, "%v", detail)
					return
				}
				assert.Equal(t, http.StatusBadRequest, status)
				assert.Equal(t, "/notify_url", detail["field"])
			})
		}
	}
}
