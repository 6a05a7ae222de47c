package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

// TestAttackAssertionKeyHeaders: a private_key_jwt assertion is checked
// with the client's registered keys only. An attacker's assertion that
// carries its own key (jwk), points at it (jku, x5u) or names the
// client's kid beside it never authenticates the client, and no URL it
// names is fetched. The control: the client's own key does.
func TestAttackAssertionKeyHeaders(t *testing.T) {
	store := testdb.Open(t, "sqlite")
	victim, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: victim.Public(), KeyID: "k1", Algorithm: "ES256"}}})
	now := time.Now()
	if err := store.CreateClient(context.Background(), mint.Client{ID: "victim", Name: "v", JWKS: set, CreatedAt: now},
		mint.Secret{ID: "s1", ClientID: "victim", Digest: make([]byte, 32), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var fetched atomic.Int64
	lure := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fetched.Add(1) }))
	t.Cleanup(lure.Close)
	a := &Authenticator{Store: store, Issuer: "https://mint.test"}
	n := 0
	sign := func(key *ecdsa.PrivateKey, headers map[jose.HeaderKey]any) string {
		t.Helper()
		n++
		opts := &jose.SignerOptions{}
		for k, v := range headers {
			opts = opts.WithHeader(k, v)
		}
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
		if err != nil {
			t.Fatal(err)
		}
		claims, _ := json.Marshal(map[string]any{"iss": "victim", "sub": "victim", "aud": "https://mint.test",
			"exp": now.Add(time.Minute).Unix(), "jti": "j" + itoa(int64(n))})
		obj, err := s.Sign(claims)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := obj.CompactSerialize()
		return out
	}
	attackerJWK := jose.JSONWebKey{Key: attacker.Public(), KeyID: "k1"}
	for name, headers := range map[string]map[jose.HeaderKey]any{
		"the client's kid":          {"kid": "k1"},
		"no kid, its own jwk":       {"jwk": attackerJWK},
		"the client's kid, its jwk": {"kid": "k1", "jwk": attackerJWK},
		"jku":                       {"kid": "k1", "jku": lure.URL + "/jwks"},
		"x5u":                       {"kid": "k1", "x5u": lure.URL + "/cert"},
		"an unknown kid and a jku":  {"kid": "k2", "jku": lure.URL + "/jwks"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := a.Authenticate(context.Background(), Credentials{Method: PrivateKeyJWT, Assertion: sign(attacker, headers)}); err == nil {
				t.Fatal("an attacker's key authenticated the client")
			}
		})
	}
	if fetched.Load() != 0 {
		t.Fatalf("a URL an assertion named was fetched %d times", fetched.Load())
	}
	if _, err := a.Authenticate(context.Background(), Credentials{Method: PrivateKeyJWT, Assertion: sign(victim, map[jose.HeaderKey]any{"kid": "k1"})}); err != nil {
		t.Fatalf("control: the client's own assertion was refused: %v", err)
	}
}
