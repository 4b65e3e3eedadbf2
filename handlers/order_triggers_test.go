package handlers_test

import (
	"strings"
	"testing"

	"kasse/gateways"
)

// trigger sends one trigger (true) to the order.
func (s *shopper) trigger(t *testing.T, orderID, name string) *response {
	t.Helper()
	return s.patchOrder(t, orderID, map[string]any{name: true}, nil)
}

// cardOrder is a guest's eu order (two T-shirts and a mug, €70.00) paid
// by an approved sandbox card payment, not yet placed; it returns the
// order's and the payment's ids.
func cardOrder(t *testing.T, e *env, guest *shopper) (string, string) {
	t.Helper()
	o := guest.checkout(t)
	p := guest.pay(t, o, gateways.SandboxApproved).want(t, 201).data()
	if st := attrs(guest.do(t, "GET", "/api/checkout_com_payments/"+id(p), nil).want(t, 200).data())["payment_response"]; st == nil {
		t.Fatal("the sandbox payment has no response")
	}
	return o, id(p)
}

// TestOrderTriggersBackOfficeOnly: the triggers the reference keeps from
// sales channels are refused to guests and customers, and cost nothing.
func TestOrderTriggersBackOfficeOnly(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.guest(t)
		o := id(guest.newOrder(t, nil))
		me, _ := e.customer(t, "backoffice-only@example.com")
		mine := id(me.newOrder(t, nil))
		for _, trigger := range []string{"_pending", "_refresh_prices", "_fulfill", "_start_editing", "_stop_editing"} {
			guest.trigger(t, o, trigger).wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/"+trigger)
			me.trigger(t, mine, trigger).wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/"+trigger)
		}
	})
}

func TestOrderPendingTrigger(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		back := e.integration()
		eu := e.one(t, "markets", "code_eq", "eu")
		o := id(e.create(t, "orders", nil, map[string]any{"market": ref("markets", id(eu))}))
		r := back.trigger(t, o, "_pending").want(t, 422)
		r.wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/customer_email")
		r.wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/line_items")
		back.addItem(t, o, mugCode, 1)
		r = back.patchOrder(t, o, map[string]any{"_pending": true}, nil).want(t, 422)
		r.wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/customer_email")
		got := back.patchOrder(t, o, map[string]any{"customer_email": "pending@example.com", "_pending": true}, nil).want(t, 200).data()
		if attrs(got)["status"] != "pending" {
			t.Fatalf("status %v, want pending", attrs(got)["status"])
		}
	})
}

func TestOrderValidateTrigger(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.guest(t)
		o := id(guest.newOrder(t, map[string]any{"customer_email": "validate@example.com"}))
		guest.addItem(t, o, tshirtCode, 1)
		r := guest.trigger(t, o, "_validate").want(t, 422)
		for _, p := range []string{"/data/relationships/billing_address", "/data/relationships/shipping_address", "/data/relationships/payment_method"} {
			r.wantErrorAt(t, 422, "VALIDATION_ERROR", p)
		}
		method := e.wireTransfer(t, nil, "eu")
		address := guest.newAddress(t)
		got := guest.patchOrder(t, o, map[string]any{"_shipping_address_same_as_billing": true, "_validate": true}, map[string]any{
			"billing_address": ref("addresses", address), "payment_method": ref("payment_methods", method),
		}).want(t, 200).data()
		if attrs(got)["status"] != "pending" || attrs(got)["placed_at"] != nil {
			t.Fatalf("_validate placed the order: %v", attrs(got)["status"])
		}
		// A card order needs its authorized payment.
		card := guest.checkout(t)
		guest.trigger(t, card, "_validate").wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/payment_source")
		guest.pay(t, card, gateways.SandboxApproved).want(t, 201)
		guest.trigger(t, card, "_validate").want(t, 200)
		guest.trigger(t, card, "_place").want(t, 200)
		e.integration().trigger(t, card, "_validate").wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/_validate")
	})
}

