package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mintauth/mint"
)

const selectKey = `SELECT id, algorithm, private_key, state, created_at FROM signing_keys`

// scanKey reads one signing key. Errors never carry the private key.
func scanKey(row rowScanner) (mint.SigningKey, error) {
	var (
		k         mint.SigningKey
		state     string
		createdAt int64
	)
	if err := row.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &state, &createdAt); err != nil {
		return mint.SigningKey{}, err
	}
	k.State = mint.KeyState(state)
	k.CreatedAt = fromMillis(createdAt)
	return k, nil
}

// ListSigningKeys returns every stored signing key, oldest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]mint.SigningKey, error) {
	rows, err := s.read.QueryContext(ctx, selectKey+` ORDER BY created_at, rowid`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list signing keys: %w", err)
	}
	defer rows.Close()
	var keys []mint.SigningKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list signing keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list signing keys: %w", err)
	}
	return keys, nil
}

// EnsureActiveKey stores key as the active key for its algorithm unless one
// is already active, and returns the key that is active afterwards. The
// check and the insert share one IMMEDIATE transaction, and a partial unique
// index allows one active key per algorithm, so racing callers (in this
// process or another) end with the same key.
func (s *Store) EnsureActiveKey(ctx context.Context, key mint.SigningKey) (mint.SigningKey, error) {
	var out mint.SigningKey
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		const active = selectKey + ` WHERE algorithm = ? AND state = 'active'`
		k, err := scanKey(tx.QueryRowContext(ctx, active, key.Algorithm))
		if err == nil {
			out = k
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: active %s key: %w", key.Algorithm, err)
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO signing_keys (id, algorithm, private_key, state, created_at)
			 VALUES (?, ?, ?, 'active', ?)`,
			key.ID, key.Algorithm, key.PrivateKey, millis(key.CreatedAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("signing key %q: %w", key.ID, mint.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("sqlite: store signing key %q: %w", key.ID, err)
		}
		out, err = scanKey(tx.QueryRowContext(ctx, active, key.Algorithm))
		if err != nil {
			return fmt.Errorf("sqlite: active %s key: %w", key.Algorithm, err)
		}
		return nil
	})
	if err != nil {
		return mint.SigningKey{}, err
	}
	return out, nil
}
