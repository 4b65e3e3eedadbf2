// Package catalog fills a migrated Kasse database with a generated catalog
// for the benchmarks: n SKUs, each priced in every price list already there
// (the demo's), written with multi-row INSERTs in a few large transactions
// so that a million SKUs load in about a minute.
package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Dialect is "sqlite" or "postgres": the placeholder style.
type Dialect string

// Code is the code of the generated SKU number i (0-based): BENCH-0000042.
func Code(i int) string { return fmt.Sprintf("BENCH-%07d", i) }

// Epoch is the creation time of SKU 0; SKU i is created i milliseconds
// later, so that created_at orders them and never ties.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const batch = 500 // rows per INSERT (PostgreSQL takes at most 65,535 parameters)

type priceList struct{ id, currency string }

// Load inserts n SKUs and their prices. The SKUs after the demo's in
// created_at order, their ids, codes and amounts depend on i alone, so two
// loads of the same n hold the same rows.
func Load(ctx context.Context, sqlDB *sql.DB, dialect Dialect, n int) error {
	rows, err := sqlDB.QueryContext(ctx, "SELECT id, currency_code FROM price_lists ORDER BY created_at, id")
	if err != nil {
		return err
	}
	var lists []priceList
	for rows.Next() {
		var l priceList
		if err := rows.Scan(&l.id, &l.currency); err != nil {
			rows.Close()
			return err
		}
		lists = append(lists, l)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for start := 0; start < n; start += 20 * batch {
		end := min(n, start+20*batch)
		if err := loadRange(ctx, sqlDB, dialect, lists, start, end); err != nil {
			return err
		}
	}
	if dialect == "postgres" {
		// What autovacuum does shortly after such a load anyway: the
		// planner's statistics, and the visibility map that lets
		// index-only scans skip the table.
		_, err = sqlDB.ExecContext(ctx, "VACUUM ANALYZE skus, prices")
	}
	return err
}

// loadRange inserts SKUs [start, end) and their prices in one transaction.
func loadRange(ctx context.Context, sqlDB *sql.DB, dialect Dialect, lists []priceList, start, end int) error {
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	for from := start; from < end; from += batch {
		to := min(end, from+batch)
		var skus, prices [][]any
		for i := from; i < to; i++ {
			at := Epoch.Add(time.Duration(i) * time.Millisecond)
			id := fmt.Sprintf("bsku%08d", i)
			skus = append(skus, []any{id, Code(i), fmt.Sprintf("Bench item %d", i), "A generated SKU.", at, at})
			for k, l := range lists {
				prices = append(prices, []any{fmt.Sprintf("bprc%08d%02d", i, k), l.id, id, Code(i), l.currency, int64(1000 + i%9000), at, at})
			}
		}
		if err := insert(ctx, tx, dialect, "skus", "id, code, name, description, created_at, updated_at", skus); err != nil {
			return err
		}
		for off := 0; off < len(prices); off += batch {
			if err := insert(ctx, tx, dialect, "prices", "id, price_list_id, sku_id, sku_code, currency_code, amount_cents, created_at, updated_at", prices[off:min(len(prices), off+batch)]); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

func insert(ctx context.Context, tx *sql.Tx, dialect Dialect, table, columns string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, columns)
	args := make([]any, 0, len(rows)*len(rows[0]))
	for r, row := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c, v := range row {
			if c > 0 {
				b.WriteString(", ")
			}
			args = append(args, v)
			if dialect == "postgres" {
				fmt.Fprintf(&b, "$%d", len(args))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	_, err := tx.ExecContext(ctx, b.String(), args...)
	return err
}
