package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/models"
)

var sessionKeys atomic.Int64

// newSession posts a checkout session with a fresh Idempotency-Key.
func (s *shopper) newSession(t *testing.T, attributes, relationships map[string]any) *response {
	t.Helper()
	key := fmt.Sprintf("session-%d", sessionKeys.Add(1))
	return s.e.in(t).by(s.token, "POST", "/api/checkout_sessions", resource("checkout_sessions", "", attributes, relationships), "Idempotency-Key", key)
}

// sessionAttrs are a session's usual attributes plus extra.
func sessionAttrs(extra map[string]any) map[string]any {
	a := map[string]any{"success_url": "https://shop.example/thanks", "failure_url": "https://shop.example/sorry"}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

// page is a hosted checkout page answer.
type page struct {
	status   int
	header   http.Header
	body     string
	location string
}

// visit sends a page request (a form POST when form is set) without a token.
func (e *env) visit(t *testing.T, method, path string, form url.Values) *page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	return &page{status: rec.Code, header: rec.Header(), body: rec.Body.String(), location: rec.Header().Get("Location")}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([0-9a-f]+)"`)

func (p *page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf_token on the page (%d):\n%s", p.status, p.body)
	}
	return m[1]
}

// pagePath is the path of a session's checkout_url.
func pagePath(t *testing.T, session map[string]any) string {
	t.Helper()
	u, err := url.Parse(attrs(session)["checkout_url"].(string))
	if err != nil || !strings.HasPrefix(u.Path, "/checkout/") {
		t.Fatalf("checkout_url %v", attrs(session)["checkout_url"])
	}
	return u.Path
}

// cartSession is a guest's eu cart with a T-shirt, and a session for it.
func cartSession(t *testing.T, e *env, extra map[string]any) (string, map[string]any) {
	t.Helper()
	guest := e.guest(t)
	o := guest.newOrder(t, map[string]any{"customer_email": "buyer@example.com"})
	guest.addItem(t, id(o), tshirtCode, 1)
	s := guest.newSession(t, sessionAttrs(extra), map[string]any{"order": ref("orders", id(o))}).want(t, 201).data()
	return id(o), s
}

