-- Change notifications that name what changed (issue 16): migration 00003's
-- notifications name a table, and every replica's cache dropped everything
-- read from it on each admin write. Writes to clients, secrets and grants
-- now notify, on channel mint_changes, a JSON payload naming the clients
-- whose rows changed:
--
--   {"schema": "...", "table": "clients", "keys": ["client-a", ...]}
--
-- keyed by clients.id, secrets.client_id and grants.client_id. A statement
-- touching more than 100 clients (a bulk import, an API's deletion
-- cascading to its grants) or whose keys would not fit in a payload
-- (PostgreSQL's limit is 8000 bytes) sends the payload without "keys":
-- anything in the table may have changed. TRUNCATE sends 00003's
-- "schema.table", as APIs and signing keys still do.
--
-- Inserts and deletes use statement triggers with transition tables: one
-- notification per statement. Updates of secrets are row triggers on the
-- columns a cache reads, so that recording a secret's use (last_used_at
-- alone, on the token path) costs no trigger at all.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION mint_notify_keys(schema_name text, table_name text, keys text[]) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    payload text;
BEGIN
    IF keys IS NULL OR cardinality(keys) = 0 THEN
        RETURN;
    END IF;
    payload := json_build_object('schema', schema_name, 'table', table_name, 'keys', keys)::text;
    IF cardinality(keys) > 100 OR octet_length(payload) > 7900 THEN
        payload := json_build_object('schema', schema_name, 'table', table_name)::text;
    END IF;
    PERFORM pg_notify('mint_changes', payload);
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- mint_notify_statement notifies the keys (column TG_ARGV[0]) of the rows a
-- statement inserted, updated or deleted, read from its transition tables.
CREATE FUNCTION mint_notify_statement() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    old_keys text[];
    new_keys text[];
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I::text) FROM old_rows', TG_ARGV[0]) INTO old_keys;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I::text) FROM new_rows', TG_ARGV[0]) INTO new_keys;
    END IF;
    -- Qualified: a writer's search_path need not name this schema.
    EXECUTE format('SELECT %I.mint_notify_keys($1, $2, $3)', TG_TABLE_SCHEMA)
        USING TG_TABLE_SCHEMA, TG_TABLE_NAME,
        ARRAY(SELECT DISTINCT k FROM unnest(coalesce(old_keys, '{}') || coalesce(new_keys, '{}')) AS k);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- mint_notify_secret_row notifies the client of one secret updated.
CREATE FUNCTION mint_notify_secret_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT %I.mint_notify_keys($1, $2, $3)', TG_TABLE_SCHEMA)
        USING TG_TABLE_SCHEMA, TG_TABLE_NAME, ARRAY(SELECT DISTINCT k FROM unnest(ARRAY[OLD.client_id, NEW.client_id]) AS k);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

DROP TRIGGER clients_notify_change ON clients;
DROP TRIGGER secrets_notify_change ON secrets;
DROP TRIGGER grants_notify_change ON grants;

CREATE TRIGGER clients_notify_insert AFTER INSERT ON clients
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('id');
CREATE TRIGGER clients_notify_update AFTER UPDATE ON clients
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('id');
CREATE TRIGGER clients_notify_delete AFTER DELETE ON clients
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('id');
CREATE TRIGGER clients_notify_truncate AFTER TRUNCATE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

CREATE TRIGGER secrets_notify_insert AFTER INSERT ON secrets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('client_id');
CREATE TRIGGER secrets_notify_update AFTER UPDATE OF id, client_id, digest, created_at, expires_at ON secrets
    FOR EACH ROW EXECUTE FUNCTION mint_notify_secret_row();
CREATE TRIGGER secrets_notify_delete AFTER DELETE ON secrets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('client_id');
CREATE TRIGGER secrets_notify_truncate AFTER TRUNCATE ON secrets
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

CREATE TRIGGER grants_notify_insert AFTER INSERT ON grants
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('client_id');
CREATE TRIGGER grants_notify_update AFTER UPDATE ON grants
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('client_id');
CREATE TRIGGER grants_notify_delete AFTER DELETE ON grants
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('client_id');
CREATE TRIGGER grants_notify_truncate AFTER TRUNCATE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

-- +goose Down
DROP TRIGGER grants_notify_truncate ON grants;
DROP TRIGGER grants_notify_delete ON grants;
DROP TRIGGER grants_notify_update ON grants;
DROP TRIGGER grants_notify_insert ON grants;
DROP TRIGGER secrets_notify_truncate ON secrets;
DROP TRIGGER secrets_notify_delete ON secrets;
DROP TRIGGER secrets_notify_update ON secrets;
DROP TRIGGER secrets_notify_insert ON secrets;
DROP TRIGGER clients_notify_truncate ON clients;
DROP TRIGGER clients_notify_delete ON clients;
DROP TRIGGER clients_notify_update ON clients;
DROP TRIGGER clients_notify_insert ON clients;

CREATE TRIGGER clients_notify_change
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();
CREATE TRIGGER secrets_notify_change
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF id, client_id, digest, created_at, expires_at ON secrets
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();
CREATE TRIGGER grants_notify_change
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

DROP FUNCTION mint_notify_secret_row();
DROP FUNCTION mint_notify_statement();
DROP FUNCTION mint_notify_keys(text, text, text[]);
