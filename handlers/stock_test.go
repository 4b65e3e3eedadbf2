package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"kasse/db/dbtest"
	"kasse/models"
	"kasse/serializers"
)

// stockOf is the quantity of the stock item of the SKU with code at the
// location.
func (e *env) stockOf(t *testing.T, location, code string) int64 {
	t.Helper()
	list := e.in(t).do("GET", "/api/stock_locations/"+location+"/stock_items"+q("filter[q][sku_code_eq]", code), nil).want(t, 200).list()
	if len(list) != 1 {
		t.Fatalf("%d stock items of %s", len(list), code)
	}
	return num(list[0], "quantity")
}

// primary is the id of the primary stock location (the lowest number),
// made when there is none.
func (e *env) primary(t *testing.T) string {
	t.Helper()
	if list := e.in(t).do("GET", "/api/stock_locations?sort=number", nil).want(t, 200).list(); len(list) > 0 {
		return id(list[0])
	}
	return id(e.create(t, "stock_locations", map[string]any{"name": "Warehouse"}, nil))
}

// setStock makes the location hold quantity of the SKU with code and
// returns the stock item's id.
func (e *env) setStock(t *testing.T, location, code string, quantity int) string {
	t.Helper()
	list := e.in(t).do("GET", "/api/stock_locations/"+location+"/stock_items"+q("filter[q][sku_code_eq]", code), nil).want(t, 200).list()
	if len(list) == 0 {
		return id(e.create(t, "stock_items", map[string]any{"sku_code": code, "quantity": quantity}, map[string]any{"stock_location": ref("stock_locations", location)}))
	}
	e.in(t).do("PATCH", "/api/stock_items/"+id(list[0]), resource("stock_items", id(list[0]), map[string]any{"quantity": quantity}, nil)).want(t, 200)
	return id(list[0])
}

// TestStock: integrations keep stock locations and stock items; a SKU's
// inventory is its stock at the primary location; a line item beyond it is
// refused; placing takes the stock once and cancelling gives it back.
func TestStock(t *testing.T) {
	t.Parallel()
	eachDB(t, true, func(t *testing.T, e *env) {
		guest, back := e.guest(t), e.integration()
		loc := e.primary(t)
		address := id(e.newAddress(t))
		shop := e.create(t, "stock_locations", map[string]any{"name": "Shop", "code": "shop"}, map[string]any{"address": ref("addresses", address)})
		number := num(e.do("GET", "/api/stock_locations/"+loc, nil).want(t, 200).data(), "number")
		if a := attrs(shop); a["number"] != float64(number+1) || a["label_format"] != "PDF" || a["suppress_etd"] != false {
			t.Fatalf("stock location: %v", a)
		}
		second := id(shop)
		e.do("POST", "/api/stock_locations", resource("stock_locations", "", map[string]any{"name": "Dup", "code": "shop"}, nil)).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/code")
		e.do("POST", "/api/stock_locations", resource("stock_locations", "", map[string]any{"name": "X", "label_format": "GIF"}, nil)).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/label_format")

		mug := e.one(t, "skus", "code_eq", mugCode)
		e.setStock(t, loc, tshirtCode, 0)
		item := e.do("GET", "/api/stock_items/"+e.setStock(t, loc, mugCode, 3), nil).want(t, 200).data()
		if attrs(item)["sku_code"] != mugCode || attrs(item)["quantity"] != 3.0 {
			t.Fatalf("stock item: %v", attrs(item))
		}
		if got := linkage(e.do("GET", "/api/stock_items/"+id(item)+"?include=sku,stock_location", nil).want(t, 200).data(), "sku"); len(got) != 1 || got[0] != "skus:"+id(mug) {
			t.Fatalf("stock item's sku: %v", got)
		}
		// Stock elsewhere does not count: every market ships from the primary location.
		e.create(t, "stock_items", map[string]any{"quantity": 100}, map[string]any{"stock_location": ref("stock_locations", second), "sku": ref("skus", id(mug))})
		for _, c := range []struct {
			name       string
			attributes map[string]any
			at         string
		}{
			{"a second item of the SKU", map[string]any{"sku_code": mugCode, "quantity": 1}, "/data/relationships/sku"},
			{"a negative quantity", map[string]any{"sku_code": "STICKERS000000FFFFFFXX", "quantity": -1}, "/data/attributes/quantity"},
			{"an unknown SKU", map[string]any{"sku_code": "NOPE", "quantity": 1}, "/data/attributes/sku_code"},
		} {
			e.do("POST", "/api/stock_items", resource("stock_items", "", c.attributes, map[string]any{"stock_location": ref("stock_locations", loc)})).
				wantErrorAt(t, 422, "VALIDATION_ERROR", c.at)
		}

		// The storefront sees the inventory, and nothing of the stock itself.
		inventory := func(code string) map[string]any {
			sku := e.one(t, "skus", "code_eq", code)
			return attrs(guest.do(t, "GET", "/api/skus/"+id(sku), nil).want(t, 200).data())["inventory"].(map[string]any)
		}
		if inv := inventory(mugCode); inv["available"] != true || inv["quantity"] != 3.0 || len(inv["levels"].([]any)) != 1 {
			t.Fatalf("mug inventory: %v", inv)
		}
		if inv := inventory(tshirtCode); inv["available"] != false || inv["quantity"] != 0.0 {
			t.Fatalf("t-shirt inventory: %v", inv)
		}
		course := e.one(t, "skus", "code_eq", courseCode)
		back.do(t, "PATCH", "/api/skus/"+id(course), resource("skus", id(course), map[string]any{"do_not_track": true}, nil)).want(t, 200)
		if inv := inventory(courseCode); inv["available"] != true || inv["quantity"] != nil {
			t.Fatalf("untracked inventory: %v", inv)
		}
		guest.do(t, "GET", "/api/stock_items", nil).wantError(t, 401, "UNAUTHORIZED")
		guest.do(t, "GET", "/api/stock_locations/"+loc, nil).wantError(t, 404, "RECORD_NOT_FOUND")

		// Line items beyond the stock are refused, counting the order's other
		// items of the SKU.
		o := id(guest.newOrder(t, map[string]any{"customer_email": "stock@example.com"}))
		r := guest.do(t, "POST", "/api/line_items", lineItem(o, map[string]any{"sku_code": mugCode, "quantity": 4}))
		if e := r.wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/quantity"); !strings.Contains(e["detail"].(string), "out of stock") {
			t.Fatalf("detail: %v", e)
		}
		guest.do(t, "POST", "/api/line_items", lineItem(o, map[string]any{"sku_code": tshirtCode, "quantity": 1})).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/quantity")
		li := id(guest.addItem(t, o, mugCode, 2))
		guest.do(t, "POST", "/api/line_items", lineItem(o, map[string]any{"sku_code": mugCode, "quantity": 2})).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/quantity")
		guest.do(t, "POST", "/api/line_items", lineItem(o, map[string]any{"sku_code": mugCode, "quantity": 2, "_update_quantity": true})).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/quantity")
		guest.do(t, "PATCH", "/api/line_items/"+li, resource("line_items", li, map[string]any{"quantity": 4}, nil)).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/quantity")
		guest.addItem(t, o, courseCode, 1) // untracked

		// Placing takes the stock, once; cancelling gives it back.
		address2 := guest.newAddress(t)
		guest.patchOrder(t, o, map[string]any{"_shipping_address_same_as_billing": true}, map[string]any{
			"billing_address": ref("addresses", address2), "payment_method": ref("payment_methods", e.wireTransfer(t, nil, "eu")),
		}).want(t, 200)
		// Another cart took one meanwhile: only one is left for two.
		e.do("PATCH", "/api/stock_items/"+id(item), resource("stock_items", id(item), map[string]any{"quantity": 1}, nil)).want(t, 200)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).wantErrorAt(t, 422, "VALIDATION_ERROR", "/data/attributes/quantity")
		if n := e.stockOf(t, loc, mugCode); n != 1 {
			t.Fatalf("a refused placement took stock: %d left", n)
		}
		e.do("PATCH", "/api/stock_items/"+id(item), resource("stock_items", id(item), map[string]any{"quantity": 3}, nil)).want(t, 200)
		guest.patchOrder(t, o, map[string]any{"_place": true}, nil).want(t, 200)
		if n := e.stockOf(t, loc, mugCode); n != 1 {
			t.Fatalf("after placing 2 of 3: %d left", n)
		}
		if n := e.stockOf(t, second, mugCode); n != 100 {
			t.Fatalf("the second location changed: %d", n)
		}
		back.patchOrder(t, o, map[string]any{"_cancel": true}, nil).want(t, 200)
		if n := e.stockOf(t, loc, mugCode); n != 3 {
			t.Fatalf("after cancelling: %d left", n)
		}
		back.patchOrder(t, o, map[string]any{"_cancel": true}, nil).wantError(t, 422, "VALIDATION_ERROR")
		if n := e.stockOf(t, loc, mugCode); n != 3 {
			t.Fatalf("after a refused second cancel: %d left", n)
		}
	})
}

