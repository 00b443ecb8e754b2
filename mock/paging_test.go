package mock_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// getPage fetches one page of a sandbox listing and returns its items'
// raw JSON and the link to the next page ("" for none).
func getPage(t *testing.T, ts *httptest.Server, uri string) ([]json.RawMessage, string) {
	t.Helper()
	resp, body := send(t, mustRequest(t, "GET", ts.URL+uri))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var items []json.RawMessage
	require.NoError(t, json.Unmarshal(body, &items), "a listing is a JSON array")
	link := resp.Header.Get("Link")
	if link == "" {
		return items, ""
	}
	m := regexp.MustCompile(`^<([^>]+)>; rel="next"$`).FindStringSubmatch(link)
	require.NotNil(t, m, "Link %q", link)
	return items, m[1]
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	return req
}

// createOrders creates n service orders named prefix0001… for the default
// merchant, through the API, and has the user confirm them, which makes a
// callback each (to an address that refuses it).
func createOrders(t *testing.T, srv *mock.Server, ts *httptest.Server, prefix string, n int) {
	t.Helper()
	me := defaultMerchant(t)
	for i := range n {
		resp, body := me.call(t, ts, "POST", "/v3/payscore/serviceorder", map[string]any{
			"out_order_no": fmt.Sprintf("%s%04d", prefix, i), "appid": "wxd678efh567hg6787", "service_id": "500001",
			"service_introduction": "网约车", "time_range": map[string]any{"start_time": protocol.Format14(srv.Clock().Now())},
			"risk_fund": map[string]any{"name": "ESTIMATE_ORDER_COST", "amount": 10000}, "notify_url": "http://127.0.0.1:1/notify",
		})
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		_, err := srv.ConfirmOrder(me.mchid, "", fmt.Sprintf("%s%04d", prefix, i), mock.ConfirmRequest{})
		require.NoError(t, err)
	}
}

// TestListings_PageWhileItemsArrive follows the Link of every listing with
// a small limit while new items arrive between pages: each item that
// existed when the walk began is visited once, newest first, and the
// filters stay on every link.
func TestListings_PageWhileItemsArrive(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	createOrders(t, srv, ts, "OLD", 23)
	for range 4 {
		_, err := srv.CreateMerchant(mock.MerchantSpec{})
		require.NoError(t, err)
	}
	arrived := 0
	for _, tt := range []struct{ path, key string }{
		{"/sandbox/orders?mchid=1230000109&kind=serviceorder", "out_order_no"},
		{"/sandbox/requests?mchid=1230000109", "request_id"},
		{"/sandbox/merchants", "mchid"},
		{"/sandbox/notifications", "id"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			first, _ := getPage(t, ts, tt.path+sep(tt.path)+"limit=1000")
			require.Greater(t, len(first), 5, "enough items for several pages")
			var want []string
			for _, raw := range first {
				want = append(want, field(t, raw, tt.key))
			}
			var got []string
			next := tt.path + sep(tt.path) + "limit=5"
			for pages := 0; next != ""; pages++ {
				require.Less(t, pages, 50, "the links must end")
				var items []json.RawMessage
				items, next = getPage(t, ts, next)
				require.LessOrEqual(t, len(items), 5)
				if _, filters, ok := strings.Cut(tt.path, "?"); ok && next != "" {
					for _, f := range strings.Split(filters, "&") {
						assert.Contains(t, next, f, "the link keeps the filters")
					}
				}
				for _, raw := range items {
					got = append(got, field(t, raw, tt.key))
				}
				// New items arrive while the client pages.
				arrived++
				createOrders(t, srv, ts, fmt.Sprintf("NEW%d-", arrived), 1)
				_, err := srv.CreateMerchant(mock.MerchantSpec{})
				require.NoError(t, err)
			}
			assert.Equal(t, want, got, "every item once, newest first, none of those that arrived meanwhile")
		})
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

func field(t *testing.T, raw json.RawMessage, key string) string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	v, ok := m[key].(string)
	require.True(t, ok, "%s in %s", key, raw)
	return v
}

// TestListings_Limit: limit is 1 to 1000, 100 by default; anything else,
// and a cursor that is not one, is a 400 that names the parameter.
func TestListings_Limit(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	createOrders(t, srv, ts, "L", 101)
	items, next := getPage(t, ts, "/sandbox/orders")
	assert.Len(t, items, mock.DefaultPageLimit)
	assert.Contains(t, next, "limit=100")
	assert.Contains(t, next, "after=")
	items, next = getPage(t, ts, next)
	assert.Len(t, items, 1)
	assert.Empty(t, next)
	for _, path := range []string{"/sandbox/orders", "/sandbox/notifications", "/sandbox/merchants", "/sandbox/requests"} {
		for _, q := range []string{"limit=0", "limit=1001", "limit=-1", "limit=ten", "after=x", "after=0"} {
			t.Run(path+"?"+q, func(t *testing.T) {
				resp, body := send(t, mustRequest(t, "GET", ts.URL+path+"?"+q))
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
				e := decodeError(t, body)
				assert.Equal(t, "PARAM_ERROR", e.Code)
				assert.Contains(t, e.Message, strings.SplitN(q, "=", 2)[0])
			})
		}
	}
}

// TestRequestLog_BoundsWhatCallersSend: requests with a bad signature and
// a 1 MiB body each are logged with at most 4 KiB of the message verified,
// marked truncated, and the log does not grow with their bodies.
func TestRequestLog_BoundsWhatCallersSend(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{})
	me := defaultMerchant(t)
	body := bytes.Repeat([]byte("x"), 1<<20-64)
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	const calls = 40
	start := heap()
	for range calls {
		req := me.request(t, ts, "POST", "/v3/payscore/serviceorder", body)
		req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), `signature="`, `signature="AAAA`, 1))
		resp, raw := send(t, req)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s", raw)
		assert.Equal(t, "SIGN_ERROR", decodeError(t, raw).Code)
	}
	grown := int64(heap()) - int64(start)
	recs := srv.Requests(mock.RequestFilter{})
	require.Len(t, recs, calls)
	for _, r := range recs {
		assert.LessOrEqual(t, len(r.Verified), 4<<10)
		assert.True(t, r.Truncated)
	}
	assert.Less(t, grown, int64(4<<20), "%d calls of 1 MiB grew the heap by %d bytes", calls, grown)

	items, _ := getPage(t, ts, "/sandbox/requests?limit=1000")
	assert.Len(t, items, calls)
	assert.Contains(t, string(items[0]), `"truncated":true`)
}
