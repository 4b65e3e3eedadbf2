-- +goose Up
CREATE TABLE organizations (
    id VARCHAR(32) PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_organizations_slug ON organizations (slug);
CREATE TABLE price_lists (
    id VARCHAR(32) PRIMARY KEY,
    name TEXT NOT NULL,
    code TEXT,
    currency_code TEXT NOT NULL,
    tax_included BOOLEAN NOT NULL DEFAULT TRUE,
    rules JSONB,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_price_lists_code ON price_lists (code);
CREATE INDEX ix_price_lists_created_at ON price_lists (created_at);
CREATE INDEX ix_price_lists_name ON price_lists (name);
CREATE TABLE markets (
    id VARCHAR(32) PRIMARY KEY,
    number INTEGER NOT NULL,
    name TEXT NOT NULL,
    code TEXT,
    facebook_pixel_id TEXT,
    checkout_url TEXT,
    external_prices_url TEXT,
    external_order_validation_url TEXT,
    private BOOLEAN NOT NULL DEFAULT FALSE,
    shipping_cost_cutoff INTEGER,
    disabled_at TIMESTAMPTZ(3),
    shared_secret TEXT NOT NULL,
    external_includes JSONB,
    price_list_id VARCHAR(32) NOT NULL REFERENCES price_lists(id) ON DELETE RESTRICT,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_markets_number ON markets (number);
CREATE UNIQUE INDEX ux_markets_code ON markets (code);
CREATE INDEX ix_markets_price_list_id ON markets (price_list_id);
CREATE INDEX ix_markets_created_at ON markets (created_at);
CREATE INDEX ix_markets_name ON markets (name);
CREATE TABLE skus (
    id VARCHAR(32) PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    image_url TEXT,
    pieces_per_pack INTEGER,
    weight DOUBLE PRECISION,
    unit_of_weight TEXT,
    hs_tariff_number TEXT,
    do_not_ship BOOLEAN NOT NULL DEFAULT FALSE,
    do_not_track BOOLEAN NOT NULL DEFAULT FALSE,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_skus_code ON skus (code);
CREATE INDEX ix_skus_created_at ON skus (created_at);
CREATE INDEX ix_skus_name ON skus (name);
CREATE TABLE prices (
    id VARCHAR(32) PRIMARY KEY,
    price_list_id VARCHAR(32) NOT NULL REFERENCES price_lists(id) ON DELETE CASCADE,
    sku_id VARCHAR(32) NOT NULL REFERENCES skus(id) ON DELETE CASCADE,
    sku_code TEXT,
    currency_code TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    compare_at_amount_cents BIGINT,
    processed_at TIMESTAMPTZ(3),
    rules JSONB,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_prices_price_list_id_sku_id ON prices (price_list_id,sku_id);
CREATE INDEX ix_prices_sku_id ON prices (sku_id);
CREATE INDEX ix_prices_created_at ON prices (created_at);
CREATE INDEX ix_prices_amount_cents ON prices (amount_cents);
CREATE TABLE customers (
    id VARCHAR(32) PRIMARY KEY,
    email TEXT NOT NULL,
    password_digest TEXT,
    status TEXT NOT NULL DEFAULT 'prospect',
    shopper_reference TEXT,
    profile_id TEXT,
    tax_exemption_code TEXT,
    total_orders_count INTEGER NOT NULL DEFAULT 0,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_customers_email ON customers (email);
CREATE INDEX ix_customers_created_at ON customers (created_at);
CREATE TABLE addresses (
    id VARCHAR(32) PRIMARY KEY,
    owner_customer_id VARCHAR(32) REFERENCES customers(id) ON DELETE SET NULL,
    business BOOLEAN NOT NULL DEFAULT FALSE,
    first_name TEXT,
    last_name TEXT,
    company TEXT,
    line_1 TEXT NOT NULL,
    line_2 TEXT,
    city TEXT NOT NULL,
    zip_code TEXT,
    state_code TEXT,
    country_code TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT,
    notes TEXT,
    lat DOUBLE PRECISION,
    lng DOUBLE PRECISION,
    billing_info TEXT,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX ix_addresses_created_at ON addresses (created_at);
CREATE INDEX ix_addresses_city ON addresses (city);
CREATE INDEX ix_addresses_country_code ON addresses (country_code);
CREATE INDEX ix_addresses_owner_customer_id ON addresses (owner_customer_id);
CREATE TABLE customer_addresses (
    id VARCHAR(32) PRIMARY KEY,
    name TEXT,
    customer_email TEXT,
    customer_id VARCHAR(32) NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    address_id VARCHAR(32) NOT NULL REFERENCES addresses(id) ON DELETE CASCADE,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_customer_addresses_customer_id_address_id ON customer_addresses (customer_id,address_id);
CREATE INDEX ix_customer_addresses_address_id ON customer_addresses (address_id);
CREATE INDEX ix_customer_addresses_created_at ON customer_addresses (created_at);

-- +goose Down
DROP TABLE customer_addresses;
DROP TABLE addresses;
DROP TABLE customers;
DROP TABLE prices;
DROP TABLE skus;
DROP TABLE markets;
DROP TABLE price_lists;
DROP TABLE organizations;
