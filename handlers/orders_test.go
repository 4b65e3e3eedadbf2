package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"kasse/db/dbtest"
	"kasse/models"
	"kasse/serializers"
)

// Demo SKUs the order tests use (EUR prices in the eu market).
const (
	tshirtCode = "TSHIRTMM000000FFFFFFXL" // €29.00
	mugCode    = "MUGXXXXX000000FFFFFFXX" // €12.00
	courseCode = "COURSEGO000000000000XX" // €99.00, do_not_ship
)

// by sends a request with the access token tok.
func (e *env) by(tok, method, path string, body any, headers ...string) *response {
	e.t.Helper()
	return e.do(method, path, body, append([]string{"Authorization", "Bearer " + tok}, headers...)...)
}

// shopper is a sales-channel token in the eu market: a guest's, or a
// customer's when it has an email.
type shopper struct {
	e     *env
	token string
}

func (e *env) guest(t *testing.T) *shopper {
	t.Helper()
	return &shopper{e: e, token: e.in(t).tokenFor(models.KindSalesChannel, "market:code:eu", "", "")}
}

// customer creates a customer with a password and signs it in; it returns
// the shopper and the customer's id.
func (e *env) customer(t *testing.T, email string) (*shopper, string) {
	t.Helper()
	c := e.create(t, "customers", map[string]any{"email": email, "password": "secret-password"}, nil)
	return &shopper{e: e, token: e.in(t).tokenFor(models.KindSalesChannel, "market:code:eu", email, "secret-password")}, id(c)
}

func (s *shopper) do(t *testing.T, method, path string, body any) *response {
	t.Helper()
	return s.e.in(t).by(s.token, method, path, body)
}

// newOrder creates an order (in the token's market) and returns it.
func (s *shopper) newOrder(t *testing.T, attributes map[string]any) map[string]any {
	t.Helper()
	return s.do(t, "POST", "/api/orders", resource("orders", "", attributes, nil)).want(t, 201).data()
}

// addItem adds quantity of the SKU with code to the order.
func (s *shopper) addItem(t *testing.T, orderID, code string, quantity int) map[string]any {
	t.Helper()
	return s.do(t, "POST", "/api/line_items", lineItem(orderID, map[string]any{"sku_code": code, "quantity": quantity})).want(t, 201).data()
}

func (s *shopper) order(t *testing.T, orderID string) map[string]any {
	t.Helper()
	return s.do(t, "GET", "/api/orders/"+orderID, nil).want(t, 200).data()
}

// patchOrder sends attributes and relationships to the order.
func (s *shopper) patchOrder(t *testing.T, orderID string, attributes, relationships map[string]any) *response {
	t.Helper()
	return s.do(t, "PATCH", "/api/orders/"+orderID, resource("orders", orderID, attributes, relationships))
}

// newAddress creates an address with the shopper's token.
func (s *shopper) newAddress(t *testing.T) string {
	t.Helper()
	return id(s.do(t, "POST", "/api/addresses", resource("addresses", "", map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "line_1": "1 Rue de Rivoli", "city": "Paris",
		"country_code": "FR", "phone": "+33 1 00 00 00 00",
	}, nil)).want(t, 201).data())
}

func lineItem(orderID string, attributes map[string]any) map[string]any {
	return resource("line_items", "", attributes, map[string]any{"order": ref("orders", orderID)})
}

// integration is the env's own integration token as a shopper.
func (e *env) integration() *shopper { return &shopper{e: e, token: e.token} }

// wireTransfer creates a payment method of the eu market.
func (e *env) wireTransfer(t *testing.T, attributes map[string]any, market string) string {
	t.Helper()
	a := map[string]any{"payment_source_type": "wire_transfers", "price_amount_cents": 0}
	for k, v := range attributes {
		a[k] = v
	}
	var rels map[string]any
	if market != "" {
		rels = map[string]any{"market": ref("markets", id(e.one(t, "markets", "code_eq", market)))}
	}
	return id(e.create(t, "payment_methods", a, rels))
}

func num(res map[string]any, name string) int64 {
	f, _ := attrs(res)[name].(float64)
	return int64(f)
}

