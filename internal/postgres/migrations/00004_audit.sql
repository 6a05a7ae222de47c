-- Issue 8: the audit log, a hash chain of records (see package audit), and
-- each API's choice of which token issuances it records.
--
-- Times are timestamptz, which keeps the microseconds a record's hash
-- covers. details is the JSON text exactly as hashed (text, not jsonb,
-- which would reformat it). Appends lock the audit_chain row, so replicas
-- append one after the other and the chain stays linear. The audit tables
-- send no change notifications: no cache reads them.

-- +goose Up
ALTER TABLE apis ADD COLUMN audit_issuance text NOT NULL DEFAULT '';

CREATE TABLE audit_log (
    seq       bigint      NOT NULL PRIMARY KEY,
    time      timestamptz NOT NULL,
    kind      text        NOT NULL,
    actor     text        NOT NULL,
    client_id text        NOT NULL,
    subject   text        NOT NULL,
    source    text        NOT NULL,
    details   text        NOT NULL,
    prev_hash bytea       NOT NULL,
    hash      bytea       NOT NULL
);

CREATE INDEX audit_log_time ON audit_log (time);
CREATE INDEX audit_log_kind ON audit_log (kind, seq);
CREATE INDEX audit_log_client_id ON audit_log (client_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);

-- One row: the head of the chain (the last record appended) and its anchor
-- (the last record pruned; seq 0 and a zero hash when none was).
CREATE TABLE audit_chain (
    id          integer     NOT NULL PRIMARY KEY CHECK (id = 1),
    head_seq    bigint      NOT NULL,
    head_hash   bytea       NOT NULL,
    anchor_seq  bigint      NOT NULL,
    anchor_hash bytea       NOT NULL,
    pruned_at   timestamptz
);

INSERT INTO audit_chain (id, head_seq, head_hash, anchor_seq, anchor_hash)
    VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea,
            0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);

-- +goose Down
DROP TABLE audit_chain;
DROP TABLE audit_log;
ALTER TABLE apis DROP COLUMN audit_issuance;
