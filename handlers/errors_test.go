package handlers_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"kasse/handlers"
)

func TestContentNegotiation(t *testing.T) {
	t.Parallel()
	body := resource("skus", "", map[string]any{"code": "NEG", "name": "Negotiated"}, nil)
	cases := []struct {
		name        string
		method      string
		contentType string // "" keeps the default JSON:API type
		accept      string // "" keeps the default JSON:API type; "-" sends none
		status      int
		code        string
		header      string
	}{
		{"plain JSON:API", "POST", "", "", 201, "", ""},
		{"profile is allowed", "POST", `application/vnd.api+json; profile="https://example.com/p"`, "", 201, "", ""},
		{"charset", "POST", "application/vnd.api+json; charset=utf-8", "", 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type"},
		{"unknown parameter", "POST", "application/vnd.api+json; version=1", "", 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type"},
		{"unsupported ext", "POST", `application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"`, "", 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type"},
		{"application/json is read as JSON:API", "POST", "application/json", "", 201, "", ""},
		{"application/json with charset utf-8", "POST", "application/json; charset=UTF-8", "", 201, "", ""},
		{"application/json in another charset", "POST", "application/json; charset=utf-16", "", 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type"},
		{"application/json with another parameter", "POST", "application/json; version=2", "", 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type"},
		{"form", "POST", "application/x-www-form-urlencoded", "", 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type"},
		{"no Content-Type", "POST", "-", "", 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type"},
		{"PATCH with application/json", "PATCH", "application/json", "", 200, "", ""},
		{"Accept application/json", "GET", "", "application/json", 406, "NOT_ACCEPTABLE", "Accept"},
		{"Accept text/html", "GET", "", "text/html", 406, "NOT_ACCEPTABLE", "Accept"},
		{"Accept only parameterized JSON:API", "GET", "", "application/vnd.api+json; charset=utf-8", 406, "NOT_ACCEPTABLE", "Accept"},
		{"Accept only JSON:API with an ext", "GET", "", `application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"`, 406, "NOT_ACCEPTABLE", "Accept"},
		{"Accept one plain instance among others", "GET", "", "application/vnd.api+json; charset=utf-8, application/vnd.api+json", 200, "", ""},
		{"Accept with a profile", "GET", "", `application/vnd.api+json; profile="https://example.com/p"`, 200, "", ""},
		{"Accept with q", "GET", "", "text/html, application/vnd.api+json;q=0.5", 200, "", ""},
		{"Accept */*", "GET", "", "*/*", 200, "", ""},
		{"Accept application/*", "GET", "", "application/*", 200, "", ""},
		{"no Accept", "GET", "", "-", 200, "", ""},
		{"406 on a write too", "POST", "", "application/json", 406, "NOT_ACCEPTABLE", "Accept"},
	}
	eachDB(t, true, func(t *testing.T, e *env) {
		sku := e.one(t, "skus", "code_eq", "MUGXXXXX000000FFFFFFXX")
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := e.in(t)
				var headers []string
				switch c.contentType {
				case "":
				case "-":
					headers = append(headers, "Content-Type", "")
				default:
					headers = append(headers, "Content-Type", c.contentType)
				}
				switch c.accept {
				case "":
				case "-":
					headers = append(headers, "Accept", "")
				default:
					headers = append(headers, "Accept", c.accept)
				}
				path, b := "/api/skus", any(nil)
				switch c.method {
				case "POST":
					b = body
				case "PATCH":
					path = "/api/skus/" + id(sku)
					name := "x" // a refused PATCH must not write it
					if c.code == "" {
						name = "White Mug with Black Logo"
					}
					b = resource("skus", id(sku), map[string]any{"name": name}, nil)
				}
				before := e.counts(t)
				r := e.do(c.method, path, b, headers...)
				if c.code == "" {
					r.want(t, c.status)
					if c.method == "POST" {
						// Clean up so the next POST case can create it again.
						e.do("DELETE", "/api/skus/"+id(r.data()), nil).want(t, 204)
					}
					return
				}
				r.wantErrorAt(t, c.status, c.code, c.header)
				if after := e.counts(t); !maps.Equal(before, after) {
					t.Fatalf("a refused request changed the data: %v → %v", before, after)
				}
			})
		}
		// A refused PATCH left the SKU alone.
		if got := e.do("GET", "/api/skus/"+id(sku), nil).want(t, 200).data(); attrs(got)["name"] != "White Mug with Black Logo" {
			t.Fatalf("name after refused PATCH: %v", attrs(got)["name"])
		}
	})
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		sku := e.one(t, "skus", "code_eq", "MUGXXXXX000000FFFFFFXX")
		for _, c := range []struct {
			method, path string
			status       int
			code         string
		}{
			{"GET", "/api/nope", 404, "ROUTE_NOT_FOUND"},
			{"GET", "/nope", 404, "ROUTE_NOT_FOUND"},
			{"GET", "/api/skus/" + id(sku) + "/nope", 404, "ROUTE_NOT_FOUND"},
			{"GET", "/api/skus/" + id(sku) + "/relationships/nope", 404, "ROUTE_NOT_FOUND"},
			{"GET", "/api/skus/", 404, "ROUTE_NOT_FOUND"},
			{"GET", "/api/skus/nope", 404, "RECORD_NOT_FOUND"},
			{"PUT", "/api/skus", 405, "METHOD_NOT_ALLOWED"},
			{"PUT", "/api/skus/" + id(sku), 405, "METHOD_NOT_ALLOWED"},
			{"DELETE", "/api/skus", 405, "METHOD_NOT_ALLOWED"},
			{"PATCH", "/api/skus", 405, "METHOD_NOT_ALLOWED"},
			{"POST", "/api/skus/" + id(sku), 405, "METHOD_NOT_ALLOWED"},
			{"POST", "/api/prices/x/relationships/price_list", 405, "METHOD_NOT_ALLOWED"},
			{"DELETE", "/api/prices/x/relationships/price_list", 405, "METHOD_NOT_ALLOWED"},
		} {
			t.Run(c.method+" "+c.path, func(t *testing.T) {
				r := e.in(t).do(c.method, c.path, nil).wantError(t, c.status, c.code)
				if r["detail"] == "" {
					t.Fatal("no detail")
				}
			})
		}
		// Query parameters: unknown all-lowercase names are refused,
		// implementation-specific (camelCase) ones ignored.
		e.do("GET", "/api/skus?foo=bar", nil).wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "foo")
		e.do("GET", "/api/skus/"+id(sku)+"?foo=bar", nil).wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "foo")
		e.do("GET", "/api/skus/"+id(sku)+"/relationships/prices?foo=bar", nil).wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "foo")
		e.do("GET", "/api/skus?myParam=1&ns:thing=2", nil).want(t, 200)
	})
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	eachDBWith(t, handlers.Config{BodyLimit: 1024}, func(t *testing.T, e *env) {
		small := resource("skus", "", map[string]any{"code": "SMALL", "name": "Fits"}, nil)
		e.do("POST", "/api/skus", small).want(t, 201)
		big := resource("skus", "", map[string]any{"code": "BIG", "name": "Too big", "description": strings.Repeat("x", 2000)}, nil)
		e.do("POST", "/api/skus", big).wantError(t, http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE")
		if n := e.count(t, "/api/skus"); n != 1 {
			t.Fatalf("%d skus after a refused body", n)
		}
		sku := e.one(t, "skus", "code_eq", "SMALL")
		e.do("PATCH", "/api/skus/"+id(sku), resource("skus", id(sku), map[string]any{"description": strings.Repeat("y", 2000)}, nil)).
			wantError(t, http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE")
		if d := attrs(e.do("GET", "/api/skus/"+id(sku), nil).want(t, 200).data())["description"]; d != nil {
			t.Fatalf("description after a refused PATCH: %v", d)
		}
	})
	eachDB(t, false, func(t *testing.T, e *env) {
		big := resource("skus", "", map[string]any{"code": "BIG", "name": "Too big", "description": strings.Repeat("x", handlers.DefaultBodyLimit)}, nil)
		e.do("POST", "/api/skus", big).wantError(t, http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE")
	})
}

func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		sku := e.one(t, "skus", "code_eq", "MUGXXXXX000000FFFFFFXX")
		skuPath := "/api/skus/" + id(sku)
		for _, c := range []struct {
			name, method, path, body string
			status                   int
			code, pointer            string
		}{
			{"not JSON", "POST", "/api/skus", `{"data": `, 400, "INVALID_DATA_FORMAT", ""},
			{"trailing garbage", "POST", "/api/skus", `{"data": {"type": "skus"}} {}`, 400, "INVALID_DATA_FORMAT", ""},
			{"empty body", "POST", "/api/skus", ``, 400, "INVALID_DATA_FORMAT", ""},
			{"array", "POST", "/api/skus", `[]`, 400, "INVALID_DATA_FORMAT", ""},
			{"null", "POST", "/api/skus", `null`, 400, "INVALID_DATA_FORMAT", ""},
			{"no data", "POST", "/api/skus", `{"meta": {}}`, 400, "INVALID_DATA_FORMAT", "/data"},
			{"data is an array", "POST", "/api/skus", `{"data": []}`, 400, "INVALID_DATA_FORMAT", "/data"},
			{"no type", "POST", "/api/skus", `{"data": {"attributes": {"code": "A", "name": "A"}}}`, 400, "INVALID_DATA_FORMAT", "/data/type"},
			{"type not a string", "POST", "/api/skus", `{"data": {"type": 1}}`, 400, "INVALID_DATA_FORMAT", "/data/type"},
			{"attributes not an object", "POST", "/api/skus", `{"data": {"type": "skus", "attributes": [1]}}`, 400, "INVALID_DATA_FORMAT", "/data/attributes"},
			{"relationships not an object", "POST", "/api/skus", `{"data": {"type": "skus", "relationships": 1}}`, 400, "INVALID_DATA_FORMAT", "/data/relationships"},
			{"unknown top-level member", "POST", "/api/skus", `{"data": {"type": "skus"}, "included": []}`, 400, "PARAM_NOT_ALLOWED", "/included"},
			{"unknown resource member", "POST", "/api/skus", `{"data": {"type": "skus", "code": "A"}}`, 400, "PARAM_NOT_ALLOWED", "/data/code"},
			{"wrong attribute type", "POST", "/api/skus", `{"data": {"type": "skus", "attributes": {"code": 1, "name": "A"}}}`, 400, "INVALID_FIELD_VALUE", "/data/attributes/code"},
			{"float into integer", "POST", "/api/skus", `{"data": {"type": "skus", "attributes": {"code": "A", "name": "A", "pieces_per_pack": 1.5}}}`, 400, "INVALID_FIELD_VALUE", "/data/attributes/pieces_per_pack"},
			{"string into boolean", "PATCH", skuPath, `{"data": {"type": "skus", "id": "` + id(sku) + `", "attributes": {"do_not_ship": "yes"}}}`, 400, "INVALID_FIELD_VALUE", "/data/attributes/do_not_ship"},
			{"PATCH without id", "PATCH", skuPath, `{"data": {"type": "skus", "attributes": {"name": "A"}}}`, 400, "INVALID_DATA_FORMAT", "/data/id"},
			{"id not a string", "PATCH", skuPath, `{"data": {"type": "skus", "id": 1}}`, 400, "INVALID_DATA_FORMAT", "/data/id"},
			{"relationship without data", "POST", "/api/prices", `{"data": {"type": "prices", "attributes": {"amount_cents": 1}, "relationships": {"price_list": {"links": {}}}}}`, 400, "INVALID_DATA_FORMAT", "/data/relationships/price_list"},
			{"relationship data not an identifier", "POST", "/api/prices", `{"data": {"type": "prices", "attributes": {"amount_cents": 1}, "relationships": {"price_list": {"data": "eu"}}}}`, 400, "INVALID_DATA_FORMAT", "/data/relationships/price_list/data"},
			{"relationship endpoint not JSON", "PATCH", "/api/prices/x/relationships/price_list", `{`, 400, "INVALID_DATA_FORMAT", ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := e.in(t)
				before := e.counts(t)
				r := e.do(c.method, c.path, c.body)
				if c.pointer == "" {
					r.wantError(t, c.status, c.code)
				} else {
					r.wantErrorAt(t, c.status, c.code, c.pointer)
				}
				if after := e.counts(t); !maps.Equal(before, after) {
					t.Fatalf("a refused request changed the data: %v → %v", before, after)
				}
			})
		}
		if got := attrs(e.do("GET", skuPath, nil).want(t, 200).data()); got["name"] != "White Mug with Black Logo" || got["do_not_ship"] != false {
			t.Fatalf("refused PATCHes changed the SKU: %v", got)
		}
	})
}

