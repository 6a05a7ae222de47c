package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mintauth/mint/internal/keyplan"
	"github.com/mintauth/mint/internal/mint"
)

const selectKey = `SELECT id, algorithm, private_key, state, created_at,
	activate_at, retired_at, remove_at FROM signing_keys`

// scanKey reads one signing key. Errors never carry the private key.
func scanKey(row rowScanner) (mint.SigningKey, error) {
	var (
		k                           mint.SigningKey
		state                       string
		createdAt                   int64
		activateAt, retired, remove sql.NullInt64
	)
	err := row.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &state, &createdAt, &activateAt, &retired, &remove)
	if err != nil {
		return mint.SigningKey{}, err
	}
	k.State = mint.KeyState(state)
	k.CreatedAt = fromMillis(createdAt)
	k.ActivateAt, k.RetiredAt, k.RemoveAt = fromNullMillis(activateAt), fromNullMillis(retired), fromNullMillis(remove)
	return k, nil
}

// ListSigningKeys returns every stored signing key, oldest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]mint.SigningKey, error) {
	keys, err := listKeys(ctx, s.read)
	if err != nil {
		return nil, failed("sqlite: list signing keys: %w", err)
	}
	return keys, nil
}

func listKeys(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]mint.SigningKey, error) {
	rows, err := db.QueryContext(ctx, selectKey+` ORDER BY created_at, rowid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []mint.SigningKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// UpdateSigningKeys runs update on every stored key, oldest first, and
// stores what it returns, in one IMMEDIATE transaction: racing callers, in
// this process or another, run one after the other. Keys missing from the
// result are deleted, keys with new IDs inserted, changed keys rewritten
// (every field but the ID). ErrConflict: the result has two active keys for
// one algorithm, or one ID twice; nothing is changed then.
func (s *Store) UpdateSigningKeys(ctx context.Context, update func([]mint.SigningKey) ([]mint.SigningKey, error)) ([]mint.SigningKey, error) {
	ctx, published := s.changing(ctx, tableSigningKeys)
	defer published()
	var out []mint.SigningKey
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := listKeys(ctx, tx)
		if err != nil {
			return failed("sqlite: update signing keys: %w", err)
		}
		result, err := update(keyplan.Clone(old))
		if err != nil {
			return err
		}
		plan, err := keyplan.Make(old, result)
		switch {
		case errors.Is(err, mint.ErrConflict):
			return err
		case err != nil:
			return failed("sqlite: update signing keys: %w", err)
		}
		if err := applyKeyPlan(ctx, tx, plan); err != nil {
			return err
		}
		if out, err = listKeys(ctx, tx); err != nil {
			return failed("sqlite: update signing keys: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func applyKeyPlan(ctx context.Context, tx *sql.Tx, p keyplan.Plan) error {
	for _, id := range p.Deletes {
		if _, err := tx.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = ?`, id); err != nil {
			return failed("sqlite: delete signing key %q: %w", id, err)
		}
	}
	for _, w := range p.Writes {
		if err := writeKey(ctx, tx, w); err != nil {
			return err
		}
	}
	return nil
}

// writeKey inserts or rewrites one key. Errors never carry the private key.
func writeKey(ctx context.Context, tx *sql.Tx, w keyplan.Write) error {
	k := w.Key
	query := `UPDATE signing_keys SET algorithm = ?, private_key = ?, state = ?, created_at = ?,
		activate_at = ?, retired_at = ?, remove_at = ? WHERE id = ?`
	if w.Insert {
		query = `INSERT INTO signing_keys (algorithm, private_key, state, created_at,
			activate_at, retired_at, remove_at, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	}
	der := k.PrivateKey
	if der == nil {
		der = []byte{} // the column is NOT NULL
	}
	_, err := tx.ExecContext(ctx, query, k.Algorithm, der, string(k.State), millis(k.CreatedAt),
		nullMillis(k.ActivateAt), nullMillis(k.RetiredAt), nullMillis(k.RemoveAt), k.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("signing key %q: %w", k.ID, mint.ErrConflict)
	}
	if err != nil {
		return failed("sqlite: store signing key %q: %w", k.ID, err)
	}
	return nil
}
