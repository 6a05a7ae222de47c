-- Issue 19: RFC 8705 §2 client authentication with a TLS certificate.
-- tls_auth_kind is '' (none) or a registration parameter's name
-- (mint.TLSAuthKinds, or self_signed_tls_client_auth); tls_auth_value the
-- subject DN or SAN it names.

-- +goose Up
ALTER TABLE clients ADD COLUMN tls_auth_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN tls_auth_value TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE clients DROP COLUMN tls_auth_value;
ALTER TABLE clients DROP COLUMN tls_auth_kind;
