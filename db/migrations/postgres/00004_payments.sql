-- +goose Up
CREATE TABLE payment_gateways (
    id VARCHAR(32) PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    force_payments BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_at TIMESTAMPTZ(3),
    secret_key TEXT,
    public_key TEXT,
    login TEXT,
    publishable_key TEXT,
    connected_account TEXT,
    auto_payments BOOLEAN NOT NULL DEFAULT FALSE,
    webhook_endpoint_secret TEXT,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX ix_payment_gateways_kind ON payment_gateways (kind);
CREATE INDEX ix_payment_gateways_created_at ON payment_gateways (created_at);
CREATE TABLE payment_sources (
    id VARCHAR(32) PRIMARY KEY,
    kind TEXT NOT NULL,
    order_id VARCHAR(32) NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    payment_gateway_id VARCHAR(32) REFERENCES payment_gateways(id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    amount_cents BIGINT NOT NULL DEFAULT 0,
    currency_code TEXT NOT NULL,
    mismatched_amounts BOOLEAN NOT NULL DEFAULT FALSE,
    token TEXT,
    public_key TEXT,
    payment_type TEXT,
    session_id TEXT,
    success_url TEXT,
    failure_url TEXT,
    source_id TEXT,
    customer_token TEXT,
    redirect_uri TEXT,
    payment_response JSONB,
    payment_instrument JSONB,
    gateway_payment_id TEXT,
    auto_capture BOOLEAN NOT NULL DEFAULT FALSE,
    stripe_options JSONB,
    return_url TEXT,
    receipt_email TEXT,
    client_secret TEXT,
    charge_id TEXT,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX ix_payment_sources_order_id ON payment_sources (order_id);
CREATE INDEX ix_payment_sources_kind ON payment_sources (kind);
CREATE INDEX ix_payment_sources_gateway_payment_id ON payment_sources (gateway_payment_id);
CREATE INDEX ix_payment_sources_created_at ON payment_sources (created_at);
CREATE TABLE transactions (
    id VARCHAR(32) PRIMARY KEY,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    order_id VARCHAR(32) NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    payment_source_id VARCHAR(32) NOT NULL REFERENCES payment_sources(id) ON DELETE CASCADE,
    payment_source_type TEXT NOT NULL,
    currency_code TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    status TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL DEFAULT FALSE,
    message TEXT,
    error_code TEXT,
    error_detail TEXT,
    gateway_transaction_id TEXT,
    reference_authorization_id VARCHAR(32) REFERENCES transactions(id) ON DELETE SET NULL,
    reference_capture_id VARCHAR(32) REFERENCES transactions(id) ON DELETE SET NULL,
    cancels_order BOOLEAN NOT NULL DEFAULT FALSE,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX ix_transactions_order_id ON transactions (order_id);
CREATE INDEX ix_transactions_payment_source_id ON transactions (payment_source_id);
CREATE INDEX ix_transactions_kind ON transactions (kind);
CREATE INDEX ix_transactions_reference_authorization_id ON transactions (reference_authorization_id);
CREATE INDEX ix_transactions_reference_capture_id ON transactions (reference_capture_id);
CREATE INDEX ix_transactions_created_at ON transactions (created_at);
CREATE UNIQUE INDEX ux_transactions_number ON transactions (number);
CREATE TABLE gateway_events (
    id VARCHAR(32) PRIMARY KEY,
    payment_gateway_id VARCHAR(32) NOT NULL REFERENCES payment_gateways(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT,
    payment_source_id VARCHAR(32),
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_gateway_events_payment_gateway_id_event_id ON gateway_events (payment_gateway_id,event_id);
CREATE INDEX ix_payment_methods_payment_gateway_id ON payment_methods (payment_gateway_id);

-- +goose Down
DROP INDEX ix_payment_methods_payment_gateway_id;
DROP TABLE gateway_events;
DROP TABLE transactions;
DROP TABLE payment_sources;
DROP TABLE payment_gateways;
