package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/mintauth/mint"
)

// newKey returns key_N for alg, created at(N). The private key bytes stand
// in for PKCS #8 DER; stores must keep them as they are.
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
	d.check(t, "signing key "+want.ID)
}

func ensureKey(t *testing.T, ctx context.Context, s mint.Store, key, want mint.SigningKey) {
	t.Helper()
	got, err := s.EnsureActiveKey(ctx, key)
	must(t, "EnsureActiveKey "+key.ID, err)
	checkKey(t, got, want)
}

func checkKeys(t *testing.T, ctx context.Context, s mint.Store, want ...mint.SigningKey) {
	t.Helper()
	got, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	wantIDs(t, "ListSigningKeys", ids(got, keyID), ids(want, keyID))
	for i := range want {
		checkKey(t, got[i], want[i])
	}
}

var keyCases = []testCase{
	{"ListEmpty", func(t *testing.T, ctx context.Context, s mint.Store) {
		checkKeys(t, ctx, s)
	}},
	{"EnsureStoresTheFirstKey", func(t *testing.T, ctx context.Context, s mint.Store) {
		k := newKey(1, "RS256")
		ensureKey(t, ctx, s, k, k)
		checkKeys(t, ctx, s, k)
	}},
	{"EnsureStoresTheKeyAsActive", func(t *testing.T, ctx context.Context, s mint.Store) {
		k := newKey(1, "RS256")
		k.State = ""
		want := k
		want.State = mint.KeyActive
		ensureKey(t, ctx, s, k, want)
		checkKeys(t, ctx, s, want)
	}},
	{"EnsureKeepsTheActiveKey", func(t *testing.T, ctx context.Context, s mint.Store) {
		first := newKey(1, "RS256")
		ensureKey(t, ctx, s, first, first)
		ensureKey(t, ctx, s, newKey(2, "RS256"), first)
		checkKeys(t, ctx, s, first)
	}},
	{"OneActiveKeyPerAlgorithm", func(t *testing.T, ctx context.Context, s mint.Store) {
		rs, es := newKey(1, "RS256"), newKey(2, "ES256")
		ensureKey(t, ctx, s, es, es)
		ensureKey(t, ctx, s, rs, rs)
		ensureKey(t, ctx, s, newKey(3, "ES256"), es)
		ensureKey(t, ctx, s, newKey(4, "RS256"), rs)
		checkKeys(t, ctx, s, rs, es) // oldest first
	}},
	{"RacingEnsureEndsWithOneKey", func(t *testing.T, ctx context.Context, s mint.Store) {
		const n = 16
		got := make([]mint.SigningKey, n)
		errs := concurrently(n, func(i int) error {
			var err error
			got[i], err = s.EnsureActiveKey(ctx, newKey(i, "RS256"))
			return err
		})
		for i, err := range errs {
			must(t, fmt.Sprintf("EnsureActiveKey #%d", i), err)
		}
		winner := got[0]
		for i, k := range got {
			if k.ID != winner.ID || !bytes.Equal(k.PrivateKey, winner.PrivateKey) {
				t.Errorf("EnsureActiveKey #%d returned %s, #0 returned %s", i, k.ID, winner.ID)
			}
		}
		keys, err := s.ListSigningKeys(ctx)
		must(t, "ListSigningKeys", err)
		active := 0
		for _, k := range keys {
			if k.Algorithm == "RS256" && k.State == mint.KeyActive {
				active++
			}
		}
		if active != 1 || len(keys) != 1 {
			t.Fatalf("after %d racing calls, ListSigningKeys = %q with %d active, want only %s",
				n, ids(keys, keyID), active, winner.ID)
		}
		checkKey(t, keys[0], winner)
	}},
}
