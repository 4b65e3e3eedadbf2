package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/gateways"
	"kasse/gateways/checkoutcom"
	"kasse/gateways/stripe"
	"kasse/handlers"
	"kasse/models"
)

// hosted is an env whose eu market pays card sessions on the providers'
// own hosted pages: a Checkout.com gateway on a loopback fake of its API
// and a Stripe one on a loopback fake of Stripe's, each with a payment
// method ranked above the sandbox's (by routing_priority).
type hosted struct {
	*env
	cko    *checkoutcom.Fake
	stripe *stripe.Fake
	// gateway ids, and the payment methods' ids by gateway type
	ckoGateway, stripeGateway string
	methods                   map[string]string
}

const stripeWebhookSecret = "whsec_kasse_hosted_test"

func eachHosted(t *testing.T, fn func(t *testing.T, h *hosted)) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ckoFake, stripeFake := checkoutcom.NewFake(), stripe.NewFake()
		t.Cleanup(ckoFake.Close)
		t.Cleanup(stripeFake.Close)
		providers := gateways.New(gateways.Config{BaseURL: testBaseURL, CheckoutComBaseURL: ckoFake.URL, StripeBaseURL: stripeFake.URL,
			Timeout: 2 * time.Second, SandboxStore: &models.SandboxStore{DB: gdb}})
		e := newEnvWith(t, gdb, true, handlers.Config{Payments: &models.Payments{DB: gdb, Providers: providers, Timeout: 500 * time.Millisecond},
			Sandbox: providers.Sandbox.Handler()})
		h := &hosted{env: e, cko: ckoFake, stripe: stripeFake, methods: map[string]string{}}
		market := ref("markets", id(e.one(t, "markets", "code_eq", "eu")))
		h.ckoGateway = id(e.create(t, "checkout_com_gateways", map[string]any{"name": "Checkout.com", "secret_key": ckoFake.SecretKey,
			"webhook_endpoint_secret": ckoWebhookSecret}, nil))
		h.stripeGateway = id(e.create(t, "stripe_gateways", map[string]any{"name": "Stripe", "login": stripe.FakeSecretKey,
			"webhook_endpoint_secret": stripeWebhookSecret}, nil))
		h.methods[models.GatewayCheckoutCom] = id(e.create(t, "payment_methods", map[string]any{"name": "Card (Checkout.com HPP)",
			"payment_source_type": "checkout_com_payments", "currency_code": "EUR", "price_amount_cents": 0, "routing_priority": 20},
			map[string]any{"market": market, "payment_gateway": ref("checkout_com_gateways", h.ckoGateway)}))
		h.methods[models.GatewayStripe] = id(e.create(t, "payment_methods", map[string]any{"name": "Card (Stripe Checkout)",
			"payment_source_type": "stripe_payments", "currency_code": "EUR", "price_amount_cents": 0, "routing_priority": 10},
			map[string]any{"market": market, "payment_gateway": ref("stripe_gateways", h.stripeGateway)}))
		fn(t, h)
	})
}

// only disables the hosted payment method of every other gateway type.
func (h *hosted) only(t *testing.T, gatewayType string) {
	t.Helper()
	for typ, pm := range h.methods {
		if typ != gatewayType {
			h.do("PATCH", "/api/payment_methods/"+pm, resource("payment_methods", pm, map[string]any{"_disable": true}, nil)).want(t, 200)
		}
	}
}

// noSandbox disables the eu market's sandbox payment methods, so that
// only the hosted ones are candidates.
func (h *hosted) noSandbox(t *testing.T) {
	t.Helper()
	var ids []string
	h.db.Model(&models.PaymentMethod{}).Joins("JOIN payment_gateways ON payment_gateways.id = payment_methods.payment_gateway_id").
		Where("payment_gateways.kind = ?", models.GatewaySandbox).Pluck("payment_methods.id", &ids)
	for _, pm := range ids {
		h.do("PATCH", "/api/payment_methods/"+pm, resource("payment_methods", pm, map[string]any{"_disable": true}, nil)).want(t, 200)
	}
}

