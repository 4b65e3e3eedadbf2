-- +goose Up
-- `_save_billing_address_to_customer_address_book` and
-- `_save_shipping_address_to_customer_address_book` are asked for on a cart
-- and honoured when it is placed: the flags keep the request until then.
ALTER TABLE orders ADD COLUMN save_billing_address_to_customer_address_book BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE orders ADD COLUMN save_shipping_address_to_customer_address_book BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE orders DROP COLUMN save_shipping_address_to_customer_address_book;
ALTER TABLE orders DROP COLUMN save_billing_address_to_customer_address_book;