// TestGuestOrder checks what a guest (a sales-channel token) may do with
// orders and line items.
func TestGuestOrder(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.guest(t)
		eu := e.one(t, "markets", "code_eq", "eu")

		o := guest.newOrder(t, map[string]any{"customer_email": "guest@example.com"})
		oid := id(o)
		if got := guest.order(t, oid); attrs(got)["status"] != "draft" || attrs(got)["number"] != attrs(o)["number"] {
			t.Fatalf("the guest reads its draft: %v", attrs(got))
		}
		a := attrs(o)
		if a["status"] != "draft" || a["currency_code"] != "EUR" || a["payment_status"] != "unpaid" || a["guest"] != true || a["editable"] != true {
			t.Fatalf("new order: %v", a)
		}
		if got := id(guest.do(t, "GET", "/api/orders/"+oid+"/market", nil).want(t, 200).data()); got != id(eu) {
			t.Fatalf("the order's market is %q, want the token's %q", got, id(eu))
		}

		li := guest.addItem(t, oid, tshirtCode, 2)
		la := attrs(li)
		if la["unit_amount_cents"] != 2900.0 || la["total_amount_cents"] != 5800.0 || la["formatted_unit_amount"] != "€29.00" ||
			la["total_amount_float"] != 58.0 || la["currency_code"] != "EUR" || la["sku_code"] != tshirtCode || la["item_type"] != "skus" {
			t.Fatalf("line item: %v", la)
		}
		o = guest.order(t, oid)
		// The demo market ships for €7.00 (free over €99.00).
		if attrs(o)["status"] != "pending" || num(o, "skus_count") != 2 || num(o, "subtotal_amount_cents") != 5800 || num(o, "shipping_amount_cents") != 700 ||
			attrs(o)["formatted_total_amount"] != "€65.00" || attrs(o)["total_amount_float"] != 65.0 {
			t.Fatalf("order with an item: %v", attrs(o))
		}

		t.Run("a guest cannot price its items", func(t *testing.T) {
			for _, attr := range []string{"unit_amount_cents", "_external_price"} {
				body := map[string]any{"sku_code": mugCode, "quantity": 1, "unit_amount_cents": 1}
				if attr == "_external_price" {
					body = map[string]any{"sku_code": mugCode, "quantity": 1, "_external_price": true}
				}
				guest.do(t, "POST", "/api/line_items", lineItem(oid, body)).
					wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/"+attr)
			}
			li := guest.do(t, "PATCH", "/api/line_items/"+id(li), resource("line_items", id(li), map[string]any{"unit_amount_cents": 1}, nil))
			li.wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/unit_amount_cents")
			if num(guest.order(t, oid), "subtotal_amount_cents") != 5800 {
				t.Fatal("a refused price changed the order")
			}
		})

		t.Run("a guest cannot set the status or send back-office triggers", func(t *testing.T) {
			perr := guest.patchOrder(t, oid, map[string]any{"status": "placed"}, nil).
				wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/status")
			if !strings.Contains(perr["detail"].(string), "read-only") {
				t.Fatalf("status: %v", perr)
			}
			for _, trigger := range []string{"_approve", "_cancel", "_archive", "_unarchive"} {
				guest.patchOrder(t, oid, map[string]any{trigger: true}, nil).
					wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/"+trigger)
			}
			if attrs(guest.order(t, oid))["status"] != "pending" {
				t.Fatal("a refused trigger changed the order")
			}
		})

		t.Run("a guest cannot list orders or line items", func(t *testing.T) {
			guest.do(t, "GET", "/api/orders", nil).wantError(t, 401, "UNAUTHORIZED")
			guest.do(t, "GET", "/api/line_items", nil).wantError(t, 401, "UNAUTHORIZED")
		})

		t.Run("a guest cannot reach another market's orders", func(t *testing.T) {
			e := e.in(t)
			us := e.one(t, "markets", "code_eq", "us")
			other := e.create(t, "orders", nil, map[string]any{"market": ref("markets", id(us))})
			guest.do(t, "GET", "/api/orders/"+id(other), nil).wantError(t, 404, "RECORD_NOT_FOUND")
			guest.do(t, "POST", "/api/orders", resource("orders", "", nil, map[string]any{"market": ref("markets", id(us))})).
				wantErrorAt(t, 404, "RECORD_NOT_FOUND", "/data/relationships/market/data/id")
		})

		t.Run("a SKU the market does not price is a 422 naming it", func(t *testing.T) {
			e := e.in(t)
			ci := e.one(t, "markets", "code_eq", "ci")
			xof := e.create(t, "orders", nil, map[string]any{"market": ref("markets", id(ci))})
			r := e.do("POST", "/api/line_items", lineItem(id(xof), map[string]any{"sku_code": mugCode, "quantity": 1}))
			if detail := r.wantError(t, 422, "VALIDATION_ERROR")["detail"].(string); !strings.Contains(detail, mugCode) {
				t.Fatalf("detail %q does not name the SKU", detail)
			}
			item := e.do("POST", "/api/line_items", lineItem(id(xof), map[string]any{"sku_code": tshirtCode, "quantity": 3})).want(t, 201).data()
			if attrs(item)["formatted_total_amount"] != "57,000 CFA" || attrs(item)["total_amount_float"] != 57000.0 {
				t.Fatalf("XOF item: %v", attrs(item))
			}
		})

		t.Run("quantities are bounded and the same SKU is merged only with _update_quantity", func(t *testing.T) {
			e := e.in(t)
			for _, q := range []int{0, 10001} {
				guest.do(t, "POST", "/api/line_items", lineItem(oid, map[string]any{"sku_code": mugCode, "quantity": q})).
					wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/quantity")
			}
			// Without _update_quantity the same SKU is a new line item, as in
			// the reference; with it, it is added to the line item, which keeps its id.
			second := guest.addItem(t, oid, tshirtCode, 1)
			if id(second) == id(li) || num(second, "quantity") != 1 {
				t.Fatalf("second: %s quantity %d, want a new line item beside %s", id(second), num(second, "quantity"), id(li))
			}
			merged := guest.do(t, "POST", "/api/line_items", lineItem(oid, map[string]any{"sku_code": tshirtCode, "quantity": 2, "_update_quantity": true})).want(t, 201).data()
			if num(merged, "quantity") != 5 || id(merged) != id(li) || attrs(merged)["created_at"] != attrs(li)["created_at"] {
				t.Fatalf("_update_quantity: %s quantity %d, want %s with 5", id(merged), num(merged, "quantity"), id(li))
			}
			if got := guest.do(t, "GET", "/api/line_items/"+id(li), nil).want(t, 200).data(); num(got, "quantity") != 5 || num(got, "total_amount_cents") != 14500 {
				t.Fatalf("merged item: %v", attrs(got))
			}
			guest.do(t, "GET", "/api/line_items/"+id(second), nil).want(t, 404)
			r := e.do("GET", "/api/orders/"+oid+"?include=line_items", nil).want(t, 200)
			if len(r.included()) != 1 || num(r.data(), "skus_count") != 5 {
				t.Fatalf("order after merges: %s", r.body)
			}
		})
	})
}