// TestCheckoutSessionCardFlow pays a session with the sandbox's test cards
// through its page: opening moves it to pending, a declined card fails it
// (the customer may try again), an approved card completes it, places the
// order and redirects to the success URL.
func TestCheckoutSessionCardFlow(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		orderID, s := cartSession(t, e, nil)
		a := attrs(s)
		if a["status"] != "created" || a["amount_cents"] != 3600.0 || a["currency_code"] != "EUR" || a["locale"] != "en" || a["expires_in"] != 1800.0 {
			t.Fatalf("new session: %v", a)
		}
		routing, _ := a["routing"].(map[string]any)
		if routing["gateway_type"] != models.GatewaySandbox || routing["score"] != 50.0 {
			t.Fatalf("routing: %v", routing)
		}
		path := pagePath(t, s)
		if got := attrs(e.integration().order(t, orderID))["checkout_url"]; got != attrs(s)["checkout_url"] {
			t.Fatalf("the order's checkout_url is %v, want the session's", got)
		}

		p := e.visit(t, "GET", path, nil)
		if p.status != 200 || !strings.Contains(p.body, `autocomplete="cc-number"`) || !strings.Contains(p.body, "€29.00") {
			t.Fatalf("page: %d\n%s", p.status, p.body)
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") {
			t.Fatalf("CSP %q", csp)
		}
		sid := id(s)
		if got := attrs(e.integration().do(t, "GET", "/api/checkout_sessions/"+sid, nil).want(t, 200).data())["status"]; got != "pending" {
			t.Fatalf("after opening: %v", got)
		}
		csrf := p.csrf(t)
		card := func(number string) url.Values {
			return url.Values{"csrf_token": {csrf}, "card_number": {number}, "card_expiry": {"12/40"}, "card_cvc": {"123"}}
		}
		if p := e.visit(t, "POST", path, card("4111 1111 1111 1111")); p.status != 422 || !strings.Contains(p.body, "test cards") {
			t.Fatalf("a real card number: %d\n%s", p.status, p.body)
		}
		if p := e.visit(t, "POST", path, url.Values{"csrf_token": {"0"}, "card_number": {"4242424242424242"}}); p.status != 403 {
			t.Fatalf("a bad CSRF token: %d", p.status)
		}
		p = e.visit(t, "POST", path, card("4000 0000 0000 0002"))
		if p.status != 303 || p.location != path {
			t.Fatalf("declined: %d %q", p.status, p.location)
		}
		got := attrs(e.integration().do(t, "GET", "/api/checkout_sessions/"+sid, nil).want(t, 200).data())
		if got["status"] != "failed" || !strings.Contains(fmt.Sprint(got["failure_reason"]), "declined") {
			t.Fatalf("after a decline: %v", got)
		}
		p = e.visit(t, "GET", path, nil)
		if !strings.Contains(p.body, `id="failure"`) {
			t.Fatalf("the page shows the decline:\n%s", p.body)
		}
		p = e.visit(t, "POST", path, card("4242424242424242"))
		if p.status != 303 || p.location != "https://shop.example/thanks?checkout_session_id="+sid {
			t.Fatalf("approved: %d %q", p.status, p.location)
		}
		got = attrs(e.integration().do(t, "GET", "/api/checkout_sessions/"+sid, nil).want(t, 200).data())
		if got["status"] != "completed" || got["completed_at"] == nil || got["fee_amount_cents"] != 0.0 || got["net_amount_cents"] != 3600.0 {
			t.Fatalf("completed: %v", got)
		}
		attempts := got["routing"].(map[string]any)["attempts"].([]any)
		if len(attempts) != 2 || attempts[0].(map[string]any)["outcome"] != "declined" || attempts[1].(map[string]any)["outcome"] != "approved" {
			t.Fatalf("attempts: %v", attempts)
		}
		o := attrs(e.integration().order(t, orderID))
		if o["status"] != "placed" || o["payment_status"] != "authorized" || o["checkout_url"] != nil {
			t.Fatalf("the order: %v", o)
		}
		if p := e.visit(t, "GET", path, nil); p.status != 200 || !strings.Contains(p.body, "Payment received") {
			t.Fatalf("receipt: %d\n%s", p.status, p.body)
		}
		if p := e.visit(t, "POST", path, card("4242424242424242")); p.status != 422 {
			t.Fatalf("paying a completed session: %d", p.status)
		}
	})
}

// TestCheckoutSessionValidation checks each create rule.
func TestCheckoutSessionValidation(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.guest(t)
		o := guest.newOrder(t, map[string]any{"customer_email": "v@example.com"})
		guest.addItem(t, id(o), mugCode, 1)
		order := map[string]any{"order": ref("orders", id(o))}
		for _, tc := range []struct {
			name    string
			attrs   map[string]any
			status  int
			pointer string
		}{
			{"ttl 299", map[string]any{"expires_in": 299}, 422, "/data/attributes/expires_in"},
			{"ttl 300", map[string]any{"expires_in": 300}, 201, ""},
			{"ttl 86400", map[string]any{"expires_in": 86400}, 201, ""},
			{"ttl 86401", map[string]any{"expires_in": 86401}, 422, "/data/attributes/expires_in"},
			{"relative success url", map[string]any{"success_url": "/thanks"}, 422, "/data/attributes/success_url"},
			{"ftp failure url", map[string]any{"failure_url": "ftp://shop.example/x"}, 422, "/data/attributes/failure_url"},
			{"bad phone", map[string]any{"customer_phone": "0700000001"}, 422, "/data/attributes/customer_phone"},
			{"mobile money without phone", map[string]any{"payment_method_type": "mobile_money"}, 422, "/data/attributes/customer_phone"},
			{"installments 37", map[string]any{"max_installments": 37}, 422, "/data/attributes/max_installments"},
			{"long description", map[string]any{"description": strings.Repeat("x", 201)}, 422, "/data/attributes/description"},
			{"unknown method type", map[string]any{"payment_method_type": "cheque"}, 422, "/data/attributes/payment_method_type"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := guest.newSession(t, sessionAttrs(tc.attrs), order)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				if tc.pointer != "" {
					errors := r.doc["errors"].([]any)
					src, _ := errors[0].(map[string]any)["source"].(map[string]any)
					if src["pointer"] != tc.pointer {
						t.Fatalf("pointer %v, want %s", src["pointer"], tc.pointer)
					}
				}
			})
		}
		r := guest.do(t, "POST", "/api/checkout_sessions", resource("checkout_sessions", "", sessionAttrs(nil), order))
		missing := r.wantError(t, 400, "IDEMPOTENCY_KEY_MISSING")
		if src, _ := missing["source"].(map[string]any); src["header"] != "Idempotency-Key" {
			t.Fatalf("source %v", missing["source"])
		}
		r = guest.newSession(t, sessionAttrs(map[string]any{"amount_cents": 5000, "currency_code": "XOF"}), nil)
		r.wantError(t, 422, "VALIDATION_ERROR")
		// No eligible payment method: none takes mobile money in EUR.
		r = guest.newSession(t, sessionAttrs(map[string]any{"payment_method_type": "mobile_money", "customer_phone": "+33600000001"}), order)
		none := r.wantError(t, 422, "NO_AVAILABLE_PROVIDER")
		if cands, _ := none["meta"].(map[string]any)["candidates"].([]any); len(cands) == 0 {
			t.Fatalf("meta.candidates: %v", none["meta"])
		}
	})
}