func TestOrderRefreshPricesTrigger(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		back := e.integration()
		guest := e.guest(t)
		o := id(guest.newOrder(t, map[string]any{"customer_email": "prices@example.com"}))
		li := guest.addItem(t, o, mugCode, 2)
		external := e.do("POST", "/api/line_items", lineItem(o, map[string]any{"sku_code": tshirtCode, "quantity": 1, "unit_amount_cents": 500, "_external_price": true})).want(t, 201).data()
		// The mug's price in the eu market's (EUR) price list.
		var price map[string]any
		for _, p := range e.do("GET", "/api/prices"+q("filter[q][sku_code_eq]", mugCode), nil).want(t, 200).list() {
			if attrs(p)["currency_code"] == "EUR" {
				price = p
			}
		}
		if price == nil || num(price, "amount_cents") != num(li, "unit_amount_cents") {
			t.Fatalf("EUR mug price %v", price)
		}
		e.do("PATCH", "/api/prices/"+id(price), resource("prices", id(price), map[string]any{"amount_cents": 1500}, nil)).want(t, 200)
		got := back.trigger(t, o, "_refresh_prices").want(t, 200).data()
		if num(got, "subtotal_amount_cents") != 2*1500+500 || attrs(got)["refreshed_at"] != nil {
			t.Fatalf("after _refresh_prices: subtotal %d refreshed_at %v", num(got, "subtotal_amount_cents"), attrs(got)["refreshed_at"])
		}
		if li := e.do("GET", "/api/line_items/"+id(li), nil).want(t, 200).data(); num(li, "unit_amount_cents") != 1500 {
			t.Fatalf("mug repriced to %d", num(li, "unit_amount_cents"))
		}
		if ext := e.do("GET", "/api/line_items/"+id(external), nil).want(t, 200).data(); num(ext, "unit_amount_cents") != 500 {
			t.Fatalf("external price changed to %d", num(ext, "unit_amount_cents"))
		}
	})
}

func TestOrderFulfillTrigger(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		back := e.integration()
		guest := e.guest(t)
		o, _ := cardOrder(t, e, guest)
		guest.trigger(t, o, "_place").want(t, 200)
		detail := back.trigger(t, o, "_fulfill").wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/_fulfill")["detail"].(string)
		if !strings.Contains(detail, "authorized") {
			t.Fatalf("detail %q does not name the payment status", detail)
		}
		back.trigger(t, o, "_approve_and_capture").want(t, 200)
		got := back.trigger(t, o, "_fulfill").want(t, 200).data()
		if attrs(got)["fulfillment_status"] != "fulfilled" || attrs(got)["payment_status"] != "paid" {
			t.Fatalf("after _fulfill: %v / %v", attrs(got)["fulfillment_status"], attrs(got)["payment_status"])
		}
		for _, s := range e.do("GET", "/api/orders/"+o+"/shipments", nil).want(t, 200).list() {
			if attrs(s)["status"] != "shipped" {
				t.Fatalf("shipment %s is %v, want shipped", id(s), attrs(s)["status"])
			}
		}
		back.trigger(t, o, "_fulfill").wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/_fulfill")
	})
}

func TestOrderNullifyPaymentSourceTrigger(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.guest(t)
		o, p := cardOrder(t, e, guest)
		got := guest.do(t, "PATCH", "/api/orders/"+o+"?include=payment_source", resource("orders", o, map[string]any{"_nullify_payment_source": true}, nil)).want(t, 200).data()
		if l := linkage(got, "payment_source"); len(l) != 0 {
			t.Fatalf("payment source still %v", l)
		}
		voids := e.do("GET", "/api/orders/"+o+"/voids", nil).want(t, 200).list()
		if len(voids) != 1 || attrs(voids[0])["succeeded"] != true {
			t.Fatalf("voids %v, want the authorization voided", voids)
		}
		if st := attrs(e.do("GET", "/api/checkout_com_payments/"+p, nil).want(t, 200).data())["payment_response"]; st == nil {
			t.Fatal("the payment is gone")
		}
		guest.trigger(t, o, "_place").wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/payment_source")
		guest.trigger(t, o, "_nullify_payment_source").wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/_nullify_payment_source")
		// A new payment pays the order again.
		guest.pay(t, o, gateways.SandboxApproved).want(t, 201)
		if got := guest.trigger(t, o, "_place").want(t, 200).data(); attrs(got)["payment_status"] != "authorized" {
			t.Fatalf("placed with payment %v", attrs(got)["payment_status"])
		}
	})
}

func TestOrderAuthorizeTrigger(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.guest(t)
		o := guest.checkout(t)
		p := id(guest.pay(t, o, gateways.SandboxDeclined).want(t, 201).data())
		guest.trigger(t, o, "_place").wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/payment_source")
		// A new token on the payment, then _authorize on the order.
		guest.do(t, "PATCH", "/api/checkout_com_payments/"+p, resource("checkout_com_payments", p, map[string]any{"token": gateways.SandboxApproved}, nil)).want(t, 200)
		guest.trigger(t, o, "_authorize").want(t, 200)
		auths := e.do("GET", "/api/orders/"+o+"/authorizations", nil).want(t, 200).list()
		if len(auths) == 0 || attrs(auths[len(auths)-1])["succeeded"] != true {
			t.Fatalf("authorizations %v, want a succeeded one", auths)
		}
		guest.trigger(t, o, "_authorize").wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/_authorize")
		guest.trigger(t, o, "_place").want(t, 200)
	})
}

