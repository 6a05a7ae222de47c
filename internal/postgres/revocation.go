package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/usebatch"
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
// ErrConflict: the client used it already. Uses arriving together are
// written in one statement (package usebatch), each caller waiting for its
// own. Of replicas inserting one ID at once, PostgreSQL makes all but the
// first wait for it to commit, then insert nothing. A full queue or a
// write that does not commit in time is mint.ErrUnavailable: never
// recorded.
func (s *Store) UseAssertion(ctx context.Context, clientID, id string, expiresAt time.Time) error {
	err := s.uses.Batcher(s.useAssertions, assertionWriters).Use(ctx, clientID, id, expiresAt)
	if err != nil && !errors.Is(err, mint.ErrConflict) {
		return failed("postgres: use assertion %q of client %q: %w", id, clientID, err)
	}
	return err
}

// UseStats reports the group commit of used jti values, for the metrics
// (usebatch.Reporter).
func (s *Store) UseStats() usebatch.Stats { return s.uses.Stats() }

// assertionWriters is how many groups of uses are written at once:
// PostgreSQL flushes the WAL of transactions committing together in one
// fsync, so groups in flight together share it too. It leaves most of
// the pool (8 connections at least) to the token path's reads.
const assertionWriters = 3

// useAssertions writes a group of uses (usebatch.WriteFunc): one INSERT …
// ON CONFLICT DO NOTHING RETURNING, a transaction of its own, the rows
// returned being the ones recorded now. The rows go in the group's order
// (sorted), so two replicas' groups that share IDs wait for each other in
// the same order and never deadlock; a deadlock reported anyway (a single
// UseAssertion of an older mint racing) is retried.
func (s *Store) useAssertions(ctx context.Context, uses []usebatch.Use) ([]bool, error) {
	clientIDs := make([]string, len(uses))
	ids := make([]string, len(uses))
	expires := make([]time.Time, len(uses))
	for i, u := range uses {
		clientIDs[i], ids[i], expires[i] = u.ClientID, u.ID, millis(u.ExpiresAt)
	}
	var inserted map[[2]string]struct{}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		inserted, err = s.insertUses(ctx, clientIDs, ids, expires)
		if !hasCode(err, "40P01") { // deadlock_detected
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return usebatch.Recorded(uses, inserted), nil
}

// insertUses inserts the uses given as columns, in their order, and
// returns those it inserted.
func (s *Store) insertUses(ctx context.Context, clientIDs, ids []string, expires []time.Time) (map[[2]string]struct{}, error) {
	rows, err := s.pool.Query(ctx,
		`INSERT INTO used_assertions (client_id, id, expires_at)
		 SELECT client_id, id, expires_at FROM unnest($1::text[], $2::text[], $3::timestamptz[]) WITH ORDINALITY AS u(client_id, id, expires_at, n)
		 ORDER BY n
		 ON CONFLICT (client_id, id) DO NOTHING
		 RETURNING client_id, id`,
		clientIDs, ids, expires)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	inserted := make(map[[2]string]struct{}, len(ids))
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return nil, err
		}
		inserted[k] = struct{}{}
	}
	return inserted, rows.Err()
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
