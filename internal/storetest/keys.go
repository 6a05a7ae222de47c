package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// newKey returns key_N for alg, active, created at(N). The private key
// bytes stand in for a sealed PKCS #8 key; stores must keep them as they
// are.
func newKey(n int, alg string) mint.SigningKey {
	der := make([]byte, 64)
	for i := range der {
		der[i] = byte(n*17 + i*13)
	}
	return mint.SigningKey{
		ID:         fmt.Sprintf("key_%d", n),
		Algorithm:  alg,
		PrivateKey: der,
		State:      mint.KeyActive,
		CreatedAt:  at(n),
	}
}

func keyID(k mint.SigningKey) string { return k.ID }

func checkKey(t *testing.T, got, want mint.SigningKey) {
	t.Helper()
	var d diff
	d.str("ID", got.ID, want.ID)
	d.str("Algorithm", got.Algorithm, want.Algorithm)
	d.str("State", string(got.State), string(want.State))
	if !bytes.Equal(got.PrivateKey, want.PrivateKey) {
		d = append(d, "PrivateKey differs") // never print private keys
	}
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("ActivateAt", got.ActivateAt, want.ActivateAt)
	d.time("RetiredAt", got.RetiredAt, want.RetiredAt)
	d.time("RemoveAt", got.RemoveAt, want.RemoveAt)
	d.check(t, "signing key "+want.ID)
}

// checkKeyList checks that got is exactly want, in order.
func checkKeyList(t *testing.T, what string, got []mint.SigningKey, want ...mint.SigningKey) {
	t.Helper()
	wantIDs(t, what, ids(got, keyID), ids(want, keyID))
	for i := range want {
		checkKey(t, got[i], want[i])
	}
}

func checkKeys(t *testing.T, ctx context.Context, s mint.Store, want ...mint.SigningKey) {
	t.Helper()
	got, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	checkKeyList(t, "ListSigningKeys", got, want...)
}

