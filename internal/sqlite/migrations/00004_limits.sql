-- Issue 7: per-client token quotas, per-API token reuse, and the counts of
-- tokens issued per client and window that the quotas are checked against.
--
-- tokens_per_hour and tokens_per_day: NULL takes the server's default, 0 is
-- no cap. A window's start is Unix milliseconds in UTC, as elsewhere.

-- +goose Up
ALTER TABLE clients ADD COLUMN tokens_per_hour INTEGER;
ALTER TABLE clients ADD COLUMN tokens_per_day INTEGER;
ALTER TABLE apis ADD COLUMN token_reuse INTEGER NOT NULL DEFAULT 0;

CREATE TABLE token_counts (
    client_id TEXT    NOT NULL,
    period    TEXT    NOT NULL,
    start     INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (client_id, period, start)
);

CREATE INDEX token_counts_start ON token_counts (start);

-- +goose Down
DROP TABLE token_counts;
ALTER TABLE apis DROP COLUMN token_reuse;
ALTER TABLE clients DROP COLUMN tokens_per_day;
ALTER TABLE clients DROP COLUMN tokens_per_hour;
