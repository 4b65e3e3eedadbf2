package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kasse/db/dbtest"
	"kasse/handlers"
	"kasse/models"
	"kasse/serializers"
)

// BenchmarkCheckoutSessionCreate compares creating a checkout session for
// an order (validation, routing over the market's payment methods and
// their gateways' recent outcomes, the order's payment method and total,
// the session row) with reading that order, through the real router on
// SQLite: the difference is what a session costs over the order read it
// needs (the goal: at most 3 ms p50). Run with `make bench`.
func BenchmarkCheckoutSessionCreate(b *testing.B) {
	gdb := dbtest.SQLite(b)
	if _, err := models.SeedDemo(gdb); err != nil {
		b.Fatal(err)
	}
	payments := &models.Payments{DB: gdb}
	router, token := benchRouter(b, gdb, handlers.Config{Payments: payments, Checkout: &models.CheckoutSessions{Payments: payments}})
	send := func(b *testing.B, method, path, body, key string, want int) []byte {
		var req *http.Request
		if body == "" {
			req = httptest.NewRequest(method, path, nil)
		} else {
			req = httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Content-Type", serializers.MediaType)
		}
		req.Header.Set("Accept", serializers.MediaType)
		req.Header.Set("Authorization", "Bearer "+token)
		if key != "" {
			req.Header.Set(handlers.IdempotencyKeyHeader, key)
		}
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	var eu models.Market
	if err := gdb.Where("code = ?", "eu").Take(&eu).Error; err != nil {
		b.Fatal(err)
	}
	var created struct {
		Data struct{ ID string } `json:"data"`
	}
	out := send(b, "POST", "/api/orders", `{"data":{"type":"orders","attributes":{"customer_email":"bench@example.com"},"relationships":{"market":{"data":{"type":"markets","id":"`+eu.ID+`"}}}}}`, "", http.StatusCreated)
	if err := json.Unmarshal(out, &created); err != nil {
		b.Fatal(err)
	}
	orderID := created.Data.ID
	send(b, "POST", "/api/line_items", `{"data":{"type":"line_items","attributes":{"sku_code":"`+tshirtCode+`","quantity":1},"relationships":{"order":{"data":{"type":"orders","id":"`+orderID+`"}}}}}`, "", http.StatusCreated)
	b.Run("order read", func(b *testing.B) {
		for b.Loop() {
			send(b, "GET", "/api/orders/"+orderID, "", "", http.StatusOK)
		}
	})
	body := `{"data":{"type":"checkout_sessions","attributes":{"success_url":"https://shop.example/ok"},"relationships":{"order":{"data":{"type":"orders","id":"` + orderID + `"}}}}}`
	b.Run("session create", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			send(b, "POST", "/api/checkout_sessions", body, fmt.Sprintf("bench-session-%d", i), http.StatusCreated)
		}
	})
}