// TestCustomerOrders checks that a customer sees its own orders only.
func TestCustomerOrders(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		me, meID := e.customer(t, "me@example.com")
		other, _ := e.customer(t, "other@example.com")
		guest := e.guest(t)

		mine := me.newOrder(t, nil)
		if attrs(mine)["guest"] != false || attrs(mine)["customer_email"] != "me@example.com" {
			t.Fatalf("customer order: %v", attrs(mine))
		}
		r := e.do("GET", "/api/orders/"+id(mine)+"/customer", nil).want(t, 200)
		if id(r.data()) != meID {
			t.Fatalf("order customer %q, want %q", id(r.data()), meID)
		}
		me.addItem(t, id(mine), mugCode, 1)
		theirs := other.newOrder(t, nil)
		guests := guest.newOrder(t, nil)

		list := me.do(t, "GET", "/api/orders", nil).want(t, 200).list()
		if got := ids(list); !slices.Equal(got, []string{id(mine)}) {
			t.Fatalf("customer lists %v, want only %s", got, id(mine))
		}
		me.do(t, "GET", "/api/orders/"+id(theirs), nil).wantError(t, 404, "RECORD_NOT_FOUND")
		me.do(t, "GET", "/api/orders/"+id(guests), nil).wantError(t, 404, "RECORD_NOT_FOUND")
		me.patchOrder(t, id(theirs), map[string]any{"customer_email": "me@example.com"}, nil).wantError(t, 404, "RECORD_NOT_FOUND")
		me.do(t, "POST", "/api/line_items", lineItem(id(theirs), map[string]any{"sku_code": mugCode, "quantity": 1})).
			wantErrorAt(t, 404, "RECORD_NOT_FOUND", "/data/relationships/order/data/id")
		items := me.do(t, "GET", "/api/line_items", nil).want(t, 200).list()
		if len(items) != 1 {
			t.Fatalf("customer lists %d line items, want its 1", len(items))
		}
		// A guest who knows the id of a customer's cart reaches nothing of it:
		// not the order, its items, its payment, nor the right to add or pay.
		guest.do(t, "GET", "/api/orders/"+id(mine), nil).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.patchOrder(t, id(mine), map[string]any{"customer_email": "thief@example.com"}, nil).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.patchOrder(t, id(mine), map[string]any{"_place": true}, nil).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.do(t, "GET", "/api/orders/"+id(mine)+"/line_items", nil).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.do(t, "POST", "/api/line_items", lineItem(id(mine), map[string]any{"sku_code": mugCode, "quantity": 1})).
			wantErrorAt(t, 404, "RECORD_NOT_FOUND", "/data/relationships/order/data/id")
		guest.do(t, "POST", "/api/checkout_com_payments", resource("checkout_com_payments", "", map[string]any{"token": "tok_sandbox_approved",
			"success_url": "https://shop.example/ok", "failure_url": "https://shop.example/ko"}, map[string]any{"order": ref("orders", id(mine))})).
			wantErrorAt(t, 404, "RECORD_NOT_FOUND", "/data/relationships/order/data/id")
		myItem := me.do(t, "GET", "/api/orders/"+id(mine)+"/line_items", nil).want(t, 200).list()[0]
		guest.do(t, "GET", "/api/line_items/"+id(myItem), nil).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.do(t, "PATCH", "/api/line_items/"+id(myItem), resource("line_items", id(myItem), map[string]any{"quantity": 5}, nil)).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.do(t, "DELETE", "/api/line_items/"+id(myItem), nil).wantError(t, 404, "RECORD_NOT_FOUND")
		// A guest cannot hand its own cart to a customer and keep it either.
		guest.patchOrder(t, id(guests), nil, map[string]any{"customer": ref("customers", meID)}).want(t, 404)

		// A customer cannot give its order to someone else.
		otherID := id(e.one(t, "customers", "email_eq", "other@example.com"))
		me.patchOrder(t, id(mine), nil, map[string]any{"customer": ref("customers", otherID)}).
			wantErrorAt(t, 404, "RECORD_NOT_FOUND", "/data/relationships/customer/data/id")
	})
}

