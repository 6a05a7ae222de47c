-- Issue 19: sender-constrained tokens. The token binding policy of each
-- API and client: '' (bearer, or bound when the request sends a DPoP
-- proof or a TLS client certificate), 'dpop' (DPoP-bound only) or 'mtls'
-- (certificate-bound only). See mint.TokenBindings.

-- +goose Up
ALTER TABLE apis ADD COLUMN token_binding TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN token_binding TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE clients DROP COLUMN token_binding;
ALTER TABLE apis DROP COLUMN token_binding;
