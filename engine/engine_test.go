package engine_test

import (
	"context"
	"fmt"
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/engine"
	"kasse/models"
	"kasse/resources"
	"kasse/serializers"
)

// seedSkus adds n SKUs; the first withPrices get a price in every demo list.
func seedSkus(t testing.TB, gdb *gorm.DB, prefix string, n, withPrices int) {
	t.Helper()
	var lists []models.PriceList
	if err := gdb.Find(&lists).Error; err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		sku := &models.Sku{Code: fmt.Sprintf("%s%03d", prefix, i), Name: "SKU"}
		if err := gdb.Create(sku).Error; err != nil {
			t.Fatal(err)
		}
		if i >= withPrices {
			continue
		}
		for _, l := range lists {
			p := &models.Price{PriceListID: l.ID, SkuID: sku.ID, CurrencyCode: l.CurrencyCode, AmountCents: int64(100 + i)}
			if err := gdb.Create(p).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestIncludeQueryCountIsIndependentOfPageContent proves includes are loaded
// in batches: a 25-item page whose SKUs have a price in every demo list costs the same
// number of queries as one with a single priced SKU.
func TestIncludeQueryCountIsIndependentOfPageContent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		if _, err := models.SeedDemo(gdb); err != nil {
			t.Fatal(err)
		}
		seedSkus(t, gdb, "A", 25, 25) // every SKU priced in every list
		seedSkus(t, gdb, "B", 25, 1)  // one priced SKU
		registry := resources.Default()
		eng := engine.New(gdb, registry)
		skus, _ := registry.Lookup("skus")

		queriesFor := func(codePrefix string) (int64, int) {
			params, err := serializers.ParseParams(map[string][]string{
				"include":               {"prices.price_list,prices.sku"},
				"page[size]":            {"25"},
				"filter[q][code_start]": {codePrefix},
			})
			if err != nil {
				t.Fatal(err)
			}
			q, err := registry.Compile(skus, params)
			if err != nil {
				t.Fatal(err)
			}
			counter := dbtest.RecordStatements(t, gdb)
			nodes, _, err := eng.List(context.Background(), nil, skus, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(nodes) != 25 {
				t.Fatalf("page has %d SKUs, want 25", len(nodes))
			}
			related := 0
			for _, n := range nodes {
				related += len(n.Related["prices"])
			}
			return counter.Count(), related
		}
		richQueries, richPrices := queriesFor("A")
		bareQueries, barePrices := queriesFor("B")
		var lists int64
		gdb.Model(&models.PriceList{}).Count(&lists)
		if richPrices != 25*int(lists) || barePrices != int(lists) {
			t.Fatalf("fixture: %d and %d prices loaded, want %d and %d (one per demo price list)", richPrices, barePrices, 25*lists, lists)
		}
		// count + page + the SKUs' inventory + prices + price_lists + skus
		// and their inventory: one query per level.
		if richQueries != 7 {
			t.Errorf("include on a rich page took %d queries, want 7", richQueries)
		}
		if richQueries != bareQueries {
			t.Errorf("a page full of prices took %d queries, one with a single priced SKU took %d: want the same", richQueries, bareQueries)
		}
	})
}
