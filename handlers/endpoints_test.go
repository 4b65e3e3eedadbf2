package handlers_test

import (
	"net/http"
	"slices"
	"testing"
)

// create POSTs a resource and returns it, failing unless it was created.
func (e *env) create(t *testing.T, typ string, attributes, relationships map[string]any) map[string]any {
	t.Helper()
	r := e.in(t).do("POST", "/api/"+typ, resource(typ, "", attributes, relationships)).want(t, http.StatusCreated)
	return r.data()
}

// newAddress creates a personal address.
func (e *env) newAddress(t *testing.T) map[string]any {
	t.Helper()
	return e.create(t, "addresses", map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "line_1": "1 Main St", "city": "Abidjan",
		"country_code": "ci", "phone": "+225 01 02 03 04",
	}, nil)
}

// newCustomerAddress creates a customer, an address and the entry of the
// address book that links them.
func (e *env) newCustomerAddress(t *testing.T, email string) (customer, address, entry map[string]any) {
	t.Helper()
	customer = e.create(t, "customers", map[string]any{"email": email}, nil)
	address = e.newAddress(t)
	entry = e.create(t, "customer_addresses", nil, map[string]any{
		"customer": ref("customers", id(customer)),
		"address":  ref("addresses", id(address)),
	})
	return customer, address, entry
}

// TestResourceLifecycle runs every resource type through POST (201 and
// Location), GET, PATCH (200), DELETE (204) and the 404s that follow.
func TestResourceLifecycle(t *testing.T) {
	t.Parallel()
	type body struct{ attrs, rels map[string]any }
	cases := []struct {
		typ    string
		create func(t *testing.T, e *env) body
		patch  map[string]any // attributes to change
	}{
		{"skus", func(*testing.T, *env) body {
			return body{attrs: map[string]any{"code": "NEWSKU01", "name": "New SKU", "weight": 1.5, "unit_of_weight": "gr"}}
		}, map[string]any{"name": "Renamed SKU", "do_not_ship": true}},
		{"price_lists", func(*testing.T, *env) body {
			return body{attrs: map[string]any{"name": "Japan", "code": "jp", "currency_code": "jpy"}}
		}, map[string]any{"name": "Japan (JPY)", "tax_included": false}},
		{"markets", func(t *testing.T, e *env) body {
			list := e.one(t, "price_lists", "code_eq", "eu")
			return body{attrs: map[string]any{"name": "France", "code": "fr", "metadata": map[string]any{"vat": "FR"}},
				rels: map[string]any{"price_list": ref("price_lists", id(list))}}
		}, map[string]any{"name": "France métropolitaine", "shipping_cost_cutoff": float64(5000)}},
		{"prices", func(t *testing.T, e *env) body {
			list := e.one(t, "price_lists", "code_eq", "ci")
			sku := e.one(t, "skus", "code_eq", "MUGXXXXX000000FFFFFFXX")
			return body{attrs: map[string]any{"amount_cents": 7500},
				rels: map[string]any{"price_list": ref("price_lists", id(list)), "sku": ref("skus", id(sku))}}
		}, map[string]any{"amount_cents": float64(8000), "compare_at_amount_cents": float64(9000)}},
		{"customers", func(*testing.T, *env) body {
			return body{attrs: map[string]any{"email": "new@example.com", "metadata": map[string]any{"vip": true}}}
		}, map[string]any{"email": "renamed@example.com", "reference": "crm-1"}},
		{"addresses", func(*testing.T, *env) body {
			return body{attrs: map[string]any{"business": true, "company": "ACME", "line_1": "2 Rue", "city": "Paris", "country_code": "FR", "phone": "+33 1"}}
		}, map[string]any{"city": "Lyon", "zip_code": "69001"}},
		{"customer_addresses", func(t *testing.T, e *env) body {
			customer := e.create(t, "customers", map[string]any{"email": "book@example.com"}, nil)
			address := e.newAddress(t)
			return body{rels: map[string]any{"customer": ref("customers", id(customer)), "address": ref("addresses", id(address))}}
		}, map[string]any{"reference": "book-1"}},
	}
	eachDB(t, true, func(t *testing.T, e *env) {
		for _, c := range cases {
			t.Run(c.typ, func(t *testing.T) {
				e := e.in(t)
				before := e.count(t, "/api/"+c.typ)
				b := c.create(t, e)
				created := e.do("POST", "/api/"+c.typ, resource(c.typ, "", b.attrs, b.rels)).want(t, http.StatusCreated)
				res := created.data()
				self := res["links"].(map[string]any)["self"]
				if loc := created.header.Get("Location"); loc == "" || loc != self {
					t.Fatalf("Location %q, links.self %v", loc, self)
				}
				if res["type"] != c.typ || id(res) == "" {
					t.Fatalf("created %v", res)
				}
				for k, v := range b.attrs {
					if k == "country_code" || k == "currency_code" {
						continue // normalized to upper case
					}
					if got := attrs(res)[k]; !equalJSON(got, v) {
						t.Errorf("created %s = %v, want %v", k, got, v)
					}
				}
				if got := e.count(t, "/api/"+c.typ); got != before+1 {
					t.Fatalf("count after create %d, want %d", got, before+1)
				}
				path := "/api/" + c.typ + "/" + id(res)

				got := e.do("GET", path, nil).want(t, http.StatusOK).data()
				if id(got) != id(res) || got["links"].(map[string]any)["self"] != self {
					t.Fatalf("GET %s = %v", path, got)
				}

				patched := e.do("PATCH", path, resource(c.typ, id(res), c.patch, nil)).want(t, http.StatusOK).data()
				for k, v := range c.patch {
					if got := attrs(patched)[k]; !equalJSON(got, v) {
						t.Errorf("patched %s = %v, want %v", k, got, v)
					}
				}
				reread := e.do("GET", path, nil).want(t, http.StatusOK).data()
				for k, v := range c.patch {
					if got := attrs(reread)[k]; !equalJSON(got, v) {
						t.Errorf("after PATCH, GET shows %s = %v, want %v", k, got, v)
					}
				}

				e.do("DELETE", path, nil).want(t, http.StatusNoContent)
				e.do("GET", path, nil).wantError(t, http.StatusNotFound, "RECORD_NOT_FOUND")
				e.do("PATCH", path, resource(c.typ, id(res), c.patch, nil)).wantError(t, http.StatusNotFound, "RECORD_NOT_FOUND")
				e.do("DELETE", path, nil).wantError(t, http.StatusNotFound, "RECORD_NOT_FOUND")
				if got := e.count(t, "/api/"+c.typ); got != before {
					t.Fatalf("count after delete %d, want %d", got, before)
				}
			})
		}
	})
}

