-- Update notifications that say they are updates (issue 16, session 6).
-- Migration 00009's payload names the clients whose rows changed but not
-- how, so every replica's cache dropped a renamed client's secrets and
-- grants with its row (a client's deletion takes them with it) and read
-- all three again; and an API's change, told as "schema.apis", emptied
-- every client's grants (an API's deletion deletes its grants), a re-read
-- of every active client's grant for a renamed API.
--
-- An UPDATE of clients or apis now notifies with "op": "update":
--
--   {"schema": "...", "table": "clients", "op": "update", "keys": ["client-a", ...]}
--   {"schema": "...", "table": "apis", "op": "update"}
--
-- An update changes those rows only: a change to a client's secrets or
-- grants is a statement on those tables, told of by their own triggers,
-- and an UPDATE of apis changes no grant (grants point at an API's
-- audience, which mint never changes and the foreign key keeps while a
-- grant names it). Inserts, deletes and
-- TRUNCATE keep 00009's and 00003's payloads. Readers that do not know
-- "op" (older mints) read these as before.

-- +goose Up
-- +goose StatementBegin
-- mint_notify_update notifies an UPDATE statement's keys (column
-- TG_ARGV[0], or none when TG_ARGV is empty) with "op": "update"; over 100
-- keys, or a payload over 7900 bytes, is sent without keys.
CREATE FUNCTION mint_notify_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    keys text[];
    payload text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL; -- the statement updated no row
    END IF;
    IF TG_NARGS > 0 THEN
        EXECUTE format('SELECT array_agg(DISTINCT k) FROM (SELECT %1$I::text AS k FROM old_rows UNION SELECT %1$I::text FROM new_rows) AS u', TG_ARGV[0])
            INTO keys;
    END IF;
    payload := json_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'op', 'update', 'keys', keys)::text;
    IF keys IS NULL OR cardinality(keys) > 100 OR octet_length(payload) > 7900 THEN
        payload := json_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'op', 'update')::text;
    END IF;
    PERFORM pg_notify('mint_changes', payload);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

DROP TRIGGER clients_notify_update ON clients;
CREATE TRIGGER clients_notify_update AFTER UPDATE ON clients
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_update('id');

DROP TRIGGER apis_notify_change ON apis;
CREATE TRIGGER apis_notify_change
    AFTER INSERT OR DELETE OR TRUNCATE ON apis
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();
CREATE TRIGGER apis_notify_update AFTER UPDATE ON apis
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_update();

-- +goose Down
DROP TRIGGER apis_notify_update ON apis;
DROP TRIGGER apis_notify_change ON apis;
CREATE TRIGGER apis_notify_change
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON apis
    FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_change();

DROP TRIGGER clients_notify_update ON clients;
CREATE TRIGGER clients_notify_update AFTER UPDATE ON clients
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mint_notify_statement('id');

DROP FUNCTION mint_notify_update();
