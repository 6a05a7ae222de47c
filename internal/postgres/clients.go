package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
)

const clientColumns = `id, name, jwks, introspect_all, tokens_revoked_before, tokens_per_hour, tokens_per_day,
	created_at, updated_at, policy, metadata, token_binding, tls_auth_kind, tls_auth_value`

const selectClient = `SELECT ` + clientColumns + ` FROM clients`

func scanClient(row pgx.Row) (mint.Client, error) {
	var (
		c             mint.Client
		revokedBefore *time.Time
		metadata      *string
	)
	err := row.Scan(&c.ID, &c.Name, &c.JWKS, &c.IntrospectAll, &revokedBefore, &c.TokensPerHour, &c.TokensPerDay,
		&c.CreatedAt, &c.UpdatedAt, &c.Policy, &metadata, &c.TokenBinding, &c.TLSAuth.Kind, &c.TLSAuth.Value)
	if err != nil {
		return mint.Client{}, err
	}
	if c.Metadata, err = decodeMetadata(metadata); err != nil {
		return mint.Client{}, err
	}
	c.TokensRevokedBefore = fromNull(revokedBefore)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// nullBytes writes an empty JWK Set as NULL: the client has none.
func nullBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateClient stores a new client with its first secret, whose ClientID is
// taken from client. ErrConflict: the client ID (or the secret ID) is taken.
func (s *Store) CreateClient(ctx context.Context, client mint.Client, secret mint.Secret) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx,
			`INSERT INTO clients (id, name, jwks, introspect_all, tokens_revoked_before, tokens_per_hour, tokens_per_day,
			        created_at, updated_at, token_binding, tls_auth_kind, tls_auth_value)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			client.ID, client.Name, nullBytes(client.JWKS), client.IntrospectAll,
			nullMillis(client.TokensRevokedBefore), client.TokensPerHour, client.TokensPerDay,
			millis(client.CreatedAt), millis(client.UpdatedAt), client.TokenBinding, client.TLSAuth.Kind, client.TLSAuth.Value)
		if hasCode(err, uniqueViolation) {
			return fmt.Errorf("client %q: %w", client.ID, mint.ErrConflict)
		}
		if err != nil {
			return failed("postgres: create client %q: %w", client.ID, err)
		}
		if err := keepDeletedRevoked(ctx, tx, client); err != nil {
			return failed("postgres: create client %q: %w", client.ID, err)
		}
		if err := setClientPolicy(ctx, tx, client, true); err != nil {
			return failed("postgres: create client %q: %w", client.ID, err)
		}
		secret.ClientID = client.ID
		return insertSecret(ctx, tx, secret)
	})
}

// keepDeletedRevoked gives a client just inserted the floor of
// Client.ReusingID when its ID belonged to a deleted client. It looks after
// the insert, in a statement of its own: an insert that waited for a
// concurrent delete of the same ID to commit then sees that delete's row in
// deleted_client_ids, which a look before the insert would have missed.
func keepDeletedRevoked(ctx context.Context, tx pgx.Tx, client mint.Client) error {
	var reused bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deleted_client_ids WHERE id = $1)`, client.ID).Scan(&reused)
	if err != nil || !reused {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE clients SET tokens_revoked_before = $2 WHERE id = $1`,
		client.ID, nullMillis(client.ReusingID().TokensRevokedBefore))
	return err
}

// GetClient returns the client with the given ID. ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (mint.Client, error) {
	c, err := one(s.pool.QueryRow(ctx, selectClient+` WHERE id = $1`, id), scanClient, "get", fmt.Sprintf("client %q", id))
	if err != nil {
		return mint.Client{}, err
	}
	return c, nil
}

// UpdateClient applies update to the client in one transaction, holding the
// row lock. ErrNotFound. The ID and creation time are kept whatever update
// returns.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(mint.Client) (mint.Client, error)) (mint.Client, error) {
	var out mint.Client
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanClient(tx.QueryRow(ctx, selectClient+` WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("client %q: %w", id, mint.ErrNotFound)
		}
		if err != nil {
			return failed("postgres: update client %q: %w", id, err)
		}
		c, err := update(old)
		if err != nil {
			return err
		}
		c.ID = id
		md, err := encodeMetadata(c.Metadata)
		if err != nil {
			return err
		}
		// One statement, policy and metadata included: one trigger, one
		// notification to every replica, one round trip.
		out, err = scanClient(tx.QueryRow(ctx,
			`UPDATE clients SET name = $1, jwks = $2, introspect_all = $3, tokens_revoked_before = $4,
			        tokens_per_hour = $5, tokens_per_day = $6, updated_at = $7, token_binding = $9,
			        tls_auth_kind = $10, tls_auth_value = $11, policy = $12, metadata = $13
			  WHERE id = $8 RETURNING `+clientColumns,
			c.Name, nullBytes(c.JWKS), c.IntrospectAll, nullMillis(c.TokensRevokedBefore),
			c.TokensPerHour, c.TokensPerDay, millis(c.UpdatedAt), id, c.TokenBinding, c.TLSAuth.Kind, c.TLSAuth.Value,
			c.Policy, md))
		if err != nil {
			return failed("postgres: update client %q: %w", id, err)
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
	notFound := fmt.Errorf("client %q: %w", id, mint.ErrNotFound)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := execOne(ctx, tx, notFound, `DELETE FROM clients WHERE id = $1`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO deleted_client_ids (id) VALUES ($1) ON CONFLICT (id) DO NOTHING`, id)
		return err
	})
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return failed("postgres: delete client %q: %w", id, err)
	}
	return err
}