// TestIntegrationOrders checks what only trusted servers may do: external
// prices and back-office triggers.
func TestIntegrationOrders(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		eu := e.one(t, "markets", "code_eq", "eu")
		o := e.create(t, "orders", map[string]any{"customer_email": "b2b@example.com"}, map[string]any{"market": ref("markets", id(eu))})
		li := e.do("POST", "/api/line_items", lineItem(id(o), map[string]any{"sku_code": mugCode, "quantity": 2, "unit_amount_cents": 1234, "_external_price": true})).want(t, 201).data()
		if num(li, "unit_amount_cents") != 1234 || num(li, "total_amount_cents") != 2468 {
			t.Fatalf("external price: %v", attrs(li))
		}
		e.do("POST", "/api/line_items", lineItem(id(o), map[string]any{"sku_code": tshirtCode, "quantity": 1, "unit_amount_cents": 1})).
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/unit_amount_cents")
		e.do("POST", "/api/orders", resource("orders", "", nil, nil)).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/market")
		e.do("PATCH", "/api/orders/"+id(o), resource("orders", id(o), map[string]any{"status": "placed"}, nil)).
			wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/status")

		// Refused triggers name the order's status.
		for _, trigger := range []string{"_approve", "_cancel"} {
			r := e.do("PATCH", "/api/orders/"+id(o), resource("orders", id(o), map[string]any{trigger: true}, nil))
			detail := r.wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/"+trigger)["detail"].(string)
			if !strings.Contains(detail, "pending") {
				t.Fatalf("%s: detail %q does not name the status", trigger, detail)
			}
		}
		// _place reports each missing precondition at its member.
		r := e.do("PATCH", "/api/orders/"+id(o), resource("orders", id(o), map[string]any{"_place": true}, nil)).want(t, 422)
		for _, p := range []string{"/data/relationships/billing_address", "/data/relationships/shipping_address", "/data/relationships/payment_method"} {
			r.wantErrorAt(t, 422, "VALIDATION_ERROR", p)
		}

		// Only JSON true runs a trigger; false and null do nothing.
		for _, v := range []any{2, -1, 1, "true", "yes", map[string]any{}} {
			e.do("PATCH", "/api/orders/"+id(o), resource("orders", id(o), map[string]any{"_archive": v}, nil)).
				wantErrorAt(t, 400, "INVALID_FIELD_VALUE", "/data/attributes/_archive")
		}
		for _, v := range []any{false, nil} {
			r := e.do("PATCH", "/api/orders/"+id(o), resource("orders", id(o), map[string]any{"_archive": v}, nil)).want(t, 200)
			if attrs(r.data())["archived_at"] != nil {
				t.Fatalf("_archive: %v archived the order", v)
			}
		}

		// Archive and delete.
		r = e.do("PATCH", "/api/orders/"+id(o), resource("orders", id(o), map[string]any{"_archive": true}, nil)).want(t, 200)
		if attrs(r.data())["archived_at"] == nil {
			t.Fatal("_archive did not set archived_at")
		}
		if n := e.count(t, "/api/orders"+q("filter[q][archived_at_null]", "true")); n != 0 {
			t.Fatalf("%d unarchived orders", n)
		}
		e.do("DELETE", "/api/orders/"+id(o), nil).want(t, 204)
		e.do("GET", "/api/line_items/"+id(li), nil).wantError(t, 404, "RECORD_NOT_FOUND")
	})
}

