-- Issue 5: per-API signing algorithms, private_key_jwt clients, staged key
-- rotation, token revocation (RFC 7009) and assertion replay protection
-- (RFC 7523 §3).
--
-- Times are Unix milliseconds in UTC, NULL for the zero time, as in 00001.

-- +goose Up
ALTER TABLE apis ADD COLUMN signing_alg TEXT NOT NULL DEFAULT '';

ALTER TABLE clients ADD COLUMN jwks BLOB;
ALTER TABLE clients ADD COLUMN introspect_all INTEGER NOT NULL DEFAULT 0
    CHECK (introspect_all IN (0, 1));
ALTER TABLE clients ADD COLUMN tokens_revoked_before INTEGER;

-- SQLite cannot change a CHECK constraint in place: rebuild signing_keys,
-- copying the rows in rowid order so that ties on created_at still list in
-- insertion order.
CREATE TABLE signing_keys_2 (
    id          TEXT    NOT NULL PRIMARY KEY,
    algorithm   TEXT    NOT NULL,
    private_key BLOB    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    created_at  INTEGER NOT NULL,
    activate_at INTEGER,
    retired_at  INTEGER,
    remove_at   INTEGER
) STRICT;

INSERT INTO signing_keys_2 (id, algorithm, private_key, state, created_at)
    SELECT id, algorithm, private_key, state, created_at FROM signing_keys ORDER BY rowid;

DROP TABLE signing_keys;
ALTER TABLE signing_keys_2 RENAME TO signing_keys;

-- At most one active key per algorithm, whatever the callers race to do.
CREATE UNIQUE INDEX signing_keys_one_active
    ON signing_keys (algorithm) WHERE state = 'active';

-- Revoked access tokens, by "jti", until they expire. No foreign key: a
-- revocation outlives the client it was issued to.
CREATE TABLE revoked_tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    client_id  TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

-- The "jti" of every client assertion seen, per client, until it expires.
CREATE TABLE used_assertions (
    client_id  TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, id)
) STRICT;

CREATE INDEX used_assertions_expires_at ON used_assertions (expires_at);

-- +goose Down
DROP TABLE used_assertions;
DROP TABLE revoked_tokens;

-- Keys in state 'next' cannot go back: 00001 does not know them.
CREATE TABLE signing_keys_1 (
    id          TEXT    NOT NULL PRIMARY KEY,
    algorithm   TEXT    NOT NULL,
    private_key BLOB    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('active', 'retired')),
    created_at  INTEGER NOT NULL
) STRICT;

INSERT INTO signing_keys_1 (id, algorithm, private_key, state, created_at)
    SELECT id, algorithm, private_key, state, created_at FROM signing_keys
     WHERE state <> 'next' ORDER BY rowid;

DROP TABLE signing_keys;
ALTER TABLE signing_keys_1 RENAME TO signing_keys;

CREATE UNIQUE INDEX signing_keys_one_active
    ON signing_keys (algorithm) WHERE state = 'active';

ALTER TABLE clients DROP COLUMN tokens_revoked_before;
ALTER TABLE clients DROP COLUMN introspect_all;
ALTER TABLE clients DROP COLUMN jwks;

ALTER TABLE apis DROP COLUMN signing_alg;
