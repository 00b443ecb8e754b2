package mock

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock/clock"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// BenchmarkOrderMemory measures the resident heap per stored service order
// with 100,000 orders in the store, created through the domain as a
// merchant's create calls would. Goal: at most 2 KiB per order.
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
		before := heap()
		for i := range orders {
			req.OutOrderNo = fmt.Sprintf("RIDE%012d", i)
			if _, err := srv.payscore.CreateOrder(store.Caller{Merchant: m}, &req); err != nil {
				b.Fatal(err)
			}
		}
		after := heap()
		b.ReportMetric(float64(after-before)/orders, "B/order")
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
