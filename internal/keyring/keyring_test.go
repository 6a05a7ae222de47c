package keyring_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/sqlite"
)

// epoch is where the test clocks start.
var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// masterKey seals the keys of these tests.
var masterKey = []byte("0123456789abcdef0123456789abcdef")

// testClock is a clock tests move; rings read it from other goroutines.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: epoch} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func clock() time.Time { return epoch }

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// openStore opens the SQLite store at path; opening the same path twice is
// what two replicas sharing one database do.
func openStore(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(testContext(t), path)
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func openRingWith(t testing.TB, store mint.Store, cfg keyring.Config) *keyring.Ring {
	t.Helper()
	if cfg.MasterKey == nil {
		cfg.MasterKey = masterKey
	}
	if cfg.Now == nil {
		cfg.Now = clock
	}
	r, err := keyring.Open(testContext(t), store, cfg)
	if err != nil {
		t.Fatalf("keyring.Open: %v", err)
	}
	return r
}

func openRing(t testing.TB, store mint.Store) *keyring.Ring {
	t.Helper()
	return openRingWith(t, store, keyring.Config{})
}

// newRing opens a ring on a fresh database and returns it with the path.
func newRing(t testing.TB) (*keyring.Ring, *sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mint.db")
	store := openStore(t, path)
	return openRing(t, store), store, path
}

func listKeys(t testing.TB, store mint.Store) []mint.SigningKey {
	t.Helper()
	keys, err := store.ListSigningKeys(testContext(t))
	if err != nil {
		t.Fatalf("ListSigningKeys: %v", err)
	}
	return keys
}

// unseal opens a stored key with the tests' master key.
func unseal(t testing.TB, k mint.SigningKey) crypto.Signer {
	t.Helper()
	der, err := keyring.Unseal(masterKey, k)
	if err != nil {
		t.Fatalf("Unseal %s: %v", k.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatalf("key %s is not PKCS #8 once opened: %v", k.ID, err)
	}
	return priv.(crypto.Signer)
}

// thumbprint computes the RFC 7638 SHA-256 thumbprint of pub, base64url.
func thumbprint(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatalf("Thumbprint: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	slices.Sort(out)
	return out
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name string
		// second returns the store the second Open runs on.
		second func(t *testing.T, first *sqlite.Store, path string) *sqlite.Store
	}{
		{"SameStore", func(_ *testing.T, first *sqlite.Store, _ string) *sqlite.Store { return first }},
		{"AnotherReplicaOnTheSameFile", func(t *testing.T, _ *sqlite.Store, path string) *sqlite.Store {
			return openStore(t, path)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mint.db")
			store := openStore(t, path)
			if keys := listKeys(t, store); len(keys) != 0 {
				t.Fatalf("a new store holds %d keys", len(keys))
			}

			first := openRing(t, store)
			keys := listKeys(t, store)
			if len(keys) != 1 {
				t.Fatalf("after the first Open the store holds %d keys, want 1", len(keys))
			}
			k := keys[0]
			if k.Algorithm != "RS256" || k.State != mint.KeyActive {
				t.Errorf("stored key is %s %s, want RS256 active", k.Algorithm, k.State)
			}
			if !k.CreatedAt.Equal(epoch) || !k.ActivateAt.Equal(epoch) {
				t.Errorf("stored key created %v, active from %v; want the injected clock's %v", k.CreatedAt, k.ActivateAt, epoch)
			}
			if _, err := x509.ParsePKCS8PrivateKey(k.PrivateKey); err == nil {
				t.Fatal("the stored private key is PKCS #8 in the clear")
			}
			rsaKey, ok := unseal(t, k).(*rsa.PrivateKey)
			if !ok {
				t.Fatalf("stored key is not an RSA key")
			}
			if bits := rsaKey.N.BitLen(); bits < 2048 {
				t.Errorf("RSA modulus is %d bits, want at least 2048", bits)
			}
			if first.ActiveKeyID() != k.ID {
				t.Errorf("ActiveKeyID = %q, want the stored key %q", first.ActiveKeyID(), k.ID)
			}

			second := openRing(t, tt.second(t, store, path))
			if second.ActiveKeyID() != first.ActiveKeyID() {
				t.Errorf("second Open signs with %q, first with %q", second.ActiveKeyID(), first.ActiveKeyID())
			}
			if keys := listKeys(t, store); len(keys) != 1 {
				t.Errorf("after the second Open the store holds %d keys, want 1", len(keys))
			}
			if got := kids(second.PublicKeys()); !slices.Equal(got, []string{k.ID}) {
				t.Errorf("second ring publishes %v, want [%s]", got, k.ID)
			}
		})
	}
}

// TestOpenConcurrently starts replicas at once on one empty database; they
// must end up with one key between them.
func TestOpenConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mint.db")
	stores := make([]*sqlite.Store, 4)
	for i := range stores {
		stores[i] = openStore(t, path)
	}
	rings := make([]*keyring.Ring, len(stores))
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			rings[i], errs[i] = keyring.Open(testContext(t), s, keyring.Config{MasterKey: masterKey, Now: clock})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: Open: %v", i, err)
		}
	}
	keys := listKeys(t, stores[0])
	if len(keys) != 1 {
		t.Fatalf("racing replicas stored %d keys, want 1", len(keys))
	}
	for i, r := range rings {
		if err := r.Reload(testContext(t)); err != nil {
			t.Fatal(err)
		}
		if r.ActiveKeyID() != keys[0].ID {
			t.Errorf("replica %d signs with %q, want the stored %q", i, r.ActiveKeyID(), keys[0].ID)
		}
	}
}

