-- +goose Up
-- Stock: stock locations, the quantity of each SKU at each, and what each
-- placed order took from them (released when it is cancelled).
CREATE TABLE stock_locations (
    id VARCHAR(32) PRIMARY KEY,
    number INTEGER NOT NULL,
    name TEXT NOT NULL,
    code TEXT,
    label_format TEXT NOT NULL DEFAULT 'PDF',
    suppress_etd BOOLEAN NOT NULL DEFAULT FALSE,
    address_id VARCHAR(32) REFERENCES addresses(id) ON DELETE SET NULL,
    reference TEXT,
    reference_origin TEXT,
    metadata TEXT,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX ux_stock_locations_number ON stock_locations (number);
CREATE INDEX ix_stock_locations_created_at ON stock_locations (created_at);
CREATE TABLE stock_items (
    id VARCHAR(32) PRIMARY KEY,
    stock_location_id VARCHAR(32) NOT NULL REFERENCES stock_locations(id) ON DELETE CASCADE,
    sku_id VARCHAR(32) NOT NULL REFERENCES skus(id) ON DELETE CASCADE,
    sku_code TEXT,
    quantity INTEGER NOT NULL DEFAULT 0,
    reference TEXT,
    reference_origin TEXT,
    metadata TEXT,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX ux_stock_items_location_sku ON stock_items (stock_location_id, sku_id);
CREATE INDEX ix_stock_items_sku_id ON stock_items (sku_id);
CREATE INDEX ix_stock_items_created_at ON stock_items (created_at);
CREATE TABLE stock_line_items (
    id VARCHAR(32) PRIMARY KEY,
    order_id VARCHAR(32) NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    stock_item_id VARCHAR(32) NOT NULL REFERENCES stock_items(id) ON DELETE CASCADE,
    quantity INTEGER NOT NULL,
    released_at DATETIME,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX ix_stock_line_items_order_id ON stock_line_items (order_id);
ALTER TABLE shipments ADD COLUMN stock_location_id VARCHAR(32);

-- +goose Down
ALTER TABLE shipments DROP COLUMN stock_location_id;
DROP TABLE stock_line_items;
DROP TABLE stock_items;
DROP TABLE stock_locations;
