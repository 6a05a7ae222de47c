-- Issue 16: every documented audit filter is answered from an index.
--
-- A kind prefix ("admin.") is read as the range prefix ≤ kind < prefix with
-- its final "." raised to "/", on audit_log_kind. That range holds only in
-- bytewise order, so the index and the queries use the "C" collation,
-- whatever the database's own; an index in another collation cannot answer
-- them. Kinds are ASCII, so equality is the same in either. The upgrade
-- rebuilds the index once: on a large log it takes a while.

-- +goose Up
DROP INDEX audit_log_kind;
CREATE INDEX audit_log_kind ON audit_log (kind COLLATE "C", seq);

-- +goose Down
DROP INDEX audit_log_kind;
CREATE INDEX audit_log_kind ON audit_log (kind, seq);