// setKeys makes the stored keys exactly keys, and checks that
// UpdateSigningKeys returns them, oldest first.
func setKeys(t *testing.T, ctx context.Context, s mint.Store, keys ...mint.SigningKey) {
	t.Helper()
	got, err := s.UpdateSigningKeys(ctx, func([]mint.SigningKey) ([]mint.SigningKey, error) {
		return slices.Clone(keys), nil
	})
	must(t, "UpdateSigningKeys", err)
	want := slices.SortedStableFunc(slices.Values(keys), func(a, b mint.SigningKey) int {
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	checkKeyList(t, "UpdateSigningKeys result", got, want...)
}

// addIfNoActive is the update a replica runs at start: add key unless its
// algorithm has an active key already.
func addIfNoActive(key mint.SigningKey) func([]mint.SigningKey) ([]mint.SigningKey, error) {
	return func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
		for _, k := range keys {
			if k.Algorithm == key.Algorithm && k.State == mint.KeyActive {
				return keys, nil
			}
		}
		return append(keys, key), nil
	}
}

// activeKey returns the active key for alg among keys, failing the test
// unless there is exactly one.
func activeKey(t *testing.T, what string, keys []mint.SigningKey, alg string) mint.SigningKey {
	t.Helper()
	var active []mint.SigningKey
	for _, k := range keys {
		if k.Algorithm == alg && k.State == mint.KeyActive {
			active = append(active, k)
		}
	}
	if len(active) != 1 {
		t.Fatalf("%s: %d active %s keys (%q), want 1", what, len(active), alg, ids(active, keyID))
	}
	return active[0]
}

var keyCases = []testCase{
	{"ListEmpty", func(t *testing.T, ctx context.Context, s mint.Store) {
		checkKeys(t, ctx, s)
	}},
	{"RoundTripEveryField", func(t *testing.T, ctx context.Context, s mint.Store) {
		next := newKey(3, mint.AlgES256)
		next.State, next.ActivateAt = mint.KeyNext, at(60).Add(123*time.Millisecond)
		active := newKey(2, mint.AlgRS256)
		retired := newKey(1, mint.AlgRS256)
		retired.State = mint.KeyRetired
		retired.RetiredAt, retired.RemoveAt = at(30).Add(7*time.Millisecond), at(90)
		eddsa := newKey(4, mint.AlgEdDSA)
		eddsa.PrivateKey = []byte{0, 0xff, 0, 1} // zero and high bytes
		setKeys(t, ctx, s, next, active, retired, eddsa)
		checkKeys(t, ctx, s, retired, active, next, eddsa)
	}},
	{"UpdateSeesTheStoredKeysOldestFirst", func(t *testing.T, ctx context.Context, s mint.Store) {
		k1, k2, k3 := newKey(1, mint.AlgRS256), newKey(2, mint.AlgES256), newKey(3, mint.AlgPS256)
		setKeys(t, ctx, s, k3, k1, k2)
		called := 0
		_, err := s.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
			called++
			checkKeyList(t, "update's argument", keys, k1, k2, k3)
			return keys, nil
		})
		must(t, "UpdateSigningKeys", err)
		if called != 1 {
			t.Errorf("update ran %d times, want 1", called)
		}
		checkKeys(t, ctx, s, k1, k2, k3)
	}},
	{"UpdateChangesEveryFieldButTheID", func(t *testing.T, ctx context.Context, s mint.Store) {
		k := newKey(1, mint.AlgRS256)
		k.State, k.ActivateAt = mint.KeyNext, at(10)
		setKeys(t, ctx, s, k)
		// Promoted, then retired: the times move, and the key is resealed
		// (a new master key) and so has new bytes.
		k.State, k.ActivateAt = mint.KeyActive, time.Time{}
		setKeys(t, ctx, s, k)
		k.State, k.RetiredAt, k.RemoveAt = mint.KeyRetired, at(20), at(80)
		k.PrivateKey = newKey(9, mint.AlgRS256).PrivateKey
		setKeys(t, ctx, s, k)
		checkKeys(t, ctx, s, k)
	}},
	{"DeletesKeysMissingFromTheResult", func(t *testing.T, ctx context.Context, s mint.Store) {
		k1, k2, k3 := newKey(1, mint.AlgRS256), newKey(2, mint.AlgES256), newKey(3, mint.AlgPS256)
		k1.State = mint.KeyRetired
		setKeys(t, ctx, s, k1, k2, k3)
		setKeys(t, ctx, s, k2)
		checkKeys(t, ctx, s, k2)
		setKeys(t, ctx, s)
		checkKeys(t, ctx, s)
	}},
	{"InsertsNewKeys", func(t *testing.T, ctx context.Context, s mint.Store) {
		k1 := newKey(1, mint.AlgRS256)
		setKeys(t, ctx, s, k1)
		k2 := newKey(2, mint.AlgRS256)
		k2.State, k2.ActivateAt = mint.KeyNext, at(30)
		got, err := s.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
			return append(keys, k2), nil
		})
		must(t, "UpdateSigningKeys", err)
		checkKeyList(t, "UpdateSigningKeys result", got, k1, k2)
		checkKeys(t, ctx, s, k1, k2)
	}},
	{"UpdateErrorAbortsUnchanged", func(t *testing.T, ctx context.Context, s mint.Store) {
		k1 := newKey(1, mint.AlgRS256)
		setKeys(t, ctx, s, k1)
		got, err := s.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
			keys[0].State = mint.KeyRetired // changed in place, too
			return append(keys, newKey(2, mint.AlgES256)), errAbort
		})
		if err != errAbort {
			t.Fatalf("UpdateSigningKeys error = %v, want the update function's error unchanged", err)
		}
		if got != nil {
			t.Errorf("UpdateSigningKeys returned %q with its error, want nil", ids(got, keyID))
		}
		checkKeys(t, ctx, s, k1)
	}},
	{"TwoActiveKeysConflict", func(t *testing.T, ctx context.Context, s mint.Store) {
		k1, k2 := newKey(1, mint.AlgRS256), newKey(2, mint.AlgES256)
		k2.State = mint.KeyNext
		setKeys(t, ctx, s, k1, k2)
		for name, update := range map[string]func([]mint.SigningKey) ([]mint.SigningKey, error){
			"Insert": func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
				return append(keys[1:], newKey(3, mint.AlgRS256), keys[0]), nil
			},
			"Promote": func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
				keys[1].Algorithm, keys[1].State = mint.AlgRS256, mint.KeyActive
				return keys, nil
			},
		} {
			t.Run(name, func(t *testing.T) {
				got, err := s.UpdateSigningKeys(ctx, update)
				wantErr(t, "UpdateSigningKeys", err, mint.ErrConflict)
				if got != nil {
					t.Errorf("UpdateSigningKeys returned %q with its error, want nil", ids(got, keyID))
				}
				checkKeys(t, ctx, s, k1, k2)
			})
		}
	}},
	{"SeparateAlgorithmsHaveSeparateActiveKeys", func(t *testing.T, ctx context.Context, s mint.Store) {
		var want []mint.SigningKey
		for i, alg := range mint.SigningAlgorithms {
			k := newKey(i+1, alg)
			want = append(want, k)
			_, err := s.UpdateSigningKeys(ctx, addIfNoActive(k))
			must(t, "UpdateSigningKeys "+alg, err)
			_, err = s.UpdateSigningKeys(ctx, addIfNoActive(newKey(i+10, alg)))
			must(t, "UpdateSigningKeys "+alg+" again", err)
		}
		checkKeys(t, ctx, s, want...)
	}},
	{"StagedRotation", runStagedRotation},
	{"RacingUpdatesEndWithOneActiveKey", runRacingKeyUpdates},
	{"PanickingUpdateChangesNothing", func(t *testing.T, ctx context.Context, s mint.Store) {
		k1 := newKey(1, mint.AlgRS256)
		setKeys(t, ctx, s, k1)
		func() {
			defer func() { _ = recover() }()
			s.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) { panic("boom") })
		}()
		k2 := newKey(2, mint.AlgES256)
		_, err := s.UpdateSigningKeys(ctx, addIfNoActive(k2))
		must(t, "UpdateSigningKeys after a panicking update", err)
		checkKeys(t, ctx, s, k1, k2)
	}},
}

