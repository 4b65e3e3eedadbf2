-- +goose Up
-- A line item write reads the order's other lines of the same SKU
-- (order_id = ? AND item_id = ?). With an index on each column alone,
-- SQLite's planner, which keeps no statistics unless ANALYZE runs, took
-- item_id's: every line of a SKU in every order, 26 ms per write at
-- 100,000 orders of a bestseller (docs/performance.md). The pair serves
-- that read and, as its prefix, every read by order_id alone.
DROP INDEX ix_line_items_order_id;
CREATE INDEX ix_line_items_order_id_item_id ON line_items (order_id, item_id);

-- +goose Down
DROP INDEX ix_line_items_order_id_item_id;
CREATE INDEX ix_line_items_order_id ON line_items (order_id);
