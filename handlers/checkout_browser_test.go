package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/handlers"
	"kasse/models"
)

// checkoutBrowser is Kasse served over real TCP (its checkout_url and the
// sandbox's 3DS page on that origin), its deliveries running, a merchant's
// site on another loopback origin (success_url and failure_url) and its
// callback receiver, and a Chromium tab with JavaScript disabled.
type checkoutBrowser struct {
	e     *env
	api   *httptest.Server
	shop  *receiver // success_url, failure_url: any page answers 200
	hooks *receiver // callback_url
	tab   context.Context

	mu       sync.Mutex
	requests []string      // every http(s) URL the tab asked for
	pages    []http.Header // the headers of the checkout page documents
}

func newCheckoutBrowser(t *testing.T, browserCtx context.Context, gdb *gorm.DB) *checkoutBrowser {
	t.Helper()
	api := httptest.NewUnstartedServer(nil)
	e := newEnvWith(t, gdb, true, handlers.Config{BaseURL: "http://" + api.Listener.Addr().String()})
	api.Config.Handler = e.router
	api.Start()
	t.Cleanup(api.Close)
	e.startDeliveries(t, []time.Duration{200 * time.Millisecond})
	c := &checkoutBrowser{e: e, api: api, shop: newReceiver(t), hooks: newReceiver(t)}
	tab, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	// A guard against a hung tab, counted from when this subtest runs.
	tab, cancelTimeout := context.WithTimeout(tab, 90*time.Second)
	t.Cleanup(cancelTimeout)
	c.tab = tab
	if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("disable JavaScript: %v", err)
	}
	if err := chromedp.Listen(tab, c.record); err != nil {
		t.Fatal(err)
	}
	return c
}

// record keeps what the tab fetched (it runs in the tab's event loop).
func (c *checkoutBrowser) record(ev any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if strings.HasPrefix(ev.Request.URL, "http") {
			c.requests = append(c.requests, ev.Request.URL)
		}
	case *network.EventResponseReceived:
		if ev.Type == network.ResourceTypeDocument && strings.HasPrefix(ev.Response.URL, c.api.URL+"/checkout/") {
			h := http.Header{}
			for k, v := range ev.Response.Headers {
				h.Set(k, fmt.Sprint(v))
			}
			c.pages = append(c.pages, h)
		}
	}
}

// start creates a session that returns to the shop and calls the
// receiver back, for the guest's cart (orderID set) or amount-only
// (orderID ""), and opens its page in the tab.
func (c *checkoutBrowser) start(t *testing.T, extra map[string]any, amountOnly bool) (orderID string, session map[string]any) {
	t.Helper()
	a := map[string]any{"success_url": c.shop.URL + "/thanks", "failure_url": c.shop.URL + "/sorry", "callback_url": c.hooks.URL + "/callback"}
	for k, v := range extra {
		a[k] = v
	}
	if amountOnly {
		session = c.e.integration().newSession(t, a, nil).want(t, 201).data()
	} else {
		orderID, session = cartSession(t, c.e, a)
	}
	c.open(t, session)
	return orderID, session
}

// open navigates to the session's checkout_url, which is on Kasse's origin.
func (c *checkoutBrowser) open(t *testing.T, session map[string]any) {
	t.Helper()
	u, _ := attrs(session)["checkout_url"].(string)
	if !strings.HasPrefix(u, c.api.URL+"/checkout/") {
		t.Fatalf("checkout_url %q is not on %s", u, c.api.URL)
	}
	c.do(t, "open the page", chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS("#pay")))
}

func (c *checkoutBrowser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(c.tab, steps...); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, c.text())
	}
}