// TestCheckoutSessionAmountOnlyMobileMoney is flow (b): an amount-only XOF
// session of 5000 with a phone and a 300 s TTL, paid by mobile money:
// created → pending → processing → completed, fee 25.
func TestCheckoutSessionAmountOnlyMobileMoney(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		s := e.integration().newSession(t, sessionAttrs(map[string]any{"amount_cents": 5000, "currency_code": "XOF", "customer_phone": "+2250700000003",
			"payment_method_type": "mobile_money", "expires_in": 300, "description": "Order 42", "locale": "fr_CI"}), nil).want(t, 201).data()
		sid, path := id(s), pagePath(t, s)
		if a := attrs(s); a["status"] != "created" || a["amount_cents"] != 5000.0 || a["formatted_amount"] == "" {
			t.Fatalf("new: %v", a)
		}
		p := e.visit(t, "GET", path, nil)
		if p.status != 200 || !strings.Contains(p.body, `autocomplete="tel"`) || !strings.Contains(p.body, "2250700000003") || !strings.Contains(p.body, "Payer") {
			t.Fatalf("page: %d\n%s", p.status, p.body)
		}
		status := func() map[string]any {
			return attrs(e.integration().do(t, "GET", "/api/checkout_sessions/"+sid, nil).want(t, 200).data())
		}
		if got := status()["status"]; got != "pending" {
			t.Fatalf("opened: %v", got)
		}
		if !strings.Contains(p.body, `autocomplete="email"`) {
			t.Fatalf("a session without an email asks for one:\n%s", p.body)
		}
		p = e.visit(t, "POST", path, url.Values{"csrf_token": {p.csrf(t)}, "phone": {"+2250700000003"}, "email": {"Payer@Example.ci"}})
		if p.status != 303 || p.location != path {
			t.Fatalf("pay: %d %q", p.status, p.location)
		}
		if got := status(); got["status"] != "processing" || got["customer_email"] != "payer@example.ci" {
			t.Fatalf("submitted: %v", got)
		}
		if p := e.visit(t, "GET", path, nil); p.header.Get("Refresh") == "" {
			t.Fatalf("the waiting page refreshes itself: %v", p.header)
		}
		time.Sleep(models.SandboxMobileMoneyDelay)
		e.visit(t, "GET", path, nil)
		got := status()
		if got["status"] != "completed" || got["fee_amount_cents"] != 25.0 || got["net_amount_cents"] != 4975.0 {
			t.Fatalf("completed: %v", got)
		}
	})
}

