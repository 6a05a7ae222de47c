package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/usebatch"
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
// ErrConflict: the client used it already. Uses arriving together are
// written in one statement and one commit (package usebatch), each caller
// waiting for its own; the one writer connection makes the check and the
// insert one step for every process on the file. A full queue or a write
// that does not commit in time is mint.ErrUnavailable: never recorded.
func (s *Store) UseAssertion(ctx context.Context, clientID, id string, expiresAt time.Time) error {
	err := s.uses.Batcher(s.useAssertions, 0).Use(ctx, clientID, id, expiresAt)
	if err != nil && !errors.Is(err, mint.ErrConflict) {
		return failed("sqlite: use assertion %q of client %q: %w", id, clientID, err)
	}
	return err
}

// UseStats reports the group commit of used jti values, for the metrics
// (usebatch.Reporter).
func (s *Store) UseStats() usebatch.Stats { return s.uses.Stats() }

// shortLived is how soon every use of a group must expire for its commit
// to skip the fsync (synchronous=NORMAL): a DPoP proof's jti is kept 80 s,
// a client assertion's up to its exp plus 30 s. A power loss or OS crash
// may then lose the group, if no other commit (an audit batch, an admin
// change, a checkpoint: each syncs the whole WAL) followed it — and a
// machine that has restarted after such a loss has outlived most of the
// group already. A process crash loses nothing: the WAL is written.
const shortLived = 2 * time.Minute

// useAssertions writes a group of uses (usebatch.WriteFunc): one INSERT …
// ON CONFLICT DO NOTHING RETURNING in one IMMEDIATE transaction, the
// rows returned being the ones recorded now.
func (s *Store) useAssertions(ctx context.Context, uses []usebatch.Use) ([]bool, error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if relaxedSync(uses, time.Now()) {
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
			return nil, err
		}
		defer restoreSync(ctx, conn)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() // no-op after Commit
	inserted, err := insertUses(ctx, tx, uses)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return usebatch.Recorded(uses, inserted), nil
}

// insertUses inserts uses and returns those it inserted.
func insertUses(ctx context.Context, tx *sql.Tx, uses []usebatch.Use) (map[[2]string]struct{}, error) {
	var q strings.Builder
	q.WriteString(`INSERT INTO used_assertions (client_id, id, expires_at) VALUES `)
	args := make([]any, 0, 3*len(uses))
	for i, u := range uses {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?)")
		args = append(args, u.ClientID, u.ID, millis(u.ExpiresAt))
	}
	q.WriteString(` ON CONFLICT (client_id, id) DO NOTHING RETURNING client_id, id`)
	rows, err := tx.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	inserted := make(map[[2]string]struct{}, len(uses))
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return nil, err
		}
		inserted[k] = struct{}{}
	}
	return inserted, rows.Err()
}

// relaxedSync reports whether every use expires within shortLived.
func relaxedSync(uses []usebatch.Use, now time.Time) bool {
	limit := now.Add(shortLived)
	for _, u := range uses {
		if u.ExpiresAt.After(limit) {
			return false
		}
	}
	return true
}

// restoreSync puts the writer connection back to synchronous=FULL (see
// writePragmas); a connection that cannot be is discarded, so that the
// pool opens a new one with the pragmas, rather than leave later admin
// commits unsynced.
func restoreSync(ctx context.Context, conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
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
