package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// RevokeToken remembers a revoked token until it expires. Revoking one
// twice is not an error; the first revocation's record is kept.
func (s *Store) RevokeToken(ctx context.Context, token mint.RevokedToken) error {
	ctx, published := s.changing(ctx, tableRevokedTokens)
	defer published()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO revoked_tokens (id, client_id, expires_at) VALUES (?, ?, ?)
			 ON CONFLICT (id) DO NOTHING`,
			token.ID, token.ClientID, millis(token.ExpiresAt))
		return err
	})
	if err != nil {
		return failed("sqlite: revoke token %q: %w", token.ID, err)
	}
	return nil
}

// TokenRevoked reports whether the token with this "jti" is revoked.
func (s *Store) TokenRevoked(ctx context.Context, id string) (bool, error) {
	var revoked bool
	err := s.read.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE id = ?)`, id).Scan(&revoked)
	if err != nil {
		return false, failed("sqlite: is token %q revoked: %w", id, err)
	}
	return revoked, nil
}

// UseAssertion records the "jti" of a client's assertion until it expires.
// ErrConflict: the client used it already. The one writer connection makes
// the check and the insert one step for every process on the file.
func (s *Store) UseAssertion(ctx context.Context, clientID, id string, expiresAt time.Time) error {
	conflict := fmt.Errorf("assertion %q of client %q used already: %w", id, clientID, mint.ErrConflict)
	err := execOne(ctx, s.write, conflict,
		`INSERT INTO used_assertions (client_id, id, expires_at) VALUES (?, ?, ?)
		 ON CONFLICT (client_id, id) DO NOTHING`,
		clientID, id, millis(expiresAt))
	if err != nil && err != conflict {
		return failed("sqlite: use assertion %q of client %q: %w", id, clientID, err)
	}
	return err
}

// PruneExpired forgets revoked tokens and assertion IDs that expired before
// t, in one transaction.
func (s *Store) PruneExpired(ctx context.Context, t time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"revoked_tokens", "used_assertions"} {
			_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at < ?`, millis(t))
			if err != nil {
				return failed("sqlite: prune %s: %w", table, err)
			}
		}
		return nil
	})
}
