package mock

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock/internal/store"
)

// TestOrders_LargeListingPages: with 100,000 orders, a listing answers one
// page and allocates for that page, not for the table, whatever the filter
// (one that matches nothing walks every order and keeps none).
func TestOrders_LargeListingPages(t *testing.T) {
	srv, ts := NewTestServer(t, Options{})
	const orders = 100_000
	tx := srv.store.Write()
	for i := range orders {
		o := &store.Order{
			Seq: srv.store.NextSeq(), Kind: store.KindServiceOrder, MchID: "1230000109", OutOrderNo: fmt.Sprintf("BULK%06d", i),
			OrderID: fmt.Sprintf("1000000000%021d", i), State: store.StateCreated, CreatedAt: TestStart, UpdatedAt: TestStart,
		}
		require.NoError(t, tx.PutOrder(o))
	}
	tx.Commit()
	for _, tt := range []struct {
		query string
		items int
	}{
		{"", DefaultPageLimit},
		{"?limit=1000", 1000},
		{"?state=DONE", 0},
	} {
		t.Run(tt.query, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			resp, err := http.Get(ts.URL + "/sandbox/orders" + tt.query)
			require.NoError(t, err)
			rec := httptest.NewRecorder()
			_, err = rec.Body.ReadFrom(resp.Body)
			require.NoError(t, err)
			resp.Body.Close()
			runtime.ReadMemStats(&after)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tt.items > 0 && tt.items < orders, resp.Header.Get("Link") != "", "Link when more remain")
			perItem := 8 << 10 // the order view, merged with the sandbox fields, and its encoding
			if raceEnabled {
				perItem *= 2
			}
			budget := uint64(tt.items*perItem + 2<<20)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, budget,
				"a page of %d of %d orders allocated %d bytes", tt.items, orders, after.TotalAlloc-before.TotalAlloc)
		})
	}
}
