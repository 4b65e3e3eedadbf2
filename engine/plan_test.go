package engine_test

import (
	"context"
	"strings"
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

// catalogFixture is the demo data and a generated catalog, with the engine
// over them and a sales channel of the eu market.
type catalogFixture struct {
	registry *engine.Registry
	engine   *engine.Engine
	skus     *engine.Definition
	shop     *models.Principal
}

// newCatalogFixture loads the demo data and n generated SKUs into gdb when
// load is set (else gdb already holds them).
func newCatalogFixture(tb testing.TB, gdb *gorm.DB, load bool, n int) catalogFixture {
	tb.Helper()
	if load {
		if _, err := models.SeedDemo(gdb); err != nil {
			tb.Fatal(err)
		}
		sqlDB, err := gdb.DB()
		if err != nil {
			tb.Fatal(err)
		}
		if err := catalog.Load(context.Background(), sqlDB, catalog.Dialect(db.DialectOfDB(gdb)), n); err != nil {
			tb.Fatal(err)
		}
	}
	var eu models.Market
	if err := gdb.Where("code = ?", "eu").First(&eu).Error; err != nil {
		tb.Fatal(err)
	}
	registry := resources.Default()
	skus, _ := registry.Lookup("skus")
	return catalogFixture{registry: registry, engine: engine.New(gdb, registry), skus: skus,
		shop: &models.Principal{Role: models.RoleSalesChannel, MarketIDs: []string{eu.ID}}}
}

// TestListPlansUseIndexes proves that the page query of a SKU list is
// served by an index at a size where a scan would show: the default order,
// sort=-created_at (both on (created_at, id)) and a code_start filter (on
// LOWER(code)), as an integration and through a sales channel's market
// visibility (EXISTS probes on prices (sku_id, price_list_id)). Nothing
// scans skus or prices; only a filter's matches are ever sorted.
func TestListPlansUseIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		f := newCatalogFixture(t, gdb, true, 20000)
		registry, eng, skus, shop := f.registry, f.engine, f.skus, f.shop
		statements := dbtest.RecordStatements(t, gdb)
		for _, c := range []struct {
			name      string
			principal *models.Principal
			query     map[string][]string
			index     string
		}{
			{"default", nil, nil, "ix_skus_created_at_id"},
			{"sort=-created_at", nil, map[string][]string{"sort": {"-created_at"}}, "ix_skus_created_at_id"},
			{"code_start", nil, map[string][]string{"filter[q][code_start]": {"bench-001234"}}, "ix_skus_lower_code"},
			{"market default", shop, nil, "ix_skus_created_at_id"},
			{"market sort=-created_at", shop, map[string][]string{"sort": {"-created_at"}}, "ix_skus_created_at_id"},
			{"market code_start", shop, map[string][]string{"filter[q][code_start]": {"BENCH-001234"}}, "ix_skus_lower_code"},
		} {
			t.Run(c.name, func(t *testing.T) {
				params, err := serializers.ParseParams(c.query)
				if err != nil {
					t.Fatal(err)
				}
				q, err := registry.Compile(skus, params)
				if err != nil {
					t.Fatal(err)
				}
				statements.Take()
				nodes, count, err := eng.List(ctx, c.principal, skus, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(nodes) != 10 {
					t.Fatalf("%d SKUs on page 1", len(nodes))
				}
				// 20,013 SKUs (the demo's 13 and the generated): above the
				// exact bound, the count is an estimate, PostgreSQL's planner's
				// (within 10% on the analyzed table), or SQLite's lower bound.
				switch {
				case c.index == "ix_skus_lower_code":
					if count.Records != 10 || !count.Exact {
						t.Errorf("code_start count %+v, want exactly 10", count)
					}
				case count.Exact || count.Records <= engine.ExactCountBound:
					t.Errorf("count %+v, want an estimate above %d", count, engine.ExactCountBound)
				case c.principal == nil && db.DialectOfDB(gdb) == db.Postgres && (count.Records < 18000 || count.Records > 22000):
					t.Errorf("the planner estimates %d SKUs, there are 20,013", count.Records)
				case db.DialectOfDB(gdb) == db.SQLite && count.Records != engine.ExactCountBound+1:
					t.Errorf("SQLite count %+v, want the lower bound %d", count, engine.ExactCountBound+1)
				}
				var page *db.Statement
				for _, st := range statements.Take() {
					if strings.HasPrefix(st.SQL, "SELECT * FROM") && strings.Contains(st.SQL, "LIMIT") {
						page = &st
					}
				}
				if page == nil {
					t.Fatal("no page query recorded")
				}
				lines := dbtest.Plan(t, gdb, *page)
				joined := strings.Join(lines, "\n")
				t.Logf("%s\n%s", page.SQL, joined)
				if !strings.Contains(joined, c.index) {
					t.Errorf("the page query does not use %s:\n%s\n%s", c.index, page.SQL, joined)
				}
				if c.principal != nil && !strings.Contains(joined, "ix_prices_sku_id_price_list_id") {
					t.Errorf("the market visibility does not probe prices by (sku_id, price_list_id):\n%s", joined)
				}
				// The order index hands rows over already sorted; a filter's
				// index range sorts only the rows it matched.
				ordered := c.index == "ix_skus_created_at_id"
				for _, l := range lines {
					scan := strings.HasPrefix(l, "Seq Scan skus") || strings.HasPrefix(l, "Seq Scan prices") || l == "SCAN skus" || strings.HasPrefix(l, "SCAN h1")
					sort := l == "Sort" || l == "Incremental Sort" || strings.Contains(l, "USE TEMP B-TREE FOR ORDER BY")
					if scan || ordered && sort {
						t.Errorf("the page query scans or sorts the table (%s):\n%s\n%s", l, page.SQL, joined)
					}
				}
			})
		}
	})
}