// TestOrderIncludes checks the order's relationships: includes, the
// related endpoints and available_payment_methods.
func TestOrderIncludes(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.guest(t)
		o := guest.newOrder(t, map[string]any{"customer_email": "inc@example.com"})
		oid := id(o)
		item := guest.addItem(t, oid, mugCode, 1)
		address := guest.newAddress(t)
		guest.patchOrder(t, oid, nil, map[string]any{"billing_address": ref("addresses", address)}).want(t, 200)

		// Payment methods: those of the market or of none, in the
		// currency or any, and enabled.
		euEUR := e.wireTransfer(t, map[string]any{"currency_code": "EUR", "name": "eu EUR"}, "eu")
		euAny := e.wireTransfer(t, map[string]any{"name": "eu any"}, "eu")
		anyEUR := e.wireTransfer(t, map[string]any{"currency_code": "EUR", "name": "any EUR"}, "")
		e.wireTransfer(t, map[string]any{"currency_code": "USD", "name": "eu USD"}, "eu")
		e.wireTransfer(t, map[string]any{"name": "us any"}, "us")
		e.wireTransfer(t, map[string]any{"name": "eu disabled", "_disable": true}, "eu")
		want := []string{"payment_methods:" + euEUR, "payment_methods:" + euAny, "payment_methods:" + anyEUR}
		// The demo data's card and bank transfer methods of the eu market.
		for _, pm := range e.do("GET", "/api/payment_methods"+q("filter[q][market_code_eq]", "eu", "filter[q][currency_code_eq]", "EUR", "filter[q][name_in]", "Card (sandbox),Bank transfer"), nil).want(t, 200).list() {
			want = append(want, "payment_methods:"+id(pm))
		}
		if len(want) != 5 {
			t.Fatalf("want the 2 demo payment methods of eu too, got %v", want)
		}
		want = sortedCopy(want)

		for name, s := range map[string]*shopper{"integration": e.integration(), "guest": guest} {
			t.Run(name, func(t *testing.T) {
				r := s.do(t, "GET", "/api/orders/"+oid+"?include=line_items,market,billing_address", nil).want(t, 200)
				if got := linkage(r.data(), "line_items"); !slices.Equal(got, []string{"line_items:" + id(item)}) {
					t.Errorf("line_items linkage %v", got)
				}
				if got := linkage(r.data(), "billing_address"); !slices.Equal(got, []string{"addresses:" + address}) {
					t.Errorf("billing_address linkage %v", got)
				}
				if got := linkage(r.data(), "market"); len(got) != 1 {
					t.Errorf("market linkage %v", got)
				}
				types := byType(r.included())
				if len(types["line_items"]) != 1 || len(types["markets"]) != 1 || len(types["addresses"]) != 1 || len(r.included()) != 3 {
					t.Errorf("included: %s", r.body)
				}

				r = s.do(t, "GET", "/api/orders/"+oid+"?include=available_payment_methods", nil).want(t, 200)
				if got := sortedCopy(linkage(r.data(), "available_payment_methods")); !slices.Equal(got, want) {
					t.Errorf("available_payment_methods %v, want %v", got, want)
				}
				related := s.do(t, "GET", "/api/orders/"+oid+"/available_payment_methods", nil).want(t, 200).list()
				var got []string
				for _, pm := range related {
					got = append(got, "payment_methods:"+id(pm))
				}
				if slices.Sort(got); !slices.Equal(got, want) {
					t.Errorf("related available_payment_methods %v, want %v", got, want)
				}
				items := s.do(t, "GET", "/api/orders/"+oid+"/line_items", nil).want(t, 200).list()
				if len(items) != 1 || id(items[0]) != id(item) {
					t.Errorf("related line_items %v", ids(items))
				}
				if got := id(s.do(t, "GET", "/api/line_items/"+id(item)+"/order", nil).want(t, 200).data()); got != oid {
					t.Errorf("line item's order %q", got)
				}
			})
		}
		// A payment method the order cannot use is refused.
		usAny := e.one(t, "payment_methods", "name_eq", "us any")
		guest.patchOrder(t, oid, nil, map[string]any{"payment_method": ref("payment_methods", id(usAny))}).want(t, 404)
		e.do("PATCH", "/api/orders/"+oid, resource("orders", oid, nil, map[string]any{"payment_method": ref("payment_methods", id(usAny))})).
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/payment_method")
	})
}

