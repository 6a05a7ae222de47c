-- Issue 15, the audit writer's cost: the clients of the newest blocks go
-- into audit_block_client later, together, once those blocks hold
-- audit.IndexLag records (package audit, blocklist.go): indexed one block
-- at a time, a batch from 10,000 clients dirtied a page of that index per
-- client. block_index_seq is the last seq of the last block in the side
-- index; a query by client reads the blocks after it whole and filters
-- them. Every block of an existing database is in the side index already.

-- +goose Up
ALTER TABLE audit_chain ADD COLUMN block_index_seq INTEGER NOT NULL DEFAULT 0;
UPDATE audit_chain SET block_index_seq = (SELECT coalesce(max(last_seq), 0) FROM audit_block);

-- +goose Down
-- An older mint finds every block by client on audit_block_client: the
-- blocks after block_index_seq (at most about audit.IndexLag records) are
-- then not found by client, though they are listed and verified.
ALTER TABLE audit_chain DROP COLUMN block_index_seq;
