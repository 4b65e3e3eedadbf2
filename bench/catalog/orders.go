package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// OrderNumbers is the number of generated order 0; order i has
// OrderNumbers+i, far above what the demo's counter hands out.
const OrderNumbers = 100_000_000

// Cart is what the generated orders hold: one line item of a SKU, in a
// market and its currency.
type Cart struct {
	MarketID, Currency     string
	SkuID, SkuCode, Name   string
	UnitAmountCents, Count int64
}

// LoadOrders inserts n guest orders of the cart, each pending with its one
// line item, created a millisecond apart after Epoch, in transactions of
// 20 INSERTs of each table: what a shop's order table holds after n
// checkouts began, for the write benchmarks.
func LoadOrders(ctx context.Context, sqlDB *sql.DB, dialect Dialect, n int, cart Cart) error {
	for start := 0; start < n; start += 20 * batch {
		if err := loadOrderRange(ctx, sqlDB, dialect, cart, start, min(n, start+20*batch)); err != nil {
			return err
		}
	}
	if dialect == "postgres" {
		_, err := sqlDB.ExecContext(ctx, "VACUUM ANALYZE orders, line_items")
		return err
	}
	return nil
}

func loadOrderRange(ctx context.Context, sqlDB *sql.DB, dialect Dialect, cart Cart, start, end int) error {
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	total := cart.UnitAmountCents * cart.Count
	for from := start; from < end; from += batch {
		var orders, items [][]any
		for i := from; i < min(end, from+batch); i++ {
			at := Epoch.Add(time.Duration(i) * time.Millisecond)
			id := fmt.Sprintf("bord%08d", i)
			orders = append(orders, []any{id, OrderNumbers + i, "pending", "unpaid", "unfulfilled", cart.Currency, cart.MarketID, total, total, total, cart.Count, at, at})
			items = append(items, []any{fmt.Sprintf("blit%08d", i), id, "skus", cart.SkuID, cart.SkuCode, cart.Name, cart.Count, cart.Currency, cart.UnitAmountCents, total, at, at})
		}
		if err := insert(ctx, tx, dialect, "orders", "id, number, status, payment_status, fulfillment_status, currency_code, market_id, "+
			"subtotal_amount_cents, total_amount_cents, total_amount_with_taxes_cents, skus_count, created_at, updated_at", orders); err != nil {
			return err
		}
		if err := insert(ctx, tx, dialect, "line_items", "id, order_id, item_type, item_id, sku_code, name, quantity, currency_code, "+
			"unit_amount_cents, total_amount_cents, created_at, updated_at", items); err != nil {
			return err
		}
	}
	return tx.Commit()
}