// equalJSON compares a decoded JSON value with a Go value written in a test.
func equalJSON(got, want any) bool {
	switch w := want.(type) {
	case int:
		return got == float64(w)
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			if !equalJSON(g[k], v) {
				return false
			}
		}
		return true
	}
	return got == want
}

func TestListEndpoint(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		for typ, want := range map[string]int{"markets": 5, "price_lists": 5, "prices": 30, "skus": 13, "customers": 0} {
			r := e.do("GET", "/api/"+typ, nil).want(t, http.StatusOK)
			if got := int(r.meta()["record_count"].(float64)); got != want {
				t.Errorf("%s: record_count %d, want %d", typ, got, want)
			}
			if len(r.list()) != min(want, 10) {
				t.Errorf("%s: %d on the first page", typ, len(r.list()))
			}
			if _, ok := r.doc["data"].([]any); !ok {
				t.Errorf("%s: data is not an array (even when empty): %s", typ, r.body)
			}
			if _, ok := r.doc["included"]; ok {
				t.Errorf("%s: included without include", typ)
			}
			// Relationships carry links but no data unless included.
			for _, res := range r.list() {
				for name, rl := range res["relationships"].(map[string]any) {
					if _, ok := rl.(map[string]any)["data"]; ok {
						t.Errorf("%s.%s has data without include", typ, name)
					}
				}
			}
		}
	})
}

