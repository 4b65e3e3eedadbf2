package handlers_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gorm.io/gorm"

	"kasse/bench/catalog"
	"kasse/db"
	"kasse/db/dbtest"
	"kasse/handlers"
	"kasse/models"
	"kasse/serializers"
)

var benchOrders = flag.Int("orders", 1000, "orders already in the database for BenchmarkCartWrite (100000: a busy shop's)")

// BenchmarkCartWrite is a guest's first two writes, as a storefront sends
// them through the real router: POST /api/orders, then POST
// /api/line_items, with a sales channel token of the market eu, over a
// database that already holds -orders pending orders (one line item each,
// catalog.LoadOrders). Its time per op at 1k and 100k orders says whether
// what a write checks (the order's visibility, the SKU's, its price and
// stock) costs the same however many orders the shop has.
func BenchmarkCartWrite(b *testing.B) {
	dbtest.EachB(b, func(b *testing.B, gdb *gorm.DB) {
		if _, err := models.SeedDemo(gdb); err != nil {
			b.Fatal(err)
		}
		var eu models.Market
		if err := gdb.Where("code = ?", "eu").Take(&eu).Error; err != nil {
			b.Fatal(err)
		}
		var sku models.Sku
		if err := gdb.Where("code = ?", tshirtCode).Take(&sku).Error; err != nil {
			b.Fatal(err)
		}
		sqlDB, err := gdb.DB()
		if err != nil {
			b.Fatal(err)
		}
		cart := catalog.Cart{MarketID: eu.ID, Currency: "EUR", SkuID: sku.ID, SkuCode: sku.Code, Name: sku.Name, UnitAmountCents: 2900, Count: 1}
		if err := catalog.LoadOrders(context.Background(), sqlDB, catalog.Dialect(db.DialectOfDB(gdb)), *benchOrders, cart); err != nil {
			b.Fatal(err)
		}
		router, token := benchRouterAs(b, gdb, handlers.Config{}, models.KindSalesChannel, "market:code:eu")
		send := func(b *testing.B, path, body string) []byte {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Accept", serializers.MediaType)
			req.Header.Set("Content-Type", serializers.MediaType)
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, req)
			if rec.Code != http.StatusCreated {
				b.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
			}
			return rec.Body.Bytes()
		}
		var created struct {
			Data struct{ ID string } `json:"data"`
		}
		for b.Loop() {
			if err := json.Unmarshal(send(b, "/api/orders", `{"data":{"type":"orders","attributes":{}}}`), &created); err != nil {
				b.Fatal(err)
			}
			send(b, "/api/line_items", `{"data":{"type":"line_items","attributes":{"sku_code":"`+tshirtCode+`","quantity":1},"relationships":{"order":{"data":{"type":"orders","id":"`+created.Data.ID+`"}}}}}`)
		}
	})
}
