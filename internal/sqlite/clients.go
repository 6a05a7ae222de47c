package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mintauth/mint/internal/mint"
)

const clientColumns = `id, name, jwks, introspect_all, tokens_revoked_before,
	tokens_per_hour, tokens_per_day, created_at, updated_at, policy, metadata, token_binding, tls_auth_kind, tls_auth_value`

const selectClient = `SELECT ` + clientColumns + ` FROM clients`

func scanClient(row rowScanner) (mint.Client, error) {
	var (
		c                    mint.Client
		revokedBefore        sql.NullInt64
		perHour, perDay      sql.NullInt64
		createdAt, updatedAt int64
		metadata             sql.NullString
	)
	err := row.Scan(&c.ID, &c.Name, &c.JWKS, &c.IntrospectAll, &revokedBefore, &perHour, &perDay, &createdAt, &updatedAt,
		&c.Policy, &metadata, &c.TokenBinding, &c.TLSAuth.Kind, &c.TLSAuth.Value)
	if err != nil {
		return mint.Client{}, err
	}
	if c.Metadata, err = decodeMetadata(metadata); err != nil {
		return mint.Client{}, err
	}
	c.TokensRevokedBefore = fromNullMillis(revokedBefore)
	c.TokensPerHour, c.TokensPerDay = fromNullInt(perHour), fromNullInt(perDay)
	c.CreatedAt, c.UpdatedAt = fromMillis(createdAt), fromMillis(updatedAt)
	return c, nil
}

// nullBytes stores an empty JWK Set as NULL: the client has none.
func nullBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateClient stores a new client with its first secret, whose ClientID is
// taken from client. ErrConflict: the client ID (or the secret ID) is taken.
func (s *Store) CreateClient(ctx context.Context, client mint.Client, secret mint.Secret) error {
	ctx, published := s.changing(ctx, tableClients, client.ID)
	defer published()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var reused bool
		err := tx.QueryRowContext(ctx,
			`SELECT EXISTS (SELECT 1 FROM deleted_client_ids WHERE id = ?)`, client.ID).Scan(&reused)
		if err != nil {
			return failed("sqlite: create client %q: %w", client.ID, err)
		}
		if reused {
			client = client.ReusingID()
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO clients (id, name, jwks, introspect_all, tokens_revoked_before, tokens_per_hour, tokens_per_day,
			        created_at, updated_at, token_binding, tls_auth_kind, tls_auth_value)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			client.ID, client.Name, nullBytes(client.JWKS), client.IntrospectAll,
			nullMillis(client.TokensRevokedBefore), nullInt(client.TokensPerHour), nullInt(client.TokensPerDay),
			millis(client.CreatedAt), millis(client.UpdatedAt), client.TokenBinding, client.TLSAuth.Kind, client.TLSAuth.Value)
		if isUniqueViolation(err) {
			return fmt.Errorf("client %q: %w", client.ID, mint.ErrConflict)
		}
		if err == nil {
			err = setClientPolicy(ctx, tx, client, true)
		}
		if err != nil {
			return failed("sqlite: create client %q: %w", client.ID, err)
		}
		secret.ClientID = client.ID
		return insertSecret(ctx, tx, secret)
	})
}

// GetClient returns the client with the given ID. ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (mint.Client, error) {
	c, err := one(s.read.QueryRowContext(ctx, selectClient+` WHERE id = ?`, id), scanClient, "get", fmt.Sprintf("client %q", id))
	if err != nil {
		return mint.Client{}, err
	}
	return c, nil
}

// UpdateClient applies update to the client in one transaction. ErrNotFound.
// The ID and creation time are kept whatever update returns.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(mint.Client) (mint.Client, error)) (mint.Client, error) {
	ctx, published := s.changing(ctx, tableClientsUpdate, id)
	defer published()
	var out mint.Client
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanClient(tx.QueryRowContext(ctx, selectClient+` WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("client %q: %w", id, mint.ErrNotFound)
		}
		if err != nil {
			return failed("sqlite: update client %q: %w", id, err)
		}
		c, err := update(old)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE clients SET name = ?, jwks = ?, introspect_all = ?, tokens_revoked_before = ?,
			        tokens_per_hour = ?, tokens_per_day = ?, updated_at = ?, token_binding = ?,
			        tls_auth_kind = ?, tls_auth_value = ?
			  WHERE id = ?`,
			c.Name, nullBytes(c.JWKS), c.IntrospectAll, nullMillis(c.TokensRevokedBefore),
			nullInt(c.TokensPerHour), nullInt(c.TokensPerDay), millis(c.UpdatedAt), c.TokenBinding, c.TLSAuth.Kind, c.TLSAuth.Value, id)
		if err == nil {
			c.ID = id
			err = setClientPolicy(ctx, tx, c, false)
		}
		if err != nil {
			return failed("sqlite: update client %q: %w", id, err)
		}
		out, err = scanClient(tx.QueryRowContext(ctx, selectClient+` WHERE id = ?`, id))
		if err != nil {
			return failed("sqlite: update client %q: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return mint.Client{}, err
	}
	return out, nil
}

// DeleteClient deletes the client and, by cascade, its secrets and grants,
// and remembers its ID in deleted_client_ids, in one transaction.
// ErrNotFound.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	ctx, published := s.changing(ctx, tableClients, id)
	defer published()
	notFound := fmt.Errorf("client %q: %w", id, mint.ErrNotFound)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, notFound, `DELETE FROM clients WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO deleted_client_ids (id) VALUES (?) ON CONFLICT (id) DO NOTHING`, id)
		return err
	})
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return failed("sqlite: delete client %q: %w", id, err)
	}
	return err
}
