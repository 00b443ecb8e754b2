package ui_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// The dashboard, driven in headless Chromium as QA uses it: from an empty
// sandbox, every change shows up live, and every button does what it says.
//
//	go test ./mock/ui -update-screenshots   # rewrites docs/screenshots/*.png

var updateScreenshots = flag.Bool("update-screenshots", false, "write the screenshots of the dashboard's main views to docs/screenshots")

// wait bounds every wait for something the page is sure to show.
const wait = 15 * time.Second

// chromium finds the browser: $MOCKPAY_CHROMIUM, else the usual names.
func chromium() string {
	if p := os.Getenv("MOCKPAY_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

var (
	browserOnce sync.Once
	browserCtx  context.Context
	browserStop context.CancelFunc
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if browserStop != nil {
		browserStop()
	}
	os.Exit(code)
}

// browser starts one Chromium for the package, or skips the test, loudly,
// when there is none; with MOCKPAY_REQUIRE_BROWSER set (as .ci/run sets it
// once Chromium is installed) a missing browser fails instead.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromium()
	if path == "" {
		msg := "!!! no Chromium found (apt-get install chromium, or set MOCKPAY_CHROMIUM): the dashboard's browser tests are SKIPPED"
		if os.Getenv("MOCKPAY_REQUIRE_BROWSER") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	browserOnce.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.WindowSize(1440, 900),
			chromedp.Flag("lang", "en-US"),
		)
		if os.Geteuid() == 0 {
			opts = append(opts, chromedp.NoSandbox) // Chromium refuses its sandbox to root
		}
		alloc, stopAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, stopBrowser := chromedp.NewContext(alloc)
		browserCtx, browserStop = ctx, func() { stopBrowser(); stopAlloc() }
		// The browser lives as long as the context of its first run: this
		// one, without a deadline, so that every test opens a tab in it.
		if err := chromedp.Do(ctx); err != nil {
			browserCtx = nil
			t.Fatalf("start %s: %v", path, err)
		}
	})
	if browserCtx == nil {
		t.Fatal("Chromium did not start")
	}
	return browserCtx
}

// page is one tab on the dashboard of a test's server.
type page struct {
	t    *testing.T
	ctx  context.Context
	ts   *httptest.Server
	errs chan string // uncaught exceptions and console errors of the page
}

// open opens the dashboard of ts in a new tab, closed when the test ends
// (before the server, whose Close waits for the tab's event stream).
func open(t *testing.T, ts *httptest.Server) *page {
	t.Helper()
	ctx, closeTab := chromedp.NewContext(browser(t))
	p := &page{t: t, ctx: ctx, ts: ts, errs: make(chan string, 100)}
	require.NoError(t, chromedp.Do(ctx), "open a tab") // no deadline: the tab lives as long as ctx
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg = fmt.Sprintf("%s at %s:%d:%d", d.Text, d.URL, d.LineNumber+1, d.ColumnNumber+1)
			if d.Exception != nil {
				msg += ": " + d.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range e.Args {
					args = append(args, a.Description+string(a.Value))
				}
				msg = "console.error: " + strings.Join(args, " ")
			}
		}
		if msg != "" {
			select {
			case p.errs <- msg:
			default:
			}
		}
	}))
	t.Cleanup(func() {
		ts.CloseClientConnections()
		closeTab()
		select {
		case msg := <-p.errs:
			t.Errorf("the page had an error: %s", msg)
		default:
		}
	})
	p.do(chromedp.EmulateViewport(1440, 900), chromedp.Navigate(ts.URL+"/sandbox/ui/"))
	return p
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	require.NoError(p.t, chromedp.Do(ctx, actions...))
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// until waits for a JavaScript condition to hold.
func (p *page) until(what, cond string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(wait)))
	require.NoError(p.t, err, "waiting for %s (%s); the page shows:\n%s", what, cond, p.text("main"))
}