// TestCheckoutSessionCancelAndExpiry checks `_cancel`, the page's cancel
// button and expiry.
func TestCheckoutSessionCancelAndExpiry(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		_, s := cartSession(t, e, nil)
		sid := id(s)
		r := e.integration().do(t, "PATCH", "/api/checkout_sessions/"+sid, resource("checkout_sessions", sid, map[string]any{"_cancel": true}, nil)).want(t, 200)
		if got := attrs(r.data())["status"]; got != "cancelled" {
			t.Fatalf("cancelled: %v", got)
		}
		e.integration().do(t, "PATCH", "/api/checkout_sessions/"+sid, resource("checkout_sessions", sid, map[string]any{"_cancel": true}, nil)).wantError(t, 422, "VALIDATION_ERROR")

		_, s = cartSession(t, e, nil)
		path := pagePath(t, s)
		p := e.visit(t, "GET", path, nil)
		p = e.visit(t, "POST", path+"/cancel", url.Values{"csrf_token": {p.csrf(t)}})
		if p.status != 303 || p.location != "https://shop.example/sorry?checkout_session_id="+id(s) {
			t.Fatalf("cancel button: %d %q", p.status, p.location)
		}

		_, s = cartSession(t, e, nil)
		sid, path = id(s), pagePath(t, s)
		if err := e.db.Model(&models.CheckoutSession{}).Where("id = ?", sid).Update("expires_at", time.Now().Add(-time.Second)).Error; err != nil {
			t.Fatal(err)
		}
		if got := attrs(e.integration().do(t, "GET", "/api/checkout_sessions/"+sid, nil).want(t, 200).data())["status"]; got != "expired" {
			t.Fatalf("read after expires_at: %v", got)
		}
		if p := e.visit(t, "GET", path, nil); p.status != 410 {
			t.Fatalf("expired page: %d", p.status)
		}
		n, err := (&models.CheckoutSessions{Payments: &models.Payments{DB: e.db}}).ExpireDue(t.Context(), 100)
		if err != nil || n != 1 {
			t.Fatalf("ExpireDue: %d %v", n, err)
		}
		var stored models.CheckoutSession
		e.db.Where("id = ?", sid).Take(&stored)
		if stored.Status != models.SessionExpired {
			t.Fatalf("stored status %s", stored.Status)
		}
	})
}

// oncePerCustomerSku creates a SKU sold once per customer, priced in eu.
func oncePerCustomerSku(t *testing.T, e *env, code string, cents int) string {
	t.Helper()
	sku := e.create(t, "skus", map[string]any{"code": code, "name": "Course " + code, "limit_one_per_customer": true, "do_not_ship": true}, nil)
	eu := e.one(t, "markets", "code_eq", "eu")
	list := e.integration().do(t, "GET", "/api/markets/"+id(eu)+"/price_list", nil).want(t, 200).data()
	e.create(t, "prices", map[string]any{"amount_cents": cents}, map[string]any{"price_list": ref("price_lists", id(list)), "sku": ref("skus", id(sku))})
	location := e.integration().do(t, "GET", "/api/stock_locations", nil).want(t, 200).list()[0]
	e.create(t, "stock_items", map[string]any{"quantity": 100}, map[string]any{"stock_location": ref("stock_locations", id(location)), "sku": ref("skus", id(sku))})
	return code
}

// TestCheckoutSessionDigitalGoods is flow (a): a customer buys two
// one-purchase SKUs through a session and pays; orders.place fires; a
// second session for one of them is 422 ALREADY_PURCHASED.
func TestCheckoutSessionDigitalGoods(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		goCourse, sqlCourse := oncePerCustomerSku(t, e, "COURSE-GO", 9900), oncePerCustomerSku(t, e, "COURSE-SQL", 4900)
		e.create(t, "webhooks", map[string]any{"topic": "orders.place", "callback_url": "https://93.184.216.34/hooks"}, nil)
		buyer, _ := e.customer(t, "learner@example.com")
		first := buyer.newOrder(t, nil)
		buyer.addItem(t, id(first), goCourse, 1)
		buyer.addItem(t, id(first), sqlCourse, 1)
		second := buyer.newOrder(t, nil)
		buyer.addItem(t, id(second), sqlCourse, 1)

		s := buyer.newSession(t, sessionAttrs(nil), map[string]any{"order": ref("orders", id(first))}).want(t, 201).data()
		if got := attrs(s)["amount_cents"]; got != 14800.0 {
			t.Fatalf("amount %v", got)
		}
		path := pagePath(t, s)
		p := e.visit(t, "GET", path, nil)
		p = e.visit(t, "POST", path, url.Values{"csrf_token": {p.csrf(t)}, "card_number": {"4242424242424242"}, "card_expiry": {"01/39"}, "card_cvc": {"737"}})
		if p.status != 303 || !strings.HasPrefix(p.location, "https://shop.example/thanks?") {
			t.Fatalf("pay: %d %q", p.status, p.location)
		}
		if got := attrs(buyer.order(t, id(first)))["status"]; got != "placed" {
			t.Fatalf("order %v", got)
		}
		var fired int64
		e.db.Model(&models.WebhookDelivery{}).Where("topic = ? AND resource_id = ?", "orders.place", id(first)).Count(&fired)
		if fired != 1 {
			t.Fatalf("orders.place deliveries: %d", fired)
		}
		buyer.newSession(t, sessionAttrs(nil), map[string]any{"order": ref("orders", id(second))}).wantError(t, 422, "ALREADY_PURCHASED")
	})
}