// TestStockLastUnit: carts placed at once that each want the last unit:
// exactly one is placed, the stock ends at 0 and is taken once. Run it
// under -race on PostgreSQL (TEST_DATABASE_URL) to see the row locks at
// work; SQLite serializes the writers.
func TestStockLastUnit(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, e *env) {
		const carts = 8
		item := e.setStock(t, e.primary(t), mugCode, 1)
		guest := e.guest(t)
		method := e.wireTransfer(t, nil, "eu")
		orders := make([]string, carts)
		for i := range orders {
			o := id(guest.newOrder(t, map[string]any{"customer_email": "last@example.com"}))
			guest.addItem(t, o, mugCode, 1)
			address := guest.newAddress(t)
			guest.patchOrder(t, o, map[string]any{"_shipping_address_same_as_billing": true}, map[string]any{
				"billing_address": ref("addresses", address), "payment_method": ref("payment_methods", method),
			}).want(t, 200)
			orders[i] = o
		}
		statuses := make([]int, carts)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, o := range orders {
			raw, _ := json.Marshal(resource("orders", o, map[string]any{"_place": true}, nil))
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := httptest.NewRequest("PATCH", "/api/orders/"+o, bytes.NewReader(raw))
				req.Header.Set("Accept", serializers.MediaType)
				req.Header.Set("Content-Type", serializers.MediaType)
				req.Header.Set("Authorization", "Bearer "+guest.token)
				rec := httptest.NewRecorder()
				<-start
				e.router.ServeHTTP(rec, req)
				statuses[i] = rec.Code
			}()
		}
		close(start)
		wg.Wait()
		if countStatus(statuses, 200) != 1 || countStatus(statuses, 422) != carts-1 {
			t.Fatalf("placements: %v", statuses)
		}
		var left models.StockItem
		if err := e.db.Where("id = ?", item).Take(&left).Error; err != nil || left.Quantity != 0 {
			t.Fatalf("stock left: %d (%v)", left.Quantity, err)
		}
		var taken int64
		e.db.Model(&models.StockLineItem{}).Where("stock_item_id = ?", item).Count(&taken)
		if taken != 1 {
			t.Fatalf("%d stock line items", taken)
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, newEnv(t, dbtest.SQLite(t), true)) })
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Run("postgres", func(t *testing.T) { run(t, newEnv(t, dbtest.Postgres(t), true)) })
	}
}
