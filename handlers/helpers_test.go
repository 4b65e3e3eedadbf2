package handlers_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/handlers"
)

// in returns the env reporting to t, for subtests: a failure must be
// reported on the test that runs in the current goroutine.
func (e *env) in(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// eachDBWith is eachDB with a router built from cfg (as newEnvWith fills
// it in).
func eachDBWith(t *testing.T, cfg handlers.Config, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) { fn(t, newEnvWith(t, gdb, false, cfg)) })
}

// q builds a query string from name, value pairs, escaping the values.
func q(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return "?" + v.Encode()
}

// one fetches the single resource a filtered list finds.
func (e *env) one(t *testing.T, typ, filter, value string) map[string]any {
	t.Helper()
	r := e.in(t).do("GET", "/api/"+typ+q("filter[q]["+filter+"]", value), nil).want(t, 200)
	list := r.list()
	if len(list) != 1 {
		t.Fatalf("%s with %s=%s: %d results, want 1\n%s", typ, filter, value, len(list), r.body)
	}
	return list[0]
}

// count is a list's meta.record_count.
func (e *env) count(t *testing.T, path string) int {
	t.Helper()
	r := e.in(t).do("GET", path, nil).want(t, 200)
	meta, _ := r.doc["meta"].(map[string]any)
	n, ok := meta["record_count"].(float64)
	if !ok {
		t.Fatalf("GET %s: no meta.record_count\n%s", path, r.body)
	}
	return int(n)
}

// counts records the number of rows of each table, to check that a failed
// write left everything as it was.
func (e *env) counts(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"markets", "price_lists", "prices", "skus", "customers", "addresses", "customer_addresses"} {
		var n int64
		if err := e.db.Table(table).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// wantErrorAt fails unless the response has an error with code whose
// source.pointer (or source.parameter when pointer starts without a slash)
// is at.
func (r *response) wantErrorAt(t *testing.T, status int, code, at string) map[string]any {
	t.Helper()
	r.want(t, status)
	errs, _ := r.doc["errors"].([]any)
	for _, e := range errs {
		obj := e.(map[string]any)
		source, _ := obj["source"].(map[string]any)
		if obj["code"] == code && (source["pointer"] == at || source["parameter"] == at || source["header"] == at) {
			return obj
		}
	}
	t.Fatalf("no error %s at %s in\n%s", code, at, r.body)
	return nil
}

// rel returns a relationship object of a resource.
func rel(res map[string]any, name string) map[string]any {
	rels, _ := res["relationships"].(map[string]any)
	r, _ := rels[name].(map[string]any)
	return r
}

// linkage returns the identifiers a loaded relationship holds ("type:id").
func linkage(res map[string]any, name string) []string {
	var out []string
	switch d := rel(res, name)["data"].(type) {
	case map[string]any:
		out = append(out, fmt.Sprint(d["type"], ":", d["id"]))
	case []any:
		for _, x := range d {
			m := x.(map[string]any)
			out = append(out, fmt.Sprint(m["type"], ":", m["id"]))
		}
	}
	return out
}

// ids lists the ids of resources.
func ids(list []map[string]any) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = id(r)
	}
	return out
}

// attrList lists one attribute of each resource.
func attrList(list []map[string]any, name string) []any {
	out := make([]any, len(list))
	for i, r := range list {
		out[i] = attrs(r)[name]
	}
	return out
}

// byType groups resources by type.
func byType(list []map[string]any) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, r := range list {
		typ, _ := r["type"].(string)
		out[typ] = append(out[typ], r)
	}
	return out
}

// links returns the top-level links of a document.
func (r *response) links() map[string]any {
	l, _ := r.doc["links"].(map[string]any)
	return l
}

// meta returns the top-level meta of a document.
func (r *response) meta() map[string]any {
	m, _ := r.doc["meta"].(map[string]any)
	return m
}

// sortedCopy returns a sorted copy of s.
func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
