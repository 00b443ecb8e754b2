package mock

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Signature verdicts in the request log.
const (
	VerdictValid     = "valid"
	VerdictInvalid   = "invalid"
	VerdictMalformed = "malformed"   // no or unparseable Authorization header
	VerdictUnchecked = "not_checked" // unknown path or method: nothing to authenticate
)

// RequestRecord is one v3 API call as /sandbox/requests shows it.
type RequestRecord struct {
	Seq       uint64 `json:"-"` // orders the call among timeline events
	RequestID string `json:"request_id"`
	// Time is when the call arrived, in domain time: RFC 3339 with
	// milliseconds in Beijing time, like the clock's times.
	Time       string  `json:"time"`
	MchID      string  `json:"mchid,omitempty"`
	SubMchID   string  `json:"sub_mchid,omitempty"` // the bound sub-merchant a service provider's call acted for
	Method     string  `json:"method"`
	URL        string  `json:"url"` // path and query as sent
	OrderKind  string  `json:"order_kind,omitempty"`
	OutOrderNo string  `json:"out_order_no,omitempty"` // the order the call was about
	Status     int     `json:"status"`
	Code       string  `json:"code,omitempty"` // error code of a failed call
	Signature  string  `json:"signature"`      // one of the Verdict constants
	SignIssue  string  `json:"signature_issue,omitempty"`
	Verified   string  `json:"verified_message,omitempty"` // for a failed signature: the exact message checked
	Scenario   string  `json:"scenario,omitempty"`         // the scenario that shaped the call
	Injected   string  `json:"injected,omitempty"`         // what it did: latency, a fault, a dropped answer
	DurationMS float64 `json:"duration_ms"`
	// Truncated says that something the caller sent (the verified message,
	// the URL, a header value quoted in signature_issue) was longer than the
	// log keeps and was cut (logKeep, logKeepShort).
	Truncated bool `json:"truncated,omitempty"`

	at  time.Time // Time as a time, for order timelines
	pos uint64    // the record's number in the log, which pages by it
}

// requestLog is a bounded ring of the most recent calls.
type requestLog struct {
	mu    sync.Mutex
	ring  []RequestRecord
	next  int
	full  bool
	added uint64 // records ever added: the pos of the last one
}

func newRequestLog(size int) *requestLog {
	return &requestLog{ring: make([]RequestRecord, size)}
}

// What the log keeps of what a caller sends (architecture.md, "Paging and
// limits"): the verified message and the URL up to logKeep bytes, the
// other values that come from the request up to logKeepShort, so that the
// memory the log holds is bounded by its size, not by its callers.
const (
	logKeep      = 4 << 10
	logKeepShort = 256
)

// keep returns at most n bytes of s, cut at a rune boundary, as a new
// string: a substring would keep the whole request it was cut from alive.
func keep(s string, n int, cut *bool) string {
	if len(s) <= n {
		return s
	}
	*cut = true
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.Clone(s[:n])
}

// bound cuts what the caller sent to the sizes the log keeps.
func (r *RequestRecord) bound() {
	cut := r.Truncated
	r.Verified = keep(r.Verified, logKeep, &cut)
	r.URL = keep(r.URL, logKeep, &cut)
	r.MchID = keep(r.MchID, logKeepShort, &cut)
	r.OutOrderNo = keep(r.OutOrderNo, logKeepShort, &cut)
	r.SignIssue = keep(r.SignIssue, logKeep, &cut)
	r.Truncated = cut
}

func (l *requestLog) add(r RequestRecord) {
	r.bound()
	l.mu.Lock()
	l.added++
	r.pos = l.added
	l.ring[l.next] = r
	l.next = (l.next + 1) % len(l.ring)
	if l.next == 0 {
		l.full = true
	}
	l.mu.Unlock()
}

// RequestFilter selects records; zero fields match everything.
type RequestFilter struct {
	MchID      string
	OutOrderNo string
	Limit      int // 0 means all that are kept
}

// list returns matching records, newest first.
func (l *requestLog) list(f RequestFilter) []RequestRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.next
	if l.full {
		n = len(l.ring)
	}
	out := []RequestRecord{}
	for i := 1; i <= n; i++ {
		r := l.ring[(l.next-i+len(l.ring))%len(l.ring)]
		if f.MchID != "" && r.MchID != f.MchID || f.OutOrderNo != "" && r.OutOrderNo != f.OutOrderNo {
			continue
		}
		out = append(out, r)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out
}

func (l *requestLog) reset() {
	l.mu.Lock()
	clear(l.ring)
	l.next, l.full = 0, false
	l.mu.Unlock()
}

// Requests returns recent v3 API calls, newest first (GET /sandbox/requests).
func (s *Server) Requests(f RequestFilter) []RequestRecord { return s.requests.list(f) }
