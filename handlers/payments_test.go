package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"kasse/db/dbtest"
	"kasse/gateways"
	"kasse/models"
)

// checkout builds a guest cart in eu ready to pay: two items, addresses,
// and the demo's sandbox card payment method. It returns the order id.
func (s *shopper) checkout(t *testing.T) string {
	t.Helper()
	e := s.e
	o := id(s.newOrder(t, map[string]any{"customer_email": "pay@example.com"}))
	s.addItem(t, o, tshirtCode, 2)
	s.addItem(t, o, mugCode, 1)
	address := s.newAddress(t)
	cards := e.do("GET", "/api/payment_methods"+q("filter[q][name_eq]", "Card (sandbox)", "filter[q][market_code_eq]", "eu"), nil).want(t, 200).list()
	if len(cards) != 1 {
		t.Fatalf("%d sandbox card methods in eu", len(cards))
	}
	card := cards[0]
	s.patchOrder(t, o, map[string]any{"_shipping_address_same_as_billing": true}, map[string]any{
		"billing_address": ref("addresses", address), "payment_method": ref("payment_methods", id(card)),
	}).want(t, 200)
	return o
}

// pay creates a checkout_com_payment with token for the order.
func (s *shopper) pay(t *testing.T, orderID, token string) *response {
	t.Helper()
	return s.do(t, "POST", "/api/checkout_com_payments", resource("checkout_com_payments", "", map[string]any{
		"token": token, "success_url": "https://shop.example/ok", "failure_url": "https://shop.example/ko",
	}, map[string]any{"order": ref("orders", orderID)}))
}

func paymentStatus(r *response) any {
	resp, _ := attrs(r.data())["payment_response"].(map[string]any)
	return resp["status"]
}

// TestSandboxStorefrontFlow is the storefront flow with the sandbox
// gateway: pay, place, capture, partially refund, with balances right.
func TestSandboxStorefrontFlow(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest, back := e.guest(t), e.integration()
		o := guest.checkout(t)
		total := num(guest.order(t, o), "total_amount_with_taxes_cents")
		if total != 2*2900+1200+700 { // with the demo market's shipping
			t.Fatalf("total %d", total)
		}

		// Placing without a payment is refused.
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/payment_source")

		p := guest.pay(t, o, gateways.SandboxApproved).want(t, 201)
		a := attrs(p.data())
		if paymentStatus(p) != "Authorized" || a["mismatched_amounts"] != false || a["redirect_uri"] != nil || a["token"] != gateways.SandboxApproved {
			t.Fatalf("payment: %s", p.body)
		}
		if inst, _ := a["payment_instrument"].(map[string]any); inst["card_type"] != "visa" {
			t.Fatalf("payment_instrument: %v", a["payment_instrument"])
		}
		pid := id(p.data())
		if got := linkage(guest.do(t, "GET", "/api/checkout_com_payments/"+pid+"?include=payment_gateway,order", nil).want(t, 200).data(), "payment_gateway"); len(got) != 1 {
			t.Fatalf("payment_gateway linkage %v", got)
		}
		r := guest.do(t, "GET", "/api/orders/"+o+"?include=payment_source", nil).want(t, 200)
		if got := linkage(r.data(), "payment_source"); len(got) != 1 || got[0] != "checkout_com_payments:"+pid {
			t.Fatalf("payment_source linkage %v", got)
		}

		placed := guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200).data()
		if attrs(placed)["status"] != "placed" || attrs(placed)["payment_status"] != "authorized" {
			t.Fatalf("placed: %v", attrs(placed))
		}
		// Back office only: a guest cannot capture.
		guest.do(t, "PATCH", "/api/orders/"+o, resource("orders", o, map[string]any{"_capture": true}, nil)).want(t, 404)

		captured := back.patchOrder(t, o, map[string]any{"_capture": true}, nil).want(t, 200).data()
		if attrs(captured)["payment_status"] != "paid" || attrs(captured)["status"] != "approved" {
			t.Fatalf("captured: %v", attrs(captured))
		}
		auths := back.do(t, "GET", "/api/orders/"+o+"/authorizations", nil).want(t, 200).list()
		if len(auths) != 1 || num(auths[0], "capture_balance_cents") != 0 || num(auths[0], "capture_amount_cents") != total || attrs(auths[0])["succeeded"] != true {
			t.Fatalf("authorizations: %v", auths)
		}
		// Capturing again: nothing left.
		back.patchOrder(t, o, map[string]any{"_capture": true}, nil).want(t, 422)

		refunded := back.patchOrder(t, o, map[string]any{"_refund": true, "_refund_amount_cents": 1000}, nil).want(t, 200).data()
		if attrs(refunded)["payment_status"] != "partially_refunded" || attrs(refunded)["status"] != "approved" {
			t.Fatalf("refunded: %v", attrs(refunded))
		}
		caps := back.do(t, "GET", "/api/orders/"+o+"/captures", nil).want(t, 200).list()
		if len(caps) != 1 || num(caps[0], "refund_balance_cents") != total-1000 || num(caps[0], "refund_amount_cents") != 1000 {
			t.Fatalf("captures: %v", caps)
		}
		// Over-refund is refused and changes nothing.
		back.patchOrder(t, o, map[string]any{"_refund": true, "_refund_amount_cents": total}, nil).wantError(t, 422, "VALIDATION_ERROR")
		// Refund the rest on the capture itself: a full refund cancels.
		back.do(t, "PATCH", "/api/captures/"+id(caps[0]), resource("captures", id(caps[0]), map[string]any{"_refund": true}, nil)).want(t, 200)
		final := back.do(t, "GET", "/api/orders/"+o+"?include=transactions", nil).want(t, 200)
		if attrs(final.data())["payment_status"] != "refunded" || attrs(final.data())["status"] != "cancelled" {
			t.Fatalf("after full refund: %v", attrs(final.data()))
		}
		if n := len(final.included()); n != 4 { // authorization, capture, 2 refunds
			t.Fatalf("%d transactions: %s", n, final.body)
		}
	})
}

