-- +goose Up
-- An integration may set an order's shipping and tax amounts itself (a
-- merchant's hosted checkout that decides them): these overrides replace
-- what the shipments and the tax calculator derive. NULL: no override.
ALTER TABLE orders ADD COLUMN external_shipping_amount_cents BIGINT;
ALTER TABLE orders ADD COLUMN external_tax_amount_cents BIGINT;

-- +goose Down
ALTER TABLE orders DROP COLUMN external_tax_amount_cents;
ALTER TABLE orders DROP COLUMN external_shipping_amount_cents;
