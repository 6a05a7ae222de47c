package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/keyplan"
	"github.com/mintauth/mint/internal/mint"
)

const selectKey = `SELECT id, algorithm, private_key, state, created_at,
	activate_at, retired_at, remove_at FROM signing_keys`

// scanKey reads one signing key. Errors never carry the private key.
func scanKey(row pgx.Row) (mint.SigningKey, error) {
	var (
		k                           mint.SigningKey
		state                       string
		activateAt, retired, remove *time.Time
	)
	err := row.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &state, &k.CreatedAt, &activateAt, &retired, &remove)
	if err != nil {
		return mint.SigningKey{}, err
	}
	k.State = mint.KeyState(state)
	k.CreatedAt = k.CreatedAt.UTC()
	k.ActivateAt, k.RetiredAt, k.RemoveAt = fromNull(activateAt), fromNull(retired), fromNull(remove)
	return k, nil
}

const listKeys = selectKey + ` ORDER BY created_at, seq`

// ListSigningKeys returns every stored signing key, oldest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]mint.SigningKey, error) {
	keys, err := list(ctx, s.pool, scanKey, listKeys)
	if err != nil {
		return nil, failed("postgres: list signing keys: %w", err)
	}
	return keys, nil
}

// UpdateSigningKeys runs update on every stored key, oldest first, and
// stores what it returns, in one transaction. Keys missing from the result
// are deleted, keys with new IDs inserted, changed keys rewritten (every
// field but the ID). ErrConflict: the result has two active keys for one
// algorithm, or one ID twice; nothing is changed then.
//
// The transaction first locks signing_keys in EXCLUSIVE mode, which lets
// plain reads (ListSigningKeys) through but holds back every other writer,
// so racing callers on any replica run one after the other; under READ
// COMMITTED each one's read, which follows the lock, sees the previous
// one's result.
func (s *Store) UpdateSigningKeys(ctx context.Context, update func([]mint.SigningKey) ([]mint.SigningKey, error)) ([]mint.SigningKey, error) {
	var out []mint.SigningKey
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE signing_keys IN EXCLUSIVE MODE`); err != nil {
			return failed("postgres: lock signing keys: %w", err)
		}
		old, err := list(ctx, tx, scanKey, listKeys)
		if err != nil {
			return failed("postgres: update signing keys: %w", err)
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
			return failed("postgres: update signing keys: %w", err)
		}
		if err := applyKeyPlan(ctx, tx, plan); err != nil {
			return err
		}
		if out, err = list(ctx, tx, scanKey, listKeys); err != nil {
			return failed("postgres: update signing keys: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// apply sends the plan's statements in one batch, in order. Errors never
// carry a private key.
func applyKeyPlan(ctx context.Context, tx pgx.Tx, p keyplan.Plan) error {
	if p.Empty() {
		return nil
	}
	b := &pgx.Batch{}
	for _, id := range p.Deletes {
		b.Queue(`DELETE FROM signing_keys WHERE id = $1`, id)
	}
	for _, w := range p.Writes {
		k := w.Key
		query := `UPDATE signing_keys SET algorithm = $1, private_key = $2, state = $3, created_at = $4,
			activate_at = $5, retired_at = $6, remove_at = $7 WHERE id = $8`
		if w.Insert {
			query = `INSERT INTO signing_keys (algorithm, private_key, state, created_at,
				activate_at, retired_at, remove_at, id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
		}
		b.Queue(query, k.Algorithm, bytesArg(k.PrivateKey), string(k.State), millis(k.CreatedAt),
			nullMillis(k.ActivateAt), nullMillis(k.RetiredAt), nullMillis(k.RemoveAt), k.ID)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		if hasCode(err, uniqueViolation) {
			return fmt.Errorf("signing keys: %w", mint.ErrConflict)
		}
		return failed("postgres: store signing keys: %w", err)
	}
	return nil
}