// text is the tab's location and text, for failure messages.
func (c *checkoutBrowser) text() string {
	ctx, cancel := context.WithTimeout(c.tab, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	return loc + "\n" + body
}

// futureExpiry is an expiry three years from now, as MM/YY.
var futureExpiry = fmt.Sprintf("%02d/%02d", int(time.Now().Month()), (time.Now().Year()+3)%100)

// payByCard types a card into the sandbox form and presses the pay button.
func (c *checkoutBrowser) payByCard(t *testing.T, number string) {
	t.Helper()
	c.do(t, "pay with "+number,
		chromedp.SendKeys(chromedp.CSS("#card_number"), number),
		chromedp.SendKeys(chromedp.CSS("#card_expiry"), futureExpiry),
		chromedp.SendKeys(chromedp.CSS("#card_cvc"), "123"),
		chromedp.SendKeys(chromedp.CSS("#card_name"), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS("#pay")))
}

// waitLocation waits until the tab is on a URL starting with prefix.
func (c *checkoutBrowser) waitLocation(t *testing.T, prefix string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		loc, err := chromedp.Run(c.tab, chromedp.Location())
		if err == nil && strings.HasPrefix(loc, prefix) {
			return loc
		}
		if time.Now().After(deadline) {
			t.Fatalf("the browser never reached %s (%v)\n%s", prefix, err, c.text())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitSuccess waits for the browser on the session's success_url.
func (c *checkoutBrowser) waitSuccess(t *testing.T, sid string, d time.Duration) {
	t.Helper()
	want := c.shop.URL + "/thanks?checkout_session_id=" + sid
	if loc := c.waitLocation(t, want, d); loc != want {
		t.Fatalf("landed on %s, want %s", loc, want)
	}
}

func (c *checkoutBrowser) get(t *testing.T, sid string) map[string]any {
	t.Helper()
	return attrs(c.e.integration().do(t, "GET", "/api/checkout_sessions/"+sid, nil).want(t, 200).data())
}

// wantStatus fails unless GET shows the session in status.
func (c *checkoutBrowser) wantStatus(t *testing.T, sid, status, when string) {
	t.Helper()
	if got := c.get(t, sid)["status"]; got != status {
		t.Fatalf("%s: status %v, want %s", when, got, status)
	}
}

// waitCallback waits for the session's callback with status and checks
// its form body and both signatures, keyed by the market's shared_secret.
func (c *checkoutBrowser) waitCallback(t *testing.T, sid, status string) {
	t.Helper()
	var got *received
	waitFor(t, 10*time.Second, "the "+status+" callback of "+sid, func() bool {
		for _, r := range c.hooks.requests() {
			form, err := url.ParseQuery(string(r.body))
			if err == nil && form.Get("checkout_session_id") == sid && form.Get("status") == status {
				got = &r
				return true
			}
		}
		return false
	})
	if ct := got.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("callback Content-Type %q", ct)
	}
	if form, _ := url.ParseQuery(string(got.body)); len(form) != 2 {
		t.Errorf("callback body %s: want checkout_session_id and status only", got.body)
	}
	ts, err := strconv.ParseInt(got.header.Get("webhook-timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
		t.Errorf("webhook-timestamp %q", got.header.Get("webhook-timestamp"))
	}
	r := c.e.integration().do(t, "GET", "/api/checkout_sessions/"+sid+"?include=market", nil).want(t, 200)
	var secret string
	for _, inc := range r.included() {
		if inc["type"] == "markets" {
			secret, _ = attrs(inc)["shared_secret"].(string)
		}
	}
	if secret == "" {
		t.Fatalf("no market shared_secret in\n%s", r.body)
	}
	verifySignatures(t, secret, *got)
}

// TestCheckoutPageInChromium drives the hosted checkout page in headless
// Chromium with JavaScript disabled, over real TCP, on both databases:
// the sandbox's test cards (approved; declined then approved; 3-D Secure),
// its mobile money, and installments, each ending on the merchant's
// success_url with the session completed and its callback signed. The
// page sets its CSP and loads nothing from another origin.
func TestCheckoutPageInChromium(t *testing.T) {
	t.Parallel()
	browserCtx := chromium(t)
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		c := newCheckoutBrowser(t, browserCtx, gdb)

		t.Run("card approved", func(t *testing.T) {
			orderID, s := c.start(t, nil, false)
			sid := id(s)
			c.wantStatus(t, sid, "pending", "opened")
			if scripts, err := chromedp.Run(c.tab, chromedp.Nodes(chromedp.CSSAll("script"), chromedp.AtLeast(0))); err != nil || len(scripts) != 0 {
				t.Fatalf("the page has %d script elements (%v)", len(scripts), err)
			}
			c.payByCard(t, "4242 4242 4242 4242")
			c.waitSuccess(t, sid, 10*time.Second)
			if got := c.get(t, sid); got["status"] != "completed" || got["completed_at"] == nil {
				t.Fatalf("session: %v", got)
			}
			if o := attrs(c.e.integration().order(t, orderID)); o["status"] != "placed" {
				t.Fatalf("order: %v", o)
			}
			c.waitCallback(t, sid, "completed")
		})

		t.Run("declined then approved", func(t *testing.T) {
			_, s := c.start(t, nil, false)
			sid := id(s)
			c.payByCard(t, "4000 0000 0000 0002")
			failure, err := chromedp.Run(c.tab, chromedp.Text(chromedp.CSS("#failure")))
			if err != nil || !strings.Contains(failure, "declined") {
				t.Fatalf("the decline on the page: %q %v\n%s", failure, err, c.text())
			}
			if loc := c.waitLocation(t, c.api.URL+"/checkout/", time.Second); strings.Contains(loc, "?") {
				t.Fatalf("back on %s", loc)
			}
			c.wantStatus(t, sid, "failed", "after the decline")
			c.payByCard(t, "4242424242424242")
			c.waitSuccess(t, sid, 10*time.Second)
			c.wantStatus(t, sid, "completed", "after the approval")
			c.waitCallback(t, sid, "failed")
			c.waitCallback(t, sid, "completed")
		})

		t.Run("3-D Secure", func(t *testing.T) {
			_, s := c.start(t, nil, false)
			sid := id(s)
			c.payByCard(t, "4000 0000 0000 3220")
			c.waitLocation(t, c.api.URL+"/sandbox/3ds/", 10*time.Second)
			c.wantStatus(t, sid, "processing", "during the challenge")
			c.do(t, "complete the challenge", chromedp.Click(chromedp.CSS("#complete")))
			c.waitSuccess(t, sid, 10*time.Second)
			c.wantStatus(t, sid, "completed", "after the challenge")
			if !c.fetched(c.api.URL + "/checkout/" + pageTokenOf(t, s) + "/return?") {
				t.Fatalf("the challenge did not return through Kasse's return URL: %v", c.fetchedURLs())
			}
		})

		t.Run("mobile money", func(t *testing.T) {
			_, s := c.start(t, map[string]any{"amount_cents": 5000, "currency_code": "XOF", "payment_method_type": "mobile_money",
				"customer_phone": "+2250700000003", "expires_in": 300}, true)
			sid := id(s)
			phone, err := chromedp.Run(c.tab, chromedp.AttributeValue(chromedp.CSS("#phone"), "value"))
			if err != nil || phone.Value != "+2250700000003" {
				t.Fatalf("the phone field: %+v %v", phone, err)
			}
			paid := time.Now()
			c.do(t, "pay", chromedp.Click(chromedp.CSS("#pay")), chromedp.WaitVisible(chromedp.CSS("#refresh")))
			c.wantStatus(t, sid, "processing", "waiting for the phone")
			if h := c.lastPage(); h.Get("Refresh") == "" {
				t.Fatalf("the processing page does not refresh itself: %v", h)
			}
			c.waitSuccess(t, sid, models.SandboxMobileMoneyDelay+10*time.Second)
			if waited := time.Since(paid); waited < models.SandboxMobileMoneyDelay {
				t.Fatalf("completed after %v, before the sandbox's delay", waited)
			}
			got := c.get(t, sid)
			if got["status"] != "completed" || got["fee_amount_cents"] != 25.0 || got["net_amount_cents"] != 4975.0 {
				t.Fatalf("session: %v", got)
			}
			c.waitCallback(t, sid, "completed")
		})

		t.Run("installments", func(t *testing.T) {
			_, s := c.start(t, map[string]any{"max_installments": 6}, false)
			sid := id(s)
			options, err := chromedp.Run(c.tab, chromedp.Nodes(chromedp.CSSAll("#installments option")))
			if err != nil || len(options) != 6 {
				t.Fatalf("installment options: %d %v", len(options), err)
			}
			// A person picks 3 with the keyboard: the select's type-ahead.
			c.do(t, "choose 3 installments", chromedp.SendKeys(chromedp.CSS("#installments"), "3"))
			c.payByCard(t, "4242 4242 4242 4242")
			c.waitSuccess(t, sid, 10*time.Second)
			c.waitCallback(t, sid, "completed")
			if got := c.get(t, sid); got["status"] != "completed" || got["installments"] != 3.0 {
				t.Fatalf("session: %v", got)
			}
		})

		t.Run("CSP and no external assets", func(t *testing.T) {
			c.mu.Lock()
			pages, requests := append([]http.Header(nil), c.pages...), append([]string(nil), c.requests...)
			c.mu.Unlock()
			if len(pages) < 5 {
				t.Fatalf("%d checkout pages seen", len(pages))
			}
			for _, h := range pages {
				if csp := h.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'none'") {
					t.Fatalf("checkout page CSP %q", csp)
				}
			}
			stylesheet := false
			for _, u := range requests {
				stylesheet = stylesheet || u == c.api.URL+"/checkout/assets/checkout.css"
				if !strings.HasPrefix(u, c.api.URL+"/") && !strings.HasPrefix(u, c.shop.URL+"/") {
					t.Errorf("the tab fetched %s, outside Kasse and the merchant", u)
				}
			}
			if !stylesheet {
				t.Errorf("the page's own stylesheet was not loaded: %v", requests)
			}
		})
	})
}

// pageTokenOf is the token of a session's checkout_url.
func pageTokenOf(t *testing.T, session map[string]any) string {
	t.Helper()
	return strings.TrimPrefix(pagePath(t, session), "/checkout/")
}

func (c *checkoutBrowser) fetched(prefix string) bool {
	for _, u := range c.fetchedURLs() {
		if strings.HasPrefix(u, prefix) {
			return true
		}
	}
	return false
}

func (c *checkoutBrowser) fetchedURLs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.requests...)
}

// lastPage is the headers of the last checkout page document.
func (c *checkoutBrowser) lastPage() http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pages) == 0 {
		return http.Header{}
	}
	return c.pages[len(c.pages)-1]
}
