-- The first schema of mint's PostgreSQL store. It is created in the current
-- schema (the first existing one on the search_path), so one database can
-- hold several independent mint stores side by side.
--
-- Times are timestamptz, written truncated to the millisecond; NULL means
-- the zero time.Time. Scopes are text arrays, in the order the caller gave
-- them. Lists order by created_at, then seq (insertion order) to break ties.

-- +goose Up
CREATE TABLE apis (
    seq               bigint      GENERATED ALWAYS AS IDENTITY,
    id                text        NOT NULL PRIMARY KEY,
    name              text        NOT NULL,
    audience          text        NOT NULL UNIQUE,
    scopes            text[]      NOT NULL,
    token_lifetime_ns bigint      NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE clients (
    seq        bigint      GENERATED ALWAYS AS IDENTITY,
    id         text        NOT NULL PRIMARY KEY,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE secrets (
    seq          bigint      GENERATED ALWAYS AS IDENTITY,
    id           text        NOT NULL PRIMARY KEY,
    client_id    text        NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    digest       bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz
);

CREATE INDEX secrets_client_id ON secrets (client_id);

-- A grant names its API by audience, which never changes, so the foreign key
-- can point at apis.audience and deleting the API deletes its grants.
CREATE TABLE grants (
    seq        bigint      GENERATED ALWAYS AS IDENTITY,
    id         text        NOT NULL PRIMARY KEY,
    client_id  text        NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    audience   text        NOT NULL REFERENCES apis (audience) ON DELETE CASCADE,
    scopes     text[]      NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (client_id, audience)
);

CREATE INDEX grants_audience ON grants (audience);

CREATE TABLE signing_keys (
    seq         bigint      GENERATED ALWAYS AS IDENTITY,
    id          text        NOT NULL PRIMARY KEY,
    algorithm   text        NOT NULL,
    private_key bytea       NOT NULL,
    state       text        NOT NULL CHECK (state IN ('active', 'retired')),
    created_at  timestamptz NOT NULL
);

-- At most one active key per algorithm, whatever the replicas race to do.
CREATE UNIQUE INDEX signing_keys_one_active
    ON signing_keys (algorithm) WHERE state = 'active';

-- +goose Down
DROP TABLE signing_keys;
DROP TABLE grants;
DROP TABLE secrets;
DROP TABLE clients;
DROP TABLE apis;
