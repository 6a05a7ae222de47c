package postgres

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint"
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
			return keyPlan{}, failed("postgres: signing key %q: unknown state %q", k.ID, k.State)
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
	same := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return a.Algorithm == b.Algorithm && a.State == b.State &&
		bytes.Equal(a.PrivateKey, b.PrivateKey) &&
		millis(a.CreatedAt).Equal(millis(b.CreatedAt)) &&
		same(nullMillis(a.ActivateAt), nullMillis(b.ActivateAt)) &&
		same(nullMillis(a.RetiredAt), nullMillis(b.RetiredAt)) &&
		same(nullMillis(a.RemoveAt), nullMillis(b.RemoveAt))
}

// apply sends the plan's statements in one batch, in order. Errors never
// carry a private key.
func (p keyPlan) apply(ctx context.Context, tx pgx.Tx) error {
	if len(p.deletes) == 0 && len(p.writes) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, id := range p.deletes {
		b.Queue(`DELETE FROM signing_keys WHERE id = $1`, id)
	}
	for _, w := range p.writes {
		k := w.key
		query := `UPDATE signing_keys SET algorithm = $1, private_key = $2, state = $3, created_at = $4,
			activate_at = $5, retired_at = $6, remove_at = $7 WHERE id = $8`
		if w.insert {
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
