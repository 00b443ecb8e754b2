package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client"
)

// listen --forward-to: the mock's callbacks, relayed to the developer's
// app as WeChat Pay would send them, so that the app's own notify handler
// verifies and decrypts them. The listener forwards the request byte for
// byte, with its Wechatpay-* headers, answers the mock with the app's
// answer (so that the mock's retries follow the app's failures, as WeChat
// Pay's would), and reports each: what it is, the app's status and how
// long the app took.

// forwardTimeout bounds the app's answer: WeChat Pay (and the mock) give
// up on a callback after 5 s, so a later answer would reach no one.
const forwardTimeout = 5 * time.Second

// maxCallback bounds what is read of a callback or of the app's answer.
const maxCallback = 1 << 20

// hopByHop are the headers that belong to one connection, not to the
// request, and are not forwarded (RFC 9110 §7.6.1).
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// forwarder is listen's handler with --forward-to.
type forwarder struct {
	to     string
	http   *http.Client
	verify *client.Client // the merchant's, to say what each callback is
	report func(forwarded)
}

// forwarded is one callback relayed to the app.
type forwarded struct {
	at        time.Time
	n         *client.Notification // nil when it did not verify
	rejection string               // why it did not verify (a scenario's forgery, another merchant's key)
	status    int                  // the app's answer; 0 when none came
	err       error                // why none came
	latency   time.Duration
}

func newForwarder(to string, verify *client.Client, report func(forwarded)) *forwarder {
	return &forwarder{to: to, verify: verify, report: report, http: &http.Client{
		Timeout: forwardTimeout,
		// The app's redirect is its answer, passed on as it is.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fw := forwarded{at: time.Now()}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCallback+1))
	if err != nil || len(body) > maxCallback {
		writeReply(w, http.StatusBadRequest, "the callback could not be read whole")
		return
	}
	// What it is, verified and decrypted as the app will, on a copy: the
	// request itself goes on untouched.
	probe := r.Clone(r.Context())
	probe.Body = io.NopCloser(bytes.NewReader(body))
	if n, err := f.verify.ParseNotification(probe); err == nil {
		fw.n = n
	} else {
		var ne *client.NotificationError
		fw.rejection = err.Error()
		if errors.As(err, &ne) {
			fw.rejection = ne.Reason
		}
	}

	resp, err := f.send(r, body)
	fw.latency = time.Since(fw.at)
	if err != nil {
		fw.err = err
		f.report(fw)
		// The app did not answer: the mock sees a failure and retries.
		writeReply(w, http.StatusBadGateway, fmt.Sprintf("forwarding to %s: %v", f.to, err))
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxCallback))
	fw.status = resp.StatusCode
	f.report(fw)
	copyHeaders(w.Header(), resp.Header)
	w.Header().Del("Content-Length")
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

// send forwards the callback to the app: the method, body and headers as
// they came, but for those of the connection. The client's timeout bounds
// it; the mock hanging up, or listen stopping, ends it sooner.
func (f *forwarder) send(r *http.Request, body []byte) (*http.Response, error) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, f.to, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	copyHeaders(out.Header, r.Header)
	return f.http.Do(out)
}

// copyHeaders copies every header of src to dst but the hop-by-hop ones.
func copyHeaders(dst, src http.Header) {
	for k, vs := range src {
		dst[k] = append([]string(nil), vs...)
	}
	for _, h := range hopByHop {
		dst.Del(h)
	}
}

// writeReply answers in WeChat Pay's callback answer shape.
func writeReply(w http.ResponseWriter, status int, message string) {
	raw, _ := json.Marshal(map[string]string{"code": "FAIL", "message": message})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(raw)
}

// checkForwardTo checks --forward-to: an absolute http(s) URL.
func checkForwardTo(to string) error {
	u, err := url.Parse(to)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &usageError{msg: fmt.Sprintf("--forward-to %q is not an http(s) URL", to), hint: "your app's notify URL, e.g. http://127.0.0.1:3000/notify"}
	}
	return nil
}

// forwardJSON is one forwarded callback as `listen --json` prints it.
type forwardJSON struct {
	ID          string          `json:"id,omitempty"`
	EventType   string          `json:"event_type,omitempty"`
	Summary     string          `json:"summary,omitempty"`
	Resource    json.RawMessage `json:"resource,omitempty"` // decrypted
	Verified    bool            `json:"verified"`
	Rejection   string          `json:"rejection,omitempty"`
	ForwardedTo string          `json:"forwarded_to"`
	Status      int             `json:"status"` // the app's; 0 when it did not answer
	Error       string          `json:"error,omitempty"`
	LatencyMS   float64         `json:"latency_ms"`
}

// printForwarded reports a forwarded callback: one line for people, the
// event, the app's answer and its latency; one JSON object with --json.
func (a *app) printForwarded(to string, fw forwarded) {
	ms := float64(fw.latency.Microseconds()) / 1000
	if a.out.jsonMode() {
		line := forwardJSON{Verified: fw.n != nil, Rejection: fw.rejection, ForwardedTo: to, Status: fw.status, LatencyMS: ms}
		if fw.n != nil {
			line.ID, line.EventType, line.Summary = fw.n.ID, fw.n.EventType, fw.n.Summary
			if json.Valid(fw.n.Plaintext) {
				line.Resource = fw.n.Plaintext
			}
		}
		if fw.err != nil {
			line.Error = fw.err.Error()
		}
		a.out.jsonLine(line)
		return
	}
	what := "a callback that did not verify (" + fw.rejection + ")"
	if fw.n != nil {
		what = fmt.Sprintf("%s  %s  id %s", fw.n.EventType, fw.n.Summary, fw.n.ID)
	}
	answer := fmt.Sprintf("%d in %s", fw.status, fw.latency.Round(time.Millisecond))
	if fw.err != nil {
		answer = "no answer: " + fw.err.Error() + " → 502 to the mock, which retries"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s  → %s  %s\n", fw.at.Format("15:04:05"), what, to, answer)
	if fw.n != nil {
		if s := eventSummary(fw.n); s != "" {
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	a.out.write(b.String())
}
