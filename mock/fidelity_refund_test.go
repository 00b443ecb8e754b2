package mock_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two refunds of one charge must be applied for a minute apart: a second
// one sooner is 429 FREQUENCY_LIMITED and changes nothing. Retrying the
// first (same out_refund_no) is not a second refund; another charge is
// not limited by this one.
func TestFidelity_RefundsOfOneChargeAMinuteApart(t *testing.T) {
	f := newFixture(t)
	f.authorize("oMinute")
	first := f.paidServiceOrder("MIN-1", "oMinute", 3000)
	other := f.paidServiceOrder("MIN-2", "oMinute", 3000)

	steps := []struct {
		name   string
		wait   time.Duration
		body   map[string]any
		status int
		code   string
	}{
		{"the first refund", 0, f.refundBody(first, "MIN-R1", 1000, 3000), http.StatusOK, ""},
		{"its identical retry", 30 * time.Second, f.refundBody(first, "MIN-R1", 1000, 3000), http.StatusOK, ""},
		{"another charge's refund", 0, f.refundBody(other, "MIN-O1", 1000, 3000), http.StatusOK, ""},
		{"a second refund 59 s after the first", 29 * time.Second, f.refundBody(first, "MIN-R2", 1000, 3000), http.StatusTooManyRequests, "FREQUENCY_LIMITED"},
		{"the second refund a minute after the first", time.Second, f.refundBody(first, "MIN-R2", 1000, 3000), http.StatusOK, ""},
	}
	for _, st := range steps {
		f.t = t
		if st.wait > 0 {
			f.advance(st.wait)
		}
		t.Run(st.name, func(t *testing.T) {
			f.t = t
			before := f.snapshot()
			status, e := f.v3("POST", "/v3/refund/domestic/refunds", st.body, nil)
			require.Equal(t, st.status, status, "%+v", e)
			if st.code == "" {
				return
			}
			assert.Equal(t, st.code, e.Code)
			assert.Equal(t, "/transaction_id", e.Detail["field"])
			assert.Equal(t, first, e.Detail["value"])
			assert.Equal(t, before, f.snapshot(), "a refused refund changes nothing")
			status, _ = f.v3("GET", "/v3/refund/domestic/refunds/MIN-R2", nil, nil)
			assert.Equal(t, http.StatusNotFound, status, "and does not exist")
		})
	}
}
