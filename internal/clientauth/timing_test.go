package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/storecache"
	"github.com/mintauth/mint/internal/testdb"
	"github.com/mintauth/mint/oauth"
)

// countingStore counts the database reads client authentication makes.
type countingStore struct {
	mint.Store
	getClient, listSecrets atomic.Int64
}

func (c *countingStore) GetClient(ctx context.Context, id string) (mint.Client, error) {
	c.getClient.Add(1)
	return c.Store.GetClient(ctx, id)
}

func (c *countingStore) ListSecrets(ctx context.Context, id string) ([]mint.Secret, error) {
	c.listSecrets.Add(1)
	return c.Store.ListSecrets(ctx, id)
}

// Every refusal, for a known client or an unknown one, the first time or
// from the cache, reads the database exactly once (issue 13: the work must
// not say which client ids exist), and a success from the cache reads it
// not at all. The count is exact, so this holds on any machine; the
// hostile package measures the time.
func TestEveryRefusalReadsTheDatabaseOnce(t *testing.T) {
	raw := testdb.Open(t, "sqlite")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), Algorithm: "ES256"}}})
	plain, digest := secret.New()
	now := time.Now()
	if err := raw.CreateClient(context.Background(), mint.Client{ID: "known", Name: "k", JWKS: set, CreatedAt: now},
		mint.Secret{ID: "s1", ClientID: "known", Digest: digest, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	counted := &countingStore{Store: raw}
	cache := storecache.New(counted, storecache.Options{})
	a := &Authenticator{Store: cache, Issuer: "https://mint.test"}
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	wrong := strings.Repeat("x", len(plain))

	cases := []struct {
		name  string
		c     Credentials
		reads *atomic.Int64
	}{
		{"known, wrong secret", Credentials{Method: SecretPost, ClientID: "known", Secret: wrong}, &counted.listSecrets},
		{"unknown, same secret", Credentials{Method: SecretPost, ClientID: "unkno", Secret: wrong}, &counted.listSecrets},
		{"known, assertion by another key", Credentials{Method: PrivateKeyJWT, Assertion: assertionFor(t, attacker, "known")}, &counted.getClient},
		{"unknown, assertion", Credentials{Method: PrivateKeyJWT, Assertion: assertionFor(t, attacker, "unkno")}, &counted.getClient},
		{"known, assertion naming a kid it lacks", Credentials{Method: PrivateKeyJWT, Assertion: assertionFor(t, attacker, "known", "nope")}, &counted.getClient},
	}
	for _, tc := range cases {
		for try := range 3 { // the first time, then with the answer kept
			before := tc.reads.Load()
			_, err := a.Authenticate(context.Background(), tc.c)
			if e, ok := err.(*oauth.Error); !ok || e.Code != "invalid_client" {
				t.Fatalf("%s: %v, want invalid_client", tc.name, err)
			}
			if n := tc.reads.Load() - before; n != 1 {
				t.Errorf("%s, try %d: %d database reads, want 1", tc.name, try+1, n)
			}
		}
	}
	ok := Credentials{Method: SecretPost, ClientID: "known", Secret: plain}
	if _, err := a.Authenticate(context.Background(), ok); err != nil {
		t.Fatal(err)
	}
	before := counted.listSecrets.Load() + counted.getClient.Load()
	if _, err := a.Authenticate(context.Background(), ok); err != nil {
		t.Fatal(err)
	}
	if n := counted.listSecrets.Load() + counted.getClient.Load() - before; n != 0 {
		t.Errorf("a success from the cache read the database %d times, want 0", n)
	}
}

// A secret added on the database behind the cache's back (another
// replica, a notification not yet heard) works at once: the refusal is
// confirmed against the database, which has it.
func TestSecretAddedBehindTheCacheWorksAtOnce(t *testing.T) {
	raw := testdb.Open(t, "sqlite")
	_, digest := secret.New()
	now := time.Now()
	if err := raw.CreateClient(context.Background(), mint.Client{ID: "c", Name: "c", CreatedAt: now},
		mint.Secret{ID: "s1", ClientID: "c", Digest: digest, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	cache := storecache.New(raw, storecache.Options{}) // no notifier: changes are not heard
	a := &Authenticator{Store: cache, Issuer: "https://mint.test"}
	newPlain, newDigest := secret.New()
	a.Authenticate(context.Background(), Credentials{Method: SecretPost, ClientID: "c", Secret: "warm-the-cache"})
	if err := raw.RotateSecret(context.Background(), mint.Secret{ID: "s2", ClientID: "c", Digest: newDigest, CreatedAt: now}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(context.Background(), Credentials{Method: SecretPost, ClientID: "c", Secret: newPlain}); err != nil {
		t.Fatalf("the new secret: %v", err)
	}
}

func assertionFor(t *testing.T, key *ecdsa.PrivateKey, id string, kid ...string) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if len(kid) > 0 {
		opts = opts.WithHeader("kid", kid[0])
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: id, Subject: id, Audience: jwt.Audience{"https://mint.test"},
		Expiry: jwt.NewNumericDate(now.Add(time.Minute)), ID: "j1"}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
