-- Federated credentials (issue 18): trust rules under which a JWT from an
-- external issuer authenticates a client. claims is a JSON object of claim
-- name to exact value or pattern; max_age_ms 0 means no bound beyond exp.
-- The (issuer, subject) index serves token requests that name no client.

-- +goose Up
CREATE TABLE federated_credentials (
    id         TEXT    NOT NULL PRIMARY KEY,
    client_id  TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    issuer     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    audience   TEXT    NOT NULL,
    claims     TEXT    NOT NULL,
    max_age_ms INTEGER NOT NULL,
    jwks_uri   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX federated_credentials_client ON federated_credentials (client_id, created_at);
CREATE INDEX federated_credentials_issuer_subject ON federated_credentials (issuer, subject, created_at);

-- +goose Down
DROP TABLE federated_credentials;
