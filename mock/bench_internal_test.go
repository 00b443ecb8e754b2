package mock

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// BenchmarkOrderMemory measures the live heap and the resident set (RSS)
// per stored service order with 100,000 orders in the store, created
// through the domain as a merchant's create calls would. Goals: at most
// 2 KiB of heap and 3 KiB of RSS per order. RSS is what a container is
// charged: the heap plus what the garbage collector keeps for growth and
// has not yet returned to the system.
func BenchmarkOrderMemory(b *testing.B) {
	const orders = 100_000
	for b.Loop() {
		srv, err := New(Options{Clock: clock.NewVirtual(TestStart)})
		if err != nil {
			b.Fatal(err)
		}
		m, err := srv.store.Read().Merchant("1230000109")
		if err != nil {
			b.Fatal(err)
		}
		amount := int64(10000)
		req := wire.CreateOrderRequest{
			AppID: m.AppIDs[0], ServiceID: m.ServiceIDs[0], ServiceIntroduction: "网约车行程",
			TimeRange:    &wire.TimeRange{StartTime: protocol.Format14(TestStart.Add(time.Hour))},
			Location:     &wire.Location{StartLocation: "北京南站"},
			RiskFund:     &wire.RiskFund{Name: "ESTIMATE_ORDER_COST", Amount: &amount, Description: "预估车费"},
			NotifyURL:    "https://merchant.example.com/payscore/notify",
			PostPayments: []wire.Payment{{Name: "里程费", Amount: &amount, Description: "按里程计费"}},
		}
		before, rssBefore := heap(), rss(b)
		for i := range orders {
			req.OutOrderNo = fmt.Sprintf("RIDE%012d", i)
			if _, err := srv.payscore.CreateOrder(store.Caller{Merchant: m}, &req); err != nil {
				b.Fatal(err)
			}
		}
		after, rssAfter := heap(), rss(b)
		b.ReportMetric(float64(after-before)/orders, "B/order")
		b.ReportMetric(float64(rssAfter-rssBefore)/orders, "RSS-B/order")
		runtime.KeepAlive(srv)
		srv.Close()
	}
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// rss reads the process's resident set from /proc (Linux), in bytes.
func rss(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status to read the RSS from: %v", err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}
