package keyring_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
)

// signedBy signs with r and returns the token's kid.
func signedBy(t *testing.T, r *keyring.Ring, alg string) string {
	t.Helper()
	tok, err := r.Sign(testContext(t), alg, benchPayload)
	if err != nil {
		t.Fatalf("Sign(%s): %v", alg, err)
	}
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Protected.KeyID
}

func keyByID(t *testing.T, keys []mint.SigningKey, kid string) (mint.SigningKey, bool) {
	t.Helper()
	i := slices.IndexFunc(keys, func(k mint.SigningKey) bool { return k.ID == kid })
	if i < 0 {
		return mint.SigningKey{}, false
	}
	return keys[i], true
}

// TestRotationTimeline follows one manual rotation from next through active
// and retired to removed, on two replicas: a rotates, b only reloaded once
// after, yet both switch at the same instant, chosen by time.
func TestRotationTimeline(t *testing.T) {
	ctx := testContext(t)
	clk := newClock()
	path := filepath.Join(t.TempDir(), "mint.db")
	store := openStore(t, path)
	const prepublish = 10 * time.Minute
	a := openRingWith(t, store, keyring.Config{Now: clk.Now, Prepublish: prepublish})
	b := openRingWith(t, openStore(t, path), keyring.Config{Now: clk.Now, Prepublish: prepublish})
	// One API with a 1 h lifetime: retired keys stay 1 h + 5 min.
	if err := store.CreateAPI(ctx, mint.API{ID: "api_1", Name: "x", Audience: "https://x", TokenLifetime: time.Hour,
		CreatedAt: epoch, UpdatedAt: epoch}); err != nil {
		t.Fatal(err)
	}
	keep := time.Hour + keyring.RetentionLeeway
	old := a.ActiveKeyID()

	rotatedAt := epoch.Add(time.Hour)
	clk.Set(rotatedAt)
	keys, err := a.Rotate(ctx, "RS256", false)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if len(keys) != 2 {
		t.Fatalf("Rotate returned %d keys, want 2", len(keys))
	}
	next := keys[1].ID
	activateAt := rotatedAt.Add(prepublish)
	if k := keys[1]; k.State != mint.KeyNext || !k.ActivateAt.Equal(activateAt) || k.PrivateKey != nil {
		t.Errorf("new key: %s from %v (private key shown: %v); want next from %v", k.State, k.ActivateAt, k.PrivateKey != nil, activateAt)
	}
	if err := b.Reload(ctx); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name     string
		at       time.Time
		maintain bool
		signer   string
		states   map[string]mint.KeyState // stored after the step; absent: deleted
	}{
		{"NextIsPublishedButDoesNotSign", rotatedAt.Add(prepublish - time.Second), true, old,
			map[string]mint.KeyState{old: mint.KeyActive, next: mint.KeyNext}},
		{"NextSignsAtActivateAtBeforeMaintain", activateAt, false, next,
			map[string]mint.KeyState{old: mint.KeyActive, next: mint.KeyNext}},
		{"MaintainStoresTheSwitch", activateAt.Add(time.Second), true, next,
			map[string]mint.KeyState{old: mint.KeyRetired, next: mint.KeyActive}},
		{"RetiredStaysUntilItsTokensExpire", activateAt.Add(keep - time.Second), true, next,
			map[string]mint.KeyState{old: mint.KeyRetired, next: mint.KeyActive}},
		{"RetiredLeavesAtRemoveAt", activateAt.Add(keep), true, next,
			map[string]mint.KeyState{next: mint.KeyActive}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clk.Set(st.at)
			if st.maintain {
				if err := a.Maintain(ctx); err != nil {
					t.Fatalf("Maintain: %v", err)
				}
			}
			for name, r := range map[string]*keyring.Ring{"a": a, "b": b} {
				if got := signedBy(t, r, "RS256"); got != st.signer {
					t.Errorf("replica %s signs with %s, want %s", name, got, st.signer)
				}
			}
			stored := listKeys(t, store)
			if len(stored) != len(st.states) {
				t.Errorf("store holds %d keys, want %d", len(stored), len(st.states))
			}
			for kid, want := range st.states {
				k, ok := keyByID(t, stored, kid)
				if !ok || k.State != want {
					t.Errorf("key %s: stored %v %s, want %s", kid, ok, k.State, want)
				}
				if _, found, _ := a.LookupKey(ctx, kid); !found {
					t.Errorf("key %s (%s) is not published", kid, want)
				}
			}
			if k, ok := keyByID(t, stored, old); ok && k.State == mint.KeyRetired {
				if !k.RetiredAt.Equal(activateAt) || !k.RemoveAt.Equal(activateAt.Add(keep)) {
					t.Errorf("retired key: retired %v, removed %v; want %v and %v", k.RetiredAt, k.RemoveAt, activateAt, activateAt.Add(keep))
				}
			}
			if _, found, _ := a.LookupKey(ctx, old); found != (st.states[old] != "") {
				t.Errorf("old key published = %v", found)
			}
		})
	}
}