func TestSandboxDeclinedAndMismatch(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.guest(t)
		o := guest.checkout(t)
		p := guest.pay(t, o, gateways.SandboxDeclined).want(t, 201)
		if paymentStatus(p) != "Declined" {
			t.Fatalf("declined payment: %s", p.body)
		}
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/payment_source")
		auths := e.do("GET", "/api/orders/"+o+"/authorizations", nil).want(t, 200).list()
		if len(auths) != 1 || attrs(auths[0])["succeeded"] != false || attrs(auths[0])["error_code"] != "20051" {
			t.Fatalf("declined authorization: %v", auths)
		}
		// Retry with a good token on the same payment.
		pid := id(p.data())
		p = guest.do(t, "PATCH", "/api/checkout_com_payments/"+pid, resource("checkout_com_payments", pid, map[string]any{"token": gateways.SandboxApproved, "_authorize": true}, nil)).want(t, 200)
		if paymentStatus(p) != "Authorized" {
			t.Fatalf("retried payment: %s", p.body)
		}
		// The cart changes after authorization: amounts mismatch.
		guest.addItem(t, o, mugCode, 1)
		p = guest.do(t, "GET", "/api/checkout_com_payments/"+pid, nil).want(t, 200)
		if attrs(p.data())["mismatched_amounts"] != true {
			t.Fatalf("mismatched_amounts after a cart change: %s", p.body)
		}
		r := guest.patchOrder(t, o, map[string]any{"_place": true}, nil)
		if e := r.wantError(t, 422, "VALIDATION_ERROR"); !strings.Contains(e["detail"].(string), "mismatched_amounts") {
			t.Fatalf("detail: %v", e["detail"])
		}
		// A new payment for the new total places.
		guest.pay(t, o, gateways.SandboxApproved).want(t, 201)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
	})
}

// rawSigned POSTs a webhook body with one signature header.
func (e *env) rawSigned(target string, body []byte, header, signature string) int {
	req := httptest.NewRequest("POST", target, strings.NewReader(string(body)))
	req.Header.Set(header, signature)
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	return rec.Code
}

