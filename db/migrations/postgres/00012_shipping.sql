-- +goose Up
-- Shipping: shipping methods (a price, free over an amount, per market and
-- currency), the shipments an order with shippable items gets, each with
-- its chosen shipping method and cost, and the markets' default method.
CREATE TABLE shipping_methods (
    id VARCHAR(32) PRIMARY KEY,
    name TEXT NOT NULL,
    scheme TEXT NOT NULL DEFAULT 'flat',
    currency_code TEXT,
    price_amount_cents BIGINT NOT NULL DEFAULT 0,
    free_over_amount_cents BIGINT,
    use_subtotal BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_at TIMESTAMPTZ(3),
    market_id VARCHAR(32) REFERENCES markets(id) ON DELETE CASCADE,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX ix_shipping_methods_market_id ON shipping_methods (market_id);
CREATE INDEX ix_shipping_methods_created_at ON shipping_methods (created_at);
CREATE TABLE shipments (
    id VARCHAR(32) PRIMARY KEY,
    number TEXT NOT NULL,
    status TEXT NOT NULL,
    order_id VARCHAR(32) NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    market_id VARCHAR(32) NOT NULL,
    currency_code TEXT NOT NULL,
    skus_count INTEGER NOT NULL DEFAULT 0,
    cost_amount_cents BIGINT NOT NULL DEFAULT 0,
    shipping_method_id VARCHAR(32) REFERENCES shipping_methods(id) ON DELETE SET NULL,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_shipments_number ON shipments (number);
CREATE INDEX ix_shipments_order_id ON shipments (order_id);
CREATE INDEX ix_shipments_created_at ON shipments (created_at);
ALTER TABLE markets ADD COLUMN default_shipping_method_id VARCHAR(32) REFERENCES shipping_methods(id) ON DELETE SET NULL;
ALTER TABLE orders ADD COLUMN shipments_count INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE orders DROP COLUMN shipments_count;
ALTER TABLE markets DROP COLUMN default_shipping_method_id;
DROP TABLE shipments;
DROP TABLE shipping_methods;
