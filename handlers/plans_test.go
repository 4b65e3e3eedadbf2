package handlers_test

import (
	"regexp"
	"strings"
	"testing"

	"kasse/db/dbtest"
)

// TestCartWritePlans explains, on SQLite, every statement of a guest's cart
// writes (a new order, a line item, its quantity changed, its removal) and
// fails when one scans a table that grows with the shop (orders, their
// lines and shipments, the catalog) or finds line items by anything but
// their id or their order. SQLite keeps no statistics unless ANALYZE runs,
// so the plans it picks over the demo's rows are the ones it picks over a
// hundred thousand orders: BenchmarkCartWrite found a line item write that
// read every line of its SKU in every order through ix_line_items_item_id.
func TestCartWritePlans(t *testing.T) {
	gdb := dbtest.SQLite(t)
	e := newEnv(t, gdb, true)
	shop := e.guest(t)
	log := dbtest.RecordStatements(t, gdb)
	order := shop.newOrder(t, nil)
	li := shop.addItem(t, id(order), tshirtCode, 1)
	shop.do(t, "PATCH", "/api/line_items/"+id(li), resource("line_items", id(li), map[string]any{"quantity": 2}, nil)).want(t, 200)
	shop.do(t, "DELETE", "/api/line_items/"+id(li), nil).want(t, 204)

	growing := regexp.MustCompile(`\bSCAN (orders|line_items|shipments|skus|prices|customers|addresses|stock_items)\b`)
	lineItems := regexp.MustCompile(`\bSEARCH line_items USING (?:COVERING )?INDEX (\S+)`)
	explained := 0
	for _, s := range log.Take() {
		verb := strings.ToUpper(strings.Fields(s.SQL)[0])
		if verb != "SELECT" && verb != "UPDATE" && verb != "DELETE" {
			continue
		}
		plan := dbtest.Plan(t, gdb, s)
		explained++
		text := strings.Join(plan, "\n")
		if m := growing.FindString(text); m != "" {
			t.Errorf("%s:\n%s\nplan:\n%s", m, s.SQL, text)
		}
		for _, m := range lineItems.FindAllStringSubmatch(text, -1) {
			if m[1] != "ix_line_items_order_id_item_id" && !strings.HasPrefix(m[1], "sqlite_autoindex_line_items") {
				t.Errorf("line items found through %s:\n%s\nplan:\n%s", m[1], s.SQL, text)
			}
		}
	}
	if explained < 20 {
		t.Fatalf("explained %d statements: the observer missed the writes", explained)
	}
}
