package handlers_test

import (
	"fmt"
	"slices"
	"testing"
)

// shipment is the one shipment of an order.
func (s *shopper) shipment(t *testing.T, orderID string) map[string]any {
	t.Helper()
	list := s.do(t, "GET", "/api/orders/"+orderID+"/shipments", nil).want(t, 200).list()
	if len(list) != 1 {
		t.Fatalf("order %s has %d shipments, want 1", orderID, len(list))
	}
	return list[0]
}

// chooseShipping sets the shipment's shipping method.
func (s *shopper) chooseShipping(t *testing.T, shipmentID, methodID string) *response {
	t.Helper()
	return s.do(t, "PATCH", "/api/shipments/"+shipmentID, resource("shipments", shipmentID, nil, map[string]any{"shipping_method": ref("shipping_methods", methodID)}))
}

// TestShippingMethods: integrations manage shipping methods; storefronts
// list those of their markets and of no market, and write none.
func TestShippingMethods(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest, back := e.guest(t), e.integration()
		eu, us := id(e.one(t, "markets", "code_eq", "eu")), id(e.one(t, "markets", "code_eq", "us"))
		express := e.create(t, "shipping_methods", map[string]any{"name": "Express", "price_amount_cents": 1500, "free_over_amount_cents": 20000, "use_subtotal": true},
			map[string]any{"market": ref("markets", eu)})
		a := attrs(express)
		// The currency comes from the market; the money triples are derived.
		if a["currency_code"] != "EUR" || a["scheme"] != "flat" || a["formatted_price_amount"] != "€15.00" || a["price_amount_float"] != 15.0 ||
			a["formatted_free_over_amount"] != "€200.00" || a["free_over_amount_float"] != 200.0 || a["price_amount_for_shipment_cents"] != 1500.0 ||
			a["use_subtotal"] != true || a["disabled_at"] != nil {
			t.Fatalf("express: %v", a)
		}
		anywhere := e.create(t, "shipping_methods", map[string]any{"name": "Pickup", "price_amount_cents": 0, "currency_code": "eur"}, nil)
		if attrs(anywhere)["currency_code"] != "EUR" || attrs(anywhere)["free_over_amount_cents"] != nil || attrs(anywhere)["formatted_free_over_amount"] != nil {
			t.Fatalf("pickup: %v", attrs(anywhere))
		}
		e.create(t, "shipping_methods", map[string]any{"name": "Overnight US", "price_amount_cents": 2500}, map[string]any{"market": ref("markets", us)})
		disabled := e.create(t, "shipping_methods", map[string]any{"name": "Old", "price_amount_cents": 100, "_disable": true}, map[string]any{"market": ref("markets", eu)})
		if attrs(disabled)["disabled_at"] == nil {
			t.Fatalf("disabled on create: %v", attrs(disabled))
		}
		back.do(t, "PATCH", "/api/shipping_methods/"+id(disabled), resource("shipping_methods", id(disabled), map[string]any{"_enable": true}, nil)).want(t, 200)
		back.do(t, "PATCH", "/api/shipping_methods/"+id(disabled), resource("shipping_methods", id(disabled), map[string]any{"_disable": true}, nil)).want(t, 200)

		for _, c := range []struct {
			name       string
			attributes map[string]any
			market     bool
			at         string
		}{
			{"no currency and no market", map[string]any{"name": "X", "price_amount_cents": 1}, false, "/data/attributes/currency_code"},
			{"an unknown currency", map[string]any{"name": "X", "price_amount_cents": 1, "currency_code": "XXY"}, false, "/data/attributes/currency_code"},
			{"a negative price", map[string]any{"name": "X", "price_amount_cents": -1}, true, "/data/attributes/price_amount_cents"},
			{"a negative free-over amount", map[string]any{"name": "X", "price_amount_cents": 1, "free_over_amount_cents": -1}, true, "/data/attributes/free_over_amount_cents"},
			{"a scheme other than flat", map[string]any{"name": "X", "price_amount_cents": 1, "scheme": "weight_tiered"}, true, "/data/attributes/scheme"},
		} {
			var rels map[string]any
			if c.market {
				rels = map[string]any{"market": ref("markets", eu)}
			}
			e.do("POST", "/api/shipping_methods", resource("shipping_methods", "", c.attributes, rels)).wantErrorAt(t, 422, "VALIDATION_ERROR", c.at)
		}

		// A storefront lists its market's methods and those of no market.
		var names []string
		for _, m := range guest.do(t, "GET", "/api/shipping_methods?sort=name", nil).want(t, 200).list() {
			names = append(names, attrs(m)["name"].(string))
		}
		if !slices.Equal(names, []string{"Express", "Old", "Pickup", "Standard Shipping"}) {
			t.Fatalf("the eu storefront lists %v", names)
		}
		guest.do(t, "GET", "/api/shipping_methods/"+id(express)+"?include=market", nil).want(t, 200)
		guest.do(t, "POST", "/api/shipping_methods", resource("shipping_methods", "", map[string]any{"name": "Mine", "price_amount_cents": 0}, nil)).wantError(t, 401, "UNAUTHORIZED")
		guest.do(t, "PATCH", "/api/shipping_methods/"+id(express), resource("shipping_methods", id(express), map[string]any{"price_amount_cents": 0}, nil)).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.do(t, "DELETE", "/api/shipping_methods/"+id(express), nil).wantError(t, 404, "RECORD_NOT_FOUND")
		// The market's default shipping method is the market's relationship.
		def := guest.do(t, "GET", "/api/markets/"+eu+"/default_shipping_method", nil).want(t, 200).data()
		if attrs(def)["name"] != "Standard Shipping" || attrs(def)["price_amount_cents"] != 700.0 || attrs(def)["free_over_amount_cents"] != 9900.0 {
			t.Fatalf("eu's default: %v", def)
		}
		back.do(t, "DELETE", "/api/shipping_methods/"+id(anywhere), nil).want(t, 204)
	})
}

