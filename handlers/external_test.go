package handlers_test

import (
	"net/url"
	"testing"
)

// orderIn creates an order in the market with code, as an integration
// must (it has no market of its own).
func (e *env) orderIn(t *testing.T, market string, attributes map[string]any) map[string]any {
	t.Helper()
	return e.integration().do(t, "POST", "/api/orders", resource("orders", "", attributes,
		map[string]any{"market": ref("markets", id(e.one(t, "markets", "code_eq", market)))})).want(t, 201).data()
}

// TestExternalOrderAmounts: an integration sets an order's shipping and
// tax (the merchant's checkout decides them, as facade C's cart does); the
// attributes show the effective amounts, null returns to the derived ones,
// guests and customers get the writer refusal, a placed order keeps them.
func TestExternalOrderAmounts(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		in := e.integration()
		au := id(e.one(t, "markets", "code_eq", "au"))

		t.Run("the reference's cart: 119.00 AUD, shipping 9.95, tax 11.81 make 140.76", func(t *testing.T) {
			o := in.do(t, "POST", "/api/orders", resource("orders", "", map[string]any{
				"customer_email": "jane.smith@example.com", "reference": "ORD-2024-001",
				"shipping_amount_cents": 995, "total_tax_amount_cents": 1181,
			}, map[string]any{"market": ref("markets", au)})).want(t, 201).data()
			in.do(t, "POST", "/api/line_items", lineItem(id(o), map[string]any{
				"sku_code": "WH-100", "quantity": 1, "unit_amount_cents": 11900, "_external_price": true,
			})).want(t, 201)
			got := in.order(t, id(o))
			a := attrs(got)
			if num(got, "subtotal_amount_cents") != 11900 || num(got, "shipping_amount_cents") != 995 || num(got, "total_tax_amount_cents") != 1181 ||
				num(got, "total_amount_cents") != 12895 || num(got, "total_amount_with_taxes_cents") != 14076 || a["total_amount_with_taxes_float"] != 140.76 ||
				a["formatted_shipping_amount"] != "A$9.95" || a["formatted_total_tax_amount"] != "A$11.81" || a["tax_included"] != false ||
				a["status"] != "pending" || a["currency_code"] != "AUD" || num(got, "skus_count") != 1 {
				t.Fatalf("order: %v", a)
			}
		})

		t.Run("null returns to the shipments' shipping and the calculator's taxes", func(t *testing.T) {
			o := e.orderIn(t, "eu", map[string]any{"customer_email": "buyer@example.com"})
			oid := id(o)
			in.addItem(t, oid, tshirtCode, 1) // €29.00 in eu, €7.00 shipping, prices include taxes
			steps := []struct {
				attributes                      map[string]any
				shipping, tax, total, withTaxes int64
				taxIncluded                     bool
			}{
				{map[string]any{"shipping_amount_cents": 0}, 0, 0, 2900, 2900, true},
				{map[string]any{"total_tax_amount_cents": 290}, 0, 290, 2900, 3190, false},
				{map[string]any{"shipping_amount_cents": nil}, 700, 290, 3600, 3890, false},
				{map[string]any{"total_tax_amount_cents": nil}, 700, 0, 3600, 3600, true},
			}
			for i, step := range steps {
				got := in.patchOrder(t, oid, step.attributes, nil).want(t, 200).data()
				if num(got, "shipping_amount_cents") != step.shipping || num(got, "total_tax_amount_cents") != step.tax || num(got, "total_amount_cents") != step.total ||
					num(got, "total_amount_with_taxes_cents") != step.withTaxes || attrs(got)["tax_included"] != step.taxIncluded {
					t.Fatalf("step %d %v: %v", i, step.attributes, attrs(got))
				}
			}
			in.patchOrder(t, oid, map[string]any{"shipping_amount_cents": -1}, nil).
				wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/shipping_amount_cents")
			in.patchOrder(t, oid, map[string]any{"total_tax_amount_cents": "ten"}, nil).wantError(t, 400, "INVALID_FIELD_VALUE")
		})

		t.Run("guests and customers may not set them", func(t *testing.T) {
			guest := e.guest(t)
			buyer, _ := e.customer(t, "amounts@example.com")
			for _, who := range []*shopper{guest, buyer} {
				for _, attr := range []string{"shipping_amount_cents", "total_tax_amount_cents"} {
					who.do(t, "POST", "/api/orders", resource("orders", "", map[string]any{attr: 0}, nil)).
						wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/"+attr)
					o := who.newOrder(t, nil)
					who.patchOrder(t, id(o), map[string]any{attr: 0}, nil).
						wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/"+attr)
				}
			}
		})

		t.Run("a placed order's amounts cannot change", func(t *testing.T) {
			o := e.orderIn(t, "eu", map[string]any{"customer_email": "placed@example.com", "shipping_amount_cents": 100, "total_tax_amount_cents": 50})
			oid := id(o)
			in.addItem(t, oid, courseCode, 1)
			billing := in.newAddress(t)
			pm := e.wireTransfer(t, nil, "eu")
			in.patchOrder(t, oid, map[string]any{"_place": true}, map[string]any{
				"billing_address": ref("addresses", billing), "payment_method": ref("payment_methods", pm),
			}).want(t, 200)
			got := in.order(t, oid)
			if attrs(got)["status"] != "placed" || num(got, "place_total_amount_cents") != 9900+100+50 {
				t.Fatalf("placed: %v", attrs(got))
			}
			in.patchOrder(t, oid, map[string]any{"shipping_amount_cents": 0}, nil).wantError(t, 422, "VALIDATION_ERROR")
			in.patchOrder(t, oid, map[string]any{"total_tax_amount_cents": nil}, nil).wantError(t, 422, "VALIDATION_ERROR")
			// Sending what it has is no change.
			in.patchOrder(t, oid, map[string]any{"shipping_amount_cents": 100, "metadata": map[string]any{"note": "x"}}, nil).want(t, 200)
		})
	})
}

