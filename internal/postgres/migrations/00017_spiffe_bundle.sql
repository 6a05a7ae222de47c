-- SPIFFE trust rules (issue 18) may hold their trust domain's bundle, a
-- JWK Set (SPIFFE Trust Domain and Bundle §4), instead of fetching it from
-- a bundle endpoint. Empty for every other rule.

-- +goose Up
ALTER TABLE federated_credentials ADD COLUMN bundle text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE federated_credentials DROP COLUMN bundle;