// TestGuestCheckout walks a storefront's checkout: cart, addresses,
// payment method, _place; then the back office approves.
func TestGuestCheckout(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest := e.guest(t)
		method := e.wireTransfer(t, map[string]any{"currency_code": "EUR", "price_amount_cents": 150}, "eu")

		o := guest.newOrder(t, nil)
		oid := id(o)
		guest.addItem(t, oid, tshirtCode, 2)
		guest.addItem(t, oid, mugCode, 1)
		if s := attrs(guest.order(t, oid))["status"]; s != "draft" {
			t.Fatalf("items without an email: %v", s)
		}
		o = guest.patchOrder(t, oid, map[string]any{"customer_email": "Checkout@Example.com"}, nil).want(t, 200).data()
		if attrs(o)["status"] != "pending" || attrs(o)["customer_email"] != "checkout@example.com" {
			t.Fatalf("with an email: %v", attrs(o))
		}
		guest.patchOrder(t, oid, map[string]any{"_place": true}, nil).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/billing_address")

		billing := guest.newAddress(t)
		guest.patchOrder(t, oid, map[string]any{"_shipping_address_same_as_billing": true}, map[string]any{"billing_address": ref("addresses", billing)}).want(t, 200)
		r := guest.do(t, "GET", "/api/orders/"+oid+"?include=billing_address,shipping_address", nil).want(t, 200)
		shipping := linkage(r.data(), "shipping_address")
		if got := linkage(r.data(), "billing_address"); !slices.Equal(got, []string{"addresses:" + billing}) || len(shipping) != 1 || shipping[0] == got[0] {
			t.Fatalf("addresses: billing %v shipping %v", got, shipping)
		}
		for _, a := range r.included() {
			if attrs(a)["city"] != "Paris" {
				t.Fatalf("address %v", attrs(a))
			}
		}
		// The shipping address can also be set on its own.
		other := guest.newAddress(t)
		guest.patchOrder(t, oid, nil, map[string]any{"shipping_address": ref("addresses", other)}).want(t, 200)

		o = guest.patchOrder(t, oid, nil, map[string]any{"payment_method": ref("payment_methods", method)}).want(t, 200).data()
		if num(o, "payment_method_amount_cents") != 150 || num(o, "total_amount_cents") != 2*2900+1200+700+150 {
			t.Fatalf("with a payment method: %v", attrs(o))
		}

		placed := guest.patchOrder(t, oid, map[string]any{"_place": true}, nil).want(t, 200).data()
		pa := attrs(placed)
		if pa["status"] != "placed" || pa["payment_status"] != "unpaid" || pa["placed_at"] == nil || pa["editable"] != false ||
			num(placed, "place_total_amount_cents") != 7850 || pa["fulfillment_status"] != "unfulfilled" {
			t.Fatalf("placed: %v", pa)
		}
		// A placed order is out of a guest's reach; its cart is closed.
		guest.do(t, "GET", "/api/orders/"+oid, nil).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.patchOrder(t, oid, map[string]any{"_place": true}, nil).wantError(t, 404, "RECORD_NOT_FOUND")
		guest.do(t, "POST", "/api/line_items", lineItem(oid, map[string]any{"sku_code": mugCode, "quantity": 1})).want(t, 404)
		items := e.do("GET", "/api/orders/"+oid+"/line_items", nil).want(t, 200).list()
		e.do("POST", "/api/line_items", lineItem(oid, map[string]any{"sku_code": mugCode, "quantity": 1})).
			wantError(t, 422, "VALIDATION_ERROR")
		e.do("PATCH", "/api/line_items/"+id(items[0]), resource("line_items", id(items[0]), map[string]any{"quantity": 9}, nil)).
			wantError(t, 422, "VALIDATION_ERROR")
		e.do("DELETE", "/api/line_items/"+id(items[0]), nil).wantError(t, 422, "VALIDATION_ERROR")
		e.do("DELETE", "/api/orders/"+oid, nil).wantError(t, 422, "VALIDATION_ERROR")
		detail := e.do("PATCH", "/api/orders/"+oid, resource("orders", oid, map[string]any{"_place": true}, nil)).
			wantError(t, 422, "VALIDATION_ERROR")["detail"].(string)
		if !strings.Contains(detail, "placed") {
			t.Fatalf("second _place: %q", detail)
		}

		approved := e.do("PATCH", "/api/orders/"+oid, resource("orders", oid, map[string]any{"_approve": true}, nil)).want(t, 200).data()
		if attrs(approved)["status"] != "approved" || attrs(approved)["approved_at"] == nil {
			t.Fatalf("approved: %v", attrs(approved))
		}
		cancelled := e.do("PATCH", "/api/orders/"+oid, resource("orders", oid, map[string]any{"_cancel": true}, nil)).want(t, 200).data()
		if attrs(cancelled)["status"] != "cancelled" || attrs(cancelled)["cancelled_at"] == nil {
			t.Fatalf("cancelled: %v", attrs(cancelled))
		}

		t.Run("a free order is placed free, without a payment method", func(t *testing.T) {
			e := e.in(t)
			o := guest.newOrder(t, map[string]any{"customer_email": "free@example.com"})
			e.do("POST", "/api/line_items", lineItem(id(o), map[string]any{"sku_code": courseCode, "quantity": 1, "unit_amount_cents": 0, "_external_price": true})).want(t, 201)
			billing := guest.newAddress(t)
			placed := guest.patchOrder(t, id(o), map[string]any{"_place": true}, map[string]any{"billing_address": ref("addresses", billing)}).want(t, 200).data()
			if attrs(placed)["status"] != "placed" || attrs(placed)["payment_status"] != "free" || attrs(placed)["fulfillment_status"] != "not_required" {
				t.Fatalf("free order: %v", attrs(placed))
			}
		})

		t.Run("an address the guest cannot see cannot be cloned", func(t *testing.T) {
			e := e.in(t)
			me, _ := e.customer(t, "owner@example.com")
			private := me.newAddress(t)
			o := guest.newOrder(t, nil)
			guest.patchOrder(t, id(o), map[string]any{"_billing_address_clone_id": private}, nil).
				wantErrorAt(t, 404, "RECORD_NOT_FOUND", "/data/attributes/_billing_address_clone_id")
			guest.patchOrder(t, id(o), map[string]any{"_shipping_address_clone_id": "nosuchaddress"}, nil).
				wantErrorAt(t, 404, "RECORD_NOT_FOUND", "/data/attributes/_shipping_address_clone_id")
			guest.patchOrder(t, id(o), nil, map[string]any{"billing_address": ref("addresses", private)}).
				wantErrorAt(t, 404, "RECORD_NOT_FOUND", "/data/relationships/billing_address/data/id")
			guest.do(t, "GET", "/api/addresses/"+private, nil).wantError(t, 404, "RECORD_NOT_FOUND")
			// An address in a customer's address book is the customer's,
			// even when the back office made it.
			booked := e.newAddress(t)
			guest.do(t, "GET", "/api/addresses/"+id(booked), nil).want(t, 200)
			e.create(t, "customer_addresses", map[string]any{"customer_email": "owner@example.com"}, map[string]any{"address": ref("addresses", id(booked))})
			guest.do(t, "GET", "/api/addresses/"+id(booked), nil).wantError(t, 404, "RECORD_NOT_FOUND")
			guest.patchOrder(t, id(o), map[string]any{"_shipping_address_clone_id": id(booked)}, nil).
				wantErrorAt(t, 404, "RECORD_NOT_FOUND", "/data/attributes/_shipping_address_clone_id")
			me.do(t, "GET", "/api/addresses/"+id(booked), nil).want(t, 200)
			if r := guest.order(t, id(o)); len(linkage(r, "billing_address")) != 0 {
				t.Fatal("a refused clone set the billing address")
			}
			// Its own address can be cloned.
			mine := guest.newAddress(t)
			guest.patchOrder(t, id(o), map[string]any{"_billing_address_clone_id": mine}, nil).want(t, 200)
			r := guest.do(t, "GET", "/api/orders/"+id(o)+"?include=billing_address", nil).want(t, 200)
			if got := linkage(r.data(), "billing_address"); len(got) != 1 || got[0] == "addresses:"+mine {
				t.Fatalf("cloned billing address %v", got)
			}
			// The customer may clone its own address into its order, and
			// sees the copies.
			cart := me.newOrder(t, nil)
			me.patchOrder(t, id(cart), map[string]any{"_billing_address_clone_id": private, "_shipping_address_same_as_billing": true}, nil).want(t, 200)
			r = me.do(t, "GET", "/api/orders/"+id(cart)+"?include=billing_address,shipping_address", nil).want(t, 200)
			if len(linkage(r.data(), "billing_address")) != 1 || len(linkage(r.data(), "shipping_address")) != 1 || len(r.included()) != 2 {
				t.Fatalf("customer's cloned addresses: %s", r.body)
			}
		})
	})
}

