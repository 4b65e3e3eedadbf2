-- +goose Up
-- Access tokens revoked at POST /oauth/revoke (RFC 7009), by the SHA-256
-- digest of the token, until they would have expired anyway: every
-- instance refuses them from then on.
CREATE TABLE token_revocations (
    token_digest VARCHAR(64) PRIMARY KEY,
    application_id VARCHAR(32) NOT NULL,
    expires_at DATETIME NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX ix_token_revocations_expires_at ON token_revocations (expires_at);

-- +goose Down
DROP TABLE token_revocations;
