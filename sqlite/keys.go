package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/mintauth/mint"
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
	defer s.changes.publish(tableSigningKeys)
	var out []mint.SigningKey
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := listKeys(ctx, tx)
		if err != nil {
			return failed("sqlite: update signing keys: %w", err)
		}
		result, err := update(cloneKeys(old))
		if err != nil {
			return err
		}
		plan, err := planKeys(old, result)
		if err != nil {
			return err
		}
		if err := plan.apply(ctx, tx); err != nil {
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

// cloneKeys copies keys deeply, so that an update function changing what
// it was given in place cannot change what the store compares against.
func cloneKeys(keys []mint.SigningKey) []mint.SigningKey {
	out := slices.Clone(keys)
	for i := range out {
		out[i].PrivateKey = bytes.Clone(out[i].PrivateKey)
	}
	return out
}

// keyPlan is the writes that turn the stored keys into an update's result,
// in an order that never has two active keys for one algorithm at once, so
// that the partial unique index never trips half-way: deletions, then keys
// that are not active afterwards (demotions first), then active ones.
type keyPlan struct {
	deletes []string
	writes  []keyWrite // not active, then active
}

type keyWrite struct {
	key    mint.SigningKey
	insert bool
}

// planKeys checks result and works out the writes it needs.
func planKeys(old, result []mint.SigningKey) (keyPlan, error) {
	stored := make(map[string]mint.SigningKey, len(old))
	for _, k := range old {
		stored[k.ID] = k
	}
	seen := make(map[string]bool, len(result))
	active := make(map[string]string) // algorithm → key ID
	var plan keyPlan
	var activations []keyWrite
	for _, k := range result {
		if seen[k.ID] {
			return keyPlan{}, fmt.Errorf("signing key %q twice in the update: %w", k.ID, mint.ErrConflict)
		}
		seen[k.ID] = true
		switch k.State {
		case mint.KeyNext, mint.KeyRetired:
		case mint.KeyActive:
			if other, ok := active[k.Algorithm]; ok {
				return keyPlan{}, fmt.Errorf("signing keys %q and %q both active for %s: %w",
					other, k.ID, k.Algorithm, mint.ErrConflict)
			}
			active[k.Algorithm] = k.ID
		default:
			return keyPlan{}, failed("sqlite: signing key %q: unknown state %q", k.ID, k.State)
		}
		was, ok := stored[k.ID]
		if ok && sameKey(was, k) {
			continue
		}
		w := keyWrite{key: k, insert: !ok}
		if k.State == mint.KeyActive {
			activations = append(activations, w)
		} else {
			plan.writes = append(plan.writes, w)
		}
	}
	for _, k := range old {
		if !seen[k.ID] {
			plan.deletes = append(plan.deletes, k.ID)
		}
	}
	plan.writes = append(plan.writes, activations...)
	return plan, nil
}

// sameKey reports whether storing b over a would change nothing.
func sameKey(a, b mint.SigningKey) bool {
	return a.Algorithm == b.Algorithm && a.State == b.State &&
		bytes.Equal(a.PrivateKey, b.PrivateKey) &&
		millis(a.CreatedAt) == millis(b.CreatedAt) &&
		nullMillis(a.ActivateAt) == nullMillis(b.ActivateAt) &&
		nullMillis(a.RetiredAt) == nullMillis(b.RetiredAt) &&
		nullMillis(a.RemoveAt) == nullMillis(b.RemoveAt)
}

func (p keyPlan) apply(ctx context.Context, tx *sql.Tx) error {
	for _, id := range p.deletes {
		if _, err := tx.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = ?`, id); err != nil {
			return failed("sqlite: delete signing key %q: %w", id, err)
		}
	}
	for _, w := range p.writes {
		if err := writeKey(ctx, tx, w); err != nil {
			return err
		}
	}
	return nil
}

// writeKey inserts or rewrites one key. Errors never carry the private key.
func writeKey(ctx context.Context, tx *sql.Tx, w keyWrite) error {
	k := w.key
	query := `UPDATE signing_keys SET algorithm = ?, private_key = ?, state = ?, created_at = ?,
		activate_at = ?, retired_at = ?, remove_at = ? WHERE id = ?`
	if w.insert {
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
