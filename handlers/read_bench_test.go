package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/handlers"
	"kasse/models"
	"kasse/serializers"
)

// BenchmarkReadSku is make bench's one-SKU read in process: GET
// /api/skus/{id} through the real router with an integration token (the
// token cache on), every middleware and the document's encode included,
// HTTP's own parsing and writing left out. Its allocations per request
// are the figure to watch: they do not move with the machine's load.
func BenchmarkReadSku(b *testing.B) {
	dbtest.EachB(b, benchReadSku)
}

func benchReadSku(b *testing.B, gdb *gorm.DB) {
	if _, err := models.SeedDemo(gdb); err != nil {
		b.Fatal(err)
	}
	router, token := benchRouter(b, gdb, handlers.Config{})
	var sku models.Sku
	if err := gdb.Order("code").First(&sku).Error; err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/skus/"+sku.ID, nil)
	req.Header.Set("Accept", serializers.MediaType)
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /api/skus/%s: %d %s", sku.ID, rec.Code, rec.Body)
		}
	}
}