func TestRotate(t *testing.T) {
	ctx := testContext(t)
	clk := newClock()
	r := openRingWith(t, openStore(t, filepath.Join(t.TempDir(), "mint.db")), keyring.Config{Now: clk.Now})
	old := r.ActiveKeyID()
	keys, err := r.Rotate(ctx, "RS256", false)
	if err != nil {
		t.Fatal(err)
	}
	pending := keys[len(keys)-1].ID
	if !keys[len(keys)-1].ActivateAt.Equal(epoch.Add(keyring.DefaultPrepublish)) {
		t.Errorf("default prepublication: activates %v, want %v", keys[len(keys)-1].ActivateAt, epoch.Add(keyring.DefaultPrepublish))
	}

	t.Run("AgainWhileOneWaits", func(t *testing.T) {
		_, err := r.Rotate(ctx, "RS256", false)
		if !errors.Is(err, keyring.ErrRotationPending) || !errors.Is(err, mint.ErrConflict) {
			t.Errorf("second Rotate: %v, want ErrRotationPending (a mint.ErrConflict)", err)
		}
	})
	t.Run("AnotherAlgorithmIsIndependent", func(t *testing.T) {
		if _, err := r.Rotate(ctx, "ES256", false); err != nil {
			t.Errorf("Rotate(ES256): %v", err)
		}
		if got := r.ActiveKeyID(); got != old {
			t.Errorf("rotating ES256 changed the RS256 signer to %s", got)
		}
	})
	t.Run("Immediate", func(t *testing.T) {
		clk.Set(epoch.Add(time.Minute))
		keys, err := r.Rotate(ctx, "RS256", true)
		if err != nil {
			t.Fatal(err)
		}
		now := r.ActiveKeyID()
		if now == old || now == pending {
			t.Fatalf("after an immediate rotation %s signs", now)
		}
		if _, ok := keyByID(t, keys, pending); ok {
			t.Error("the key that was waiting is still there; an immediate rotation drops it")
		}
		k, _ := keyByID(t, keys, old)
		if k.State != mint.KeyRetired || !k.RetiredAt.Equal(epoch.Add(time.Minute)) {
			t.Errorf("old key %s retired %v, want retired now", k.State, k.RetiredAt)
		}
		if k, _ := keyByID(t, keys, now); k.State != mint.KeyActive {
			t.Errorf("new key is %s, want active", k.State)
		}
		if _, found, _ := r.LookupKey(ctx, old); !found {
			t.Error("the old key left the JWKS at once; its tokens would stop verifying")
		}
	})
	t.Run("UnknownAlgorithm", func(t *testing.T) {
		if _, err := r.Rotate(ctx, "HS256", false); err == nil {
			t.Error("Rotate(HS256) succeeded")
		}
	})
}

// TestScheduledRotation: with a period, Maintain adds the next key so that
// it signs exactly one period after the current one started.
func TestScheduledRotation(t *testing.T) {
	ctx := testContext(t)
	clk := newClock()
	const period, prepublish = 30 * 24 * time.Hour, 10 * time.Minute
	store := openStore(t, filepath.Join(t.TempDir(), "mint.db"))
	r := openRingWith(t, store, keyring.Config{Now: clk.Now, Prepublish: prepublish, RotationPeriod: period})
	if err := r.EnsureKey(ctx, "EdDSA"); err != nil {
		t.Fatal(err)
	}
	first := map[string]string{"RS256": r.SigningKeyID("RS256"), "EdDSA": r.SigningKeyID("EdDSA")}

	clk.Set(epoch.Add(period - prepublish - time.Second))
	if err := r.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(listKeys(t, store)); n != 2 {
		t.Fatalf("before the period less the prepublication: %d keys, want 2", n)
	}

	clk.Set(epoch.Add(period - prepublish))
	if err := r.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	keys := listKeys(t, store)
	for alg, kid := range first {
		i := slices.IndexFunc(keys, func(k mint.SigningKey) bool { return k.Algorithm == alg && k.State == mint.KeyNext })
		if i < 0 {
			t.Fatalf("no next %s key after the period", alg)
		}
		if !keys[i].ActivateAt.Equal(epoch.Add(period)) {
			t.Errorf("next %s key activates %v, want %v", alg, keys[i].ActivateAt, epoch.Add(period))
		}
		if r.SigningKeyID(alg) != kid {
			t.Errorf("%s switched before the next key's ActivateAt", alg)
		}
	}
	if err := r.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(listKeys(t, store)); n != 4 {
		t.Errorf("a second Maintain made %d keys, want still 4", n)
	}
	clk.Set(epoch.Add(period))
	for alg, kid := range first {
		if r.SigningKeyID(alg) == kid {
			t.Errorf("%s still signs with its first key at the end of the period", alg)
		}
	}
}

// TestMaintainWritesNothingWhenNothingChanges keeps replicas from writing
// every 30 s for nothing.
func TestMaintainWritesNothingWhenNothingChanges(t *testing.T) {
	ctx := testContext(t)
	r, store, _ := newRing(t)
	before := listKeys(t, store)
	if err := r.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	after := listKeys(t, store)
	if len(after) != 1 || string(after[0].PrivateKey) != string(before[0].PrivateKey) {
		t.Error("Maintain rewrote an unchanged key")
	}
}
