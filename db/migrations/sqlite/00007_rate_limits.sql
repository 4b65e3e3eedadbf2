-- +goose Up
-- Fixed-window request counters shared by every instance on the database
-- (the token endpoint's limits: per IP, per client and username).
CREATE TABLE rate_limit_counters (
    counter_key VARCHAR(64) PRIMARY KEY,
    window_start DATETIME NOT NULL,
    hits INTEGER NOT NULL
);
CREATE INDEX ix_rate_limit_counters_window_start ON rate_limit_counters (window_start);

-- +goose Down
DROP TABLE rate_limit_counters;
