package mock

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// orderMaker creates service orders for the default direct merchant
// through the domain, as a merchant's create calls would.
type orderMaker struct {
	srv *Server
	m   *store.Merchant
	req wire.CreateOrderRequest
}

func newOrderMaker(b *testing.B, srv *Server) *orderMaker {
	b.Helper()
	m, err := srv.store.Read().Merchant("1230000109")
	if err != nil {
		b.Fatal(err)
	}
	amount := int64(10000)
	return &orderMaker{srv: srv, m: m, req: wire.CreateOrderRequest{
		AppID: m.AppIDs[0], ServiceID: m.ServiceIDs[0], ServiceIntroduction: "网约车行程",
		TimeRange:    &wire.TimeRange{StartTime: protocol.Format14(TestStart.Add(time.Hour))},
		Location:     &wire.Location{StartLocation: "北京南站"},
		RiskFund:     &wire.RiskFund{Name: "ESTIMATE_ORDER_COST", Amount: &amount, Description: "预估车费"},
		NotifyURL:    "https://merchant.example.com/payscore/notify",
		PostPayments: []wire.Payment{{Name: "里程费", Amount: &amount, Description: "按里程计费"}},
	}}
}

// create creates the order numbered i: one committed write.
func (o *orderMaker) create(b *testing.B, i int) {
	o.req.OutOrderNo = fmt.Sprintf("RIDE%012d", i)
	if _, err := o.srv.payscore.CreateOrder(store.Caller{Merchant: o.m}, &o.req); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkJournalWrite is the cost of the journal per committed write:
// one service order created through the domain (one commit), without a
// journal, with the journal's observer encoding the record and handing it
// to a sink that drops it, and with the record appended to a file opened
// as cmd/mockpay opens its journal (O_APPEND, written to the OS before
// the commit is answered; the once-a-second sync is not in the time).
// Compare the differences with BenchmarkRSASign, the signature every
// response pays: the goal is a journal cost small beside it.
func BenchmarkJournalWrite(b *testing.B) {
	for _, c := range []struct {
		name    string
		journal func(b *testing.B) func([]byte)
	}{
		{"none", nil},
		{"encode", func(*testing.B) func([]byte) { return func([]byte) {} }},
		{"file", func(b *testing.B) func([]byte) {
			f, err := os.OpenFile(filepath.Join(b.TempDir(), "state.json.journal.1"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { f.Close() })
			var mu sync.Mutex
			return func(rec []byte) {
				mu.Lock()
				defer mu.Unlock()
				if _, err := f.Write(rec); err != nil {
					b.Error(err)
				}
			}
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv, err := New(Options{Clock: clock.NewVirtual(TestStart)})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			var bytes int64
			if c.journal != nil {
				sink := c.journal(b)
				srv.Journal(func(rec []byte) {
					bytes += int64(len(rec))
					sink(rec)
				})
			}
			o := newOrderMaker(b, srv)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				o.create(b, i)
				i++
			}
			if c.journal != nil {
				b.ReportMetric(float64(bytes)/float64(i), "journal-B/op")
			}
		})
	}
}

// BenchmarkRestore100k is the restore of a state holding 100,000 service
// orders: ReadState, the journal's replay, and New on the state (its rows
// checked and loaded, every order's expiry timer re-armed). "snapshot"
// has every order in the state; "journal-Nk" has the last N thousand in
// the journal that follows it, one record per create. Goal: under 2 s.
// Building the state (about 100,000 creates) is not in the time.
func BenchmarkRestore100k(b *testing.B) {
	const orders = 100_000
	for _, journaled := range []int{0, 10_000, 50_000} {
		name := "snapshot"
		if journaled > 0 {
			name = fmt.Sprintf("journal-%dk", journaled/1000)
		}
		b.Run(name, func(b *testing.B) {
			state, journal := savedOrders(b, orders, journaled)
			b.ReportAllocs()
			var read, replay, start time.Duration
			for b.Loop() {
				t0 := time.Now()
				st, err := ReadState(bytes.NewReader(state))
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := st.Replay(bytes.NewReader(journal)); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				srv, err := New(Options{Clock: clock.NewVirtual(TestStart), State: st})
				if err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				read, replay, start = read+t1.Sub(t0), replay+t2.Sub(t1), start+t3.Sub(t2)
				b.StopTimer()
				if got, err := srv.store.Read().Orders("1230000109"); err != nil || len(got) != orders {
					b.Fatalf("%d orders restored: %v", len(got), err)
				}
				srv.Close()
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(read.Seconds()/n, "readstate-s/op")
			b.ReportMetric(replay.Seconds()/n, "replay-s/op")
			b.ReportMetric(start.Seconds()/n, "new-s/op")
			b.ReportMetric(float64(len(state))/1e6, "state-MB")
			b.ReportMetric(float64(len(journal))/1e6, "journal-MB")
		})
	}
}

// savedOrders builds a server with n service orders and saves it: the
// last journaled orders are created after the save, into the journal
// that follows it.
func savedOrders(b *testing.B, n, journaled int) (state, journal []byte) {
	b.Helper()
	srv, err := New(Options{Clock: clock.NewVirtual(TestStart)})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	o := newOrderMaker(b, srv)
	for i := range n - journaled {
		o.create(b, i)
	}
	var jbuf bytes.Buffer
	srv.Journal(func(rec []byte) { jbuf.Write(rec) })
	var sbuf bytes.Buffer
	if err := srv.SaveStateJournal(&sbuf, 1); err != nil {
		b.Fatal(err)
	}
	for i := n - journaled; i < n; i++ {
		o.create(b, i)
	}
	srv.Journal(nil)
	return sbuf.Bytes(), jbuf.Bytes()
}

// BenchmarkSaveState100k is the periodic save of a state holding 100,000
// service orders (cmd/mockpay saves every 30 s), written to a sink that
// drops it: the snapshot and the JSON of every row, written as a stream.
// Its allocation is the garbage each save leaves.
func BenchmarkSaveState100k(b *testing.B) {
	srv, err := New(Options{Clock: clock.NewVirtual(TestStart)})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	o := newOrderMaker(b, srv)
	for i := range 100_000 {
		o.create(b, i)
	}
	var n countingWriter
	b.ReportAllocs()
	for b.Loop() {
		n = 0
		if err := srv.SaveStateJournal(&n, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/1e6, "state-MB")
}

// countingWriter counts what is written to it and drops it.
type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
