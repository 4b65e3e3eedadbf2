-- +goose Up
-- Taxes: tax calculators (manual ones, with their tax rules: a rate for the
-- countries a pattern matches), the markets' calculator, and what the
-- order's totals carry of taxes.
CREATE TABLE tax_calculators (
    id VARCHAR(32) PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    reference TEXT,
    reference_origin TEXT,
    metadata TEXT,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX ix_tax_calculators_created_at ON tax_calculators (created_at);
CREATE TABLE tax_rules (
    id VARCHAR(32) PRIMARY KEY,
    manual_tax_calculator_id VARCHAR(32) NOT NULL REFERENCES tax_calculators(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    tax_rate REAL NOT NULL,
    country_code_regex TEXT,
    freight_taxable BOOLEAN NOT NULL DEFAULT FALSE,
    payment_method_taxable BOOLEAN NOT NULL DEFAULT FALSE,
    reference TEXT,
    reference_origin TEXT,
    metadata TEXT,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX ix_tax_rules_calculator ON tax_rules (manual_tax_calculator_id);
-- (No foreign key: SQLite cannot drop a column that has one; deleting a
-- tax calculator clears the markets that use it.)
ALTER TABLE markets ADD COLUMN tax_calculator_id VARCHAR(32);
ALTER TABLE orders ADD COLUMN tax_rate REAL;
ALTER TABLE orders ADD COLUMN freight_taxable BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE orders ADD COLUMN payment_method_taxable BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE orders ADD COLUMN subtotal_tax_amount_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN shipping_tax_amount_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN payment_method_tax_amount_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN subtotal_taxable_amount_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN shipping_taxable_amount_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN payment_method_taxable_amount_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN total_taxable_amount_cents BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE orders DROP COLUMN total_taxable_amount_cents;
ALTER TABLE orders DROP COLUMN payment_method_taxable_amount_cents;
ALTER TABLE orders DROP COLUMN shipping_taxable_amount_cents;
ALTER TABLE orders DROP COLUMN subtotal_taxable_amount_cents;
ALTER TABLE orders DROP COLUMN payment_method_tax_amount_cents;
ALTER TABLE orders DROP COLUMN shipping_tax_amount_cents;
ALTER TABLE orders DROP COLUMN subtotal_tax_amount_cents;
ALTER TABLE orders DROP COLUMN payment_method_taxable;
ALTER TABLE orders DROP COLUMN freight_taxable;
ALTER TABLE orders DROP COLUMN tax_rate;
ALTER TABLE markets DROP COLUMN tax_calculator_id;
DROP TABLE tax_rules;
DROP TABLE tax_calculators;