// stripeCreates counts the Checkout Sessions asked of Stripe.
func (h *hosted) stripeCreates() int {
	n := 0
	for _, r := range h.stripe.Requests() {
		if r.Method == "POST" && r.Path == "/v1/checkout/sessions" {
			n++
		}
	}
	return n
}

// session is a guest's eu cart (a T-shirt, billed in France) and a card
// session for it; it returns the order id and the session.
func (h *hosted) session(t *testing.T, extra map[string]any) (string, map[string]any) {
	t.Helper()
	guest := h.guest(t)
	o := id(guest.newOrder(t, map[string]any{"customer_email": "hosted@example.com"}))
	guest.addItem(t, o, tshirtCode, 1)
	guest.patchOrder(t, o, map[string]any{"_shipping_address_same_as_billing": true}, map[string]any{"billing_address": ref("addresses", guest.newAddress(t))}).want(t, 200)
	return o, guest.newSession(t, sessionAttrs(extra), map[string]any{"order": ref("orders", o)}).want(t, 201).data()
}

// startPayment opens the session's page and posts its form: the answer is
// a 303 to the provider's hosted page, whose URL it returns.
func (h *hosted) startPayment(t *testing.T, path, provider string, fields ...string) string {
	t.Helper()
	p := h.visit(t, "GET", path, nil)
	if p.status != 200 || !strings.Contains(p.body, `name="hosted"`) {
		t.Fatalf("page: %d\n%s", p.status, p.body)
	}
	form := url.Values{"csrf_token": {p.csrf(t)}, "hosted": {"1"}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	p = h.visit(t, "POST", path, form)
	if p.status != 303 || !strings.HasPrefix(p.location, provider) {
		t.Fatalf("pay: %d %q, want a redirect to %s\n%s", p.status, p.location, provider, p.body)
	}
	return p.location
}

// noRedirects is a browser that shows each redirect instead of following it.
var noRedirects = &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// payOnProvider acts on a provider's hosted page as the customer and
// returns where the provider sends the browser back to.
func payOnProvider(t *testing.T, method, page string, form url.Values) string {
	t.Helper()
	var resp *http.Response
	var err error
	if method == "POST" {
		resp, err = noRedirects.PostForm(page, form)
	} else {
		resp, err = noRedirects.Get(page + "?" + form.Encode())
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the provider's page answered %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// back follows a provider's redirect to Kasse's return URL.
func (h *hosted) back(t *testing.T, location string) *page {
	t.Helper()
	if !strings.HasPrefix(location, testBaseURL+"/checkout/") || !strings.Contains(location, "/return") {
		t.Fatalf("the provider sent the customer to %q, not to the session's return URL", location)
	}
	return h.visit(t, "GET", strings.TrimPrefix(location, testBaseURL), nil)
}

func (h *hosted) sessionAttrs(t *testing.T, sid string) map[string]any {
	t.Helper()
	return attrs(h.integration().do(t, "GET", "/api/checkout_sessions/"+sid, nil).want(t, 200).data())
}

// wantCompleted checks a session completed on gatewayType's gateway with
// its order placed and authorized.
func (h *hosted) wantCompleted(t *testing.T, sid, orderID, gatewayType string) map[string]any {
	t.Helper()
	s := h.sessionAttrs(t, sid)
	routing, _ := s["routing"].(map[string]any)
	if s["status"] != "completed" || s["completed_at"] == nil || routing["gateway_type"] != gatewayType {
		t.Fatalf("session: %v", s)
	}
	o := attrs(h.integration().order(t, orderID))
	if o["status"] != "placed" || o["payment_status"] != "authorized" {
		t.Fatalf("order: %v", o)
	}
	return s
}

func TestCheckoutSessionCheckoutComHostedPage(t *testing.T) {
	t.Parallel()
	eachHosted(t, func(t *testing.T, h *hosted) {
		h.noSandbox(t)
		h.only(t, models.GatewayCheckoutCom)
		t.Run("return", func(t *testing.T) {
			orderID, s := h.session(t, map[string]any{"locale": "fr_CI", "max_installments": 3})
			sid, path := id(s), pagePath(t, s)
			if routing := attrs(s)["routing"].(map[string]any); routing["gateway_type"] != models.GatewayCheckoutCom {
				t.Fatalf("routing: %v", routing)
			}
			p := h.visit(t, "GET", path, nil)
			p = h.visit(t, "POST", path, url.Values{"csrf_token": {p.csrf(t)}, "hosted": {"1"}, "installments": {"3"}})
			if p.status != 303 || !strings.HasPrefix(p.location, h.cko.URL+"/hpp/hpp_") {
				t.Fatalf("pay: %d %q\n%s", p.status, p.location, p.body)
			}
			hpp, _ := h.cko.HostedPage(strings.TrimPrefix(p.location, h.cko.URL+"/hpp/"))
			var ps models.PaymentSource
			h.db.Where("session_id = ?", hpp.ID).Take(&ps)
			if hpp.Amount != 3600 || hpp.Currency != "EUR" || hpp.Reference != sid || hpp.Country != "FR" || hpp.Locale != "fr-FR" ||
				hpp.Email != "hosted@example.com" || hpp.Capture || hpp.Metadata[models.HostedSourceKey] != ps.ID || hpp.Metadata[models.HostedInstallmentsKey] != "3" ||
				!strings.HasPrefix(hpp.SuccessURL, testBaseURL+path+"/return") || !strings.Contains(hpp.CancelURL, models.HostedCancelParam) {
				t.Fatalf("hosted page: %+v", hpp)
			}
			var create []checkoutcom.Request
			for _, r := range h.cko.Requests() {
				if r.Method == "POST" && r.Path == "/hosted-payments" {
					create = append(create, r)
				}
			}
			if len(create) != 1 || create[0].Header.Get(checkoutcom.IdempotencyHeader) != "kasse_"+ps.ID+"_hosted" {
				t.Fatalf("POST /hosted-payments: %+v", create)
			}
			if got := h.sessionAttrs(t, sid)["status"]; got != "processing" {
				t.Fatalf("at the provider's page: %v", got)
			}
			// The waiting page links back to the provider's page.
			if w := h.visit(t, "GET", path, nil); !strings.Contains(w.body, `id="action"`) || !strings.Contains(w.body, h.cko.URL+"/hpp/") {
				t.Fatalf("waiting page:\n%s", w.body)
			}

			// A declined card there brings the customer back: the session fails
			// and the customer may pay again.
			r := h.back(t, payOnProvider(t, "POST", p.location, url.Values{"outcome": {"decline"}}))
			if r.status != 303 || r.location != path {
				t.Fatalf("declined return: %d %q", r.status, r.location)
			}
			if got := h.sessionAttrs(t, sid); got["status"] != "failed" {
				t.Fatalf("after a decline: %v", got)
			}
			provider := h.startPayment(t, path, h.cko.URL+"/hpp/", "installments", "3")
			location := payOnProvider(t, "POST", provider, url.Values{"outcome": {"pay"}})
			if !strings.Contains(location, "cko-payment-id=pay_") {
				t.Fatalf("success URL %q", location)
			}
			r = h.back(t, location)
			if r.status != 303 || r.location != "https://shop.example/thanks?checkout_session_id="+sid {
				t.Fatalf("return: %d %q", r.status, r.location)
			}
			got := h.wantCompleted(t, sid, orderID, models.GatewayCheckoutCom)
			if got["installments"] != 3.0 {
				t.Fatalf("installments: %v", got["installments"])
			}
			// The payment was read from Checkout.com, server-side.
			var gets int
			for _, r := range h.cko.Requests() {
				if r.Method == "GET" && strings.HasPrefix(r.Path, "/payments/pay_") {
					gets++
				}
			}
			if gets < 2 {
				t.Fatalf("%d GET /payments/{id}: the returns were not verified", gets)
			}
		})

		t.Run("a return naming another payment is not believed", func(t *testing.T) {
			_, other := h.session(t, nil)
			otherPage := h.startPayment(t, pagePath(t, other), h.cko.URL+"/hpp/")
			paid := h.cko.PayHosted(strings.TrimPrefix(otherPage, h.cko.URL+"/hpp/"), true)

			_, s := h.session(t, nil)
			sid, path := id(s), pagePath(t, s)
			h.startPayment(t, path, h.cko.URL+"/hpp/")
			r := h.visit(t, "GET", path+"/return?cko-payment-id="+paid, nil)
			if r.status != 303 || !strings.HasPrefix(r.location, h.cko.URL+"/hpp/") {
				t.Fatalf("forged return: %d %q", r.status, r.location)
			}
			if got := h.sessionAttrs(t, sid)["status"]; got != "processing" {
				t.Fatalf("a forged return changed the session: %v", got)
			}
		})

		t.Run("cancel on the provider's page", func(t *testing.T) {
			_, s := h.session(t, nil)
			sid, path := id(s), pagePath(t, s)
			provider := h.startPayment(t, path, h.cko.URL+"/hpp/")
			r := h.back(t, payOnProvider(t, "POST", provider, url.Values{"outcome": {"cancel"}}))
			if r.status != 303 || r.location != path {
				t.Fatalf("cancelled return: %d %q", r.status, r.location)
			}
			if got := h.sessionAttrs(t, sid); got["status"] != "failed" || !strings.Contains(got["failure_reason"].(string), "cancelled") {
				t.Fatalf("after cancelling: %v", got)
			}
		})

		t.Run("a crash before the provider named its page", func(t *testing.T) {
			_, s := h.session(t, nil)
			sid, path := id(s), pagePath(t, s)
			h.startPayment(t, path, h.cko.URL+"/hpp/")
			// As if the server died while Checkout.com answered: the payment
			// waits on a page it cannot name.
			var sess models.CheckoutSession
			h.db.Where("id = ?", sid).Take(&sess)
			h.db.Model(&models.PaymentSource{}).Where("id = ?", *sess.PaymentSourceID).Updates(map[string]any{"session_id": nil, "redirect_uri": nil})
			h.integration().do(t, "PATCH", "/api/checkout_sessions/"+sid, resource("checkout_sessions", sid, map[string]any{"_refresh": true}, nil)).want(t, 200)
			if got := h.sessionAttrs(t, sid); got["status"] != "failed" {
				t.Fatalf("after _refresh: %v", got)
			}
			var ps models.PaymentSource
			h.db.Where("id = ?", *sess.PaymentSourceID).Take(&ps)
			if ps.Status != models.SourceDeclined || ps.Token != nil {
				t.Fatalf("the payment: %+v", ps)
			}
			h.startPayment(t, path, h.cko.URL+"/hpp/")
		})

		t.Run("webhook", func(t *testing.T) {
			orderID, s := h.session(t, nil)
			sid, path := id(s), pagePath(t, s)
			provider := h.startPayment(t, path, h.cko.URL+"/hpp/")
			hook := "/webhooks/payment_gateways/" + h.ckoGateway
			hpp := strings.TrimPrefix(provider, h.cko.URL+"/hpp/")
			// A declined attempt on the page is no outcome: the customer is
			// still there and may try again.
			declined := h.cko.PayHosted(hpp, false)
			body := h.cko.WebhookBody("payment_declined", declined)
			if code := h.rawSigned(hook, body, checkoutcom.SignatureHeader, h.cko.SignWebhook(ckoWebhookSecret, body)); code != 200 {
				t.Fatalf("webhook: %d", code)
			}
			if got := h.sessionAttrs(t, sid)["status"]; got != "processing" {
				t.Fatalf("after a declined attempt: %v", got)
			}
			paid := h.cko.PayHosted(hpp, true)
			body = h.cko.WebhookBody("payment_approved", paid)
			if code := h.rawSigned(hook, body, checkoutcom.SignatureHeader, h.cko.SignWebhook(ckoWebhookSecret, body)); code != 200 {
				t.Fatalf("webhook: %d", code)
			}
			h.wantCompleted(t, sid, orderID, models.GatewayCheckoutCom)
			var ps models.PaymentSource
			h.db.Where("session_id = ?", hpp).Take(&ps)
			if ps.GatewayPaymentID == nil || *ps.GatewayPaymentID != paid {
				t.Fatalf("the payment source's gateway payment id: %v", ps.GatewayPaymentID)
			}
			// The customer's return afterwards goes to the success URL.
			if r := h.visit(t, "GET", path+"/return?cko-payment-id="+paid, nil); r.status != 303 || !strings.HasPrefix(r.location, "https://shop.example/thanks") {
				t.Fatalf("late return: %d %q", r.status, r.location)
			}
		})
	})
}

func TestCheckoutSessionStripeCheckout(t *testing.T) {
	t.Parallel()
	eachHosted(t, func(t *testing.T, h *hosted) {
		h.noSandbox(t)
		h.only(t, models.GatewayStripe)
		page := h.stripe.URL + "/fake/checkout/cs_"
		t.Run("return", func(t *testing.T) {
			orderID, s := h.session(t, map[string]any{"locale": "fr_CA", "max_installments": 6})
			sid, path := id(s), pagePath(t, s)
			if routing := attrs(s)["routing"].(map[string]any); routing["gateway_type"] != models.GatewayStripe {
				t.Fatalf("routing: %v", routing)
			}
			provider := h.startPayment(t, path, page, "installments", "6")
			var create []stripe.FakeRequest
			for _, r := range h.stripe.Requests() {
				if r.Method == "POST" && r.Path == "/v1/checkout/sessions" {
					create = append(create, r)
				}
			}
			var ps models.PaymentSource
			h.db.Where("session_id = ?", strings.TrimPrefix(provider, h.stripe.URL+"/fake/checkout/")).Take(&ps)
			if len(create) != 1 {
				t.Fatalf("POST /v1/checkout/sessions: %+v", create)
			}
			form := create[0].Form
			for k, want := range map[string]string{"mode": "payment", "line_items[0][price_data][unit_amount]": "3600", "line_items[0][price_data][currency]": "eur",
				"line_items[0][quantity]": "1", "payment_intent_data[capture_method]": "manual", "locale": "fr-CA", "customer_email": "hosted@example.com",
				"client_reference_id": ps.ID, "payment_intent_data[metadata][" + models.HostedSourceKey + "]": ps.ID,
				"metadata[" + models.HostedInstallmentsKey + "]": "6", "success_url": testBaseURL + path + "/return?session_id={CHECKOUT_SESSION_ID}"} {
				if got := form.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if create[0].IdempotencyKey != "kasse_"+ps.ID+"_hosted" || form.Get("payment_method_options[card][installments][enabled]") != "" || form.Get("expires_at") == "" {
				t.Fatalf("create: key %q, form %v", create[0].IdempotencyKey, form)
			}
			// A declined card on Stripe's page keeps the customer there.
			if loc := payOnProvider(t, "GET", provider, url.Values{"outcome": {"decline"}}); !strings.HasPrefix(loc, "/fake/checkout/") {
				t.Fatalf("declined: %q", loc)
			}
			r := h.back(t, payOnProvider(t, "GET", provider, url.Values{"outcome": {"pay"}}))
			if r.status != 303 || r.location != "https://shop.example/thanks?checkout_session_id="+sid {
				t.Fatalf("return: %d %q", r.status, r.location)
			}
			got := h.wantCompleted(t, sid, orderID, models.GatewayStripe)
			if got["installments"] != 6.0 {
				t.Fatalf("installments: %v", got["installments"])
			}
			h.db.Where("id = ?", ps.ID).Take(&ps)
			if ps.GatewayPaymentID == nil || !strings.HasPrefix(*ps.GatewayPaymentID, "pi_") || ps.ClientSecret != nil {
				t.Fatalf("the payment source: %+v", ps)
			}
			if intent, _ := h.stripe.Intent(*ps.GatewayPaymentID); intent["status"] != "requires_capture" {
				t.Fatalf("PaymentIntent: %v", intent)
			}
		})

		t.Run("cancel on Stripe's page", func(t *testing.T) {
			_, s := h.session(t, nil)
			sid, path := id(s), pagePath(t, s)
			provider := h.startPayment(t, path, page)
			r := h.back(t, payOnProvider(t, "GET", provider, url.Values{"outcome": {"cancel"}}))
			if r.status != 303 || r.location != path {
				t.Fatalf("cancelled return: %d %q", r.status, r.location)
			}
			if got := h.sessionAttrs(t, sid); got["status"] != "failed" {
				t.Fatalf("after cancelling: %v", got)
			}
		})

		t.Run("webhook", func(t *testing.T) {
			orderID, sid, cs := h.paidOnStripe(t, page)
			body := h.stripe.Event("checkout.session.completed", cs)
			if code := h.rawSigned("/webhooks/payment_gateways/"+h.stripeGateway, body, stripe.SignatureHeader, "t=1,v1=00"); code != 401 {
				t.Fatalf("bad signature: %d", code)
			}
			h.stripeHook(t, "checkout.session.completed", cs)
			h.wantCompleted(t, sid, orderID, models.GatewayStripe)
			// The PaymentIntent's own event, delivered after, changes nothing.
			session, _ := h.stripe.CheckoutSession(cs)
			h.stripeHook(t, "payment_intent.amount_capturable_updated", session["payment_intent"].(string))
			if n := len(h.do("GET", "/api/orders/"+orderID+"/authorizations", nil).want(t, 200).list()); n != 1 {
				t.Fatalf("%d authorizations", n)
			}
		})

		t.Run("payment intent webhook", func(t *testing.T) {
			orderID, sid, cs := h.paidOnStripe(t, page)
			session, _ := h.stripe.CheckoutSession(cs)
			h.stripeHook(t, "payment_intent.amount_capturable_updated", session["payment_intent"].(string))
			h.wantCompleted(t, sid, orderID, models.GatewayStripe)
		})

		t.Run("expired on Stripe", func(t *testing.T) {
			_, s := h.session(t, nil)
			sid, path := id(s), pagePath(t, s)
			cs := strings.TrimPrefix(h.startPayment(t, path, page), h.stripe.URL+"/fake/checkout/")
			h.stripe.ExpireCheckout(cs)
			h.stripeHook(t, "checkout.session.expired", cs)
			if got := h.sessionAttrs(t, sid); got["status"] != "failed" || !strings.Contains(got["failure_reason"].(string), "expired") {
				t.Fatalf("after Stripe's page expired: %v", got)
			}
		})
	})
}

// paidOnStripe is a session whose customer paid on Stripe's Checkout page
// and did not come back: its order, its id and the Checkout Session's.
func (h *hosted) paidOnStripe(t *testing.T, page string) (orderID, sid, cs string) {
	t.Helper()
	orderID, s := h.session(t, nil)
	cs = strings.TrimPrefix(h.startPayment(t, pagePath(t, s), page), h.stripe.URL+"/fake/checkout/")
	if err := h.stripe.PayCheckout(cs, stripe.TestCardVisa); err != nil {
		t.Fatal(err)
	}
	return orderID, id(s), cs
}

// stripeHook delivers a signed Stripe event about the object id.
func (h *hosted) stripeHook(t *testing.T, typ, objectID string) {
	t.Helper()
	body := h.stripe.Event(typ, objectID)
	if code := h.rawSigned("/webhooks/payment_gateways/"+h.stripeGateway, body, stripe.SignatureHeader, stripe.SignWebhook(stripeWebhookSecret, body)); code != 200 {
		t.Fatalf("%s webhook: %d", typ, code)
	}
}

// TestCheckoutSessionHostedFailover: a provider that answers 5xx, or does
// not answer in time, when its hosted page is asked for moves the payment
// to the next candidate (recorded in routing.attempts); the last one's
// failure leaves the session payable again.
func TestCheckoutSessionHostedFailover(t *testing.T) {
	t.Parallel()
	eachHosted(t, func(t *testing.T, h *hosted) {
		h.noSandbox(t)
		t.Run("checkout.com 5xx, then stripe", func(t *testing.T) {
			orderID, s := h.session(t, nil)
			sid, path := id(s), pagePath(t, s)
			h.cko.RespondNext(http.StatusBadGateway, "Bad Gateway")
			provider := h.startPayment(t, path, h.stripe.URL+"/fake/checkout/cs_")
			r := h.back(t, payOnProvider(t, "GET", provider, url.Values{"outcome": {"pay"}}))
			if r.status != 303 || !strings.HasPrefix(r.location, "https://shop.example/thanks") {
				t.Fatalf("return: %d %q", r.status, r.location)
			}
			got := h.wantCompleted(t, sid, orderID, models.GatewayStripe)
			attempts := got["routing"].(map[string]any)["attempts"].([]any)
			if len(attempts) != 2 || attempts[0].(map[string]any)["gateway_id"] != h.ckoGateway || attempts[0].(map[string]any)["outcome"] != models.AttemptTechnical ||
				attempts[1].(map[string]any)["gateway_id"] != h.stripeGateway || attempts[1].(map[string]any)["outcome"] != models.AttemptApproved {
				t.Fatalf("attempts: %v", attempts)
			}
		})
		t.Run("stripe timeout, then checkout.com", func(t *testing.T) {
			pm := h.methods[models.GatewayStripe]
			h.do("PATCH", "/api/payment_methods/"+pm, resource("payment_methods", pm, map[string]any{"routing_priority": 30}, nil)).want(t, 200)
			defer h.do("PATCH", "/api/payment_methods/"+pm, resource("payment_methods", pm, map[string]any{"routing_priority": 10}, nil)).want(t, 200)
			_, s := h.session(t, nil)
			sid, path := id(s), pagePath(t, s)
			if routing := attrs(s)["routing"].(map[string]any); routing["gateway_id"] != h.stripeGateway {
				t.Fatalf("routing: %v", routing)
			}
			h.stripe.Inject(stripe.Fault{Delay: 1500 * time.Millisecond})
			provider := h.startPayment(t, path, h.cko.URL+"/hpp/")
			h.back(t, payOnProvider(t, "POST", provider, url.Values{"outcome": {"pay"}}))
			got := h.sessionAttrs(t, sid)
			attempts := got["routing"].(map[string]any)["attempts"].([]any)
			if got["status"] != "completed" || len(attempts) != 2 || attempts[0].(map[string]any)["outcome"] != models.AttemptTechnical {
				t.Fatalf("session: %v", got)
			}
		})
		t.Run("a decline never fails over", func(t *testing.T) {
			asked := h.stripeCreates()
			_, s := h.session(t, nil)
			if routing := attrs(s)["routing"].(map[string]any); routing["gateway_id"] != h.ckoGateway || len(routing["candidates"].([]any)) < 2 {
				t.Fatalf("routing: %v", routing)
			}
			sid, path := id(s), pagePath(t, s)
			provider := h.startPayment(t, path, h.cko.URL+"/hpp/")
			h.back(t, payOnProvider(t, "POST", provider, url.Values{"outcome": {"decline"}}))
			got := h.sessionAttrs(t, sid)
			if got["status"] != "failed" || got["routing"].(map[string]any)["gateway_id"] != h.ckoGateway {
				t.Fatalf("session: %v", got)
			}
			if h.stripeCreates() != asked {
				t.Fatal("a decline failed over to Stripe")
			}
		})
		t.Run("the last candidate's failure", func(t *testing.T) {
			h.only(t, models.GatewayCheckoutCom)
			_, s := h.session(t, nil)
			sid, path := id(s), pagePath(t, s)
			h.cko.RespondNext(http.StatusServiceUnavailable, "Service Unavailable")
			p := h.visit(t, "GET", path, nil)
			p = h.visit(t, "POST", path, url.Values{"csrf_token": {p.csrf(t)}, "hosted": {"1"}})
			if p.status != http.StatusBadGateway {
				t.Fatalf("pay: %d %q", p.status, p.location)
			}
			if got := h.sessionAttrs(t, sid)["status"]; got != "pending" {
				t.Fatalf("after the only provider failed: %v", got)
			}
			h.startPayment(t, path, h.cko.URL+"/hpp/")
		})
	})
}
