-- Issue 5: per-API signing algorithms, private_key_jwt clients, staged key
-- rotation, token revocation (RFC 7009) and assertion replay protection
-- (RFC 7523 §3).
--
-- Times are timestamptz written to the millisecond, NULL for the zero time,
-- as in 00001.

-- +goose Up
ALTER TABLE apis ADD COLUMN signing_alg text NOT NULL DEFAULT '';

ALTER TABLE clients
    ADD COLUMN jwks                  bytea,
    ADD COLUMN introspect_all        boolean NOT NULL DEFAULT false,
    ADD COLUMN tokens_revoked_before timestamptz;

ALTER TABLE signing_keys
    ADD COLUMN activate_at timestamptz,
    ADD COLUMN retired_at  timestamptz,
    ADD COLUMN remove_at   timestamptz,
    DROP CONSTRAINT signing_keys_state_check,
    ADD CONSTRAINT signing_keys_state_check CHECK (state IN ('next', 'active', 'retired'));

-- signing_keys_one_active, the partial unique index of 00001, stays: at
-- most one active key per algorithm.

-- Revoked access tokens, by "jti", until they expire. No foreign key: a
-- revocation outlives the client it was issued to.
CREATE TABLE revoked_tokens (
    id         text        NOT NULL PRIMARY KEY,
    client_id  text        NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

-- The "jti" of every client assertion seen, per client, until it expires.
CREATE TABLE used_assertions (
    client_id  text        NOT NULL,
    id         text        NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (client_id, id)
);

CREATE INDEX used_assertions_expires_at ON used_assertions (expires_at);

-- +goose Down
DROP TABLE used_assertions;
DROP TABLE revoked_tokens;

-- Keys in state 'next' cannot go back: 00001 does not know them.
DELETE FROM signing_keys WHERE state = 'next';
ALTER TABLE signing_keys
    DROP CONSTRAINT signing_keys_state_check,
    ADD CONSTRAINT signing_keys_state_check CHECK (state IN ('active', 'retired')),
    DROP COLUMN remove_at,
    DROP COLUMN retired_at,
    DROP COLUMN activate_at;

ALTER TABLE clients
    DROP COLUMN tokens_revoked_before,
    DROP COLUMN introspect_all,
    DROP COLUMN jwks;

ALTER TABLE apis DROP COLUMN signing_alg;
