-- The first schema of mint's SQLite store.
--
-- Times are Unix milliseconds in UTC; NULL means the zero time.Time.
-- Scopes are JSON arrays of strings, in the order the caller gave them.
-- Lists order by created_at, then rowid (insertion order) to break ties.

-- +goose Up
CREATE TABLE apis (
    id                TEXT    NOT NULL PRIMARY KEY,
    name              TEXT    NOT NULL,
    audience          TEXT    NOT NULL UNIQUE,
    scopes            TEXT    NOT NULL,
    token_lifetime_ns INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;

CREATE TABLE clients (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE secrets (
    id           TEXT    NOT NULL PRIMARY KEY,
    client_id    TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    digest       BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER
) STRICT;

CREATE INDEX secrets_client_id ON secrets (client_id);

-- A grant names its API by audience, which never changes, so the foreign key
-- can point at apis.audience and deleting the API deletes its grants.
CREATE TABLE grants (
    id         TEXT    NOT NULL PRIMARY KEY,
    client_id  TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    audience   TEXT    NOT NULL REFERENCES apis (audience) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (client_id, audience)
) STRICT;

CREATE INDEX grants_audience ON grants (audience);

CREATE TABLE signing_keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    algorithm   TEXT    NOT NULL,
    private_key BLOB    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('active', 'retired')),
    created_at  INTEGER NOT NULL
) STRICT;

-- At most one active key per algorithm, whatever the callers race to do.
CREATE UNIQUE INDEX signing_keys_one_active
    ON signing_keys (algorithm) WHERE state = 'active';

-- +goose Down
DROP TABLE signing_keys;
DROP TABLE grants;
DROP TABLE secrets;
DROP TABLE clients;
DROP TABLE apis;