func TestOrderAddressBookTriggers(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		me, meID := e.customer(t, "book@example.com")
		method := e.wireTransfer(t, nil, "eu")
		book := func() int {
			return len(e.do("GET", "/api/customers/"+meID+"/customer_addresses", nil).want(t, 200).list())
		}
		buy := func() {
			o := id(me.newOrder(t, nil))
			me.addItem(t, o, mugCode, 1)
			before := book()
			address := me.newAddress(t)
			me.patchOrder(t, o, map[string]any{"_shipping_address_same_as_billing": true,
				"_save_billing_address_to_customer_address_book": true, "_save_shipping_address_to_customer_address_book": true}, map[string]any{
				"billing_address": ref("addresses", address), "payment_method": ref("payment_methods", method),
			}).want(t, 200)
			if book() != before {
				t.Fatal("saved before the order was placed")
			}
			me.trigger(t, o, "_place").want(t, 200)
		}
		buy()
		if n := book(); n != 1 {
			t.Fatalf("address book has %d entries, want 1 (billing and shipping say the same)", n)
		}
		buy()
		if n := book(); n != 1 {
			t.Fatalf("address book has %d entries after a second order with the same address, want 1", n)
		}
		guest := e.guest(t)
		o := id(guest.newOrder(t, nil))
		guest.trigger(t, o, "_save_billing_address_to_customer_address_book").
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/_save_billing_address_to_customer_address_book")
	})
}

func TestOrderEditingTriggers(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		back := e.integration()
		me, _ := e.customer(t, "edited@example.com")
		o := me.checkout(t)
		me.pay(t, o, gateways.SandboxApproved).want(t, 201)
		placed := me.trigger(t, o, "_place").want(t, 200).data()
		total := num(placed, "total_amount_with_taxes_cents")
		got := back.trigger(t, o, "_start_editing").want(t, 200).data()
		if attrs(got)["status"] != "editing" || attrs(got)["editable"] != true {
			t.Fatalf("after _start_editing: %v editable %v", attrs(got)["status"], attrs(got)["editable"])
		}
		items := e.do("GET", "/api/orders/"+o+"/line_items", nil).want(t, 200).list()
		var mug string
		for _, li := range items {
			if attrs(li)["sku_code"] == mugCode {
				mug = id(li)
			}
		}
		// The storefront cannot change an order the back office edits.
		me.do(t, "PATCH", "/api/line_items/"+mug, resource("line_items", mug, map[string]any{"quantity": 1}, nil)).wantError(t, 422, "VALIDATION_ERROR")
		me.do(t, "DELETE", "/api/line_items/"+mug, nil).wantError(t, 404, "RECORD_NOT_FOUND")
		// More than the placed total is refused; less is accepted.
		e.do("PATCH", "/api/line_items/"+mug, resource("line_items", mug, map[string]any{"quantity": 5}, nil)).wantError(t, 422, "VALIDATION_ERROR")
		e.do("DELETE", "/api/line_items/"+mug, nil).want(t, 204)
		got = back.trigger(t, o, "_stop_editing").want(t, 200).data()
		if attrs(got)["status"] != "placed" || num(got, "total_amount_with_taxes_cents") >= total || num(got, "place_total_amount_cents") != total {
			t.Fatalf("after _stop_editing: %v total %d place total %d (was %d)", attrs(got)["status"], num(got, "total_amount_with_taxes_cents"), num(got, "place_total_amount_cents"), total)
		}
		back.trigger(t, o, "_stop_editing").wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/_stop_editing")
		// The capture takes what the edited order owes, and pays it.
		got = back.trigger(t, o, "_approve_and_capture").want(t, 200).data()
		if attrs(got)["payment_status"] != "paid" {
			t.Fatalf("payment %v after capturing the edited order", attrs(got)["payment_status"])
		}
		captures := e.do("GET", "/api/orders/"+o+"/captures", nil).want(t, 200).list()
		if len(captures) != 1 || num(captures[0], "amount_cents") != num(got, "total_amount_with_taxes_cents") {
			t.Fatalf("captures %v, want one of %d", captures, num(got, "total_amount_with_taxes_cents"))
		}
		back.trigger(t, o, "_start_editing").wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/_start_editing")
	})
}
