package mock

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/mockpay/mockpay/mock/clock"
)

// BenchmarkOrderMemory measures the live heap and the resident set (RSS)
// per stored service order with 100,000 orders in the store, created
// through the domain as a merchant's create calls would. Goals: at most
// 2 KiB of heap and 3 KiB of RSS per order. RSS is what a container is
// charged: the heap plus what the garbage collector keeps for growth and
// has not yet returned to the system.
//
// Each run measures in a process of its own (this test binary started
// again for this benchmark alone): a process that has held a large heap
// keeps its pages, and a second measure in it would read almost nothing.
// The collector runs at the GOGC of the environment, Go's default 100 when
// unset; cmd/mockpay runs at 25 unless GOGC is set, so GOGC=25 measures
// the server as it ships.
func BenchmarkOrderMemory(b *testing.B) {
	const child = "MOCKPAY_ORDER_MEMORY_RUN"
	if os.Getenv(child) != "" {
		heapB, rssB := orderMemory(b, 100_000)
		fmt.Printf("order-memory %f %f\n", heapB, rssB)
		return
	}
	var heapB, rssB float64
	runs := 0
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkOrderMemory$", "-test.benchtime=1x")
		cmd.Env = append(os.Environ(), child+"=1")
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("the measuring process: %v\n%s", err, out)
		}
		i := bytes.Index(out, []byte("order-memory "))
		var h, r float64
		if i < 0 {
			b.Fatalf("the measuring process printed no figures:\n%s", out)
		}
		if _, err := fmt.Sscanf(string(out[i:]), "order-memory %f %f", &h, &r); err != nil {
			b.Fatalf("the measuring process's figures: %v\n%s", err, out)
		}
		heapB, rssB, runs = heapB+h, rssB+r, runs+1
	}
	b.ReportMetric(heapB/float64(runs), "B/order")
	b.ReportMetric(rssB/float64(runs), "RSS-B/order")
}

// orderMemory creates n service orders in a new server and returns the
// growth of the live heap and of the resident set per order.
func orderMemory(b *testing.B, n int) (heapB, rssB float64) {
	srv, err := New(Options{Clock: clock.NewVirtual(TestStart)})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	o := newOrderMaker(b, srv)
	before, rssBefore := heap(), rss(b)
	for i := range n {
		o.create(b, i)
	}
	after, rssAfter := heap(), rss(b)
	runtime.KeepAlive(srv)
	return float64(after-before) / float64(n), float64(rssAfter-rssBefore) / float64(n)
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
