-- Issue 15: token issuances are stored one batch to a row (package audit,
-- block.go). A batch of the audit appender's token.issued records is one
-- audit_block row: its first and last seq, its time range, the first
-- record's prev_hash and a payload holding every record's fields and hash.
-- Every record keeps its seq and its link in the chain; the payload is what
-- the hashes cover, the other columns are read aids.
--
-- audit_block_client is the side index of a query by client: one row per
-- distinct client (or actor) of a block, not one per record.
-- Records written before this migration stay in audit_log and verify as
-- they did: a log may hold both.

-- +goose Up
CREATE TABLE audit_block (
    first_seq INTEGER NOT NULL PRIMARY KEY,
    last_seq  INTEGER NOT NULL,
    time_min  INTEGER NOT NULL,
    time_max  INTEGER NOT NULL,
    prev_hash BLOB    NOT NULL,
    payload   BLOB    NOT NULL
) STRICT;

CREATE INDEX audit_block_time ON audit_block (time_max);

CREATE TABLE audit_block_client (
    client_id TEXT    NOT NULL,
    first_seq INTEGER NOT NULL,
    PRIMARY KEY (client_id, first_seq)
) STRICT, WITHOUT ROWID;

-- +goose Down
-- Going down drops the blocks and the records in them: verification then
-- reports them missing (the chain head still names the last one).
DROP TABLE audit_block_client;
DROP TABLE audit_block;