// TestShipments: an order with shippable items has one shipment, with the
// market's default shipping method; the storefront picks another among
// the shipment's available methods; the cost, the free-over amount and the
// order's shipping amount follow; placing needs a method per shipment; the
// back office moves shipments to shipped, which fulfills the order;
// cancelling cancels them.
func TestShipments(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest, back := e.guest(t), e.integration()
		eu, us := id(e.one(t, "markets", "code_eq", "eu")), id(e.one(t, "markets", "code_eq", "us"))
		express := id(e.create(t, "shipping_methods", map[string]any{"name": "Express", "price_amount_cents": 1500}, map[string]any{"market": ref("markets", eu)}))
		overseas := id(e.create(t, "shipping_methods", map[string]any{"name": "Overnight US", "price_amount_cents": 2500}, map[string]any{"market": ref("markets", us)}))
		standard := id(e.do("GET", "/api/markets/"+eu+"/default_shipping_method", nil).want(t, 200).data())

		// A course ships nothing.
		digital := id(guest.newOrder(t, nil))
		guest.addItem(t, digital, courseCode, 1)
		if n := num(guest.order(t, digital), "shipments_count"); n != 0 {
			t.Fatalf("a course has %d shipments", n)
		}
		o := id(guest.newOrder(t, map[string]any{"customer_email": "ship@example.com"}))
		if n := num(guest.order(t, o), "shipments_count"); n != 0 {
			t.Fatalf("an empty cart has %d shipments", n)
		}
		mug := id(guest.addItem(t, o, mugCode, 2))
		order := guest.order(t, o)
		if num(order, "shipments_count") != 1 || num(order, "shipping_amount_cents") != 700 || attrs(order)["formatted_shipping_amount"] != "€7.00" ||
			num(order, "total_amount_cents") != 2400+700 {
			t.Fatalf("with a mug: %v", attrs(order))
		}
		s := guest.do(t, "GET", "/api/orders/"+o+"/shipments?include=shipping_method,available_shipping_methods,order", nil).want(t, 200)
		shipments := s.list()
		if len(shipments) != 1 {
			t.Fatalf("%d shipments", len(shipments))
		}
		sh := shipments[0]
		if a := attrs(sh); a["status"] != "draft" || a["number"] != fmt.Sprintf("%d/S/001", num(order, "number")) ||
			a["cost_amount_cents"] != 700.0 || a["formatted_cost_amount"] != "€7.00" || a["skus_count"] != 2.0 || a["currency_code"] != "EUR" {
			t.Fatalf("shipment: %v", a)
		}
		if got := linkage(sh, "shipping_method"); !slices.Equal(got, []string{"shipping_methods:" + standard}) {
			t.Fatalf("shipping method %v", got)
		}
		if got := linkage(sh, "available_shipping_methods"); !slices.Equal(got, []string{"shipping_methods:" + standard, "shipping_methods:" + express}) {
			t.Fatalf("available %v", got)
		}
		shipment := id(sh)
		// The order's default shipping method is its market's.
		r := guest.do(t, "GET", "/api/orders/"+o+"?include=default_shipping_method,shipments", nil).want(t, 200)
		if got := linkage(r.data(), "default_shipping_method"); !slices.Equal(got, []string{"shipping_methods:" + standard}) {
			t.Fatalf("default shipping method %v", got)
		}
		if got := linkage(r.data(), "shipments"); !slices.Equal(got, []string{"shipments:" + shipment}) {
			t.Fatalf("shipments %v", got)
		}

		// Choosing another method changes the cost.
		guest.chooseShipping(t, shipment, express).want(t, 200)
		if order := guest.order(t, o); num(order, "shipping_amount_cents") != 1500 || num(order, "total_amount_cents") != 2400+1500 {
			t.Fatalf("with express: %v", attrs(order))
		}
		// A method of another market, or a disabled one, is refused.
		// (A guest cannot even see the other market's method.)
		guest.chooseShipping(t, shipment, overseas).wantError(t, 404, "RECORD_NOT_FOUND")
		back.chooseShipping(t, shipment, overseas).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/shipping_method")
		back.do(t, "PATCH", "/api/shipping_methods/"+express, resource("shipping_methods", express, map[string]any{"_disable": true}, nil)).want(t, 200)
		guest.chooseShipping(t, shipment, express).want(t, 200) // unchanged: nothing to check
		guest.chooseShipping(t, shipment, standard).want(t, 200)
		guest.chooseShipping(t, shipment, express).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/shipping_method")
		// Free over €99.00 of subtotal (a course counts, though it ships
		// nothing).
		course := id(guest.addItem(t, o, courseCode, 1))
		if order := guest.order(t, o); num(order, "subtotal_amount_cents") != 9900+2400 || num(order, "shipping_amount_cents") != 0 ||
			num(guest.shipment(t, o), "cost_amount_cents") != 0 || num(guest.shipment(t, o), "skus_count") != 2 {
			t.Fatalf("over the free amount: %v", attrs(order))
		}
		guest.do(t, "DELETE", "/api/line_items/"+course, nil).want(t, 204)
		guest.do(t, "PATCH", "/api/line_items/"+mug, resource("line_items", mug, map[string]any{"quantity": 1}, nil)).want(t, 200)
		if order := guest.order(t, o); num(order, "shipping_amount_cents") != 700 || num(guest.shipment(t, o), "skus_count") != 1 {
			t.Fatalf("a mug alone: %v", attrs(order))
		}
		// Without shippable items, the shipment goes.
		guest.do(t, "DELETE", "/api/line_items/"+mug, nil).want(t, 204)
		if order := guest.order(t, o); num(order, "shipments_count") != 0 || num(order, "shipping_amount_cents") != 0 {
			t.Fatalf("an emptied cart: %v", attrs(order))
		}
		guest.do(t, "GET", "/api/shipments/"+shipment, nil).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.addItem(t, o, mugCode, 1)
		shipment = id(guest.shipment(t, o))

		// Placing needs a shipping method that is still available.
		address := guest.newAddress(t)
		guest.patchOrder(t, o, map[string]any{"_shipping_address_same_as_billing": true}, map[string]any{
			"billing_address": ref("addresses", address), "payment_method": ref("payment_methods", e.wireTransfer(t, nil, "eu")),
		}).want(t, 200)
		back.do(t, "PATCH", "/api/shipping_methods/"+standard, resource("shipping_methods", standard, map[string]any{"_disable": true}, nil)).want(t, 200)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/shipments")
		back.do(t, "PATCH", "/api/shipping_methods/"+standard, resource("shipping_methods", standard, map[string]any{"_enable": true}, nil)).want(t, 200)
		placed := guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200).data()
		if num(placed, "place_total_amount_cents") != 1200+700 || num(placed, "shipping_amount_cents") != 700 {
			t.Fatalf("placed: %v", attrs(placed))
		}
		if st := attrs(back.shipment(t, o))["status"]; st != "upcoming" {
			t.Fatalf("a placed order's shipment is %v", st)
		}
		// The method no longer changes, and a disabled one keeps its cost.
		back.chooseShipping(t, shipment, id(e.create(t, "shipping_methods", map[string]any{"name": "Late", "price_amount_cents": 1}, map[string]any{"market": ref("markets", eu)}))).
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/shipping_method")
		guest.do(t, "GET", "/api/shipments/"+shipment, nil).wantError(t, 404, "RECORD_NOT_FOUND")

		// The back office moves it once the order is approved.
		move := func(trigger string) *response {
			return back.do(t, "PATCH", "/api/shipments/"+shipment, resource("shipments", shipment, map[string]any{trigger: true}, nil))
		}
		move("_picking").wantError(t, 422, "VALIDATION_ERROR")
		move("_on_hold").want(t, 200)
		back.patchOrder(t, o, map[string]any{"_approve": true}, nil).want(t, 200)
		move("_ship").wantError(t, 422, "VALIDATION_ERROR")
		for _, step := range []struct{ trigger, status, fulfillment string }{
			{"_picking", "picking", "in_progress"}, {"_packing", "packing", "in_progress"},
			{"_ready_to_ship", "ready_to_ship", "in_progress"}, {"_ship", "shipped", "fulfilled"}, {"_deliver", "delivered", "fulfilled"},
		} {
			if st := attrs(move(step.trigger).want(t, 200).data())["status"]; st != step.status {
				t.Fatalf("%s: %v", step.trigger, st)
			}
			if f := attrs(back.order(t, o))["fulfillment_status"]; f != step.fulfillment {
				t.Fatalf("after %s the order is %v", step.trigger, f)
			}
		}
		// A fulfilled order cannot be cancelled.
		back.patchOrder(t, o, map[string]any{"_cancel": true}, nil).wantError(t, 422, "VALIDATION_ERROR")

		// Cancelling cancels the shipments.
		other := guest.checkout(t)
		guest.patchOrder(t, other, nil, map[string]any{"payment_method": ref("payment_methods", e.wireTransfer(t, nil, "eu"))}).want(t, 200)
		guest.patchOrder(t, other, map[string]any{"_place": true}, nil).want(t, 200)
		back.patchOrder(t, other, map[string]any{"_cancel": true}, nil).want(t, 200)
		if st := attrs(back.shipment(t, other))["status"]; st != "cancelled" {
			t.Fatalf("a cancelled order's shipment is %v", st)
		}
		// Shipments are made by orders: no create or delete.
		back.do(t, "POST", "/api/shipments", resource("shipments", "", map[string]any{}, nil)).want(t, 405)
		back.do(t, "DELETE", "/api/shipments/"+shipment, nil).want(t, 405)
	})
}