// shows waits for the element at css to show text.
func (p *page) shows(css, text string) {
	p.t.Helper()
	p.until(fmt.Sprintf("%s to show %q", css, text), fmt.Sprintf(`(document.querySelector(%s)?.innerText ?? "").includes(%s)`, js(css), js(text)))
}

// eval runs JavaScript in the page.
func (p *page) eval(expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	require.NoError(p.t, err, "%s", expr)
}

// text is the visible text of the element at css.
func (p *page) text(css string) string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%s)?.innerText ?? ""`, js(css))))
	if err != nil {
		return err.Error()
	}
	return s
}

// click clicks the element an XPath query finds, as a user would.
func (p *page) click(xpath string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(xpath), chromedp.Click(xpath))
}

// button is the XPath of a button by its label, inside the element at scope.
func button(scope, label string) string {
	return fmt.Sprintf(`%s//button[normalize-space()=%s]`, scope, js(label))
}

// typeInto replaces the value of the input at css with s, by typing it.
func (p *page) typeInto(css, s string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(chromedp.CSS(css)))
	p.eval(fmt.Sprintf(`document.querySelector(%s).value = ""`, js(css)))
	p.do(chromedp.SendKeys(chromedp.CSS(css), s))
}

// view goes to one of the dashboard's views by its link.
func (p *page) view(name string) {
	p.t.Helper()
	p.click(fmt.Sprintf(`//nav//a[starts-with(normalize-space(), %s)]`, js(name)))
	p.shows("main h1", name)
}

