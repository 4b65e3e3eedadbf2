package handlers_test

import (
	"maps"
	"strings"
	"testing"
)

// TestPriceSkuCode checks that a price's SKU can be given by code, on
// create and on update, and that sku_code and the sku relationship agree.
func TestPriceSkuCode(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		ci := e.one(t, "price_lists", "code_eq", "ci")
		mug := e.one(t, "skus", "code_eq", "MUGXXXXX000000FFFFFFXX")
		hoodie := e.one(t, "skus", "code_eq", "HOODIEUL000000FFFFFFL")
		skuOf := func(t *testing.T, priceID string) string {
			t.Helper()
			return id(e.in(t).do("GET", "/api/prices/"+priceID+"/relationships/sku", nil).want(t, 200).data())
		}

		p := e.create(t, "prices", map[string]any{"amount_cents": 100, "sku_code": "CAPXXXXX000000FFFFFFXX"}, map[string]any{"price_list": ref("price_lists", id(ci))})
		path := "/api/prices/" + id(p)
		cap := e.one(t, "skus", "code_eq", "CAPXXXXX000000FFFFFFXX")
		if skuOf(t, id(p)) != id(cap) {
			t.Fatal("sku_code on create did not set the sku")
		}

		r := e.do("PATCH", path, resource("prices", id(p), map[string]any{"sku_code": "MUGXXXXX000000FFFFFFXX"}, nil)).want(t, 200)
		if attrs(r.data())["sku_code"] != "MUGXXXXX000000FFFFFFXX" || skuOf(t, id(p)) != id(mug) {
			t.Fatalf("PATCH sku_code: %v, sku %s", attrs(r.data())["sku_code"], skuOf(t, id(p)))
		}

		r = e.do("PATCH", path, resource("prices", id(p), nil, map[string]any{"sku": ref("skus", id(hoodie))})).want(t, 200)
		if attrs(r.data())["sku_code"] != "HOODIEUL000000FFFFFFL" || skuOf(t, id(p)) != id(hoodie) {
			t.Fatalf("PATCH sku: sku_code %v", attrs(r.data())["sku_code"])
		}

		before := e.counts(t)
		e.do("PATCH", path, resource("prices", id(p), map[string]any{"sku_code": "NOPE"}, nil)).
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/sku_code")
		// The course already has an XOF price.
		e.do("PATCH", path, resource("prices", id(p), map[string]any{"sku_code": "COURSEGO000000000000XX"}, nil)).
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/sku")
		if skuOf(t, id(p)) != id(hoodie) || !maps.Equal(before, e.counts(t)) {
			t.Fatal("a refused sku_code change changed the price")
		}
		// An unrelated update keeps the sku.
		e.do("PATCH", path, resource("prices", id(p), map[string]any{"amount_cents": 200}, nil)).want(t, 200)
		if skuOf(t, id(p)) != id(hoodie) {
			t.Fatal("an amount change moved the price")
		}
	})
}

func TestAddresses(t *testing.T) {
	t.Parallel()
	eachDB(t, false, func(t *testing.T, e *env) {
		base := map[string]any{"line_1": "1 Main St", "city": "Abidjan", "country_code": "CI", "phone": "+225"}
		with := func(extra map[string]any) map[string]any {
			m := maps.Clone(base)
			maps.Copy(m, extra)
			return m
		}
		r := e.do("POST", "/api/addresses", resource("addresses", "", with(nil), nil)).want(t, 422)
		for _, p := range []string{"/data/attributes/first_name", "/data/attributes/last_name"} {
			r.wantErrorAt(t, 422, "VALIDATION_ERROR", p)
		}
		e.do("POST", "/api/addresses", resource("addresses", "", with(map[string]any{"business": true, "first_name": "A"}), nil)).
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/company")
		e.do("POST", "/api/addresses", resource("addresses", "", with(map[string]any{"first_name": "A", "last_name": "B", "country_code": "CIV"}), nil)).
			wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/country_code")
		r = e.do("POST", "/api/addresses", resource("addresses", "", map[string]any{"first_name": "A", "last_name": "B"}, nil)).want(t, 422)
		for _, a := range []string{"line_1", "city", "country_code", "phone"} {
			r.wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/"+a)
		}
		if n := e.count(t, "/api/addresses"); n != 0 {
			t.Fatalf("%d addresses after refused creates", n)
		}

		customer, address, entry := e.newCustomerAddress(t, "book@example.com")
		a := attrs(address)
		if a["full_name"] != "Ada Lovelace" || a["country_code"] != "CI" || !strings.HasPrefix(a["name"].(string), "Ada Lovelace, 1 Main St") {
			t.Fatalf("derived address fields: %v", a)
		}
		if attrs(entry)["name"] != a["name"] || attrs(entry)["customer_email"] != "book@example.com" {
			t.Fatalf("address book entry: %v", attrs(entry))
		}
		// Renaming the address renames its entries in address books.
		e.do("PATCH", "/api/addresses/"+id(address), resource("addresses", id(address), map[string]any{"first_name": "Grace", "last_name": "Hopper"}, nil)).want(t, 200)
		if got := attrs(e.do("GET", "/api/customer_addresses/"+id(entry), nil).want(t, 200).data())["name"].(string); !strings.HasPrefix(got, "Grace Hopper, ") {
			t.Fatalf("entry name after the address changed: %q", got)
		}
		r = e.do("GET", "/api/customers/"+id(customer)+"?include=customer_addresses", nil).want(t, 200)
		if len(linkage(r.data(), "customer_addresses")) != 1 || len(r.included()) != 1 {
			t.Fatalf("customer with its address book: %s", r.body)
		}
		// The same address twice in one book, and an unknown email.
		e.do("POST", "/api/customer_addresses", resource("customer_addresses", "", nil, map[string]any{
			"customer": ref("customers", id(customer)), "address": ref("addresses", id(address)),
		})).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/address")
		e.do("POST", "/api/customer_addresses", resource("customer_addresses", "", map[string]any{"customer_email": "nobody@example.com"},
			map[string]any{"address": ref("addresses", id(address))})).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/customer_email")
		e.do("POST", "/api/customer_addresses", resource("customer_addresses", "", nil,
			map[string]any{"address": ref("addresses", id(address))})).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/relationships/customer")
		// Deleting the customer empties the book.
		e.do("DELETE", "/api/customers/"+id(customer), nil).want(t, 204)
		e.do("GET", "/api/customer_addresses/"+id(entry), nil).wantError(t, 404, "RECORD_NOT_FOUND")
		e.do("GET", "/api/addresses/"+id(address), nil).want(t, 200)
	})
}
