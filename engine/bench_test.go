package engine_test

import (
	"context"
	"net/url"
	"testing"

	"kasse/db/dbtest"
	"kasse/engine"
	"kasse/models"
	"kasse/resources"
	"kasse/serializers"
)

// BenchmarkListSkusWithPrices measures a full page of SKUs with their
// prices and price lists included, on SQLite (run with `make bench`).
func BenchmarkListSkusWithPrices(b *testing.B) {
	gdb := dbtest.SQLite(b)
	if _, err := models.SeedDemo(gdb); err != nil {
		b.Fatal(err)
	}
	seedSkus(b, gdb, "BENCH", 25, 25)
	registry := resources.Default()
	eng := engine.New(gdb, registry)
	skus, _ := registry.Lookup("skus")
	params, err := serializers.ParseParams(map[string][]string{"include": {"prices.price_list"}, "page[size]": {"25"}})
	if err != nil {
		b.Fatal(err)
	}
	q, err := registry.Compile(skus, params)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		nodes, _, err := eng.List(context.Background(), nil, skus, q)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := serializers.Many(nodes, serializers.ListMeta{RecordCount: 25, Page: q.Page, URL: &url.URL{Path: "/api/skus"}}, serializers.Options{BaseURL: "http://x", Include: q.Include, HasInclude: true}); err != nil {
			b.Fatal(err)
		}
	}
}
