package engine_test

import (
	"context"
	"flag"
	"net/url"
	"os"
	"testing"

	"gorm.io/gorm"

	"kasse/bench/catalog"
	"kasse/db"
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

// benchSkus is the catalog size of BenchmarkSkuPage1: `go test ./engine
// -run '^$' -bench SkuPage1 -skus 1000000` (docs/performance.md).
var benchSkus = flag.Int("skus", 1000, "generated SKUs for BenchmarkSkuPage1")

// benchCatalog is a database already holding the demo data and -skus
// generated SKUs (`make bench` keeps its catalogs): BenchmarkSkuPage1 then
// runs on it alone instead of loading fresh ones.
var benchCatalog = flag.String("catalog-url", "", "sqlite:<path> or postgres://… of a loaded catalog for BenchmarkSkuPage1")

// BenchmarkSkuPage1 measures page 1 of the SKU list (count, page query,
// render) over a generated catalog of -skus SKUs, each priced in the three
// demo price lists: the default order, sort=-created_at and a code_start
// filter, as an integration and through a sales channel's market, on
// SQLite and (with TEST_DATABASE_URL) PostgreSQL.
func BenchmarkSkuPage1(b *testing.B) {
	engines := map[string]func(testing.TB) *gorm.DB{"sqlite": dbtest.SQLite}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		engines["postgres"] = dbtest.Postgres
	}
	if *benchCatalog != "" {
		dialect, _, err := db.DialectOf(*benchCatalog)
		if err != nil {
			b.Fatal(err)
		}
		engines = map[string]func(testing.TB) *gorm.DB{string(dialect): func(testing.TB) *gorm.DB {
			gdb, err := db.Open(db.Config{URL: *benchCatalog})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.Close(gdb) })
			return gdb
		}}
	}
	for _, name := range []string{"sqlite", "postgres"} {
		open, ok := engines[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			gdb := open(b)
			ctx := context.Background()
			f := newCatalogFixture(b, gdb, *benchCatalog == "", *benchSkus)
			registry, eng, skus, shop := f.registry, f.engine, f.skus, f.shop
			for _, c := range []struct {
				name      string
				principal *models.Principal
				query     map[string][]string
			}{
				{"integration/default", nil, nil},
				{"integration/sort=-created_at", nil, map[string][]string{"sort": {"-created_at"}}},
				{"integration/code_start", nil, map[string][]string{"filter[q][code_start]": {catalog.Code(*benchSkus / 2)[:11]}}},
				{"market/default", shop, nil},
				{"market/sort=-created_at", shop, map[string][]string{"sort": {"-created_at"}}},
				{"market/code_start", shop, map[string][]string{"filter[q][code_start]": {catalog.Code(*benchSkus / 2)[:11]}}},
			} {
				params, err := serializers.ParseParams(c.query)
				if err != nil {
					b.Fatal(err)
				}
				q, err := registry.Compile(skus, params)
				if err != nil {
					b.Fatal(err)
				}
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						nodes, count, err := eng.List(ctx, c.principal, skus, q)
						if err != nil || len(nodes) == 0 {
							b.Fatalf("%d SKUs: %v", len(nodes), err)
						}
						if _, err := serializers.Many(nodes, serializers.ListMeta{RecordCount: count.Records, Estimated: !count.Exact, Page: q.Page, URL: &url.URL{Path: "/api/skus"}}, serializers.Options{BaseURL: "http://x"}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