// TestLineItemsOutsideCatalog: an integration's item with an external
// price and a sku_code the catalog lacks is an adjustment line item; an
// order of such items is pending with an email and is paid through a
// checkout session like an amount-only one.
func TestLineItemsOutsideCatalog(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		in := e.integration()
		item := func(orderID string, extra map[string]any) map[string]any {
			a := map[string]any{"sku_code": "EXT-WORKSHOP", "name": "Live workshop", "quantity": 2, "unit_amount_cents": 2500, "_external_price": true}
			for k, v := range extra {
				a[k] = v
			}
			return lineItem(orderID, a)
		}

		t.Run("it is stored as an adjustment with its code and name, and no SKU", func(t *testing.T) {
			o := e.orderIn(t, "eu", nil)
			li := in.do(t, "POST", "/api/line_items?include=sku", item(id(o), nil)).want(t, 201)
			a := attrs(li.data())
			if a["item_type"] != "adjustments" || a["sku_code"] != "EXT-WORKSHOP" || a["name"] != "Live workshop" || a["total_amount_cents"] != 5000.0 ||
				a["currency_code"] != "EUR" || len(li.included()) != 0 {
				t.Fatalf("line item: %v included %v", a, li.included())
			}
			got := in.order(t, id(o))
			if num(got, "subtotal_amount_cents") != 5000 || num(got, "skus_count") != 0 || num(got, "shipping_amount_cents") != 0 || attrs(got)["status"] != "draft" {
				t.Fatalf("order: %v", attrs(got))
			}
			listed := in.do(t, "GET", "/api/orders/"+id(o)+"/line_items?filter[q][item_type_eq]=adjustments", nil).want(t, 200).list()
			if len(listed) != 1 || id(listed[0]) != id(li.data()) {
				t.Fatalf("the order's adjustments: %v", listed)
			}
			in.do(t, "POST", "/api/line_items", item(id(o), map[string]any{"name": nil})).
				wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/name")
			in.do(t, "POST", "/api/line_items", item(id(o), map[string]any{"_external_price": false})).
				wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/sku_code")
		})

		t.Run("guests get the writer refusal and the catalog's rule", func(t *testing.T) {
			guest := e.guest(t)
			o := guest.newOrder(t, nil)
			guest.do(t, "POST", "/api/line_items", item(id(o), nil)).
				wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/_external_price")
			guest.do(t, "POST", "/api/line_items", lineItem(id(o), map[string]any{"sku_code": "EXT-WORKSHOP", "name": "x", "quantity": 1})).
				wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/sku_code")
		})

		t.Run("an order of adjustments only is paid through a checkout session", func(t *testing.T) {
			o := e.orderIn(t, "eu", map[string]any{"customer_email": "workshop@example.com"})
			oid := id(o)
			in.do(t, "POST", "/api/line_items", item(oid, nil)).want(t, 201)
			if got := attrs(in.order(t, oid)); got["status"] != "pending" {
				t.Fatalf("with an email and an item: %v", got)
			}
			s := in.newSession(t, sessionAttrs(nil), map[string]any{"order": ref("orders", oid)}).want(t, 201).data()
			if attrs(s)["amount_cents"] != 5000.0 {
				t.Fatalf("session: %v", attrs(s))
			}
			path := pagePath(t, s)
			p := e.visit(t, "GET", path, nil)
			if p.status != 200 {
				t.Fatalf("page: %d\n%s", p.status, p.body)
			}
			p = e.visit(t, "POST", path, url.Values{"csrf_token": {p.csrf(t)}, "card_number": {"4242424242424242"}, "card_expiry": {"12/40"}, "card_cvc": {"123"}})
			if p.status != 303 || p.location != "https://shop.example/thanks?checkout_session_id="+id(s) {
				t.Fatalf("pay: %d %q\n%s", p.status, p.location, p.body)
			}
			got := attrs(in.order(t, oid))
			if got["status"] != "placed" || got["payment_status"] != "authorized" || got["fulfillment_status"] != "not_required" {
				t.Fatalf("paid: %v", got)
			}
		})
	})
}