// TestCustomerCheckout checks the customer's order count and the one
// purchase rule over HTTP.
func TestCustomerCheckout(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		course := e.one(t, "skus", "code_eq", courseCode)
		e.do("PATCH", "/api/skus/"+id(course), resource("skus", id(course), map[string]any{"limit_one_per_customer": true}, nil)).want(t, 200)
		method := e.wireTransfer(t, nil, "eu")
		me, meID := e.customer(t, "learner@example.com")

		buy := func(t *testing.T, s *shopper, attributes map[string]any) string {
			t.Helper()
			o := s.newOrder(t, attributes)
			s.addItem(t, id(o), courseCode, 1)
			address := s.newAddress(t)
			s.patchOrder(t, id(o), map[string]any{"_place": true}, map[string]any{
				"billing_address": ref("addresses", address), "payment_method": ref("payment_methods", method),
			}).want(t, 200)
			return id(o)
		}
		buy(t, me, nil)
		c := e.do("GET", "/api/customers/"+meID, nil).want(t, 200).data()
		if num(c, "total_orders_count") != 1 || attrs(c)["status"] != "acquired" {
			t.Fatalf("customer after an order: %v", attrs(c))
		}

		// The customer, and a guest with the customer's email, cannot buy it again.
		guest := e.guest(t)
		for name, s := range map[string]*shopper{"customer": me, "guest with the email": guest} {
			o := s.newOrder(t, map[string]any{"customer_email": "learner@example.com"})
			r := s.do(t, "POST", "/api/line_items", lineItem(id(o), map[string]any{"sku_code": courseCode, "quantity": 1}))
			if detail := r.wantError(t, 422, "ALREADY_PURCHASED")["detail"].(string); !strings.Contains(detail, courseCode) {
				t.Fatalf("%s: detail %q does not name the SKU", name, detail)
			}
		}
		// Someone else can.
		buy(t, guest, map[string]any{"customer_email": "someone@example.com"})
		if c := e.do("GET", "/api/customers/"+meID, nil).want(t, 200).data(); num(c, "total_orders_count") != 1 {
			t.Fatalf("another buyer counted for the customer: %v", attrs(c))
		}
	})
}

