-- +goose Up
-- Webhooks (Commerce Layer's subscriptions), the events they subscribe to
-- (one row per topic), the deliveries written in the transaction of the
-- change they report (the outbox: each has a River job inserted in the
-- same transaction), and every delivery attempt (event_callbacks).
CREATE TABLE webhooks (
    id VARCHAR(32) PRIMARY KEY,
    name TEXT,
    topic TEXT NOT NULL,
    callback_url TEXT NOT NULL,
    include_resources JSONB,
    shared_secret TEXT NOT NULL,
    disabled_at TIMESTAMPTZ(3),
    circuit_state TEXT NOT NULL DEFAULT 'closed',
    circuit_failure_count INTEGER NOT NULL DEFAULT 0,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX ix_webhooks_topic ON webhooks (topic);
CREATE INDEX ix_webhooks_created_at ON webhooks (created_at);
CREATE TABLE events (
    id VARCHAR(32) PRIMARY KEY,
    name TEXT NOT NULL,
    reference TEXT,
    reference_origin TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE UNIQUE INDEX ux_events_name ON events (name);
CREATE TABLE webhook_deliveries (
    id VARCHAR(32) PRIMARY KEY,
    webhook_id VARCHAR(32) NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id VARCHAR(32) REFERENCES events(id) ON DELETE SET NULL,
    topic TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    manual BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX ix_webhook_deliveries_webhook_id ON webhook_deliveries (webhook_id);
CREATE INDEX ix_webhook_deliveries_topic_created_at ON webhook_deliveries (topic, created_at);
CREATE TABLE event_callbacks (
    id VARCHAR(32) PRIMARY KEY,
    webhook_id VARCHAR(32) NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id VARCHAR(32) REFERENCES events(id) ON DELETE SET NULL,
    delivery_id VARCHAR(32) REFERENCES webhook_deliveries(id) ON DELETE SET NULL,
    callback_url TEXT NOT NULL,
    payload JSONB,
    response_code TEXT,
    response_message TEXT,
    created_at TIMESTAMPTZ(3) NOT NULL,
    updated_at TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX ix_event_callbacks_webhook_id_created_at ON event_callbacks (webhook_id, created_at);
CREATE INDEX ix_event_callbacks_event_id_created_at ON event_callbacks (event_id, created_at);
CREATE INDEX ix_event_callbacks_delivery_id ON event_callbacks (delivery_id);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'orders.create', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'orders.place', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'orders.approve', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'orders.cancel', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'orders.authorize', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'orders.void', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'orders.pay', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'orders.refund', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'orders.destroy', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'authorizations.create', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'captures.create', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'voids.create', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'refunds.create', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'customers.create', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'checkout_sessions.create', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'checkout_sessions.complete', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'checkout_sessions.fail', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'checkout_sessions.expire', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO events (id, name, created_at, updated_at) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 10), 'checkout_sessions.cancel', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

-- +goose Down
DROP TABLE event_callbacks;
DROP TABLE webhook_deliveries;
DROP TABLE events;
DROP TABLE webhooks;
