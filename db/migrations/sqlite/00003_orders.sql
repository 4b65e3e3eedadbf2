-- +goose Up
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE payment_methods (
    id VARCHAR(32) PRIMARY KEY,
    name TEXT,
    payment_source_type TEXT NOT NULL,
    currency_code TEXT,
    moto BOOLEAN NOT NULL DEFAULT FALSE,
    require_capture BOOLEAN NOT NULL DEFAULT FALSE,
    auto_place BOOLEAN NOT NULL DEFAULT FALSE,
    auto_capture BOOLEAN NOT NULL DEFAULT FALSE,
    price_amount_cents INTEGER NOT NULL DEFAULT 0,
    auto_capture_max_amount_cents INTEGER,
    disabled_at DATETIME,
    market_id VARCHAR(32) REFERENCES markets(id) ON DELETE CASCADE,
    payment_gateway_id VARCHAR(32),
    reference TEXT,
    reference_origin TEXT,
    metadata TEXT,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX ix_payment_methods_market_id ON payment_methods (market_id);
CREATE INDEX ix_payment_methods_created_at ON payment_methods (created_at);
CREATE TABLE orders (
    id VARCHAR(32) PRIMARY KEY,
    number INTEGER NOT NULL,
    status TEXT NOT NULL,
    payment_status TEXT NOT NULL,
    fulfillment_status TEXT NOT NULL,
    guest BOOLEAN NOT NULL DEFAULT TRUE,
    customer_email TEXT,
    language_code TEXT,
    currency_code TEXT NOT NULL,
    tax_included BOOLEAN NOT NULL DEFAULT TRUE,
    country_code TEXT,
    cart_url TEXT,
    return_url TEXT,
    terms_url TEXT,
    privacy_url TEXT,
    market_id VARCHAR(32) NOT NULL REFERENCES markets(id) ON DELETE RESTRICT,
    customer_id VARCHAR(32) REFERENCES customers(id) ON DELETE SET NULL,
    billing_address_id VARCHAR(32) REFERENCES addresses(id) ON DELETE SET NULL,
    shipping_address_id VARCHAR(32) REFERENCES addresses(id) ON DELETE SET NULL,
    payment_method_id VARCHAR(32) REFERENCES payment_methods(id) ON DELETE SET NULL,
    payment_source_type TEXT,
    payment_source_id VARCHAR(32),
    subtotal_amount_cents INTEGER NOT NULL DEFAULT 0,
    discount_amount_cents INTEGER NOT NULL DEFAULT 0,
    shipping_amount_cents INTEGER NOT NULL DEFAULT 0,
    payment_method_amount_cents INTEGER NOT NULL DEFAULT 0,
    total_tax_amount_cents INTEGER NOT NULL DEFAULT 0,
    total_amount_cents INTEGER NOT NULL DEFAULT 0,
    total_amount_with_taxes_cents INTEGER NOT NULL DEFAULT 0,
    place_total_amount_cents INTEGER,
    skus_count INTEGER NOT NULL DEFAULT 0,
    placed_at DATETIME,
    approved_at DATETIME,
    cancelled_at DATETIME,
    archived_at DATETIME,
    payment_updated_at DATETIME,
    fulfillment_updated_at DATETIME,
    refreshed_at DATETIME,
    expires_at DATETIME,
    reference TEXT,
    reference_origin TEXT,
    metadata TEXT,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX ux_orders_number ON orders (number);
CREATE INDEX ix_orders_status ON orders (status);
CREATE INDEX ix_orders_market_id ON orders (market_id);
CREATE INDEX ix_orders_customer_id ON orders (customer_id);
CREATE INDEX ix_orders_created_at ON orders (created_at);
CREATE INDEX ix_orders_customer_email ON orders (customer_email);
CREATE INDEX ix_orders_archived_at ON orders (archived_at);
CREATE TABLE line_items (
    id VARCHAR(32) PRIMARY KEY,
    order_id VARCHAR(32) NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    item_type TEXT NOT NULL,
    item_id VARCHAR(32),
    sku_code TEXT,
    name TEXT,
    image_url TEXT,
    quantity INTEGER NOT NULL,
    currency_code TEXT NOT NULL,
    unit_amount_cents INTEGER NOT NULL,
    compare_at_amount_cents INTEGER,
    options_amount_cents INTEGER NOT NULL DEFAULT 0,
    discount_cents INTEGER NOT NULL DEFAULT 0,
    total_amount_cents INTEGER NOT NULL DEFAULT 0,
    tax_amount_cents INTEGER NOT NULL DEFAULT 0,
    tax_rate REAL,
    external_price BOOLEAN NOT NULL DEFAULT FALSE,
    reference TEXT,
    reference_origin TEXT,
    metadata TEXT,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX ix_line_items_order_id ON line_items (order_id);
CREATE INDEX ix_line_items_item_id ON line_items (item_id);
CREATE INDEX ix_line_items_created_at ON line_items (created_at);
ALTER TABLE skus ADD COLUMN limit_one_per_customer BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
DROP TABLE line_items;
DROP TABLE orders;
DROP TABLE payment_methods;
DROP TABLE counters;
ALTER TABLE skus DROP COLUMN limit_one_per_customer;
