-- +goose Up
-- The built-in sandbox gateway's own state, so that a sandbox payment begun
-- on one instance is continued on any other: its payments (with the 3DS
-- session id put on the return URL) and its first answer to each
-- idempotency key, replayed to every retry.
CREATE TABLE sandbox_payments (
    id VARCHAR(32) PRIMARY KEY,
    session_id VARCHAR(32),
    token TEXT NOT NULL,
    status TEXT NOT NULL,
    amount_cents BIGINT NOT NULL DEFAULT 0,
    captured_cents BIGINT NOT NULL DEFAULT 0,
    refunded_cents BIGINT NOT NULL DEFAULT 0,
    currency_code TEXT NOT NULL,
    voided BOOLEAN NOT NULL DEFAULT FALSE,
    success_url TEXT,
    failure_url TEXT,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_sandbox_payments_session_id ON sandbox_payments (session_id);
CREATE TABLE sandbox_replays (
    idempotency_key VARCHAR(255) PRIMARY KEY,
    result JSONB NOT NULL,
    created_at TIMESTAMPTZ(3) NOT NULL
);

CREATE INDEX ix_sandbox_replays_created_at ON sandbox_replays (created_at);

-- +goose Down
DROP TABLE sandbox_replays;
DROP TABLE sandbox_payments;
