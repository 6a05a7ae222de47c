-- Issue 13: a revocation survives the re-creation of the same client ID.
--
-- Deleting a client used to forget it entirely, so a client created later
-- with the same ID (the bootstrap admin client after a restart with the same
-- MINT_BOOTSTRAP_CLIENT_ID) made the old client's tokens live again. Every
-- deleted ID is remembered here, and a client created with one starts with
-- tokens_revoked_before at its creation time. The rows are never deleted:
-- one short row per deleted client, written only by an admin.
--
-- The IDs deleted before this migration are found where they left a trace:
-- the audit log's deletions and the revoked tokens. A client that already
-- came back under such an ID gets the same floor now.

-- +goose Up
CREATE TABLE deleted_client_ids (
    id TEXT NOT NULL PRIMARY KEY
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO deleted_client_ids (id)
    SELECT client_id FROM audit_log WHERE kind = 'admin.clients.delete' AND client_id <> '';
INSERT OR IGNORE INTO deleted_client_ids (id)
    SELECT client_id FROM revoked_tokens WHERE client_id NOT IN (SELECT id FROM clients);

UPDATE clients SET tokens_revoked_before = max(coalesce(tokens_revoked_before, 0), created_at)
 WHERE id IN (SELECT id FROM deleted_client_ids);

-- +goose Down
DROP TABLE deleted_client_ids;
