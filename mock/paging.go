package mock

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// Paging of the sandbox's listings (architecture.md, "Paging and limits"):
// every listing is a JSON array, newest first, of at most limit items; when
// more remain, the answer's Link header names the next page, the same path
// and filters with after=CURSOR. A cursor is the sequence number of the
// last item shown: items are ordered by the number they were given when
// they were made, which never changes, so following the links visits every
// item exactly once while new items (with higher numbers) arrive.

// Page limits of a listing.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// Page is one page of a listing: at most Limit items (0 means
// DefaultPageLimit) made before the item the cursor After names ("" for
// the newest).
type Page struct {
	Limit int
	After string
}

// all is the page of a Go twin that lists everything.
var all = Page{Limit: -1}

// pageOf reads a listing's limit and after parameters.
func pageOf(q url.Values) (Page, error) {
	p := Page{Limit: DefaultPageLimit, After: q.Get("after")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxPageLimit {
			issue := fmt.Sprintf("limit must be an integer from 1 to %d (default %d)", MaxPageLimit, DefaultPageLimit)
			return Page{}, apierr.Param(apierr.LocQuery, "limit", issue, issue, l)
		}
		p.Limit = n
	}
	if _, err := p.cursor(); err != nil {
		return Page{}, err
	}
	return p, nil
}

// cursor is the sequence number After names; 0 for the first page.
func (p Page) cursor() (uint64, error) {
	if p.After == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(p.After, 10, 64)
	if err != nil || n == 0 {
		issue := "after must be the cursor of a Link: rel=\"next\" of this listing"
		return 0, apierr.Param(apierr.LocQuery, "after", issue, issue, p.After)
	}
	return n, nil
}

// collect takes the items of a newest-first sequence that match, up to the
// page's limit, and returns them with the cursor of the next page ("" when
// none remains). items must yield sequence numbers in decreasing order,
// starting below the page's cursor.
func collect[R, T any](p Page, items iter.Seq2[uint64, R], match func(R) bool, show func(R) (T, error)) ([]T, string, error) {
	out := []T{}
	var last uint64
	for seq, r := range items {
		if !match(r) {
			continue
		}
		if p.Limit >= 0 && len(out) == p.Limit {
			return out, strconv.FormatUint(last, 10), nil
		}
		t, err := show(r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, t)
		last = seq
	}
	return out, "", nil
}

// below yields the items of a slice sorted newest first whose sequence
// number is below before (0: all).
func below[R any](rows []R, before uint64, seq func(R) uint64) iter.Seq2[uint64, R] {
	return func(yield func(uint64, R) bool) {
		for _, r := range rows {
			if n := seq(r); (before == 0 || n < before) && !yield(n, r) {
				return
			}
		}
	}
}

// OrdersPage lists one page of orders, newest first, and the cursor of the
// next page ("" when none remains): GET /sandbox/orders. Service and
// payafter orders and parking deductions are one listing, in the order
// they were made.
func (s *Server) OrdersPage(f OrderFilter, p Page) ([]SandboxOrder, string, error) {
	before, err := p.cursor()
	if err != nil {
		return nil, "", err
	}
	tx := s.store.Read()
	parked, err := parkingNewestFirst(tx, f, before)
	if err != nil {
		return nil, "", err
	}
	show := func(r orderRow) (SandboxOrder, error) {
		if r.order != nil {
			return s.sandboxOrder(r.order)
		}
		return parkingOrder(tx, r.parking)
	}
	match := func(r orderRow) bool {
		if r.order != nil {
			return f.match(r.order)
		}
		so, err := parkingOrder(tx, r.parking) // a view that cannot be made is shown, to fail there
		return err != nil || f.matchParking(r.parking, so)
	}
	return collect(p, newestOf(orderRows(tx.OrdersNewestFirst(before)), parked), match, show)
}

// orderRow is one row of the order listing: a service or payafter order,
// or a parking deduction.
type orderRow struct {
	order   *store.Order
	parking *store.ParkingTransaction
}

