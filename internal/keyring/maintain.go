package keyring

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// keySupply makes a new key for alg in state, activating at activateAt.
type keySupply func(alg string, state mint.KeyState, activateAt time.Time) (mint.SigningKey, error)

// Maintain brings the stored keys up to date in one UpdateSigningKeys and
// reloads the ring: next keys whose ActivateAt passed become active and the
// key before them retired; retired keys whose RemoveAt passed are deleted;
// with a RotationPeriod, an active key due for rotation gets a next key;
// RS256 gets a key if it has none; keys stored in the clear are sealed.
// It writes nothing when nothing changes. `mint serve` runs it at start and
// every 30 s on every replica.
func (r *Ring) Maintain(ctx context.Context) error {
	now := r.now().UTC()
	keep, err := r.retention(ctx)
	if err != nil {
		return err
	}
	stored, err := r.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	// Plan outside the transaction first: new keys (RSA takes a while)
	// are made here, and an unchanged plan writes nothing.
	made := map[string][]mint.SigningKey{}
	planned, err := r.plan(stored, now, keep, func(alg string, state mint.KeyState, at time.Time) (mint.SigningKey, error) {
		k, err := r.generate(alg, state, at)
		made[alg] = append(made[alg], k)
		return k, err
	})
	if err != nil {
		return err
	}
	if !sameKeys(stored, planned) {
		_, err = r.store.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
			return r.plan(keys, now, keep, r.supplyFrom(made))
		})
		if err != nil {
			return fmt.Errorf("update signing keys: %w", err)
		}
	}
	return r.Reload(ctx)
}

// plan returns what Maintain stores, given the stored keys.
func (r *Ring) plan(keys []mint.SigningKey, now time.Time, keep time.Duration, supply keySupply) ([]mint.SigningKey, error) {
	keys = r.sealer.resealed(slices.Clone(keys))
	datedRetired(keys, now, keep)
	keys = settle(keys, now, keep)
	if r.period > 0 {
		for _, k := range slices.Clone(keys) {
			if k.State != mint.KeyActive || len(pending(keys, k.Algorithm, now)) > 0 {
				continue
			}
			due := k.ActivateAt.Add(r.period)
			if now.Before(due.Add(-r.prepublish)) {
				continue
			}
			next, err := supply(k.Algorithm, mint.KeyNext, later(due, now.Add(r.prepublish)))
			if err != nil {
				return nil, err
			}
			keys = append(keys, next)
		}
	}
	if !hasSigner(keys, DefaultAlgorithm) {
		first, err := supply(DefaultAlgorithm, mint.KeyActive, now)
		if err != nil {
			return nil, err
		}
		keys = append(keys, first)
	}
	return keys, nil
}

// supplyFrom hands out the keys made while planning, then new ones.
func (r *Ring) supplyFrom(made map[string][]mint.SigningKey) keySupply {
	return func(alg string, state mint.KeyState, at time.Time) (mint.SigningKey, error) {
		if len(made[alg]) == 0 {
			return r.generate(alg, state, at)
		}
		k := made[alg][0]
		made[alg] = made[alg][1:]
		k.State, k.ActivateAt, k.CreatedAt = state, at.UTC(), r.now().UTC()
		return k, nil
	}
}

// Rotate starts a new key for alg. It is published at once and signs from
// now + Prepublish, when every JWKS cache has seen it; until then the
// current key signs. With immediate (a compromised key) it signs at once,
// the current key retiring now, and a key still waiting to activate is
// dropped. ErrRotationPending: alg has a key waiting already and immediate
// is false. It returns the keys as List does.
func (r *Ring) Rotate(ctx context.Context, alg string, immediate bool) ([]mint.SigningKey, error) {
	now := r.now().UTC()
	keep, err := r.retention(ctx)
	if err != nil {
		return nil, err
	}
	activateAt := now.Add(r.prepublish)
	if immediate {
		activateAt = now
	}
	fresh, err := r.generate(alg, mint.KeyNext, activateAt)
	if err != nil {
		return nil, err
	}
	stored, err := r.store.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
		keys = r.sealer.resealed(slices.Clone(keys))
		datedRetired(keys, now, keep)
		keys = settle(keys, now, keep)
		waiting := pending(keys, alg, now)
		if len(waiting) > 0 && !immediate {
			return nil, ErrRotationPending
		}
		keys = slices.DeleteFunc(keys, func(k mint.SigningKey) bool {
			return k.Algorithm == alg && k.State == mint.KeyNext && activation(k).After(now)
		})
		keys = append(keys, fresh)
		return settle(keys, now, keep), nil
	})
	if err != nil {
		if errors.Is(err, ErrRotationPending) {
			return nil, ErrRotationPending
		}
		return nil, fmt.Errorf("rotate %s key: %w", alg, err)
	}
	if err := r.Reload(ctx); err != nil {
		return nil, err
	}
	return withoutPrivate(settle(stored, now, keep)), nil
}

// List returns every stored key as it stands now (a next key whose
// ActivateAt passed shows as active even before Maintain stores it so),
// without private keys, oldest first.
func (r *Ring) List(ctx context.Context) ([]mint.SigningKey, error) {
	keep, err := r.retention(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := r.store.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	now := r.now().UTC()
	datedRetired(keys, now, keep)
	return withoutPrivate(settle(keys, now, keep)), nil
}

// EnsureKey makes sure alg has a key that signs, creating an active one if
// alg has no key at all. Sign calls it for an algorithm's first token; the
// admin API calls it when an API chooses an algorithm, so that the key is
// published before the first token.
func (r *Ring) EnsureKey(ctx context.Context, alg string) error {
	r.createMu.Lock()
	defer r.createMu.Unlock()
	if _, ok := r.signingKey(alg, r.now()); ok {
		return nil
	}
	if err := r.Reload(ctx); err != nil { // another replica may have made it
		return err
	}
	if _, ok := r.signingKey(alg, r.now()); ok {
		return nil
	}
	fresh, err := r.generate(alg, mint.KeyActive, r.now())
	if err != nil {
		return err
	}
	_, err = r.store.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
		if hasSigner(keys, alg) {
			return keys, nil
		}
		return append(keys, fresh), nil
	})
	if err != nil {
		return fmt.Errorf("store %s signing key: %w", alg, err)
	}
	return r.Reload(ctx)
}

// retention is how long a retired key stays published: the longest token
// lifetime of any API, plus RetentionLeeway.
func (r *Ring) retention(ctx context.Context) (time.Duration, error) {
	apis, err := r.store.ListAPIs(ctx)
	if err != nil {
		return 0, fmt.Errorf("load APIs: %w", err)
	}
	longest := time.Duration(0)
	for _, api := range apis {
		lifetime := api.TokenLifetime
		if lifetime <= 0 {
			lifetime = mint.DefaultTokenLifetime
		}
		longest = max(longest, lifetime)
	}
	if longest == 0 {
		longest = mint.DefaultTokenLifetime
	}
	return longest + RetentionLeeway, nil
}

func withoutPrivate(keys []mint.SigningKey) []mint.SigningKey {
	keys = slices.Clone(keys)
	for i := range keys {
		keys[i].PrivateKey = nil
	}
	return keys
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
