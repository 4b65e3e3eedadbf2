-- +goose Up
-- Hosted checkout (docs/checkout-sessions.md): sessions, the gateways'
-- recent outcomes that routing scores, the merchant callbacks the outbox
-- sends, and the routing settings of payment methods.
ALTER TABLE payment_methods ADD COLUMN payment_method_type TEXT NOT NULL DEFAULT 'card';
ALTER TABLE payment_methods ADD COLUMN min_amount_cents BIGINT;
ALTER TABLE payment_methods ADD COLUMN max_amount_cents BIGINT;
ALTER TABLE payment_methods ADD COLUMN routing_priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payment_methods ADD COLUMN fee_fixed_cents BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payment_methods ADD COLUMN fee_percentage NUMERIC(9,4) NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN checkout_token TEXT;
CREATE TABLE checkout_sessions (
    id VARCHAR(32) PRIMARY KEY,
    token VARCHAR(64) NOT NULL,
    csrf_token VARCHAR(64) NOT NULL,
    status TEXT NOT NULL,
    order_id VARCHAR(32) NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    market_id VARCHAR(32) REFERENCES markets(id) ON DELETE SET NULL,
    customer_id VARCHAR(32),
    amount_only BOOLEAN NOT NULL DEFAULT FALSE,
    payment_gateway_id VARCHAR(32) REFERENCES payment_gateways(id) ON DELETE SET NULL,
    pinned_gateway BOOLEAN NOT NULL DEFAULT FALSE,
    payment_method_id VARCHAR(32) REFERENCES payment_methods(id) ON DELETE SET NULL,
    payment_source_type TEXT,
    payment_source_id VARCHAR(32),
    success_url TEXT NOT NULL,
    failure_url TEXT,
    callback_url TEXT,
    expires_in INTEGER NOT NULL,
    expires_at TIMESTAMPTZ(3) NOT NULL,
    payment_method_type TEXT NOT NULL,
    customer_email TEXT,
    customer_phone TEXT,
    locale TEXT NOT NULL,
    max_installments INTEGER NOT NULL DEFAULT 1,
    interest_paid_by_customer BOOLEAN NOT NULL DEFAULT FALSE,
    installments INTEGER,
    description TEXT,
    amount_cents BIGINT NOT NULL DEFAULT 0,
    currency_code TEXT NOT NULL,
    fee_amount_cents BIGINT,
    net_amount_cents BIGINT,
    failure_reason TEXT,
    completed_at TIMESTAMPTZ(3),
    routing JSONB,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_checkout_sessions_token ON checkout_sessions (token);
CREATE INDEX ix_checkout_sessions_order_id ON checkout_sessions (order_id);
CREATE INDEX ix_checkout_sessions_status_expires_at ON checkout_sessions (status, expires_at);
CREATE INDEX ix_checkout_sessions_created_at ON checkout_sessions (created_at);
CREATE INDEX ix_checkout_sessions_customer_id ON checkout_sessions (customer_id);
CREATE TABLE gateway_attempts (
    id VARCHAR(32) PRIMARY KEY,
    payment_gateway_id VARCHAR(32) NOT NULL REFERENCES payment_gateways(id) ON DELETE CASCADE,
    currency_code TEXT NOT NULL,
    outcome TEXT NOT NULL,
    checkout_session_id VARCHAR(32),
    created_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX ix_gateway_attempts_gateway_currency_created ON gateway_attempts (payment_gateway_id, currency_code, created_at);
CREATE TABLE checkout_callbacks (
    id VARCHAR(32) PRIMARY KEY,
    checkout_session_id VARCHAR(32) NOT NULL REFERENCES checkout_sessions(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    callback_url TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    response_code INTEGER,
    response_message TEXT,
    delivered_at TIMESTAMPTZ(3),
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX ix_checkout_callbacks_session ON checkout_callbacks (checkout_session_id, created_at);

-- +goose Down
DROP TABLE checkout_callbacks;
DROP TABLE gateway_attempts;
DROP TABLE checkout_sessions;
ALTER TABLE orders DROP COLUMN checkout_token;
ALTER TABLE payment_methods DROP COLUMN fee_percentage;
ALTER TABLE payment_methods DROP COLUMN fee_fixed_cents;
ALTER TABLE payment_methods DROP COLUMN routing_priority;
ALTER TABLE payment_methods DROP COLUMN max_amount_cents;
ALTER TABLE payment_methods DROP COLUMN min_amount_cents;
ALTER TABLE payment_methods DROP COLUMN payment_method_type;