// screenshot captures the window; -update-screenshots writes it to docs/.
func (p *page) screenshot(name string) {
	p.t.Helper()
	// The picture shows the page at rest: rows that just changed have
	// stopped flashing, and the toasts of the steps before are gone.
	p.eval(`document.getAnimations().forEach((a) => a.finish()); document.querySelector("#toasts").replaceChildren()`)
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(p.t, err)
	require.NotEmpty(p.t, png)
	if *updateScreenshots {
		require.NoError(p.t, os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", name+".png"), png, 0o644))
	}
}

// receiver is a merchant's notify_url that answers 500 while failing is set.
type receiver struct {
	*httptest.Server
	failing atomic.Bool
	hits    atomic.Int32
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		rc.hits.Add(1)
		if rc.failing.Load() {
			http.Error(w, `{"code":"FAIL","message":"失败"}`, http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// merchant is a merchant of the sandbox, with a client signed in as it.
type merchant struct {
	mock.Merchant
	c *client.Client
}

func newMerchant(t *testing.T, srv *mock.Server, ts *httptest.Server, spec mock.MerchantSpec) merchant {
	t.Helper()
	m, err := srv.CreateMerchant(spec)
	require.NoError(t, err)
	key, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM))
	require.NoError(t, err)
	c, err := client.New(client.Config{MchID: m.MchID, SerialNo: m.SerialNo, PrivateKey: key, APIv3Key: m.APIv3Key}, client.WithBaseURL(ts.URL))
	require.NoError(t, err)
	return merchant{Merchant: m, c: c}
}

func (m merchant) createOrder(t *testing.T, srv *mock.Server, no, notifyURL string) {
	t.Helper()
	_, err := m.c.CreateServiceOrder(context.Background(), client.CreateServiceOrderRequest{
		OutOrderNo: no, AppID: m.AppIDs[0], ServiceID: m.ServiceIDs[0], ServiceIntroduction: "网约车出行",
		PostPayments: []client.Payment{{Name: "预估车费", Amount: client.Fen(5000)}},
		TimeRange:    client.TimeRange{StartTime: client.Time14(srv.Clock().Now().Add(time.Second))},
		RiskFund:     client.RiskFund{Name: client.RiskFundEstimateOrderCost, Amount: 10000},
		NotifyURL:    notifyURL,
	})
	require.NoError(t, err)
}

// A QA session from an empty sandbox: orders appear as a client creates
// them, Confirm and Pay play the user, callbacks show every attempt and
// Redeliver sends one again, Advance moves the clock and what falls due
// runs, a failed signature explains itself, a broken scenario shows the
// loader's error at its line.
func TestDashboard_QAFlow(t *testing.T) {
	srv, ts := mock.NewTestServer(t, mock.Options{Merchants: []mock.MerchantSpec{}})
	rc := newReceiver(t)
	m := newMerchant(t, srv, ts, mock.MerchantSpec{NotifyURL: rc.URL})
	p := open(t, ts)

	p.shows("#live", "Live")
	p.shows("#orders-list", "No orders yet")
	// Nothing below reloads the page: this mark would be gone.
	p.eval(`window.stillTheSamePage = true`)

	// An order appears live when a client creates it.
	m.createOrder(t, srv, "RIDE-1", rc.URL)
	p.shows("#orders-table", "RIDE-1")
	p.shows(`#orders-table tr[data-order="RIDE-1"]`, "CREATED")

	// Confirm makes it DOING, and the USER_CONFIRM callback shows with its attempt.
	p.click(`//tr[@data-order="RIDE-1"]`)
	p.shows("#order-detail", "waiting for the user to confirm")
	p.click(button(`//*[@id="order-detail"]`, "Confirm"))
	p.shows(`#orders-table tr[data-order="RIDE-1"]`, "DOING / USER_CONFIRM")
	p.shows("#order-detail", "PAYSCORE.USER_CONFIRM")
	p.shows("#order-detail", "delivered")
	p.shows("#order-detail", "1 attempt, last HTTP 204")
	p.shows("#order-timeline", "user confirmed")
	// The ride takes ten minutes; completing it schedules the deduction.
	_, err := srv.Advance(10 * time.Minute)
	require.NoError(t, err)
	_, err = m.c.CompleteServiceOrder(context.Background(), client.CompleteServiceOrderRequest{
		OutOrderNo: "RIDE-1", AppID: m.AppIDs[0], ServiceID: m.ServiceIDs[0],
		PostPayments: []client.Payment{{Name: "里程费", Amount: client.Fen(2500)}}, TotalAmount: 2500,
		TimeRange: client.TimeRange{EndTime: client.Time14(srv.Clock().Now())},
	})
	require.NoError(t, err)
	p.shows(`#orders-table tr[data-order="RIDE-1"]`, "DOING / MCH_COMPLETE")
	p.shows("#order-detail", "completed by the merchant")
	p.screenshot("orders")

	// Advance moves the clock; the deduction falls due and USER_PAID appears.
	p.view("Clock")
	p.shows("#clock-pending", "deduct")
	before := p.text("#clock-now")
	p.typeInto("#advance-duration", "1m")
	p.click(button(`//main`, "Advance"))
	p.until("the clock to move", fmt.Sprintf(`document.querySelector("#clock-now").innerText !== %s`, js(before)))
	p.shows("#clock-now", fmt.Sprint(srv.Clock().Now().Format("2006-01-02 15:04:05")))
	p.shows("#clock-fired", "deduct")
	p.screenshot("clock")
	p.view("Orders")
	p.shows(`#orders-table tr[data-order="RIDE-1"]`, "DONE")
	p.shows("#order-detail", "PAYSCORE.USER_PAID")

	// A failing receiver's callback shows its retries; Redeliver works.
	bad := newReceiver(t)
	bad.failing.Store(true)
	m.createOrder(t, srv, "RIDE-2", bad.URL)
	_, err = srv.ConfirmOrder(m.MchID, "", "RIDE-2", mock.ConfirmRequest{OpenID: "oQA"})
	require.NoError(t, err)
	p.view("Callbacks")
	failed := `#callbacks-table tr[data-order="RIDE-2"]`
	p.shows(failed, "RIDE-2")
	p.shows(failed, "HTTP 500")
	p.click(button(`//*[@id="quick-advance"]`, "+15s"))
	p.until("the second attempt", fmt.Sprintf(`document.querySelector(%s)?.cells[3].innerText === "2"`, js(failed)))
	p.click(`//*[@id="callbacks-table"]//tr[@data-order="RIDE-2"]/td[1]`)
	p.shows("#callbacks-table .expand", "scheduled")
	p.shows("#callbacks-table .expand", "merchant answered HTTP 500")
	bad.failing.Store(false)
	p.click(button(`//*[@id="callbacks-table"]//tr[@data-order="RIDE-2"]`, "Redeliver"))
	p.shows(failed, "delivered")
	p.shows("#callbacks-table .expand", "redelivery")
	p.shows("#toasts", "redelivered: HTTP 204")
	p.screenshot("callbacks")

	// A request whose signature fails shows what mockpay verified.
	req, err := http.NewRequest("GET", ts.URL+"/v3/payscore/serviceorder?out_order_no=RIDE-1&service_id="+m.ServiceIDs[0]+"&appid="+m.AppIDs[0], nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "qa-test")
	req.Header.Set("Authorization", `WECHATPAY2-SHA256-RSA2048 mchid="`+m.MchID+`",nonce_str="NONCE1",signature="c2lnbmVk",timestamp="`+fmt.Sprint(time.Now().Unix())+`",serial_no="`+m.SerialNo+`"`)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	p.view("Requests")
	p.shows("#requests-table", "invalid")
	p.click(`//*[@id="requests-table"]//tr[.//span[text()="invalid"]][1]`)
	p.shows("#verified-message", "GET")
	p.shows("#verified-message", "NONCE1")
	p.shows("#request-detail", "What to check")
	p.screenshot("requests")

	// A broken scenario shows the loader's error at its line.
	p.view("Scenarios")
	p.shows("#scenarios-list", "No scenario loaded")
	p.eval(`document.querySelector("#scenario-yaml").value = "name: slow\ndescription: a typo\ncallback:\n  dealy: 30m\n"`)
	p.click(button(`//main`, "Load"))
	p.shows("#scenario-error-message", "pasted.yaml:4")
	p.shows("#scenario-error .bad", "dealy: 30m")
	p.screenshot("scenarios")
	p.eval(`document.querySelector("#scenario-yaml").value = "name: slow\ndescription: callbacks wait\ncallback:\n  delay: 30m\n"`)
	p.click(button(`//main`, "Load"))
	p.shows("#scenarios-table", "slow")
	p.click(button(`//*[@id="scenarios-table"]`, "Unload"))
	p.shows("#scenarios-list", "No scenario loaded")

	// The user side: wallet and authorization.
	p.view("Users")
	p.typeInto("#user-openid", "oQA")
	p.click(button(`//main`, "Show user"))
	p.shows("#user-summary", "unlimited")
	p.typeInto("#wallet-balance", "100")
	p.click(button(`//main`, "Set wallet"))
	p.shows("#user-summary", "¥1.00")
	p.click(button(`//main`, "Authorize"))
	p.shows("#user-authorizations", "AVAILABLE")
	p.screenshot("users")

	ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`window.stillTheSamePage === true`))
	require.NoError(t, err)
	require.True(t, ok, "the page reloaded")
}

// With MOCKPAY_SANDBOX_TOKEN set, the page asks for the token once, says
// so when it is wrong, and then works.
func TestDashboard_Token(t *testing.T) {
	const token = "qa-s3cret"
	_, ts := mock.NewTestServer(t, mock.Options{SandboxToken: token})
	p := open(t, ts)

	p.until("the token dialog", `document.querySelector("#token-dialog").open`)
	p.typeInto("#token-input", "wrong")
	p.click(button(`//dialog`, "Unlock"))
	p.shows("#token-error", "not accepted")
	p.until("the token dialog, again", `document.querySelector("#token-dialog").open`)
	p.typeInto("#token-input", token)
	p.click(button(`//dialog`, "Unlock"))
	p.until("the dialog to close", `!document.querySelector("#token-dialog").open`)
	p.shows("#live", "Live")
	p.shows("#orders-list", "No orders yet")
	p.view("Merchants")
	p.shows("#merchants-table", "1230000109")
	require.False(t, strings.Contains(p.text("body"), "UNAUTHORIZED"))
}
