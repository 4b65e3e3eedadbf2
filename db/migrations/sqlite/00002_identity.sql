-- +goose Up
CREATE TABLE applications (
    id VARCHAR(32) PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_digest TEXT,
    public BOOLEAN NOT NULL DEFAULT FALSE,
    scope TEXT,
    access_token_ttl_seconds INTEGER,
    revoked_at DATETIME,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX ux_applications_client_id ON applications (client_id);
CREATE TABLE signing_keys (
    id VARCHAR(32) PRIMARY KEY,
    algorithm TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    retired_at DATETIME,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX ix_signing_keys_created_at ON signing_keys (created_at);
CREATE TABLE refresh_tokens (
    id VARCHAR(32) PRIMARY KEY,
    token_digest TEXT NOT NULL,
    application_id VARCHAR(32) NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    customer_id VARCHAR(32) NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    scope TEXT,
    expires_at DATETIME NOT NULL,
    used_at DATETIME,
    replaced_by_id VARCHAR(32),
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX ux_refresh_tokens_token_digest ON refresh_tokens (token_digest);
CREATE INDEX ix_refresh_tokens_application_id ON refresh_tokens (application_id);
CREATE INDEX ix_refresh_tokens_customer_id ON refresh_tokens (customer_id);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE signing_keys;
DROP TABLE applications;
