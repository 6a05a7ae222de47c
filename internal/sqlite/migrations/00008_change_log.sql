-- The change log: every write that changes what the store cache holds
-- appends a row here in its own transaction, so that other processes
-- sharing the file (`mint apply`, `mint import clients`, a second
-- `mint serve`) hear it by polling `WHERE seq > ?` (see changes.go).
-- writer is a random ID per opened Store, so a watcher skips its own rows,
-- already told in process. keys is a JSON array of client IDs, or NULL:
-- anything in the table may have changed. AUTOINCREMENT keeps seq from
-- ever being reused once old rows are pruned, and makes seqs of committed
-- rows consecutive, so a watcher that finds a hole knows it missed rows.

-- +goose Up
CREATE TABLE change_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    writer     TEXT    NOT NULL,
    table_name TEXT    NOT NULL,
    keys       TEXT,
    written_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE change_log;
