-- Issue 7: per-client token quotas, per-API token reuse, the counts of
-- tokens issued per client and window that every replica adds to, and a
-- change notification for revoked tokens, so that each replica's reuse
-- cache (package ratelimit) drops a revoked token at once.
--
-- tokens_per_hour and tokens_per_day: NULL takes the server's default, 0 is
-- no cap. token_counts sends no notifications: replicas read the totals
-- back when they add to them.

-- +goose Up
ALTER TABLE clients
    ADD COLUMN tokens_per_hour bigint,
    ADD COLUMN tokens_per_day  bigint;

ALTER TABLE apis ADD COLUMN token_reuse boolean NOT NULL DEFAULT false;

CREATE TABLE token_counts (
    client_id text        NOT NULL,
    period    text        NOT NULL,
    start     timestamptz NOT NULL,
    count     bigint      NOT NULL,
    PRIMARY KEY (client_id, period, start)
);

CREATE INDEX token_counts_start ON token_counts (start);

CREATE TRIGGER revoked_tokens_notify_change
    AFTER INSERT ON revoked_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

-- +goose Down
DROP TRIGGER revoked_tokens_notify_change ON revoked_tokens;
DROP TABLE token_counts;
ALTER TABLE apis DROP COLUMN token_reuse;
ALTER TABLE clients
    DROP COLUMN tokens_per_day,
    DROP COLUMN tokens_per_hour;