// TestOrderConcurrency sends concurrent line item creates of one SKU to one
// order, then concurrent _place requests: the quantities add up in one line
// item and the order is placed once. SQLite serializes writers; PostgreSQL
// relies on the order's row lock.
func TestOrderConcurrency(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { concurrentCheckout(t, newEnv(t, dbtest.SQLite(t), true), 20, 10) })
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Run("postgres", func(t *testing.T) { concurrentCheckout(t, newEnv(t, dbtest.Postgres(t), true), 50, 20) })
	}
}

// parallel sends n copies of a request at once, each from its own
// goroutine, and returns the statuses and bodies.
func parallel(e *env, n int, token, method, path string, body any) ([]int, [][]byte) {
	raw, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	statuses, bodies := make([]int, n), make([][]byte, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(method, path, bytes.NewReader(raw))
			req.Header.Set("Accept", serializers.MediaType)
			req.Header.Set("Content-Type", serializers.MediaType)
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			<-start
			e.router.ServeHTTP(rec, req)
			statuses[i], bodies[i] = rec.Code, rec.Body.Bytes()
		}()
	}
	close(start)
	wg.Wait()
	return statuses, bodies
}

func concurrentCheckout(t *testing.T, e *env, items, places int) {
	me, meID := e.customer(t, "rush@example.com")

	// Order numbers: the first orders of a database race to create the counter.
	statuses, bodies := parallel(e, places, me.token, "POST", "/api/orders", resource("orders", "", nil, nil))
	numbers := map[float64]bool{}
	for i, s := range statuses {
		if s != http.StatusCreated {
			t.Fatalf("order create %d: status %d\n%s", i, s, bodies[i])
		}
		var doc struct {
			Data struct{ Attributes map[string]any }
		}
		if err := json.Unmarshal(bodies[i], &doc); err != nil {
			t.Fatal(err)
		}
		numbers[doc.Data.Attributes["number"].(float64)] = true
	}
	if len(numbers) != places {
		t.Fatalf("%d concurrent orders got %d distinct numbers", places, len(numbers))
	}

	o := me.newOrder(t, nil)
	oid := id(o)

	// Concurrent adds of one SKU with _update_quantity end in one line item.
	statuses, bodies = parallel(e, items, me.token, "POST", "/api/line_items", lineItem(oid, map[string]any{"sku_code": tshirtCode, "quantity": 1, "_update_quantity": true}))
	for i, s := range statuses {
		if s != http.StatusCreated {
			t.Errorf("line item create %d: status %d\n%s", i, s, bodies[i])
		}
	}
	r := me.do(t, "GET", "/api/orders/"+oid+"?include=line_items", nil).want(t, 200)
	if len(r.included()) != 1 || num(r.included()[0], "quantity") != int64(items) {
		t.Fatalf("after %d concurrent adds: %s", items, r.body)
	}
	if num(r.data(), "skus_count") != int64(items) || num(r.data(), "subtotal_amount_cents") != int64(items)*2900 ||
		num(r.data(), "total_amount_cents") != int64(items)*2900 || num(r.included()[0], "total_amount_cents") != int64(items)*2900 {
		t.Fatalf("totals after %d concurrent adds: %v", items, attrs(r.data()))
	}

	address := me.newAddress(t)
	method := e.wireTransfer(t, nil, "eu")
	me.patchOrder(t, oid, map[string]any{"_shipping_address_same_as_billing": true}, map[string]any{
		"billing_address": ref("addresses", address), "payment_method": ref("payment_methods", method),
	}).want(t, 200)

	statuses, bodies = parallel(e, places, me.token, "PATCH", "/api/orders/"+oid, resource("orders", oid, map[string]any{"_place": true}, nil))
	placed := 0
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			placed++
		case http.StatusUnprocessableEntity:
			if !bytes.Contains(bodies[i], []byte("VALIDATION_ERROR")) || !bytes.Contains(bodies[i], []byte("status placed")) {
				t.Errorf("_place %d: %s", i, bodies[i])
			}
		default:
			t.Errorf("_place %d: status %d\n%s", i, s, bodies[i])
		}
	}
	if placed != 1 {
		t.Fatalf("%d of %d concurrent _place succeeded, want exactly 1", placed, places)
	}
	o = me.order(t, oid)
	if attrs(o)["status"] != "placed" || num(o, "place_total_amount_cents") != int64(items)*2900 {
		t.Fatalf("placed order: %v", attrs(o))
	}
	c := e.do("GET", "/api/customers/"+meID, nil).want(t, 200).data()
	if num(c, "total_orders_count") != 1 {
		t.Fatalf("the order was counted %d times", num(c, "total_orders_count"))
	}
}