// TestDemoCoursesAndMarkets: the demo's courses (facade A) and its au and
// tr markets.
func TestDemoCoursesAndMarkets(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		in := e.integration()
		courses := in.do(t, "GET", "/api/skus?filter[q][reference_in]=123,456,789&sort=reference", nil).want(t, 200).list()
		want := []struct{ reference, code, name string }{
			{"123", "COURSE-123", "JavaScript Fundamentals"}, {"456", "COURSE-456", "Advanced TypeScript"}, {"789", "COURSE-789", "Node.js in Production"},
		}
		if len(courses) != len(want) {
			t.Fatalf("%d courses", len(courses))
		}
		for i, w := range want {
			a := attrs(courses[i])
			if a["reference"] != w.reference || a["code"] != w.code || a["name"] != w.name || a["limit_one_per_customer"] != true || a["do_not_ship"] != true {
				t.Fatalf("course %d: %v", i, a)
			}
		}
		for _, market := range []string{"eu", "us"} {
			buyer := e.guestIn(t, market)
			o := buyer.newOrder(t, map[string]any{"customer_email": "learner@example.com"})
			for _, w := range want {
				buyer.addItem(t, id(o), w.code, 1)
			}
			got := buyer.order(t, id(o))
			if num(got, "total_amount_with_taxes_cents") != 19997 || num(got, "shipping_amount_cents") != 0 || attrs(got)["total_amount_with_taxes_float"] != 199.97 {
				t.Fatalf("%s: the three courses: %v", market, attrs(got))
			}
			buyer.do(t, "POST", "/api/line_items", lineItem(id(o), map[string]any{"sku_code": "COURSE-123", "quantity": 1})).wantError(t, 422, "VALIDATION_ERROR")
		}

		markets := []struct {
			code, name, currency string
			taxIncluded          bool
			shipping, freeOver   float64
		}{{"au", "Australia", "AUD", false, 995, 15000}, {"tr", "Türkiye", "TRY", true, 9990, 200000}}
		for _, m := range markets {
			market := in.do(t, "GET", "/api/markets?filter[q][code_eq]="+m.code+"&include=price_list,default_shipping_method", nil).want(t, 200)
			if len(market.list()) != 1 || attrs(market.list()[0])["name"] != m.name {
				t.Fatalf("%s: %v", m.code, market.list())
			}
			var list, shipping map[string]any
			for _, inc := range market.included() {
				switch inc["type"] {
				case "price_lists":
					list = attrs(inc)
				case "shipping_methods":
					shipping = attrs(inc)
				}
			}
			if list["currency_code"] != m.currency || list["tax_included"] != m.taxIncluded || shipping["price_amount_cents"] != m.shipping || shipping["free_over_amount_cents"] != m.freeOver {
				t.Fatalf("%s: price list %v shipping %v", m.code, list, shipping)
			}
			methods := in.do(t, "GET", "/api/payment_methods?filter[q][market_code_eq]="+m.code+"&sort=payment_source_type", nil).want(t, 200).list()
			if len(methods) != 2 || attrs(methods[0])["payment_source_type"] != "checkout_com_payments" || attrs(methods[1])["payment_source_type"] != "wire_transfers" {
				t.Fatalf("%s: payment methods %v", m.code, methods)
			}
		}
		headphones := in.do(t, "GET", "/api/prices?filter[q][sku_code_eq]=WH-100&filter[q][price_list_currency_code_eq]=AUD", nil).want(t, 200).list()
		if len(headphones) != 1 || attrs(headphones[0])["amount_cents"] != 11900.0 {
			t.Fatalf("WH-100 in AUD: %v", headphones)
		}
	})
}