// TestCheckoutSessionFailover is flow (c): of two gateways with different
// scores the better one is chosen and reported; when it times out the
// other one takes the payment, within the same session.
func TestCheckoutSessionFailover(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		eu := e.one(t, "markets", "code_eq", "eu")
		demo := e.one(t, "sandbox_gateways", "name_eq", "Kasse sandbox")
		backup := e.create(t, "sandbox_gateways", map[string]any{"name": "Backup sandbox"}, nil)
		e.create(t, "payment_methods", map[string]any{"payment_source_type": "checkout_com_payments", "currency_code": "EUR", "price_amount_cents": 0, "payment_method_type": "card"},
			map[string]any{"market": ref("markets", id(eu)), "payment_gateway": ref("sandbox_gateways", id(backup))})
		// The demo gateway's record in EUR: 20 approvals (score 95); the
		// backup's: 5 approvals and 5 declines (score 50).
		for i := range 30 {
			gw, outcome := id(demo), models.AttemptApproved
			if i >= 20 {
				gw = id(backup)
				if i >= 25 {
					outcome = models.AttemptDeclined
				}
			}
			if err := e.db.Create(&models.GatewayAttempt{ID: fmt.Sprintf("att%02d%s", i, gw[:4]), PaymentGatewayID: gw, CurrencyCode: "EUR", Outcome: outcome, CreatedAt: time.Now().Add(-time.Hour)}).Error; err != nil {
				t.Fatal(err)
			}
		}
		_, s := cartSession(t, e, nil)
		routing := attrs(s)["routing"].(map[string]any)
		if routing["gateway_id"] != id(demo) || routing["score"] != 95.0 {
			t.Fatalf("routing chose %v (score %v), want the demo gateway at 95", routing["gateway_id"], routing["score"])
		}
		cands := routing["candidates"].([]any)
		var scores []any
		for _, c := range cands {
			if c.(map[string]any)["eligible"] == true {
				scores = append(scores, c.(map[string]any)["score"])
			}
		}
		if len(scores) != 2 || scores[0] != 95.0 || scores[1] != 50.0 {
			t.Fatalf("eligible candidates' scores %v", scores)
		}
		path := pagePath(t, s)
		p := e.visit(t, "GET", path, nil)
		p = e.visit(t, "POST", path, url.Values{"csrf_token": {p.csrf(t)}, "card_number": {"4000 0000 0000 0119"}, "card_expiry": {"12/39"}, "card_cvc": {"123"}})
		if p.status != 303 || !strings.HasPrefix(p.location, "https://shop.example/thanks?") {
			t.Fatalf("pay: %d %q", p.status, p.location)
		}
		got := attrs(e.integration().do(t, "GET", "/api/checkout_sessions/"+id(s)+"?include=payment_gateway", nil).want(t, 200).data())
		routing = got["routing"].(map[string]any)
		attempts := routing["attempts"].([]any)
		if got["status"] != "completed" || routing["gateway_id"] != id(backup) || len(attempts) != 2 ||
			attempts[0].(map[string]any)["gateway_id"] != id(demo) || attempts[0].(map[string]any)["outcome"] != "technical" ||
			attempts[1].(map[string]any)["gateway_id"] != id(backup) || attempts[1].(map[string]any)["outcome"] != "approved" {
			t.Fatalf("after failover: %v %v", got["status"], routing)
		}
		// A decline never fails over.
		_, s = cartSession(t, e, nil)
		path = pagePath(t, s)
		p = e.visit(t, "GET", path, nil)
		e.visit(t, "POST", path, url.Values{"csrf_token": {p.csrf(t)}, "card_number": {"4000000000000002"}, "card_expiry": {"12/39"}, "card_cvc": {"123"}})
		got = attrs(e.integration().do(t, "GET", "/api/checkout_sessions/"+id(s), nil).want(t, 200).data())
		if attempts := got["routing"].(map[string]any)["attempts"].([]any); got["status"] != "failed" || len(attempts) != 1 {
			t.Fatalf("after a decline: %v %v", got["status"], attempts)
		}
	})
}

