package handlers_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/gateways"
	"kasse/gateways/stripe"
	"kasse/handlers"
	"kasse/models"
)

// eachStripe runs fn with a Stripe gateway talking to a stateful loopback
// fake of Stripe's API (stripe-mock, used by the adapter's own tests, is
// stateless and cannot carry a payment through its states).
func eachStripe(t *testing.T, fn func(t *testing.T, e *env, fake *stripe.Fake, method string)) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		fake := stripe.NewFake()
		t.Cleanup(fake.Close)
		providers := gateways.New(gateways.Config{BaseURL: testBaseURL, StripeBaseURL: fake.URL, Timeout: 2 * time.Second, SandboxStore: &models.SandboxStore{DB: gdb}})
		e := newEnvWith(t, gdb, true, handlers.Config{Payments: &models.Payments{DB: gdb, Providers: providers}, Sandbox: providers.Sandbox.Handler()})
		gw := e.create(t, "stripe_gateways", map[string]any{"name": "Stripe", "login": stripe.FakeSecretKey, "publishable_key": "pk_test_x"}, nil)
		if _, shown := attrs(gw)["login"]; shown {
			t.Fatal("login is write-only")
		}
		pm := e.create(t, "payment_methods", map[string]any{"name": "Card (Stripe)", "payment_source_type": "stripe_payments", "currency_code": "EUR", "price_amount_cents": 0},
			map[string]any{"market": ref("markets", id(e.one(t, "markets", "code_eq", "eu"))), "payment_gateway": ref("stripe_gateways", id(gw))})
		fn(t, e, fake, id(pm))
	})
}

func (s *shopper) stripeCheckout(t *testing.T, method string) string {
	t.Helper()
	o := id(s.newOrder(t, map[string]any{"customer_email": "stripe@example.com"}))
	s.addItem(t, o, mugCode, 2)
	address := s.newAddress(t)
	s.patchOrder(t, o, map[string]any{"_shipping_address_same_as_billing": true}, map[string]any{
		"billing_address": ref("addresses", address), "payment_method": ref("payment_methods", method),
	}).want(t, 200)
	return o
}

func TestStripeStorefrontFlow(t *testing.T) {
	t.Parallel()
	eachStripe(t, func(t *testing.T, e *env, fake *stripe.Fake, method string) {
		guest, back := e.guest(t), e.integration()
		o := guest.stripeCheckout(t, method)
		p := guest.do(t, "POST", "/api/stripe_payments", resource("stripe_payments", "", map[string]any{
			"options": map[string]any{"payment_method": stripe.TestCardVisa}, "return_url": "https://shop.example/back",
		}, map[string]any{"order": ref("orders", o)})).want(t, 201)
		if attrs(p.data())["stripe_id"] == nil || attrs(p.data())["mismatched_amounts"] != false {
			t.Fatalf("stripe payment: %s", p.body)
		}
		intent, ok := fake.Intent(attrs(p.data())["stripe_id"].(string))
		if !ok || intent["status"] != "requires_capture" || intent["amount"] != float64(2400+700) && intent["amount"] != int64(2400+700) { // with shipping
			t.Fatalf("PaymentIntent at Stripe: %v", intent)
		}
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
		if r := back.patchOrder(t, o, map[string]any{"_capture": true}, nil).want(t, 200).data(); attrs(r)["payment_status"] != "paid" {
			t.Fatalf("captured: %v", attrs(r))
		}
		if r := back.patchOrder(t, o, map[string]any{"_refund": true, "_refund_amount_cents": 400}, nil).want(t, 200).data(); attrs(r)["payment_status"] != "partially_refunded" {
			t.Fatalf("refunded: %v", attrs(r))
		}
		caps := back.do(t, "GET", "/api/orders/"+o+"/captures", nil).want(t, 200).list()
		if num(caps[0], "refund_balance_cents") != 2000+700 {
			t.Fatalf("capture: %v", attrs(caps[0]))
		}
	})
}

