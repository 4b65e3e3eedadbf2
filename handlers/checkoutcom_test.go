package handlers_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/gateways"
	"kasse/gateways/checkoutcom"
	"kasse/handlers"
	"kasse/models"
)

// cko is an env whose Checkout.com gateway talks to a loopback fake of
// Checkout.com's API.
type cko struct {
	*env
	fake *checkoutcom.Fake
}

const ckoWebhookSecret = "cko-webhook-signing-key"

func eachCheckoutCom(t *testing.T, fn func(t *testing.T, c *cko)) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		fake := checkoutcom.NewFake()
		t.Cleanup(fake.Close)
		fake.SetTimeoutDelay(2 * time.Second)
		providers := gateways.New(gateways.Config{BaseURL: testBaseURL, CheckoutComBaseURL: fake.URL, Timeout: 300 * time.Millisecond, SandboxStore: &models.SandboxStore{DB: gdb}})
		e := newEnvWith(t, gdb, true, handlers.Config{Payments: &models.Payments{DB: gdb, Providers: providers}, Sandbox: providers.Sandbox.Handler()})
		gw := e.do("POST", "/api/checkout_com_gateways", resource("checkout_com_gateways", "", map[string]any{
			"name": "Checkout.com", "secret_key": fake.SecretKey, "public_key": "pk_sbox_public", "webhook_endpoint_secret": ckoWebhookSecret,
		}, nil)).want(t, 201)
		for _, secret := range []string{"secret_key", "public_key", "webhook_endpoint_secret"} {
			if _, shown := attrs(gw.data())[secret]; shown {
				t.Fatalf("%s is write-only: %s", secret, gw.body)
			}
		}
		e.do("POST", "/api/payment_methods", resource("payment_methods", "", map[string]any{
			"name": "Card (Checkout.com)", "payment_source_type": "checkout_com_payments", "currency_code": "EUR", "price_amount_cents": 0,
		}, map[string]any{"market": ref("markets", id(e.one(t, "markets", "code_eq", "eu"))), "payment_gateway": ref("checkout_com_gateways", id(gw.data()))})).want(t, 201)
		fn(t, &cko{env: e, fake: fake})
	})
}

// ckoCheckout is a guest's cart paying with the Checkout.com method.
func (c *cko) checkout(t *testing.T, guest *shopper) string {
	t.Helper()
	o := id(guest.newOrder(t, map[string]any{"customer_email": "cko@example.com"}))
	guest.addItem(t, o, tshirtCode, 1)
	address := guest.newAddress(t)
	methods := c.do("GET", "/api/payment_methods"+q("filter[q][name_eq]", "Card (Checkout.com)"), nil).want(t, 200).list()
	guest.patchOrder(t, o, map[string]any{"_shipping_address_same_as_billing": true}, map[string]any{
		"billing_address": ref("addresses", address), "payment_method": ref("payment_methods", id(methods[0])),
	}).want(t, 200)
	return o
}

func TestCheckoutComStorefrontFlow(t *testing.T) {
	t.Parallel()
	eachCheckoutCom(t, func(t *testing.T, c *cko) {
		guest, back := c.guest(t), c.integration()
		o := c.checkout(t, guest)
		p := guest.pay(t, o, checkoutcom.TokenApproved).want(t, 201)
		a := attrs(p.data())
		if paymentStatus(p) != "Authorized" || a["public_key"] != "pk_sbox_public" || a["source_id"] == nil || a["mismatched_amounts"] != false {
			t.Fatalf("payment: %s", p.body)
		}
		// The provider was called with the order's total, an idempotency key
		// and the gateway's secret key.
		var payments []checkoutcom.Request
		for _, r := range c.fake.Requests() {
			if r.Method == "POST" && r.Path == "/payments" {
				payments = append(payments, r)
			}
		}
		if len(payments) != 1 || payments[0].Header.Get("Cko-Idempotency-Key") == "" || payments[0].Header.Get("Authorization") != "Bearer "+c.fake.SecretKey ||
			!strings.Contains(string(payments[0].Body), `"amount":3600`) { // 2900 and 700 shipping
			t.Fatalf("provider calls: %+v", payments)
		}
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
		if r := back.patchOrder(t, o, map[string]any{"_capture": true}, nil).want(t, 200).data(); attrs(r)["payment_status"] != "paid" {
			t.Fatalf("captured: %v", attrs(r))
		}
		if r := back.patchOrder(t, o, map[string]any{"_refund": true, "_refund_amount_cents": 900}, nil).want(t, 200).data(); attrs(r)["payment_status"] != "partially_refunded" {
			t.Fatalf("refunded: %v", attrs(r))
		}
		gp := c.fake.Requests()
		last := gp[len(gp)-1]
		if !strings.HasSuffix(last.Path, "/refunds") || !strings.Contains(string(last.Body), `"amount":900`) {
			t.Fatalf("last provider call: %s %s", last.Path, last.Body)
		}
		caps := back.do(t, "GET", "/api/orders/"+o+"/captures", nil).want(t, 200).list()
		if num(caps[0], "refund_balance_cents") != 2000+700 || attrs(caps[0])["gateway_transaction_id"] == nil {
			t.Fatalf("capture: %v", attrs(caps[0]))
		}
	})
}

