-- Change notifications for replicas' caches (issue 4): every statement that
-- may change what the token endpoint reads — an API, a client, a secret, a
-- grant — or a signing key sends, when its transaction commits, a
-- notification on channel mint_changes whose payload is "schema.table".
-- Store.WatchChanges LISTENs for them. Notifications are per database, so
-- the payload names the schema: stores in other schemas ignore it.
--
-- The triggers are per statement, not per row: one notification per
-- statement at most, and PostgreSQL folds equal notifications of one
-- transaction into one. Recording a secret's use (an UPDATE of
-- last_used_at only) sends none.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION mint_notify_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mint_changes', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER apis_notify_change
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON apis
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

CREATE TRIGGER clients_notify_change
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

CREATE TRIGGER secrets_notify_change
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF id, client_id, digest, created_at, expires_at ON secrets
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

CREATE TRIGGER grants_notify_change
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

CREATE TRIGGER signing_keys_notify_change
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

-- +goose Down
DROP TRIGGER signing_keys_notify_change ON signing_keys;
DROP TRIGGER grants_notify_change ON grants;
DROP TRIGGER secrets_notify_change ON secrets;
DROP TRIGGER clients_notify_change ON clients;
DROP TRIGGER apis_notify_change ON apis;
DROP FUNCTION mint_notify_change();