func TestRelatedEndpoints(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		mug := e.one(t, "skus", "code_eq", "MUGXXXXX000000FFFFFFXX")
		eu := e.one(t, "price_lists", "code_eq", "eu")
		mugEU := e.do("GET", "/api/skus/"+id(mug)+"/prices"+q("filter[q][price_list_code_eq]", "eu"), nil).want(t, 200).list()
		if len(mugEU) != 1 || attrs(mugEU[0])["amount_cents"] != float64(1200) {
			t.Fatalf("mug prices in eu: %v", mugEU)
		}
		price := mugEU[0]

		t.Run("to-one", func(t *testing.T) {
			e := e.in(t)
			r := e.do("GET", "/api/prices/"+id(price)+"/price_list", nil).want(t, 200)
			if id(r.data()) != id(eu) || r.data()["type"] != "price_lists" {
				t.Fatalf("price_list of the price: %s", r.body)
			}
			r = e.do("GET", "/api/prices/"+id(price)+"/sku?include=prices", nil).want(t, 200)
			if id(r.data()) != id(mug) || len(r.included()) != 2 {
				t.Fatalf("sku of the price with its prices: %s", r.body)
			}
			customer, _, entry := e.newCustomerAddress(t, "related@example.com")
			r = e.do("GET", "/api/customer_addresses/"+id(entry)+"/customer", nil).want(t, 200)
			if id(r.data()) != id(customer) || attrs(r.data())["email"] != "related@example.com" {
				t.Fatalf("customer of the entry: %s", r.body)
			}
			e.do("GET", "/api/prices/nope/price_list", nil).wantError(t, 404, "RECORD_NOT_FOUND")
		})

		t.Run("to-many with filter, sort and page", func(t *testing.T) {
			e := e.in(t)
			course := e.one(t, "skus", "code_eq", "COURSEGO000000000000XX")
			base := "/api/skus/" + id(course) + "/prices"
			r := e.do("GET", base+"?sort=-amount_cents", nil).want(t, 200)
			if got := attrList(r.list(), "amount_cents"); !slices.Equal(got, []any{float64(65000), float64(10900), float64(9900)}) {
				t.Fatalf("prices by amount desc: %v", got)
			}
			if r.meta()["record_count"] != float64(3) {
				t.Fatalf("meta %v", r.meta())
			}
			r = e.do("GET", base+"?sort=amount_cents&page[size]=2&page[number]=2", nil).want(t, 200)
			if got := attrList(r.list(), "amount_cents"); !slices.Equal(got, []any{float64(65000)}) {
				t.Fatalf("second page: %v", got)
			}
			if r.meta()["page_count"] != float64(2) || r.links()["next"] != nil || r.links()["prev"] == nil {
				t.Fatalf("page 2 of 2: meta %v links %v", r.meta(), r.links())
			}
			r = e.do("GET", base+q("filter[q][currency_code_eq]", "EUR"), nil)
			r.wantError(t, 400, "FILTER_NOT_ALLOWED") // currency_code is not filterable on prices
			r = e.do("GET", base+q("filter[q][price_list_currency_code_in]", "EUR,XOF", "filter[q][amount_cents_lt]", "20000"), nil).want(t, 200)
			if got := attrList(r.list(), "amount_cents"); !slices.Equal(got, []any{float64(9900)}) {
				t.Fatalf("EUR or XOF under 20000: %v", got)
			}
			r = e.do("GET", base+q("filter[q][sku_code_eq]", "MUGXXXXX000000FFFFFFXX"), nil).want(t, 200)
			if len(r.list()) != 0 || r.meta()["record_count"] != float64(0) {
				t.Fatalf("related list holds only the parent's prices: %s", r.body)
			}
			r = e.do("GET", base+"?include=price_list&fields[prices]=amount_cents,price_list", nil).want(t, 200)
			if len(r.included()) != 3 || len(attrs(r.list()[0])) != 1 {
				t.Fatalf("related list with include and fields: %s", r.body)
			}
			e.do("GET", "/api/skus/nope/prices", nil).wantError(t, 404, "RECORD_NOT_FOUND")
			e.do("GET", base+"?sort=currency_code", nil).wantError(t, 400, "INVALID_SORT_CRITERIA")
			e.do("GET", base+"?include=markets", nil).wantError(t, 400, "INVALID_INCLUDE")
		})

		t.Run("empty to-many", func(t *testing.T) {
			e := e.in(t)
			sku := e.create(t, "skus", map[string]any{"code": "LONELY", "name": "No prices"}, nil)
			r := e.do("GET", "/api/skus/"+id(sku)+"/prices", nil).want(t, 200)
			if d, ok := r.doc["data"].([]any); !ok || len(d) != 0 {
				t.Fatalf("empty related list: %s", r.body)
			}
			r = e.do("GET", "/api/skus/"+id(sku)+"/relationships/prices", nil).want(t, 200)
			if d, ok := r.doc["data"].([]any); !ok || len(d) != 0 {
				t.Fatalf("empty to-many linkage: %s", r.body)
			}
		})
	})
}