func TestKeyIDIsThumbprint(t *testing.T) {
	r, store, _ := newRing(t)
	ctx := testContext(t)
	for _, alg := range mint.SigningAlgorithms {
		if err := r.EnsureKey(ctx, alg); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range listKeys(t, store) {
		t.Run(k.Algorithm, func(t *testing.T) {
			if want := thumbprint(t, unseal(t, k).Public()); k.ID != want {
				t.Errorf("kid = %q, RFC 7638 thumbprint = %q", k.ID, want)
			}
			if r.SigningKeyID(k.Algorithm) != k.ID {
				t.Errorf("SigningKeyID(%s) = %q, want %q", k.Algorithm, r.SigningKeyID(k.Algorithm), k.ID)
			}
		})
	}
}

// TestReload: a second Open on the same file is another replica; a key it
// makes is published by the first ring on Reload, not before (LookupKey
// also reloads on an unknown kid: see lookup_test.go).
func TestReload(t *testing.T) {
	ctx := testContext(t)
	a, storeA, path := newRing(t)
	b := openRing(t, openStore(t, path))
	first := a.ActiveKeyID()

	t.Run("PublishesAKeyAddedByAnotherReplica", func(t *testing.T) {
		if err := b.EnsureKey(ctx, "ES256"); err != nil {
			t.Fatalf("EnsureKey(ES256): %v", err)
		}
		esKID := b.SigningKeyID("ES256")
		if slices.Contains(kids(a.PublicKeys()), esKID) {
			t.Error("a published the new key before Reload")
		}
		if err := a.Reload(ctx); err != nil {
			t.Fatalf("a.Reload: %v", err)
		}
		if got, want := kids(a.PublicKeys()), kids(b.PublicKeys()); !slices.Equal(got, want) || len(got) != 2 {
			t.Errorf("after Reload a publishes %v, b publishes %v; want the same two keys", got, want)
		}
		k, found, _ := a.LookupKey(ctx, esKID)
		if !found || !k.IsPublic() || k.Algorithm != "ES256" {
			t.Errorf("LookupKey(ES256 kid) found %v public %v alg %q", found, k.IsPublic(), k.Algorithm)
		}
		if a.ActiveKeyID() != first {
			t.Errorf("a ES256 key changed the RS256 signer to %q", a.ActiveKeyID())
		}
	})

	t.Run("FailedReloadKeepsTheKeys", func(t *testing.T) {
		before := kids(a.PublicKeys())
		// A row this ring cannot open: Reload must fail and change nothing.
		_, err := storeA.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
			return append(keys, mint.SigningKey{ID: "broken", Algorithm: "PS256", PrivateKey: []byte("not DER"),
				State: mint.KeyActive, CreatedAt: epoch, ActivateAt: epoch}), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Reload(ctx); err == nil {
			t.Fatal("Reload accepted an unreadable key")
		}
		if got := kids(a.PublicKeys()); !slices.Equal(got, before) {
			t.Errorf("failed Reload changed the published keys to %v", got)
		}
		if _, err := a.Sign(ctx, "RS256", []byte(`{}`)); err != nil {
			t.Errorf("Sign after a failed Reload: %v", err)
		}
	})
}

// newRSAKey is an RSA key as an older mint stored it: PKCS #8 in the clear.
func newRSAKey(t testing.TB) (kid string, der []byte) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err = x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return thumbprint(t, &priv.PublicKey), der
}
