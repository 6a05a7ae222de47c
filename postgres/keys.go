package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint"
)

const selectKey = `SELECT id, algorithm, private_key, state, created_at FROM signing_keys`

// scanKey reads one signing key. Errors never carry the private key.
func scanKey(row pgx.Row) (mint.SigningKey, error) {
	var (
		k     mint.SigningKey
		state string
	)
	if err := row.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &state, &k.CreatedAt); err != nil {
		return mint.SigningKey{}, err
	}
	k.State = mint.KeyState(state)
	k.CreatedAt = k.CreatedAt.UTC()
	return k, nil
}

// ListSigningKeys returns every stored signing key, oldest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]mint.SigningKey, error) {
	keys, err := list(ctx, s.pool, scanKey, selectKey+` ORDER BY created_at, seq`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list signing keys: %w", err)
	}
	return keys, nil
}

// EnsureActiveKey stores key as the active key for its algorithm unless one
// is already active, and returns the key that is active afterwards.
//
// A partial unique index allows one active key per algorithm. The insert
// does nothing when another key holds that place — if that key is still
// being inserted by a racing replica, PostgreSQL makes the insert wait for
// it to commit — and the select that follows, a statement of its own, sees
// whichever key won. Racing callers, in this process or another, so end
// with the same key.
func (s *Store) EnsureActiveKey(ctx context.Context, key mint.SigningKey) (mint.SigningKey, error) {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO signing_keys (id, algorithm, private_key, state, created_at)
		 VALUES ($1, $2, $3, 'active', $4)
		 ON CONFLICT (algorithm) WHERE state = 'active' DO NOTHING`,
		key.ID, key.Algorithm, bytesArg(key.PrivateKey), millis(key.CreatedAt))
	if hasCode(err, uniqueViolation) { // the ID is taken by a retired key
		return mint.SigningKey{}, fmt.Errorf("signing key %q: %w", key.ID, mint.ErrConflict)
	}
	if err != nil {
		return mint.SigningKey{}, fmt.Errorf("postgres: store signing key %q: %w", key.ID, err)
	}
	active, err := scanKey(s.pool.QueryRow(ctx,
		selectKey+` WHERE algorithm = $1 AND state = 'active'`, key.Algorithm))
	if errors.Is(err, pgx.ErrNoRows) {
		// The active key was retired between our two statements.
		return mint.SigningKey{}, fmt.Errorf("postgres: no active %s key after storing %q; try again", key.Algorithm, key.ID)
	}
	if err != nil {
		return mint.SigningKey{}, fmt.Errorf("postgres: active %s key: %w", key.Algorithm, err)
	}
	return active, nil
}