// runStagedRotation rotates RS256 as the key ring does: publish a next key,
// then in one update promote it and retire the old one, then drop the old
// one when it may no longer be needed.
func runStagedRotation(t *testing.T, ctx context.Context, s mint.Store) {
	old := newKey(1, mint.AlgRS256)
	setKeys(t, ctx, s, old)

	next := newKey(2, mint.AlgRS256)
	next.State, next.ActivateAt = mint.KeyNext, at(60)
	_, err := s.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
		return append(keys, next), nil
	})
	must(t, "UpdateSigningKeys: add next", err)
	checkKeys(t, ctx, s, old, next)

	got, err := s.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
		// The new key comes first in the result: the store must still
		// demote the old one before it promotes the new.
		keys[0].State, keys[0].RetiredAt, keys[0].RemoveAt = mint.KeyRetired, at(60), at(120)
		keys[1].State, keys[1].ActivateAt = mint.KeyActive, time.Time{}
		return []mint.SigningKey{keys[1], keys[0]}, nil
	})
	must(t, "UpdateSigningKeys: promote next, retire old", err)
	old.State, old.RetiredAt, old.RemoveAt = mint.KeyRetired, at(60), at(120)
	next.State, next.ActivateAt = mint.KeyActive, time.Time{}
	checkKeyList(t, "UpdateSigningKeys result", got, old, next)
	checkKeys(t, ctx, s, old, next)

	_, err = s.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
		return slices.DeleteFunc(keys, func(k mint.SigningKey) bool { return k.State == mint.KeyRetired }), nil
	})
	must(t, "UpdateSigningKeys: remove retired", err)
	checkKeys(t, ctx, s, next)
}

// runRacingKeyUpdates: replicas starting at once each add their own key
// unless one is active. One key wins, and every caller is told it.
func runRacingKeyUpdates(t *testing.T, ctx context.Context, s mint.Store) {
	const n = 10
	got := make([][]mint.SigningKey, n)
	errs := concurrently(n, func(i int) error {
		var err error
		got[i], err = s.UpdateSigningKeys(ctx, addIfNoActive(newKey(i, mint.AlgRS256)))
		return err
	})
	must(t, "UpdateSigningKeys", errors.Join(errs...))
	keys, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	if len(keys) != 1 {
		t.Fatalf("after %d racing updates, ListSigningKeys = %q, want one key", n, ids(keys, keyID))
	}
	winner := activeKey(t, "ListSigningKeys", keys, mint.AlgRS256)
	for i := range got {
		checkKeyList(t, fmt.Sprintf("UpdateSigningKeys #%d result", i), got[i], winner)
	}
}