func TestCheckoutComDeclined3DSAndTimeout(t *testing.T) {
	t.Parallel()
	eachCheckoutCom(t, func(t *testing.T, c *cko) {
		t.Run("declined", func(t *testing.T) {
			guest := c.guest(t)
			o := c.checkout(t, guest)
			p := guest.pay(t, o, checkoutcom.TokenDeclined).want(t, 201)
			if paymentStatus(p) != "Declined" {
				t.Fatalf("payment: %s", p.body)
			}
			guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 422)
		})
		t.Run("3ds", func(t *testing.T) {
			guest := c.guest(t)
			o := c.checkout(t, guest)
			p := guest.pay(t, o, checkoutcom.Token3DS).want(t, 201)
			redirect, _ := attrs(p.data())["redirect_uri"].(string)
			if paymentStatus(p) != "Pending" || !strings.HasPrefix(redirect, c.fake.URL+"/3ds/") {
				t.Fatalf("3DS payment: %s", p.body)
			}
			var ps models.PaymentSource
			c.db.Where("id = ?", id(p.data())).Take(&ps)
			c.fake.CompleteChallenge(*ps.GatewayPaymentID, true)
			pid := id(p.data())
			p = guest.do(t, "PATCH", "/api/checkout_com_payments/"+pid, resource("checkout_com_payments", pid, map[string]any{"_details": true}, nil)).want(t, 200)
			if paymentStatus(p) != "Authorized" {
				t.Fatalf("after _details: %s", p.body)
			}
			guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
		})
		t.Run("timeout", func(t *testing.T) {
			guest := c.guest(t)
			o := c.checkout(t, guest)
			p := guest.pay(t, o, checkoutcom.TokenTimeout).want(t, 201)
			if paymentStatus(p) != "Pending" || attrs(guest.order(t, o))["payment_status"] != "unpaid" {
				t.Fatalf("timed out payment: %s", p.body)
			}
			pid := id(p.data())
			p = guest.do(t, "PATCH", "/api/checkout_com_payments/"+pid, resource("checkout_com_payments", pid, map[string]any{"_refresh": true}, nil)).want(t, 200)
			if paymentStatus(p) != "Authorized" {
				t.Fatalf("after _refresh: %s", p.body)
			}
			// One payment at Checkout.com: the retry replayed the first.
			n := 0
			for _, r := range c.fake.Requests() {
				if r.Method == "POST" && r.Path == "/payments" && strings.Contains(string(r.Body), checkoutcom.TokenTimeout) {
					n++
				}
			}
			if n != 2 {
				t.Fatalf("%d authorize calls, want the first and its idempotent retry", n)
			}
		})
		t.Run("capture timeout leaves the order unchanged until _refresh", func(t *testing.T) {
			guest, back := c.guest(t), c.integration()
			o := c.checkout(t, guest)
			pid := id(guest.pay(t, o, checkoutcom.TokenApproved).want(t, 201).data())
			guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
			c.fake.RespondNext(502, `{"error":"bad gateway"}`)
			back.patchOrder(t, o, map[string]any{"_capture": true}, nil).wantError(t, 502, "PROVIDER_UNAVAILABLE")
			if attrs(back.order(t, o))["payment_status"] != "authorized" {
				t.Fatal("a failed capture changed the order")
			}
			back.do(t, "PATCH", "/api/checkout_com_payments/"+pid, resource("checkout_com_payments", pid, map[string]any{"_refresh": true}, nil)).want(t, 200)
			if attrs(back.order(t, o))["payment_status"] != "paid" {
				t.Fatal("_refresh did not settle the capture")
			}
		})
	})
}

func TestCheckoutComWebhook(t *testing.T) {
	t.Parallel()
	eachCheckoutCom(t, func(t *testing.T, c *cko) {
		guest := c.guest(t)
		o := c.checkout(t, guest)
		p := guest.pay(t, o, checkoutcom.Token3DS).want(t, 201)
		var ps models.PaymentSource
		c.db.Where("id = ?", id(p.data())).Take(&ps)
		gw := c.do("GET", "/api/checkout_com_gateways", nil).want(t, 200).list()[0]
		hook := strings.TrimPrefix(attrs(gw)["webhook_endpoint_url"].(string), testBaseURL)
		c.fake.CompleteChallenge(*ps.GatewayPaymentID, true)
		body := c.fake.WebhookBody("payment_approved", *ps.GatewayPaymentID)
		post := func(signature string) int {
			rec := c.rawSigned(hook, body, "Cko-Signature", signature)
			return rec
		}
		if code := post("bad"); code != 401 {
			t.Fatalf("bad signature: %d", code)
		}
		if code := post(c.fake.SignWebhook(ckoWebhookSecret, body)); code != 200 {
			t.Fatalf("webhook: %d", code)
		}
		if code := post(c.fake.SignWebhook(ckoWebhookSecret, body)); code != 200 {
			t.Fatalf("redelivery: %d", code)
		}
		if got := paymentStatus(guest.do(t, "GET", "/api/checkout_com_payments/"+id(p.data()), nil).want(t, 200)); got != "Authorized" {
			t.Fatalf("payment after the webhook: %v", got)
		}
		if n := len(c.do("GET", "/api/orders/"+o+"/authorizations", nil).want(t, 200).list()); n != 1 {
			t.Fatalf("%d authorizations", n)
		}
	})
}