func TestWriteRules(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		mug := e.one(t, "skus", "code_eq", "MUGXXXXX000000FFFFFFXX")
		mugPath := "/api/skus/" + id(mug)
		eu := e.one(t, "price_lists", "code_eq", "eu")
		ci := e.one(t, "price_lists", "code_eq", "ci")
		market := e.one(t, "markets", "code_eq", "eu")

		for _, c := range []struct {
			name         string
			method, path string
			body         map[string]any
			status       int
			code, at     string
		}{
			{"URL id differs from body id", "PATCH", mugPath, resource("skus", "other", map[string]any{"name": "x"}, nil), 400, "KEY_NOT_INCLUDED_IN_URL", "/data/id"},
			{"PATCH with the wrong type", "PATCH", mugPath, resource("prices", id(mug), map[string]any{"name": "x"}, nil), 409, "TYPE_MISMATCH", "/data/type"},
			{"POST with the wrong type", "POST", "/api/skus", resource("prices", "", map[string]any{"code": "A", "name": "A"}, nil), 409, "TYPE_MISMATCH", "/data/type"},
			{"relationship of the wrong type", "POST", "/api/prices", resource("prices", "", map[string]any{"amount_cents": 1},
				map[string]any{"price_list": ref("skus", id(mug)), "sku": ref("skus", id(mug))}), 409, "TYPE_MISMATCH", "/data/relationships/price_list/data/type"},
			{"unknown attribute on create", "POST", "/api/skus", resource("skus", "", map[string]any{"code": "A", "name": "A", "x": 1}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/x"},
			{"unknown attribute on update", "PATCH", mugPath, resource("skus", id(mug), map[string]any{"colour": "red"}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/colour"},
			{"unknown relationship", "PATCH", mugPath, resource("skus", id(mug), nil, map[string]any{"market": ref("markets", id(market))}), 400, "PARAM_NOT_ALLOWED", "/data/relationships/market"},
			{"to-many relationship in a body", "PATCH", "/api/price_lists/" + id(eu), resource("price_lists", id(eu), nil, map[string]any{"prices": []any{}}), 400, "PARAM_NOT_ALLOWED", "/data/relationships/prices"},
			{"read-only currency_code", "POST", "/api/prices", resource("prices", "", map[string]any{"amount_cents": 1, "currency_code": "EUR"},
				map[string]any{"price_list": ref("price_lists", id(ci)), "sku": ref("skus", id(mug))}), 400, "PARAM_NOT_ALLOWED", "/data/attributes/currency_code"},
			{"read-only number", "PATCH", "/api/markets/" + id(market), resource("markets", id(market), map[string]any{"number": 7}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/number"},
			{"read-only created_at", "PATCH", mugPath, resource("skus", id(mug), map[string]any{"created_at": "2020-01-01T00:00:00Z"}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/created_at"},
			{"read-only rule_outcomes", "PATCH", "/api/price_lists/" + id(eu), resource("price_lists", id(eu), map[string]any{"rule_outcomes": map[string]any{}}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/rule_outcomes"},
			{"update-only attribute on create", "POST", "/api/prices", resource("prices", "", map[string]any{"amount_cents": 1, "processed_at": "2020-01-01T00:00:00Z"},
				map[string]any{"price_list": ref("price_lists", id(ci)), "sku": ref("skus", id(mug))}), 400, "PARAM_NOT_ALLOWED", "/data/attributes/processed_at"},
			{"client-generated id", "POST", "/api/skus", resource("skus", "myid", map[string]any{"code": "A", "name": "A"}, nil), 403, "FORBIDDEN", "/data/id"},
			{"missing related price list", "POST", "/api/prices", resource("prices", "", map[string]any{"amount_cents": 1},
				map[string]any{"price_list": ref("price_lists", "nope"), "sku": ref("skus", id(mug))}), 404, "RECORD_NOT_FOUND", "/data/relationships/price_list/data/id"},
			{"missing related sku", "POST", "/api/prices", resource("prices", "", map[string]any{"amount_cents": 1},
				map[string]any{"price_list": ref("price_lists", id(ci)), "sku": ref("skus", "nope")}), 404, "RECORD_NOT_FOUND", "/data/relationships/sku/data/id"},
			{"missing related price list on update", "PATCH", "/api/markets/" + id(market), resource("markets", id(market), nil,
				map[string]any{"price_list": ref("price_lists", "nope")}), 404, "RECORD_NOT_FOUND", "/data/relationships/price_list/data/id"},
			{"required attribute missing", "POST", "/api/skus", resource("skus", "", map[string]any{"code": "A"}, nil), 422, "VALIDATION_ERROR", "/data/attributes/name"},
			{"required attribute empty", "POST", "/api/skus", resource("skus", "", map[string]any{"code": "A", "name": ""}, nil), 422, "VALIDATION_ERROR", "/data/attributes/name"},
			{"required attribute null", "POST", "/api/skus", resource("skus", "", map[string]any{"code": "A", "name": nil}, nil), 422, "VALIDATION_ERROR", "/data/attributes/name"},
			{"required attribute nulled", "PATCH", mugPath, resource("skus", id(mug), map[string]any{"name": nil}, nil), 422, "VALIDATION_ERROR", "/data/attributes/name"},
			{"non-nullable attribute nulled", "PATCH", mugPath, resource("skus", id(mug), map[string]any{"do_not_ship": nil}, nil), 422, "VALIDATION_ERROR", "/data/attributes/do_not_ship"},
			{"required relationship missing", "POST", "/api/markets", resource("markets", "", map[string]any{"name": "X"}, nil), 422, "VALIDATION_ERROR", "/data/relationships/price_list"},
			{"required relationship nulled", "PATCH", "/api/markets/" + id(market), resource("markets", id(market), nil, map[string]any{"price_list": nil}), 422, "VALIDATION_ERROR", "/data/relationships/price_list"},
			{"price without a sku", "POST", "/api/prices", resource("prices", "", map[string]any{"amount_cents": 100},
				map[string]any{"price_list": ref("price_lists", id(ci))}), 422, "VALIDATION_ERROR", "/data/relationships/sku"},
			{"price with an unknown sku_code", "POST", "/api/prices", resource("prices", "", map[string]any{"amount_cents": 100, "sku_code": "NOPE"},
				map[string]any{"price_list": ref("price_lists", id(ci))}), 422, "VALIDATION_ERROR", "/data/attributes/sku_code"},
			{"negative amount", "POST", "/api/prices", resource("prices", "", map[string]any{"amount_cents": -1},
				map[string]any{"price_list": ref("price_lists", id(ci)), "sku": ref("skus", id(mug))}), 422, "VALIDATION_ERROR", "/data/attributes/amount_cents"},
			{"second price of a sku in a list", "POST", "/api/prices", resource("prices", "", map[string]any{"amount_cents": 1},
				map[string]any{"price_list": ref("price_lists", id(eu)), "sku": ref("skus", id(mug))}), 422, "VALIDATION_ERROR", "/data/relationships/sku"},
			{"duplicate sku code", "POST", "/api/skus", resource("skus", "", map[string]any{"code": "MUGXXXXX000000FFFFFFXX", "name": "Again"}, nil), 422, "VALIDATION_ERROR", "/data/attributes/code"},
			{"duplicate sku code on update", "PATCH", mugPath, resource("skus", id(mug), map[string]any{"code": "CAPXXXXX000000FFFFFFXX"}, nil), 422, "VALIDATION_ERROR", "/data/attributes/code"},
			{"duplicate price list code", "POST", "/api/price_lists", resource("price_lists", "", map[string]any{"name": "Again", "code": "eu", "currency_code": "EUR"}, nil), 422, "VALIDATION_ERROR", "/data/attributes/code"},
			{"duplicate market code", "POST", "/api/markets", resource("markets", "", map[string]any{"name": "Again", "code": "eu"},
				map[string]any{"price_list": ref("price_lists", id(eu))}), 422, "VALIDATION_ERROR", "/data/attributes/code"},
			{"unknown currency", "POST", "/api/price_lists", resource("price_lists", "", map[string]any{"name": "X", "currency_code": "XXY"}, nil), 422, "VALIDATION_ERROR", "/data/attributes/currency_code"},
			{"enum", "PATCH", mugPath, resource("skus", id(mug), map[string]any{"unit_of_weight": "kg"}, nil), 422, "VALIDATION_ERROR", "/data/attributes/unit_of_weight"},
			{"trigger not allowed on create", "POST", "/api/skus", resource("skus", "", map[string]any{"code": "A", "name": "A", "_disable": true}, nil), 400, "PARAM_NOT_ALLOWED", "/data/attributes/_disable"},
			{"trigger with a bad value", "PATCH", "/api/markets/" + id(market), resource("markets", id(market), map[string]any{"_disable": []any{}}, nil), 400, "INVALID_FIELD_VALUE", "/data/attributes/_disable"},
			{"delete a price list a market uses", "DELETE", "/api/price_lists/" + id(eu), nil, 422, "VALIDATION_ERROR", ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := e.in(t)
				before := e.counts(t)
				var b any
				if c.body != nil {
					b = c.body
				}
				r := e.do(c.method, c.path, b)
				if c.at == "" {
					r.wantError(t, c.status, c.code)
				} else {
					r.wantErrorAt(t, c.status, c.code, c.at)
				}
				if after := e.counts(t); !maps.Equal(before, after) {
					t.Fatalf("a refused write changed the data: %v → %v", before, after)
				}
			})
		}

		t.Run("all problems of a body at once", func(t *testing.T) {
			e := e.in(t)
			r := e.do("POST", "/api/skus", resource("skus", "", map[string]any{"x": 1, "number": 2, "code": 3}, nil)).want(t, 400)
			errs := r.doc["errors"].([]any)
			pointers := map[string]bool{}
			for _, x := range errs {
				pointers[x.(map[string]any)["source"].(map[string]any)["pointer"].(string)] = true
			}
			for _, p := range []string{"/data/attributes/x", "/data/attributes/number", "/data/attributes/code", "/data/attributes/name"} {
				if !pointers[p] {
					t.Errorf("no error at %s: %s", p, r.body)
				}
			}
		})

		t.Run("nothing is left of a failed write", func(t *testing.T) {
			e := e.in(t)
			before := e.counts(t)
			// The market is valid, the trigger runs, then its price list is
			// missing: the whole create is refused.
			e.do("POST", "/api/markets", resource("markets", "", map[string]any{"name": "Ghost", "code": "ghost", "_disable": true},
				map[string]any{"price_list": ref("price_lists", "nope")})).wantError(t, 404, "RECORD_NOT_FOUND")
			// A valid amount, no sku.
			e.do("POST", "/api/prices", resource("prices", "", map[string]any{"amount_cents": 100},
				map[string]any{"price_list": ref("price_lists", id(ci))})).wantError(t, 422, "VALIDATION_ERROR")
			// A valid email, a password too short.
			e.do("POST", "/api/customers", resource("customers", "", map[string]any{"email": "short@example.com", "password": "short"}, nil)).
				wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/password")
			if after := e.counts(t); !maps.Equal(before, after) {
				t.Fatalf("failed writes changed the data: %v → %v", before, after)
			}
			if n := e.count(t, "/api/markets"+q("filter[q][code_eq]", "ghost")); n != 0 {
				t.Fatal("the ghost market exists")
			}
			// An update with a valid and an invalid attribute changes nothing.
			e.do("PATCH", mugPath, resource("skus", id(mug), map[string]any{"name": "Changed", "unit_of_weight": "kg"}, nil)).
				wantError(t, 422, "VALIDATION_ERROR")
			e.do("PATCH", mugPath, resource("skus", id(mug), map[string]any{"name": "Changed"}, map[string]any{"prices": []any{}})).
				wantError(t, 400, "PARAM_NOT_ALLOWED")
			if got := attrs(e.do("GET", mugPath, nil).want(t, 200).data())["name"]; got != "White Mug with Black Logo" {
				t.Fatalf("name after failed updates: %v", got)
			}
		})

		t.Run("PATCH absent keeps, null clears", func(t *testing.T) {
			e := e.in(t)
			sku := e.create(t, "skus", map[string]any{"code": "PATCHME", "name": "Patch me", "description": "Kept", "weight": 2.5,
				"unit_of_weight": "oz", "metadata": map[string]any{"a": "b"}}, nil)
			path := "/api/skus/" + id(sku)
			got := attrs(e.do("PATCH", path, resource("skus", id(sku), map[string]any{"name": "Patched"}, nil)).want(t, 200).data())
			if got["name"] != "Patched" || got["description"] != "Kept" || got["weight"] != 2.5 || got["unit_of_weight"] != "oz" || got["code"] != "PATCHME" {
				t.Fatalf("absent attributes changed: %v", got)
			}
			if !equalJSON(got["metadata"], map[string]any{"a": "b"}) {
				t.Fatalf("metadata changed: %v", got["metadata"])
			}
			got = attrs(e.do("PATCH", path, resource("skus", id(sku), map[string]any{"description": nil, "weight": nil, "metadata": nil}, nil)).want(t, 200).data())
			if got["description"] != nil || got["weight"] != nil || got["name"] != "Patched" || got["unit_of_weight"] != "oz" {
				t.Fatalf("after null: %v", got)
			}
			got = attrs(e.do("GET", path, nil).want(t, 200).data())
			if got["description"] != nil || got["weight"] != nil || !equalJSON(got["metadata"], map[string]any{}) {
				t.Fatalf("stored after null: %v", got)
			}
			// An empty PATCH changes nothing and answers the resource.
			again := attrs(e.do("PATCH", path, resource("skus", id(sku), nil, nil)).want(t, 200).data())
			if again["name"] != "Patched" {
				t.Fatalf("empty PATCH: %v", again)
			}
			// Relationships: absent keeps, a new one replaces.
			price := e.do("GET", "/api/skus/"+id(mug)+"/prices"+q("filter[q][price_list_code_eq]", "eu"), nil).want(t, 200).list()[0]
			e.do("PATCH", "/api/prices/"+id(price), resource("prices", id(price), map[string]any{"amount_cents": 1300}, nil)).want(t, 200)
			if r := e.do("GET", "/api/prices/"+id(price)+"/relationships/price_list", nil).want(t, 200); id(r.data()) != id(eu) {
				t.Fatalf("absent relationship changed: %s", r.body)
			}
		})

		t.Run("delete a price list a market uses, then after moving the market", func(t *testing.T) {
			e := e.in(t)
			us := e.one(t, "price_lists", "code_eq", "us")
			usMarket := e.one(t, "markets", "code_eq", "us")
			e.do("DELETE", "/api/price_lists/"+id(us), nil).wantError(t, 422, "VALIDATION_ERROR")
			e.do("GET", "/api/price_lists/"+id(us), nil).want(t, 200)
			e.do("PATCH", "/api/markets/"+id(usMarket)+"/relationships/price_list", map[string]any{"data": ref("price_lists", id(eu))}).want(t, 204)
			e.do("DELETE", "/api/price_lists/"+id(us), nil).want(t, 204)
			// Its prices went with it.
			if n := e.count(t, "/api/prices"); n != 17 {
				t.Fatalf("%d prices after deleting the USD list", n)
			}
		})
	})
}

func TestCreateOnlyAndTriggers(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		customer, _, entry := e.newCustomerAddress(t, "triggers@example.com")
		// customer_email is create-only.
		e.do("PATCH", "/api/customer_addresses/"+id(entry), resource("customer_addresses", id(entry), map[string]any{"customer_email": "x@example.com"}, nil)).
			wantErrorAt(t, 400, "PARAM_NOT_ALLOWED", "/data/attributes/customer_email")
		// An address book entry by customer email.
		address := e.newAddress(t)
		created := e.create(t, "customer_addresses", map[string]any{"customer_email": "TRIGGERS@example.com"}, map[string]any{"address": ref("addresses", id(address))})
		r := e.do("GET", "/api/customer_addresses/"+id(created)+"/relationships/customer", nil).want(t, 200)
		if id(r.data()) != id(customer) {
			t.Fatalf("entry by email points to %s", r.body)
		}

		market := e.one(t, "markets", "code_eq", "eu")
		path := "/api/markets/" + id(market)
		got := attrs(e.do("PATCH", path, resource("markets", id(market), map[string]any{"_disable": true}, nil)).want(t, 200).data())
		if got["disabled_at"] == nil {
			t.Fatalf("_disable: %v", got)
		}
		if n := e.count(t, "/api/markets?filter[q][disabled_at_not_null]=true"); n != 1 {
			t.Fatalf("%d disabled markets", n)
		}
		got = attrs(e.do("PATCH", path, resource("markets", id(market), map[string]any{"_enable": true}, nil)).want(t, 200).data())
		if got["disabled_at"] != nil {
			t.Fatalf("_enable: %v", got)
		}
		got = attrs(e.do("PATCH", path, resource("markets", id(market), map[string]any{"_disable": false}, nil)).want(t, 200).data())
		if got["disabled_at"] != nil {
			t.Fatalf("_disable false ran the trigger: %v", got)
		}
		list := e.one(t, "price_lists", "code_eq", "eu")
		created = e.create(t, "markets", map[string]any{"name": "Born disabled", "_disable": true}, map[string]any{"price_list": ref("price_lists", id(list))})
		if attrs(created)["disabled_at"] == nil || attrs(created)["number"] != float64(6) || attrs(created)["shared_secret"] == "" {
			t.Fatalf("market created with _disable: %v", attrs(created))
		}
	})
}