func TestRelationshipEndpoints(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		shirt := e.one(t, "skus", "code_eq", "TSHIRTWM000000FFFFFFM") // no XOF price
		eu := e.one(t, "price_lists", "code_eq", "eu")
		ci := e.one(t, "price_lists", "code_eq", "ci")
		prices := e.do("GET", "/api/skus/"+id(shirt)+"/prices"+q("filter[q][price_list_code_eq]", "eu"), nil).want(t, 200).list()
		price := prices[0]
		pricePath := "/api/prices/" + id(price)

		t.Run("to-one linkage", func(t *testing.T) {
			e := e.in(t)
			r := e.do("GET", pricePath+"/relationships/price_list", nil).want(t, 200)
			if d := r.data(); d["type"] != "price_lists" || id(d) != id(eu) || len(d) != 2 {
				t.Fatalf("linkage: %s", r.body)
			}
			if r.links()["self"] != testBaseURL+pricePath+"/relationships/price_list" || r.links()["related"] != testBaseURL+pricePath+"/price_list" {
				t.Fatalf("links: %v", r.links())
			}
			e.do("GET", "/api/prices/nope/relationships/price_list", nil).wantError(t, 404, "RECORD_NOT_FOUND")
		})

		t.Run("to-many linkage", func(t *testing.T) {
			e := e.in(t)
			r := e.do("GET", "/api/skus/"+id(shirt)+"/relationships/prices", nil).want(t, 200)
			data := r.doc["data"].([]any)
			if len(data) != 2 {
				t.Fatalf("linkage: %s", r.body)
			}
			var got []string
			for _, x := range data {
				m := x.(map[string]any)
				if m["type"] != "prices" || len(m) != 2 {
					t.Fatalf("identifier %v", m)
				}
				got = append(got, m["id"].(string))
			}
			related := e.do("GET", "/api/skus/"+id(shirt)+"/prices", nil).want(t, 200).list()
			if !slices.Equal(sortedCopy(got), sortedCopy(ids(related))) {
				t.Fatalf("linkage %v, related %v", got, ids(related))
			}
		})

		t.Run("PATCH to-one", func(t *testing.T) {
			e := e.in(t)
			e.do("PATCH", pricePath+"/relationships/price_list", map[string]any{"data": ref("price_lists", id(ci))}).want(t, http.StatusNoContent)
			r := e.do("GET", pricePath+"/relationships/price_list", nil).want(t, 200)
			if id(r.data()) != id(ci) {
				t.Fatalf("after PATCH, linkage is %s", r.body)
			}
			// The price follows its new list's currency.
			got := e.do("GET", pricePath, nil).want(t, 200).data()
			if attrs(got)["currency_code"] != "XOF" {
				t.Fatalf("currency after moving to the XOF list: %v", attrs(got)["currency_code"])
			}
			// Moving it back where the SKU now has no price works; moving a
			// second price of the same SKU into the same list does not.
			e.do("PATCH", pricePath+"/relationships/price_list", map[string]any{"data": ref("price_lists", id(eu))}).want(t, http.StatusNoContent)
			other := e.do("GET", "/api/skus/"+id(shirt)+"/prices"+q("filter[q][price_list_code_eq]", "us"), nil).want(t, 200).list()[0]
			e.do("PATCH", "/api/prices/"+id(other)+"/relationships/price_list", map[string]any{"data": ref("price_lists", id(eu))}).
				wantError(t, 422, "VALIDATION_ERROR")

			e.do("PATCH", pricePath+"/relationships/price_list", map[string]any{"data": nil}).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data")
			e.do("PATCH", pricePath+"/relationships/price_list", map[string]any{"data": ref("price_lists", "nope")}).wantErrorAt(t, 404, "RECORD_NOT_FOUND", "/data/id")
			e.do("PATCH", pricePath+"/relationships/price_list", map[string]any{"data": ref("skus", id(shirt))}).wantErrorAt(t, 409, "TYPE_MISMATCH", "/data/type")
			e.do("PATCH", pricePath+"/relationships/price_list", map[string]any{"nodata": true}).wantError(t, 400, "INVALID_DATA_FORMAT")
			e.do("PATCH", "/api/prices/nope/relationships/price_list", map[string]any{"data": ref("price_lists", id(eu))}).wantError(t, 404, "RECORD_NOT_FOUND")
			r = e.do("GET", pricePath+"/relationships/price_list", nil).want(t, 200)
			if id(r.data()) != id(eu) {
				t.Fatalf("failed PATCHes changed the linkage: %s", r.body)
			}

			// A market's price list, through the market's endpoint.
			market := e.one(t, "markets", "code_eq", "us")
			mPath := "/api/markets/" + id(market) + "/relationships/price_list"
			e.do("PATCH", mPath, map[string]any{"data": ref("price_lists", id(ci))}).want(t, http.StatusNoContent)
			if r := e.do("GET", "/api/markets/"+id(market)+"/price_list", nil).want(t, 200); id(r.data()) != id(ci) {
				t.Fatalf("market's price list after PATCH: %s", r.body)
			}
			e.do("PATCH", mPath, map[string]any{"data": nil}).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data")
		})

		t.Run("to-many changes are refused", func(t *testing.T) {
			e := e.in(t)
			path := "/api/skus/" + id(shirt) + "/relationships/prices"
			body := map[string]any{"data": []any{ref("prices", id(price))}}
			for _, method := range []string{"PATCH", "POST", "DELETE"} {
				e.do(method, path, body).wantError(t, http.StatusForbidden, "FORBIDDEN")
			}
			path = "/api/price_lists/" + id(eu) + "/relationships/prices"
			e.do("PATCH", path, map[string]any{"data": []any{}}).wantError(t, http.StatusForbidden, "FORBIDDEN")
			e.do("POST", "/api/skus/nope/relationships/prices", body).wantError(t, http.StatusNotFound, "RECORD_NOT_FOUND")
			if n := e.count(t, "/api/skus/"+id(shirt)+"/prices"); n != 2 {
				t.Fatalf("prices after refused changes: %d", n)
			}
		})
	})
}
