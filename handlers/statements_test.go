package handlers_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
)

// TestWriteStatements counts the SQL statements of the cart's writes, as a
// guest sends them (two of each are the token's: the revocation list and,
// with --application-cache-ttl 0 as here, the application). Before issue
// 17 the order was locked and read three times per line item write and
// rewritten in full, and a new order read its market and its price list
// apart: 8, 14, 12 and 10 statements. Shipping, stock and taxes (issue 16)
// made a line item write also check the stock, sync the order's shipment
// and compute its taxes: 7, 23, 18 and 12, with reads the transaction
// already had answered. Now a line item write locks its order once (a new
// one's as its visibility is checked, a stored one's through the row's
// order id in a subquery), reads the primary stock location (with the
// SKU's stock item), the market and the shipping method once each, sums
// the SKU's other lines from the same-SKU rows it reads, and reads the
// order's lines once for the totals, the shipment's count and the taxes:
//
//   - POST /api/orders: the market and its currency, the order number,
//     the insert, the webhooks of orders.create, the read-back.
//   - POST /api/line_items: the order (visible, locked), the SKU, its
//     price, the SKU's lines, the stock location and item, the insert;
//     the order's lines, its shipments, the market, the shipping method,
//     the new shipment, the order's update; the new row held to the
//     caller's scope, the read-back.
//   - PATCH: the order (locked), the line item (locked), the SKU, the
//     SKU's other lines' quantity, the stock location and item, the
//     update; the order's lines, its shipments, the shipping method, the
//     shipment's update, the order's update; the read-back.
//   - DELETE: the order, the line item, the delete; the order's lines, its
//     shipments, the shipment's delete, the order's update.
func TestWriteStatements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		e := newEnv(t, gdb, true)
		shop := e.guest(t)
		shop.newOrder(t, nil) // the first order also creates the order number counter
		log := dbtest.RecordStatements(t, gdb)
		check := func(what string, want int) {
			t.Helper()
			if got := log.TakeSQL(); len(got) != want {
				t.Errorf("%s: %d statements, want %d:\n%s", what, len(got), want, strings.Join(got, "\n"))
			}
		}
		order := shop.newOrder(t, nil)
		check("POST /api/orders", 7)
		li := shop.addItem(t, id(order), "TSHIRTMM000000FFFFFFXL", 1)
		check("POST /api/line_items", 16)
		shop.do(t, "PATCH", "/api/line_items/"+id(li), resource("line_items", id(li), map[string]any{"quantity": 3}, nil)).want(t, 200)
		check("PATCH /api/line_items quantity", 14)
		// Three T-shirts and the demo's €7.00 shipping.
		if got := attrs(shop.order(t, id(order)))["total_amount_cents"]; got != float64(3*2900+700) {
			t.Errorf("the order's total after the PATCH: %v, want %d", got, 3*2900+700)
		}
		log.TakeSQL()
		shop.do(t, "DELETE", "/api/line_items/"+id(li), nil).want(t, 204)
		check("DELETE /api/line_items", 9)
		if got := attrs(shop.order(t, id(order))); got["total_amount_cents"] != float64(0) || got["status"] != "draft" {
			t.Errorf("the order after the DELETE: total %v, status %v", got["total_amount_cents"], got["status"])
		}
	})
}
