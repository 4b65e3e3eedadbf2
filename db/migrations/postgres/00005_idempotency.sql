-- +goose Up
-- One row per Idempotency-Key in its scope (organization, application,
-- owner; '' when the token has no owner, so the unique index holds).
CREATE TABLE idempotency_keys (
    id VARCHAR(32) PRIMARY KEY,
    organization_id VARCHAR(32) NOT NULL,
    application_id VARCHAR(32) NOT NULL,
    owner_id VARCHAR(32) NOT NULL DEFAULT '',
    idempotency_key VARCHAR(255) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    status TEXT NOT NULL,
    lease_token VARCHAR(32),
    locked_until TIMESTAMPTZ(3),
    response_status INTEGER,
    response_body BYTEA,
    response_location TEXT,
    response_content_type TEXT,
    created_type TEXT,
    created_id VARCHAR(32),
    expires_at TIMESTAMPTZ(3) NOT NULL,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_idempotency_keys_scope_key ON idempotency_keys (organization_id, application_id, owner_id, idempotency_key);
CREATE INDEX ix_idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
