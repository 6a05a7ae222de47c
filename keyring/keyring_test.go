package keyring_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint"
	"github.com/mintauth/mint/keyring"
	"github.com/mintauth/mint/sqlite"
)

// epoch is the fixed clock of these tests.
var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

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

func openRing(t testing.TB, store mint.Store) *keyring.Ring {
	t.Helper()
	r, err := keyring.Open(testContext(t), store, clock)
	if err != nil {
		t.Fatalf("keyring.Open: %v", err)
	}
	return r
}

// newRing opens a ring on a fresh database and returns it with the path.
func newRing(t testing.TB) (*keyring.Ring, *sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mint.db")
	store := openStore(t, path)
	return openRing(t, store), store, path
}

func listKeys(t *testing.T, store mint.Store) []mint.SigningKey {
	t.Helper()
	keys, err := store.ListSigningKeys(testContext(t))
	if err != nil {
		t.Fatalf("ListSigningKeys: %v", err)
	}
	return keys
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
			if !k.CreatedAt.Equal(epoch) {
				t.Errorf("stored key created at %v, want the injected clock's %v", k.CreatedAt, epoch)
			}
			priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
			if err != nil {
				t.Fatalf("stored key is not PKCS #8: %v", err)
			}
			rsaKey, ok := priv.(*rsa.PrivateKey)
			if !ok {
				t.Fatalf("stored key is a %T, want *rsa.PrivateKey", priv)
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
		wg.Go(func() { rings[i], errs[i] = keyring.Open(testContext(t), s, clock) })
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
		if r.ActiveKeyID() != keys[0].ID {
			t.Errorf("replica %d signs with %q, want the stored %q", i, r.ActiveKeyID(), keys[0].ID)
		}
	}
}

func TestKeyIDIsThumbprint(t *testing.T) {
	r, store, _ := newRing(t)
	keys := listKeys(t, store)
	priv, err := x509.ParsePKCS8PrivateKey(keys[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pub  crypto.PublicKey
	}{
		{"StoredPrivateKey", priv.(crypto.Signer).Public()},
		{"PublishedKey", r.PublicKeys().Keys[0].Key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if want := thumbprint(t, tt.pub); r.ActiveKeyID() != want {
				t.Errorf("kid = %q, RFC 7638 thumbprint = %q", r.ActiveKeyID(), want)
			}
		})
	}
}

// TestReload: a second Open on the same file is another replica; a key it
// sees in the store reaches the first ring on Reload, not before.
func TestReload(t *testing.T) {
	ctx := testContext(t)
	a, storeA, path := newRing(t)
	storeB := openStore(t, path)
	b := openRing(t, storeB)
	if a.ActiveKeyID() != b.ActiveKeyID() {
		t.Fatalf("replicas sign with %q and %q", a.ActiveKeyID(), b.ActiveKeyID())
	}
	first := a.ActiveKeyID()

	t.Run("PublishesAKeyAddedByAnotherReplica", func(t *testing.T) {
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(ec)
		if err != nil {
			t.Fatal(err)
		}
		esKID := thumbprint(t, &ec.PublicKey)
		_, err = storeB.EnsureActiveKey(ctx, mint.SigningKey{
			ID: esKID, Algorithm: "ES256", PrivateKey: der, State: mint.KeyActive, CreatedAt: epoch.Add(time.Minute),
		})
		if err != nil {
			t.Fatalf("EnsureActiveKey(ES256): %v", err)
		}
		if err := b.Reload(ctx); err != nil {
			t.Fatalf("b.Reload: %v", err)
		}
		if _, found, _ := a.LookupKey(ctx, esKID); found {
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

	t.Run("SignsWithTheRotatedKeyAndKeepsPublishingTheOld", func(t *testing.T) {
		next := rotateRS256(t, path)
		if err := a.Reload(ctx); err != nil {
			t.Fatalf("Reload: %v", err)
		}
		if a.ActiveKeyID() != next {
			t.Fatalf("after Reload a signs with %q, want the rotated key %q", a.ActiveKeyID(), next)
		}
		tok, err := a.Sign([]byte(`{"sub":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		if kid := jws.Signatures[0].Protected.KeyID; kid != next {
			t.Errorf("token kid %q, want %q", kid, next)
		}
		pub, found, _ := a.LookupKey(ctx, next)
		if !found {
			t.Fatal("rotated key is not published")
		}
		if _, err := jws.Verify(pub); err != nil {
			t.Errorf("token does not verify with the published rotated key: %v", err)
		}
		if _, found, _ := a.LookupKey(ctx, first); !found {
			t.Error("the retired key is no longer published; tokens it signed stop verifying")
		}
	})

	t.Run("FailedReloadKeepsTheKeys", func(t *testing.T) {
		before := a.ActiveKeyID()
		// A row this ring cannot parse: Reload must fail and change nothing.
		_, err := storeA.EnsureActiveKey(ctx, mint.SigningKey{
			ID: "broken", Algorithm: "PS256", PrivateKey: []byte("not DER"), State: mint.KeyActive, CreatedAt: epoch,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Reload(ctx); err == nil {
			t.Fatal("Reload accepted an unparsable key")
		}
		if a.ActiveKeyID() != before {
			t.Errorf("failed Reload changed the signer to %q", a.ActiveKeyID())
		}
		if _, err := a.Sign([]byte(`{}`)); err != nil {
			t.Errorf("Sign after a failed Reload: %v", err)
		}
	})
}

// rotateRS256 retires the active RS256 key and stores a new active one, in
// the database at path. mint.Store has no rotation method yet, so this goes
// to the table directly, as an operator's rotation would.
func rotateRS256(t *testing.T, path string) string {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	kid := thumbprint(t, &priv.PublicKey)

	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := testContext(t)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx,
		`UPDATE signing_keys SET state = 'retired' WHERE algorithm = 'RS256' AND state = 'active'`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO signing_keys (id, algorithm, private_key, state, created_at) VALUES (?, 'RS256', ?, 'active', ?)`,
		kid, der, epoch.Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return kid
}
