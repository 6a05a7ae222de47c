-- Issuance policies (package policy): an API's and a client's CEL
-- expression, '' for none, and a client's metadata as a JSON object of
-- strings, NULL for none.

-- +goose Up
ALTER TABLE apis ADD COLUMN policy TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN policy TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN metadata TEXT;

-- +goose Down
ALTER TABLE clients DROP COLUMN metadata;
ALTER TABLE clients DROP COLUMN policy;
ALTER TABLE apis DROP COLUMN policy;
