package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/sandbox"
)

// pagedSandbox serves /sandbox/requests as the mock pages it: items
// newest first (ids n down to 1), limit per page, and a Link to the next
// page while more remain. It records the limits asked for.
func pagedSandbox(t *testing.T, n int) (string, *[]string) {
	t.Helper()
	var asked []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		asked = append(asked, q.Get("limit"))
		limit, err := strconv.Atoi(q.Get("limit"))
		require.NoError(t, err)
		from := n
		if a := q.Get("after"); a != "" {
			from, _ = strconv.Atoi(a)
			from--
		}
		body := "["
		last := from
		for i := from; i > 0 && from-i < limit; i-- {
			if i != from {
				body += ","
			}
			body += fmt.Sprintf(`{"request_id":"r%d"}`, i)
			last = i
		}
		body += "]"
		if last > 1 {
			q.Set("after", strconv.Itoa(last))
			w.Header().Set("Link", fmt.Sprintf(`</sandbox/requests?%s>; rel="next"`, q.Encode()))
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return ts.URL, &asked
}

// TestListRequests_FollowsPages: a listing is read page after page by its
// Link rel="next", in pages as large as the mock serves, until Limit.
func TestListRequests_FollowsPages(t *testing.T) {
	for _, tt := range []struct {
		name      string
		items     int
		limit     int
		want      int
		wantAsked []string
	}{
		{"all of three pages", 2500, 0, 2500, []string{"1000", "1000", "1000"}},
		{"one short page", 3, 0, 3, []string{"1000"}},
		{"a limit within the first page", 2500, 10, 10, []string{"10"}},
		{"a limit over two pages", 2500, 1500, 1500, []string{"1000", "1000"}},
		{"nothing", 0, 0, 0, []string{"1000"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url, asked := pagedSandbox(t, tt.items)
			sb, err := sandbox.New(url)
			require.NoError(t, err)
			recs, err := sb.ListRequests(context.Background(), sandbox.ListRequestsRequest{Limit: tt.limit})
			require.NoError(t, err)
			require.Len(t, recs, tt.want)
			for i, r := range recs {
				assert.Equal(t, fmt.Sprintf("r%d", tt.items-i), r.RequestID, "each once, newest first")
			}
			assert.Equal(t, tt.wantAsked, *asked)
		})
	}
}
