-- +goose Up
-- A checkout session's UUID (the id the checkout facades whose APIs show
-- UUIDs answer with: sessions' sessionId, links' checkoutId) and the
-- facade that opened it, if one did (docs/checkout-apis.md).
ALTER TABLE checkout_sessions ADD COLUMN uuid VARCHAR(36);
ALTER TABLE checkout_sessions ADD COLUMN compat VARCHAR(16);
UPDATE checkout_sessions SET uuid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
    substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))) WHERE uuid IS NULL;
CREATE UNIQUE INDEX ux_checkout_sessions_uuid ON checkout_sessions (uuid);
-- The course checkout facade finds courses by their SKU's reference.
CREATE INDEX ix_skus_reference ON skus (reference);

-- +goose Down
DROP INDEX ix_skus_reference;
DROP INDEX ux_checkout_sessions_uuid;
ALTER TABLE checkout_sessions DROP COLUMN compat;
ALTER TABLE checkout_sessions DROP COLUMN uuid;
