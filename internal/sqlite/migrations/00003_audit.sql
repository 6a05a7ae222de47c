-- Issue 8: the audit log, a hash chain of records (see package audit), and
-- each API's choice of which token issuances it records.
--
-- Times here are Unix microseconds in UTC, the precision a record's hash
-- covers. details is the JSON text exactly as hashed.

-- +goose Up
ALTER TABLE apis ADD COLUMN audit_issuance TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_log (
    seq       INTEGER NOT NULL PRIMARY KEY,
    time_us   INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    client_id TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    details   TEXT    NOT NULL,
    prev_hash BLOB    NOT NULL,
    hash      BLOB    NOT NULL
) STRICT;

CREATE INDEX audit_log_time ON audit_log (time_us);
CREATE INDEX audit_log_kind ON audit_log (kind, seq);
CREATE INDEX audit_log_client_id ON audit_log (client_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);

-- One row: the head of the chain (the last record appended) and its anchor
-- (the last record pruned; seq 0 and a zero hash when none was).
CREATE TABLE audit_chain (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    head_seq    INTEGER NOT NULL,
    head_hash   BLOB    NOT NULL,
    anchor_seq  INTEGER NOT NULL,
    anchor_hash BLOB    NOT NULL,
    pruned_at   INTEGER
) STRICT;

INSERT INTO audit_chain (id, head_seq, head_hash, anchor_seq, anchor_hash)
    VALUES (1, 0, zeroblob(32), 0, zeroblob(32));

-- +goose Down
DROP TABLE audit_chain;
DROP TABLE audit_log;
ALTER TABLE apis DROP COLUMN audit_issuance;
