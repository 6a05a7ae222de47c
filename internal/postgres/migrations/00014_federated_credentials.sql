-- Federated credentials (issue 18): trust rules under which a JWT from an
-- external issuer authenticates a client. claims is a JSON object of claim
-- name to exact value or pattern; max_age_ms 0 means no bound beyond exp.
-- The (issuer, subject) index serves token requests that name no client.
-- Changes notify mint_changes keyed by client, as grants do (00009).

-- +goose Up
CREATE TABLE federated_credentials (
    seq        bigint      GENERATED ALWAYS AS IDENTITY,
    id         text        NOT NULL PRIMARY KEY,
    client_id  text        NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    issuer     text        NOT NULL,
    subject    text        NOT NULL,
    audience   text        NOT NULL,
    claims     jsonb       NOT NULL,
    max_age_ms bigint      NOT NULL,
    jwks_uri   text        NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE INDEX federated_credentials_client ON federated_credentials (client_id, created_at, seq);
CREATE INDEX federated_credentials_issuer_subject ON federated_credentials (issuer, subject, created_at, seq);

CREATE TRIGGER federated_credentials_notify_insert AFTER INSERT ON federated_credentials
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('client_id');
CREATE TRIGGER federated_credentials_notify_update AFTER UPDATE ON federated_credentials
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('client_id');
CREATE TRIGGER federated_credentials_notify_delete AFTER DELETE ON federated_credentials
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('client_id');
CREATE TRIGGER federated_credentials_notify_truncate AFTER TRUNCATE ON federated_credentials
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

-- +goose Down
DROP TABLE federated_credentials;
