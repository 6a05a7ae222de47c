// Package keyplan works out, for a store's UpdateSigningKeys, which writes
// turn the stored signing keys into an update's result, and checks the
// result first (see mint.Store.UpdateSigningKeys). Every backend applies a
// Plan with its own SQL; the rules live here once.
package keyplan

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// Plan is the writes, in an order that never has two active keys for one
// algorithm at once, so that a one-active-key unique index never trips
// half-way: deletions, then keys that are not active afterwards (demotions
// first), then active ones.
type Plan struct {
	Deletes []string
	Writes  []Write
}

// Write stores one key: an insert for a new ID, else a rewrite.
type Write struct {
	Key    mint.SigningKey
	Insert bool
}

// Empty reports whether the plan changes nothing.
func (p Plan) Empty() bool { return len(p.Deletes) == 0 && len(p.Writes) == 0 }

// Clone copies keys deeply, so that an update function changing what it
// was given in place cannot change what the store compares against.
func Clone(keys []mint.SigningKey) []mint.SigningKey {
	out := slices.Clone(keys)
	for i := range out {
		out[i].PrivateKey = bytes.Clone(out[i].PrivateKey)
	}
	return out
}

// Make checks result and works out the writes it needs. Errors wrap
// mint.ErrConflict for one ID twice or two active keys for one algorithm;
// an unknown state is a plain error.
func Make(old, result []mint.SigningKey) (Plan, error) {
	stored := make(map[string]mint.SigningKey, len(old))
	for _, k := range old {
		stored[k.ID] = k
	}
	seen := make(map[string]bool, len(result))
	active := make(map[string]string) // algorithm → key ID
	var plan Plan
	var activations []Write
	for _, k := range result {
		if seen[k.ID] {
			return Plan{}, fmt.Errorf("signing key %q twice in the update: %w", k.ID, mint.ErrConflict)
		}
		seen[k.ID] = true
		if err := checkState(k, active); err != nil {
			return Plan{}, err
		}
		was, ok := stored[k.ID]
		if ok && same(was, k) {
			continue
		}
		w := Write{Key: k, Insert: !ok}
		if k.State == mint.KeyActive {
			activations = append(activations, w)
		} else {
			plan.Writes = append(plan.Writes, w)
		}
	}
	for _, k := range old {
		if !seen[k.ID] {
			plan.Deletes = append(plan.Deletes, k.ID)
		}
	}
	plan.Writes = append(plan.Writes, activations...)
	return plan, nil
}

// checkState refuses an unknown state and a second active key for an
// algorithm, noting k in active when it is active.
func checkState(k mint.SigningKey, active map[string]string) error {
	switch k.State {
	case mint.KeyNext, mint.KeyRetired:
		return nil
	case mint.KeyActive:
		if other, ok := active[k.Algorithm]; ok {
			return fmt.Errorf("signing keys %q and %q both active for %s: %w", other, k.ID, k.Algorithm, mint.ErrConflict)
		}
		active[k.Algorithm] = k.ID
		return nil
	}
	return fmt.Errorf("signing key %q: unknown state %q", k.ID, k.State)
}

// same reports whether storing b over a would change nothing. Stores keep
// times to the millisecond.
func same(a, b mint.SigningKey) bool {
	ms := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMilli()
	}
	return a.Algorithm == b.Algorithm && a.State == b.State &&
		bytes.Equal(a.PrivateKey, b.PrivateKey) &&
		ms(a.CreatedAt) == ms(b.CreatedAt) && ms(a.ActivateAt) == ms(b.ActivateAt) &&
		ms(a.RetiredAt) == ms(b.RetiredAt) && ms(a.RemoveAt) == ms(b.RemoveAt)
}