// raw sends a request outside the JSON:API document checks.
func (e *env) raw(method, target string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	return rec
}

func TestSandbox3DS(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		for _, outcome := range []string{"complete", "fail"} {
			t.Run(outcome, func(t *testing.T) {
				guest := e.guest(t)
				o := guest.checkout(t)
				p := guest.pay(t, o, gateways.SandboxThreeDS).want(t, 201)
				redirect, _ := attrs(p.data())["redirect_uri"].(string)
				if paymentStatus(p) != "Pending" || !strings.HasPrefix(redirect, testBaseURL+"/sandbox/3ds/") {
					t.Fatalf("3DS payment: %s", p.body)
				}
				guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 422)
				path := strings.TrimPrefix(redirect, testBaseURL)
				page := e.raw("GET", path, nil)
				if page.Code != 200 || !strings.Contains(page.Body.String(), "3-D Secure") {
					t.Fatalf("challenge page: %d %s", page.Code, page.Body)
				}
				if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || page.Header().Get("X-Frame-Options") != "DENY" {
					t.Fatalf("challenge page headers: %v", page.Header())
				}
				back := e.raw("POST", path, url.Values{"outcome": {outcome}})
				loc, _ := url.Parse(back.Header().Get("Location"))
				want := map[string]string{"complete": "/ok", "fail": "/ko"}[outcome]
				if back.Code != http.StatusSeeOther || loc.Path != want || !strings.HasPrefix(loc.Query().Get("cko-session-id"), "sid_") {
					t.Fatalf("challenge answer: %d %v", back.Code, loc)
				}
				pid := id(p.data())
				p = guest.do(t, "PATCH", "/api/checkout_com_payments/"+pid, resource("checkout_com_payments", pid, map[string]any{"_details": true}, nil)).want(t, 200)
				wantStatus := map[string]string{"complete": "Authorized", "fail": "Declined"}[outcome]
				if paymentStatus(p) != wantStatus {
					t.Fatalf("after _details: %s", p.body)
				}
				if outcome == "complete" {
					guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
				}
			})
		}
	})
}

// TestSandboxTimeout: a provider timeout leaves the order unchanged and the
// payment pending; _refresh settles it.
func TestSandboxTimeout(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.guest(t)
		o := guest.checkout(t)
		before := attrs(guest.order(t, o))
		p := guest.pay(t, o, gateways.SandboxTimeout).want(t, 201)
		if paymentStatus(p) != "Pending" {
			t.Fatalf("timed out payment: %s", p.body)
		}
		after := attrs(guest.order(t, o))
		if after["status"] != before["status"] || after["payment_status"] != "unpaid" {
			t.Fatalf("order changed: %v", after)
		}
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 422)
		pid := id(p.data())
		p = guest.do(t, "PATCH", "/api/checkout_com_payments/"+pid, resource("checkout_com_payments", pid, map[string]any{"_refresh": true}, nil)).want(t, 200)
		if paymentStatus(p) != "Authorized" {
			t.Fatalf("after _refresh: %s", p.body)
		}
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
	})
}

func TestCancelVoids(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest, back := e.guest(t), e.integration()
		o := guest.checkout(t)
		guest.pay(t, o, gateways.SandboxApproved).want(t, 201)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
		r := back.patchOrder(t, o, map[string]any{"_cancel": true}, nil).want(t, 200).data()
		if attrs(r)["status"] != "cancelled" || attrs(r)["payment_status"] != "voided" {
			t.Fatalf("cancelled: %v", attrs(r))
		}
		if n := len(back.do(t, "GET", "/api/orders/"+o+"/voids", nil).want(t, 200).list()); n != 1 {
			t.Fatalf("%d voids", n)
		}
	})
}