func TestStripeBrowserConfirmationAndDecline(t *testing.T) {
	t.Parallel()
	eachStripe(t, func(t *testing.T, e *env, fake *stripe.Fake, method string) {
		guest := e.guest(t)
		o := guest.stripeCheckout(t, method)
		p := guest.do(t, "POST", "/api/stripe_payments", resource("stripe_payments", "", map[string]any{}, map[string]any{"order": ref("orders", o)})).want(t, 201)
		secret, _ := attrs(p.data())["client_secret"].(string)
		stripeID, _ := attrs(p.data())["stripe_id"].(string)
		if secret == "" || stripeID == "" {
			t.Fatalf("an unconfirmed intent needs its client_secret: %s", p.body)
		}
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 422)
		if err := fake.ConfirmInBrowser(stripeID, stripe.TestCardVisa); err != nil {
			t.Fatal(err)
		}
		pid := id(p.data())
		guest.do(t, "PATCH", "/api/stripe_payments/"+pid, resource("stripe_payments", pid, map[string]any{"_refresh": true}, nil)).want(t, 200)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)

		// A declined card.
		o = guest.stripeCheckout(t, method)
		guest.do(t, "POST", "/api/stripe_payments", resource("stripe_payments", "", map[string]any{
			"options": map[string]any{"payment_method": stripe.TestCardDeclined},
		}, map[string]any{"order": ref("orders", o)})).want(t, 201)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 422)
		auths := e.do("GET", "/api/orders/"+o+"/authorizations", nil).want(t, 200).list()
		if len(auths) != 1 || attrs(auths[0])["succeeded"] != false {
			t.Fatalf("declined authorization: %v", auths)
		}
	})
}

// TestStripeMockThroughTheAPI sends a stripe_payments create and its
// _refresh through the whole stack to Stripe's own mock: the requests
// Kasse makes are valid Stripe API calls and the answers decode. (The
// mock is stateless, so the flow itself is tested against the fake.)
func TestStripeMockThroughTheAPI(t *testing.T) {
	t.Parallel()
	bin, err := stripe.MockBin()
	if err != nil {
		t.Fatal(err)
	}
	mockURL, stop, err := stripe.StartMock(bin)
	t.Cleanup(stop)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		providers := gateways.New(gateways.Config{BaseURL: testBaseURL, StripeBaseURL: mockURL, Timeout: 10 * time.Second})
		e := newEnvWith(t, gdb, true, handlers.Config{Payments: &models.Payments{DB: gdb, Providers: providers}})
		gw := e.create(t, "stripe_gateways", map[string]any{"name": "Stripe (mock)", "login": "sk_test_123"}, nil)
		pm := e.create(t, "payment_methods", map[string]any{"name": "Card (Stripe mock)", "payment_source_type": "stripe_payments", "currency_code": "EUR", "price_amount_cents": 0},
			map[string]any{"market": ref("markets", id(e.one(t, "markets", "code_eq", "eu"))), "payment_gateway": ref("stripe_gateways", id(gw))})
		guest := e.guest(t)
		o := guest.stripeCheckout(t, id(pm))
		p := guest.do(t, "POST", "/api/stripe_payments", resource("stripe_payments", "", map[string]any{
			"options": map[string]any{"payment_method": "pm_card_visa"},
		}, map[string]any{"order": ref("orders", o)})).want(t, 201)
		stripeID, _ := attrs(p.data())["stripe_id"].(string)
		if !strings.HasPrefix(stripeID, "pi_") {
			t.Fatalf("no PaymentIntent from stripe-mock: %s", p.body)
		}
		pid := id(p.data())
		guest.do(t, "PATCH", "/api/stripe_payments/"+pid, resource("stripe_payments", pid, map[string]any{"_refresh": true}, nil)).want(t, 200)
	})
}