// TestCheckoutSessionCallbacks is flow (d): a session with max_installments
// 6 and a callback_url; the customer pays in 3 installments; the signed
// callback arrives (form body, both signatures keyed by the market's
// shared_secret) and the session shows completed and 3 installments.
func TestCheckoutSessionCallbacks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		e := webhookEnv(t, gdb, []time.Duration{50 * time.Millisecond})
		rcv := newReceiver(t)
		_, s := cartSession(t, e, map[string]any{"max_installments": 6, "callback_url": rcv.URL + "/kasse/callback"})
		path := pagePath(t, s)
		p := e.visit(t, "GET", path, nil)
		if !strings.Contains(p.body, `<select id="installments" name="installments">`) || !strings.Contains(p.body, `<option value="6">`) {
			t.Fatalf("no installments selector:\n%s", p.body)
		}
		p = e.visit(t, "POST", path, url.Values{"csrf_token": {p.csrf(t)}, "card_number": {"4242424242424242"}, "card_expiry": {"12/39"}, "card_cvc": {"123"}, "installments": {"3"}})
		if p.status != 303 {
			t.Fatalf("pay: %d", p.status)
		}
		waitFor(t, 10*time.Second, "the callback", func() bool { return len(rcv.requests()) > 0 })
		got := rcv.requests()[0]
		form, err := url.ParseQuery(string(got.body))
		if err != nil || form.Get("checkout_session_id") != id(s) || form.Get("status") != "completed" {
			t.Fatalf("callback body %q", got.body)
		}
		if ct := got.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Fatalf("Content-Type %q", ct)
		}
		var market models.Market
		if err := gdb.Joins("JOIN checkout_sessions ON checkout_sessions.market_id = markets.id").Where("checkout_sessions.id = ?", id(s)).Take(&market).Error; err != nil {
			t.Fatal(err)
		}
		verify(t, market.SharedSecret, got)
		a := attrs(e.integration().do(t, "GET", "/api/checkout_sessions/"+id(s), nil).want(t, 200).data())
		if a["status"] != "completed" || a["installments"] != 3.0 {
			t.Fatalf("session: %v", a)
		}
		var cb models.CheckoutCallback
		waitFor(t, 5*time.Second, "the callback's record", func() bool {
			return gdb.Where("checkout_session_id = ?", id(s)).Take(&cb).Error == nil && cb.DeliveredAt != nil
		})
		if cb.Attempts != 1 || cb.ResponseCode == nil || *cb.ResponseCode != 200 {
			t.Fatalf("callback record: %+v", cb)
		}
	})
}

// TestCheckoutSessionBankTransfer: the session stays processing (its order
// placed, payment authorized) until the back office captures.
func TestCheckoutSessionBankTransfer(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		orderID, s := cartSession(t, e, map[string]any{"payment_method_type": "bank_transfer"})
		if gt := attrs(s)["routing"].(map[string]any)["gateway_type"]; gt != models.GatewayManual {
			t.Fatalf("routed to %v", gt)
		}
		path := pagePath(t, s)
		p := e.visit(t, "GET", path, nil)
		p = e.visit(t, "POST", path, url.Values{"csrf_token": {p.csrf(t)}})
		if p.status != 303 || p.location != path {
			t.Fatalf("confirm transfer: %d %q", p.status, p.location)
		}
		status := func() any {
			return attrs(e.integration().do(t, "GET", "/api/checkout_sessions/"+id(s), nil).want(t, 200).data())["status"]
		}
		if got := status(); got != "processing" {
			t.Fatalf("after the transfer is announced: %v", got)
		}
		if o := attrs(e.integration().order(t, orderID)); o["status"] != "placed" || o["payment_status"] != "authorized" {
			t.Fatalf("order %v", o)
		}
		e.integration().patchOrder(t, orderID, map[string]any{"_capture": true}, nil).want(t, 200)
		if got := status(); got != "completed" {
			t.Fatalf("after the capture: %v", got)
		}
	})
}