// TestGatewayWebhook: a signed sandbox webhook settles a pending payment
// once; a bad signature is refused.
func TestGatewayWebhook(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.guest(t)
		o := guest.checkout(t)
		p := guest.pay(t, o, gateways.SandboxThreeDS).want(t, 201)
		var ps models.PaymentSource
		if err := e.db.Where("id = ?", id(p.data())).Take(&ps).Error; err != nil {
			t.Fatal(err)
		}
		gw := e.one(t, "sandbox_gateways", "name_eq", "Kasse sandbox")
		hook, _ := attrs(gw)["webhook_endpoint_url"].(string)
		if hook != testBaseURL+"/webhooks/payment_gateways/"+id(gw) {
			t.Fatalf("webhook_endpoint_url %q", hook)
		}
		if _, shown := attrs(gw)["webhook_endpoint_secret"]; shown {
			t.Fatal("the webhook secret is write-only")
		}
		var secret string
		e.db.Model(&models.PaymentGateway{}).Where("id = ?", id(gw)).Pluck("webhook_endpoint_secret", &secret)
		body := []byte(`{"id":"evt_1","type":"payment_approved","data":{"id":"` + *ps.GatewayPaymentID + `"}}`)
		send := func(signature string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("POST", strings.TrimPrefix(hook, testBaseURL), strings.NewReader(string(body)))
			req.Header.Set(gateways.SandboxSignatureHeader, signature)
			rec := httptest.NewRecorder()
			e.router.ServeHTTP(rec, req)
			return rec
		}
		if r := send(tampered(gateways.SignSandboxWebhook(secret, body))); r.Code != 401 {
			t.Fatalf("bad signature: %d", r.Code)
		}
		unknown := httptest.NewRequest("POST", "/webhooks/payment_gateways/nope", strings.NewReader(string(body)))
		unknown.Header.Set(gateways.SandboxSignatureHeader, gateways.SignSandboxWebhook(secret, body))
		rec := httptest.NewRecorder()
		if e.router.ServeHTTP(rec, unknown); rec.Code != 404 {
			t.Fatalf("unknown gateway: %d %s", rec.Code, rec.Body)
		}
		if r := send(gateways.SignSandboxWebhook(secret, body)); r.Code != 200 || !strings.Contains(r.Body.String(), `"duplicate":false`) {
			t.Fatalf("webhook: %d %s", r.Code, r.Body)
		}
		if r := send(gateways.SignSandboxWebhook(secret, body)); r.Code != 200 || !strings.Contains(r.Body.String(), `"duplicate":true`) {
			t.Fatalf("redelivery: %d %s", r.Code, r.Body)
		}
		if n := len(e.do("GET", "/api/orders/"+o+"/authorizations", nil).want(t, 200).list()); n != 1 {
			t.Fatalf("%d authorizations after a webhook delivered twice", n)
		}
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
	})
}

// TestConcurrentCapturesAndRefunds: 20 concurrent captures capture once;
// 20 concurrent refunds never exceed the captured amount.
func TestConcurrentCapturesAndRefunds(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, e *env) {
		guest, back := e.guest(t), e.integration()
		o := guest.checkout(t)
		guest.pay(t, o, gateways.SandboxApproved).want(t, 201)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
		statuses, _ := parallel(e, 20, e.token, "PATCH", "/api/orders/"+o, resource("orders", o, map[string]any{"_capture": true}, nil))
		if ok := countStatus(statuses, 200); ok != 1 || countStatus(statuses, 422) != 19 {
			t.Fatalf("captures: %v", statuses)
		}
		if n := len(back.do(t, "GET", "/api/orders/"+o+"/captures", nil).want(t, 200).list()); n != 1 {
			t.Fatalf("%d captures", n)
		}
		statuses, _ = parallel(e, 20, e.token, "PATCH", "/api/orders/"+o, resource("orders", o, map[string]any{"_refund": true, "_refund_amount_cents": 2000}, nil))
		// 7700 captured (7000 and 700 shipping): three refunds of 2000 fit,
		// the rest are refused.
		if countStatus(statuses, 200) != 3 || countStatus(statuses, 422) != 17 {
			t.Fatalf("refunds: %v", statuses)
		}
		caps := back.do(t, "GET", "/api/orders/"+o+"/captures", nil).want(t, 200).list()
		if num(caps[0], "refund_amount_cents") != 6000 || num(caps[0], "refund_balance_cents") != 1700 {
			t.Fatalf("capture balances: %v", attrs(caps[0]))
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, newEnv(t, dbtest.SQLite(t), true)) })
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Run("postgres", func(t *testing.T) { run(t, newEnv(t, dbtest.Postgres(t), true)) })
	}
}

