-- +goose Up
-- Indexes that let a list page cost the same at a million rows as at a
-- thousand (docs/performance.md): the default order and sort=-created_at
-- walk (created_at, id), the tie-breaker included; code_start and
-- name_start compare LOWER(column), which the filter turns into an
-- index range; the market-visibility EXISTS probes prices
-- by (sku_id, price_list_id) without reading the rows.
DROP INDEX ix_skus_created_at;
CREATE INDEX ix_skus_created_at_id ON skus (created_at, id);
CREATE INDEX ix_skus_lower_code ON skus (LOWER(code));
CREATE INDEX ix_skus_lower_name ON skus (LOWER(name));
DROP INDEX ix_prices_created_at;
CREATE INDEX ix_prices_created_at_id ON prices (created_at, id);
DROP INDEX ix_prices_sku_id;
CREATE INDEX ix_prices_sku_id_price_list_id ON prices (sku_id, price_list_id);

-- +goose Down
DROP INDEX ix_prices_sku_id_price_list_id;
CREATE INDEX ix_prices_sku_id ON prices (sku_id);
DROP INDEX ix_prices_created_at_id;
CREATE INDEX ix_prices_created_at ON prices (created_at);
DROP INDEX ix_skus_lower_name;
DROP INDEX ix_skus_lower_code;
DROP INDEX ix_skus_created_at_id;
CREATE INDEX ix_skus_created_at ON skus (created_at);