// TestCheckoutSessionAccessAndRefresh: a customer reads only its own
// sessions and a guest only its guest carts' (others are 404); only
// integrations open amount-only sessions or pin a gateway; `_refresh`
// settles a payment the provider approved later; the create and complete
// events fire.
func TestCheckoutSessionAccessAndRefresh(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		e.create(t, "webhooks", map[string]any{"topic": "checkout_sessions.complete", "callback_url": "https://93.184.216.34/hooks"}, nil)
		e.create(t, "webhooks", map[string]any{"topic": "checkout_sessions.create", "callback_url": "https://93.184.216.34/hooks"}, nil)
		buyer, _ := e.customer(t, "reader@example.com")
		o := buyer.newOrder(t, nil)
		buyer.addItem(t, id(o), mugCode, 1)
		mine := buyer.newSession(t, sessionAttrs(nil), map[string]any{"order": ref("orders", id(o))}).want(t, 201).data()
		_, guests := cartSession(t, e, nil)
		other, _ := e.customer(t, "other-reader@example.com")
		guest := e.guest(t)

		buyer.do(t, "GET", "/api/checkout_sessions/"+id(mine), nil).want(t, 200)
		if list := buyer.do(t, "GET", "/api/checkout_sessions", nil).want(t, 200).list(); len(list) != 1 || id(list[0]) != id(mine) {
			t.Fatalf("the customer's list: %v", list)
		}
		other.do(t, "GET", "/api/checkout_sessions/"+id(mine), nil).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.do(t, "GET", "/api/checkout_sessions/"+id(mine), nil).wantError(t, 404, "RECORD_NOT_FOUND")
		buyer.do(t, "GET", "/api/checkout_sessions/"+id(guests), nil).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.do(t, "GET", "/api/checkout_sessions/"+id(guests), nil).want(t, 200)
		// A customer cannot open a session for another's order.
		other.newSession(t, sessionAttrs(nil), map[string]any{"order": ref("orders", id(o))}).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.newSession(t, sessionAttrs(map[string]any{"amount_cents": 1000, "currency_code": "EUR"}), nil).wantError(t, 422, "VALIDATION_ERROR")
		sandbox := e.one(t, "sandbox_gateways", "name_eq", "Kasse sandbox")
		o2 := guest.newOrder(t, map[string]any{"customer_email": "pin@example.com"})
		guest.addItem(t, id(o2), mugCode, 1)
		// Guests cannot see gateways, so they cannot name one either.
		guest.newSession(t, sessionAttrs(nil), map[string]any{"order": ref("orders", id(o2)), "payment_gateway": ref("sandbox_gateways", id(sandbox))}).
			wantError(t, 404, "RECORD_NOT_FOUND")
		pinned := e.integration().newSession(t, sessionAttrs(nil), map[string]any{"order": ref("orders", id(o2)), "payment_gateway": ref("sandbox_gateways", id(sandbox))}).want(t, 201).data()
		if got := attrs(pinned)["routing"].(map[string]any)["gateway_id"]; got != id(sandbox) {
			t.Fatalf("pinned to %v", got)
		}

		// A delayed mobile-money approval, settled by `_refresh`.
		s := e.integration().newSession(t, sessionAttrs(map[string]any{"amount_cents": 2000, "currency_code": "XOF", "customer_phone": "+2250700000003",
			"payment_method_type": "mobile_money"}), nil).want(t, 201).data()
		path := pagePath(t, s)
		p := e.visit(t, "GET", path, nil)
		e.visit(t, "POST", path, url.Values{"csrf_token": {p.csrf(t)}})
		time.Sleep(models.SandboxMobileMoneyDelay)
		r := e.integration().do(t, "PATCH", "/api/checkout_sessions/"+id(s), resource("checkout_sessions", id(s), map[string]any{"_refresh": true}, nil)).want(t, 200)
		if got := attrs(r.data())["status"]; got != "completed" {
			t.Fatalf("after _refresh: %v", got)
		}
		var created, completed int64
		e.db.Model(&models.WebhookDelivery{}).Where("topic = ? AND resource_id = ?", "checkout_sessions.create", id(s)).Count(&created)
		e.db.Model(&models.WebhookDelivery{}).Where("topic = ? AND resource_id = ?", "checkout_sessions.complete", id(s)).Count(&completed)
		if created != 1 || completed != 1 {
			t.Fatalf("create %d, complete %d deliveries; want 1 each", created, completed)
		}
	})
}
