package handlers_test

import (
	"bytes"
	"maps"
	"testing"
)

// TestNoServerErrorsFromInput sends input that databases refuse or that
// does not fit the attribute (NUL characters, invalid UTF-8, predicates
// of the wrong kind): each is a client error on every database, never a
// 500.
func TestNoServerErrorsFromInput(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		for _, c := range []struct {
			path, code string
			status     int
		}{
			{"/api/skus?filter[q][code_eq]=%00", "INVALID_FILTER_VALUE", 400},
			{"/api/skus?filter[q][code_eq]=%FF", "INVALID_FILTER_VALUE", 400},
			{"/api/skus?filter[q][code_in]=A,%FF", "INVALID_FILTER_VALUE", 400},
			{"/api/skus?filter[q][name_cont]=a%00b", "INVALID_FILTER_VALUE", 400},
			{"/api/prices?filter[q][sku_code_eq]=%00", "INVALID_FILTER_VALUE", 400},
			{"/api/prices?filter[q][amount_cents_present]=true", "INVALID_FILTER_VALUE", 400},
			{"/api/prices?filter[q][amount_cents_blank]=true", "INVALID_FILTER_VALUE", 400},
			{"/api/skus?filter[q][created_at_blank]=true", "INVALID_FILTER_VALUE", 400},
			{"/api/skus?filter[q][do_not_ship_present]=true", "INVALID_FILTER_VALUE", 400},
			{"/api/skus?filter[q][description_true]=true", "INVALID_FILTER_VALUE", 400},
			{"/api/prices?filter[q][amount_cents_false]=true", "INVALID_FILTER_VALUE", 400},
			{"/api/prices?filter[q][price_list_code_true]=true", "INVALID_FILTER_VALUE", 400},
			{"/api/prices?filter[q][sku_do_not_ship_blank]=true", "INVALID_FILTER_VALUE", 400},
			{"/api/skus/%00", "RECORD_NOT_FOUND", 404},
			{"/api/skus/%FF", "RECORD_NOT_FOUND", 404},
			{"/api/skus/%FF/prices", "RECORD_NOT_FOUND", 404},
			{"/api/prices/%00/price_list", "RECORD_NOT_FOUND", 404},
			{"/api/skus/%FF/relationships/prices", "RECORD_NOT_FOUND", 404},
		} {
			t.Run(c.path, func(t *testing.T) {
				e.in(t).do("GET", c.path, nil).wantError(t, c.status, c.code)
			})
		}
		before := e.counts(t)
		mug := e.one(t, "skus", "code_eq", "MUGXXXXX000000FFFFFFXX")
		ci := e.one(t, "price_lists", "code_eq", "ci")
		for _, c := range []struct {
			name, method, path, body string
			status                   int
			code, pointer            string
		}{
			{"NUL in text", "POST", "/api/skus", `{"data":{"type":"skus","attributes":{"code":"A\u0000","name":"x"}}}`, 400, "INVALID_FIELD_VALUE", "/data/attributes/code"},
			{"NUL in metadata", "POST", "/api/skus", `{"data":{"type":"skus","attributes":{"code":"A","name":"x","metadata":{"k":["\u0000"]}}}}`, 400, "INVALID_FIELD_VALUE", "/data/attributes/metadata"},
			{"NUL in a metadata key", "PATCH", "/api/skus/" + id(mug), `{"data":{"type":"skus","id":"` + id(mug) + `","attributes":{"metadata":{"\u0000":1}}}}`, 400, "INVALID_FIELD_VALUE", "/data/attributes/metadata"},
			{"NUL in a related id", "POST", "/api/prices", `{"data":{"type":"prices","attributes":{"amount_cents":1},"relationships":{"price_list":{"data":{"type":"price_lists","id":"\u0000"}},"sku":{"data":{"type":"skus","id":"` + id(mug) + `"}}}}}`, 404, "RECORD_NOT_FOUND", "/data/relationships/price_list/data/id"},
			{"NUL in sku_code", "POST", "/api/prices", `{"data":{"type":"prices","attributes":{"amount_cents":1,"sku_code":"\u0000"},"relationships":{"price_list":{"data":{"type":"price_lists","id":"` + id(ci) + `"}}}}}`, 400, "INVALID_FIELD_VALUE", "/data/attributes/sku_code"},
			{"NUL in a relationship endpoint id", "PATCH", "/api/markets/%00/relationships/price_list", `{"data":{"type":"price_lists","id":"` + id(ci) + `"}}`, 404, "RECORD_NOT_FOUND", ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.in(t).do(c.method, c.path, c.body)
				if c.pointer == "" {
					r.wantError(t, c.status, c.code)
				} else {
					r.wantErrorAt(t, c.status, c.code, c.pointer)
				}
			})
		}
		if after := e.counts(t); !maps.Equal(before, after) {
			t.Fatalf("refused writes changed the data: %v → %v", before, after)
		}
		// Escaped text that only looks like a NUL is fine.
		r := e.do("POST", "/api/skus", `{"data":{"type":"skus","attributes":{"code":"SLASH","name":"a \\u0000 b"}}}`).want(t, 201)
		if !bytes.Contains(r.body, []byte(`a \\u0000 b`)) {
			t.Fatalf("escaped backslash: %s", r.body)
		}
		// Invalid UTF-8 in a body is replaced, not stored raw.
		r = e.do("POST", "/api/skus", "{\"data\":{\"type\":\"skus\",\"attributes\":{\"code\":\"BYTES\",\"name\":\"a\xffb\"}}}").want(t, 201)
		if attrs(r.data())["name"] != "a\uFFFDb" {
			t.Fatalf("name %q", attrs(r.data())["name"])
		}
	})
}