// TestShipmentsOfCustomers: a customer lists and updates the shipments of
// its own orders only.
func TestShipmentsOfCustomers(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		me, _ := e.customer(t, "shipper@example.com")
		other, _ := e.customer(t, "other-shipper@example.com")
		mine := id(me.newOrder(t, nil))
		me.addItem(t, mine, mugCode, 1)
		theirs := id(other.newOrder(t, nil))
		other.addItem(t, theirs, mugCode, 1)
		list := me.do(t, "GET", "/api/shipments", nil).want(t, 200).list()
		if len(list) != 1 {
			t.Fatalf("the customer lists %d shipments", len(list))
		}
		standard := id(e.do("GET", "/api/markets/"+id(e.one(t, "markets", "code_eq", "eu"))+"/default_shipping_method", nil).want(t, 200).data())
		me.chooseShipping(t, id(list[0]), standard).want(t, 200)
		theirShipment := id(other.shipment(t, theirs))
		me.do(t, "GET", "/api/shipments/"+theirShipment, nil).wantError(t, 404, "RECORD_NOT_FOUND")
		me.chooseShipping(t, theirShipment, standard).wantError(t, 404, "RECORD_NOT_FOUND")
		// A guest lists none: it reaches carts by id only.
		e.guest(t).do(t, "GET", "/api/shipments", nil).wantError(t, 401, "UNAUTHORIZED")
	})
}
