package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"gorm.io/gorm"

	"kasse/db/dbtest"
	"kasse/engine"
	"kasse/errs"
	"kasse/models"
	"kasse/resources"
	"kasse/serializers"
)

// body is a create body from attributes and to-one relationships
// (name → type/id).
func body(attrs map[string]any, rels map[string][2]string) *serializers.ResourceBody {
	b := &serializers.ResourceBody{Attributes: map[string]json.RawMessage{}, Relationships: map[string]serializers.RelationshipBody{}}
	for k, v := range attrs {
		raw, _ := json.Marshal(v)
		b.Attributes[k] = raw
	}
	for k, v := range rels {
		raw, _ := json.Marshal(serializers.Identifier{Type: v[0], ID: v[1]})
		b.Relationships[k] = serializers.RelationshipBody{Data: raw}
	}
	return b
}

// cartOps are a facade-like batch: a customer matched by email, an order
// of it in market, and one line item per SKU code.
func cartOps(t *testing.T, reg *engine.Registry, email, market string, codes ...string) []engine.Op {
	t.Helper()
	def := func(typ string) *engine.Definition {
		d, ok := reg.Lookup(typ)
		if !ok {
			t.Fatalf("no %s", typ)
		}
		return d
	}
	ops := []engine.Op{
		{Def: def("customers"), Match: map[string]any{"email": email}, Body: func([]string) (*serializers.ResourceBody, error) {
			return body(map[string]any{"email": email}, nil), nil
		}},
		{Def: def("orders"), Body: func(ids []string) (*serializers.ResourceBody, error) {
			return body(map[string]any{"customer_email": email}, map[string][2]string{"market": {"markets", market}, "customer": {"customers", ids[0]}}), nil
		}},
	}
	for _, code := range codes {
		ops = append(ops, engine.Op{Def: def("line_items"), Body: func(ids []string) (*serializers.ResourceBody, error) {
			return body(map[string]any{"sku_code": code, "quantity": 1}, map[string][2]string{"order": {"orders", ids[1]}}), nil
		}})
	}
	return ops
}

func rowCount(t *testing.T, gdb *gorm.DB, model any) int64 {
	t.Helper()
	var n int64
	if err := gdb.Model(model).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBatch: a batch creates all its resources in one transaction, each
// by its type's rules, later ones relating to earlier ones; a failing op
// leaves nothing behind and is named by its index; a match reuses a row.
func TestBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		if _, err := models.SeedDemo(gdb); err != nil {
			t.Fatal(err)
		}
		var eu models.Market
		if err := gdb.Where("code = ?", "eu").Take(&eu).Error; err != nil {
			t.Fatal(err)
		}
		var sku models.Sku
		if err := gdb.Joins("JOIN prices ON prices.sku_id = skus.id AND prices.price_list_id = ?", eu.PriceListID).Where("skus.limit_one_per_customer = ?", false).Take(&sku).Error; err != nil {
			t.Fatal(err)
		}
		reg := resources.Default()
		eng := engine.New(gdb, reg)
		p := &models.Principal{Role: models.RoleIntegration}
		ctx := context.Background()

		ids, err := eng.Batch(ctx, p, cartOps(t, reg, "batch@example.com", eu.ID, sku.Code, sku.Code))
		if err != nil || len(ids) != 4 {
			t.Fatalf("batch: %v %v", ids, err)
		}
		var order models.Order
		if err := gdb.Where("id = ?", ids[1]).Take(&order).Error; err != nil {
			t.Fatal(err)
		}
		if order.CustomerID == nil || *order.CustomerID != ids[0] || order.SkusCount != 2 || order.SubtotalAmountCents <= 0 {
			t.Fatalf("the order: %+v", order)
		}

		before := map[string]int64{"customers": rowCount(t, gdb, &models.Customer{}), "orders": rowCount(t, gdb, &models.Order{}), "line_items": rowCount(t, gdb, &models.LineItem{})}
		_, err = eng.Batch(ctx, p, cartOps(t, reg, "new@example.com", eu.ID, sku.Code, "NO-SUCH-SKU"))
		var failed *engine.OpError
		list, client := errs.As(err)
		if !errors.As(err, &failed) || failed.Index != 3 || !client || list[0].Pointer != "/data/attributes/sku_code" {
			t.Fatalf("a failing op: %v", err)
		}
		after := map[string]int64{"customers": rowCount(t, gdb, &models.Customer{}), "orders": rowCount(t, gdb, &models.Order{}), "line_items": rowCount(t, gdb, &models.LineItem{})}
		if fmt.Sprint(before) != fmt.Sprint(after) {
			t.Fatalf("a failed batch left rows: %v → %v", before, after)
		}

		again, err := eng.Batch(ctx, p, cartOps(t, reg, "batch@example.com", eu.ID, sku.Code))
		if err != nil || again[0] != ids[0] {
			t.Fatalf("the customer is matched by email: %v %v (first %s)", again, err, ids[0])
		}
		guest := &models.Principal{Role: models.RoleSalesChannel, MarketIDs: []string{eu.ID}}
		// A sales channel may sign a customer up, but not put an order in
		// the hands of a customer it cannot see: the order op fails, and the
		// customer it created goes with it.
		_, err = eng.Batch(ctx, guest, cartOps(t, reg, "guest@example.com", eu.ID))
		list, client = errs.As(err)
		if !errors.As(err, &failed) || failed.Index != 1 || !client || list[0].Code != errs.RecordNotFound || list[0].Pointer != "/data/relationships/customer/data/id" {
			t.Fatalf("a guest's batch: %v", err)
		}
		var guests int64
		gdb.Model(&models.Customer{}).Where("email = ?", "guest@example.com").Count(&guests)
		if guests != 0 {
			t.Fatalf("the refused batch left %d customers", guests)
		}
	})
}

// TestBatchConcurrentMatch: batches racing to create the same customer
// (by email) end with one customer and every batch done: matches of one
// email take turns, so every batch after the first finds the customer.
func TestBatchConcurrentMatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		if _, err := models.SeedDemo(gdb); err != nil {
			t.Fatal(err)
		}
		var eu models.Market
		if err := gdb.Where("code = ?", "eu").Take(&eu).Error; err != nil {
			t.Fatal(err)
		}
		reg := resources.Default()
		eng := engine.New(gdb, reg)
		p := &models.Principal{Role: models.RoleIntegration}
		const n = 6
		var wg sync.WaitGroup
		errc := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := eng.Batch(context.Background(), p, cartOps(t, reg, "race@example.com", eu.ID))
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Errorf("a racing batch: %v", err)
			}
		}
		var customers int64
		gdb.Model(&models.Customer{}).Where("email = ?", "race@example.com").Count(&customers)
		if customers != 1 {
			t.Fatalf("%d customers for one email", customers)
		}
	})
}
