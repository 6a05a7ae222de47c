package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
)

// RevokeToken remembers a revoked token until it expires. Revoking one
// twice is not an error; the first revocation's record is kept.
func (s *Store) RevokeToken(ctx context.Context, token mint.RevokedToken) error {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO revoked_tokens (id, client_id, expires_at) VALUES ($1, $2, $3)
		 ON CONFLICT (id) DO NOTHING`,
		token.ID, token.ClientID, millis(token.ExpiresAt))
	if err != nil {
		return failed("postgres: revoke token %q: %w", token.ID, err)
	}
	return nil
}

// TokenRevoked reports whether the token with this "jti" is revoked.
func (s *Store) TokenRevoked(ctx context.Context, id string) (bool, error) {
	var revoked bool
	err := s.pool.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE id = $1)`, id).Scan(&revoked)
	if err != nil {
		return false, failed("postgres: is token %q revoked: %w", id, err)
	}
	return revoked, nil
}

// UseAssertion records the "jti" of a client's assertion until it expires.
// ErrConflict: the client used it already. Of replicas inserting one ID at
// once, PostgreSQL makes all but the first wait for it to commit, then
// insert nothing.
func (s *Store) UseAssertion(ctx context.Context, clientID, id string, expiresAt time.Time) error {
	conflict := fmt.Errorf("assertion %q of client %q used already: %w", id, clientID, mint.ErrConflict)
	err := execOne(ctx, s.pool, conflict,
		`INSERT INTO used_assertions (client_id, id, expires_at) VALUES ($1, $2, $3)
		 ON CONFLICT (client_id, id) DO NOTHING`,
		clientID, id, millis(expiresAt))
	if err != nil && err != conflict {
		return failed("postgres: use assertion %q of client %q: %w", id, clientID, err)
	}
	return err
}

// PruneExpired forgets revoked tokens and assertion IDs that expired before
// t, in one transaction.
func (s *Store) PruneExpired(ctx context.Context, t time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for _, table := range []string{"revoked_tokens", "used_assertions"} {
			_, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE expires_at < $1`, millis(t))
			if err != nil {
				return failed("postgres: prune %s: %w", table, err)
			}
		}
		return nil
	})
}