func countStatus(statuses []int, want int) int {
	n := 0
	for _, s := range statuses {
		if s == want {
			n++
		}
	}
	return n
}

// TestAutoCaptureAndTransactionTriggers: a payment method that captures
// at once places the order paid; an authorization's own _capture and _void
// triggers work on their balances.
func TestAutoCaptureAndTransactionTriggers(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		back := e.integration()
		sandbox := e.one(t, "sandbox_gateways", "name_eq", "Kasse sandbox")
		auto := e.create(t, "payment_methods", map[string]any{"name": "Card, captured at once", "payment_source_type": "checkout_com_payments",
			"currency_code": "EUR", "price_amount_cents": 0, "auto_capture": true},
			map[string]any{"market": ref("markets", id(e.one(t, "markets", "code_eq", "eu"))), "payment_gateway": ref("payment_gateways", id(sandbox))})

		guest := e.guest(t)
		o := guest.checkout(t)
		guest.patchOrder(t, o, nil, map[string]any{"payment_method": ref("payment_methods", id(auto))}).want(t, 200)
		guest.pay(t, o, gateways.SandboxApproved).want(t, 201)
		if r := guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200).data(); attrs(r)["payment_status"] != "paid" {
			t.Fatalf("auto-captured order placed as %v", attrs(r)["payment_status"])
		}

		// Capture part of an authorization, then the rest; a void after a
		// capture is refused.
		o = guest.checkout(t)
		guest.pay(t, o, gateways.SandboxApproved).want(t, 201)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
		auth := back.do(t, "GET", "/api/orders/"+o+"/authorizations", nil).want(t, 200).list()[0]
		aid := id(auth)
		patchAuth := func(attributes map[string]any) *response {
			return back.do(t, "PATCH", "/api/authorizations/"+aid, resource("authorizations", aid, attributes, nil))
		}
		if got := patchAuth(map[string]any{"_capture": true, "_capture_amount_cents": 1000}).want(t, 200).data(); num(got, "capture_balance_cents") != num(auth, "amount_cents")-1000 {
			t.Fatalf("after a partial capture: %v", attrs(got))
		}
		if attrs(back.order(t, o))["payment_status"] != "partially_paid" {
			t.Fatal("a partial capture did not make the order partially_paid")
		}
		patchAuth(map[string]any{"_void": true}).wantError(t, 422, "VALIDATION_ERROR")
		patchAuth(map[string]any{"_capture": true}).want(t, 200)
		if attrs(back.order(t, o))["payment_status"] != "paid" {
			t.Fatal("capturing the rest did not make the order paid")
		}
		// Guests cannot send transaction triggers (they cannot even see them).
		guest.do(t, "PATCH", "/api/authorizations/"+aid, resource("authorizations", aid, map[string]any{"_void": true}, nil)).want(t, 404)

		// Void an untouched authorization.
		o = guest.checkout(t)
		guest.pay(t, o, gateways.SandboxApproved).want(t, 201)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
		aid = id(back.do(t, "GET", "/api/orders/"+o+"/authorizations", nil).want(t, 200).list()[0])
		if got := patchAuth(map[string]any{"_void": true}).want(t, 200).data(); num(got, "void_balance_cents") != 0 || num(got, "capture_balance_cents") != 0 {
			t.Fatalf("after a void: %v", attrs(got))
		}
		if attrs(back.order(t, o))["payment_status"] != "voided" {
			t.Fatal("a void did not make the order voided")
		}
	})
}

// tampered is a hex signature with its first digit changed: never the
// signature itself (as "00"+sig[2:] was, whenever sig began with 00).
func tampered(sig string) string {
	first := "0"
	if sig[0] == '0' {
		first = "1"
	}
	return first + sig[1:]
}
