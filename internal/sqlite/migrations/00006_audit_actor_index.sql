-- Issue 15: the audit log keeps up with tens of thousands of tokens a second.
--
-- A token issuance is recorded with its client as both actor and client_id,
-- so the (actor, seq) index held a second copy of every issuance's
-- (client_id, seq) entry, inserted at one more scattered place per client:
-- half of what made a batch from many clients slow. The index now holds
-- only the records whose actor is not their client (admin changes); a query
-- by client finds the others through audit_log_client_id, and asks for
-- (client_id = X OR (actor = X AND actor <> client_id)), the same records.

-- +goose Up
DROP INDEX audit_log_actor;
CREATE INDEX audit_log_actor ON audit_log (actor, seq) WHERE actor <> client_id;

-- +goose Down
DROP INDEX audit_log_actor;
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