func orderRows(os iter.Seq2[uint64, *store.Order]) iter.Seq2[uint64, orderRow] {
	return func(yield func(uint64, orderRow) bool) {
		for seq, o := range os {
			if !yield(seq, orderRow{order: o}) {
				return
			}
		}
	}
}

// newestOf merges two listings newest first into one.
func newestOf[R any](a, b iter.Seq2[uint64, R]) iter.Seq2[uint64, R] {
	return func(yield func(uint64, R) bool) {
		nextA, stopA := iter.Pull2(a)
		defer stopA()
		nextB, stopB := iter.Pull2(b)
		defer stopB()
		sa, ra, okA := nextA()
		sb, rb, okB := nextB()
		for okA || okB {
			if okA && (!okB || sa > sb) {
				if !yield(sa, ra) {
					return
				}
				sa, ra, okA = nextA()
				continue
			}
			if !yield(sb, rb) {
				return
			}
			sb, rb, okB = nextB()
		}
	}
}

// NotificationsPage lists one page of callbacks, newest first, and the
// cursor of the next page: GET /sandbox/notifications.
func (s *Server) NotificationsPage(f NotificationFilter, p Page) ([]NotificationRecord, string, error) {
	before, err := p.cursor()
	if err != nil {
		return nil, "", err
	}
	return collect(p, s.store.Read().NotificationsNewestFirst(before), f.match,
		func(n *store.Notification) (NotificationRecord, error) { return notificationRecord(n), nil })
}

// MerchantsPage lists one page of merchants, the latest registered first,
// and the cursor of the next page: GET /sandbox/merchants.
func (s *Server) MerchantsPage(p Page) ([]Merchant, string, error) {
	before, err := p.cursor()
	if err != nil {
		return nil, "", err
	}
	ms, err := s.store.Read().Merchants()
	if err != nil {
		return nil, "", fmt.Errorf("list merchants: %w", err)
	}
	seq := func(m *store.Merchant) uint64 { return m.Seq }
	slices.SortFunc(ms, func(a, b *store.Merchant) int { return cmp.Compare(seq(b), seq(a)) })
	return collect(p, below(ms, before, seq), func(*store.Merchant) bool { return true },
		func(m *store.Merchant) (Merchant, error) { return merchantRecord(m), nil })
}

// RequestsPage lists one page of the request log, newest first, and the
// cursor of the next page: GET /sandbox/requests. Calls that left the log
// (it keeps the most recent RequestLogSize) are not shown.
func (s *Server) RequestsPage(f RequestFilter, p Page) ([]RequestRecord, string, error) {
	before, err := p.cursor()
	if err != nil {
		return nil, "", err
	}
	recs := s.requests.list(f)
	return collect(p, below(recs, before, func(r RequestRecord) uint64 { return r.pos }),
		func(RequestRecord) bool { return true }, func(r RequestRecord) (RequestRecord, error) { return r, nil })
}

// listing is a page of a listing as the sandbox answers it: a JSON array
// written item by item, and the link to the next page.
type listing[T any] struct {
	items []T
	next  string // cursor of the next page, "" for none
}

// paged answers a listing page, with its Link to the next page.
func paged[T any](r *http.Request, items []T, next string, err error) reply {
	if err != nil {
		return fail(err)
	}
	rep := ok(listing[T]{items: items, next: next})
	if next != "" {
		q := r.URL.Query()
		q.Set("after", next)
		if q.Get("limit") == "" {
			q.Set("limit", strconv.Itoa(DefaultPageLimit))
		}
		rep.header = http.Header{"Link": {fmt.Sprintf("<%s?%s>; rel=\"next\"", r.URL.EscapedPath(), q.Encode())}}
	}
	return rep
}

// writeJSON streams the array: one item encoded at a time, so that a page
// never exists as one document in memory.
func (l listing[T]) writeJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteByte('[')
	for i, it := range l.items {
		if i > 0 {
			bw.WriteByte(',')
		}
		b, err := protocol.MarshalJSON(it)
		if err != nil {
			return fmt.Errorf("listing item %d: %w", i, err)
		}
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	bw.WriteByte(']')
	return bw.Flush()
}
