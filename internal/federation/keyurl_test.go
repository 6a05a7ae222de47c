package federation_test

import (
	"context"
	"crypto/rsa"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
)

// TestPrivateKeyJWTWithKeyURL: a client whose keys are at a URL (a key
// location rule) authenticates with private_key_jwt, and rotates its keys
// without an admin.
func TestPrivateKeyJWTWithKeyURL(t *testing.T) {
	f := newFixture(t, "sqlite")
	keys := newIssuer(t, jose.RS256) // plays the partner's key set URL
	ctx, now := context.Background(), f.clock.now()
	s := f.b.srv.Store()
	must(t, s.CreateClient(ctx, mint.Client{ID: "signer", Name: "signer", CreatedAt: now, UpdatedAt: now},
		mint.Secret{ID: "sec_signer", ClientID: "signer", Digest: secret.Digest("mint_signer-secret"), CreatedAt: now}))
	must(t, s.CreateGrant(ctx, mint.Grant{ID: "grant_signer", ClientID: "signer", Audience: cargo, Scopes: []string{"read"},
		CreatedAt: now, UpdatedAt: now}))
	f.addRule(mint.FederatedCredential{ID: "fed_keys", ClientID: "signer", Issuer: "signer", Subject: "signer",
		MaxAge: 10 * time.Minute, JWKSURI: keys.URL() + "/jwks", CreatedAt: now})
	own := func() map[string]any {
		n := f.clock.now()
		return map[string]any{"iss": "signer", "sub": "signer", "aud": mintIssuer, "jti": keys.jti(),
			"iat": n.Unix(), "exp": n.Add(time.Minute).Unix()}
	}
	request := func(tok string) answer {
		return post(t, f.a, url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {assertionType},
			"client_assertion": {tok}, "audience": {cargo}})
	}
	wantSigner := func(a answer, what string) {
		t.Helper()
		if a.status != 200 || payload(t, a.str("access_token"))["client_id"] != "signer" {
			t.Fatalf("%s: %d %v", what, a.status, a.body)
		}
	}
	tok := keys.sign(own())
	wantSigner(request(tok), "key from the URL")
	wantRefused(t, request(tok), 401, "invalid_client", "client authentication failed") // replay
	attacker := newKey(t, jose.RS256).(*rsa.PrivateKey)
	wantRefused(t, request(signWith(t, jose.RS256, "key-1", attacker, own())), 401, "invalid_client", "client authentication failed")
	keys.rotate()
	f.clock.advance(6 * time.Second)
	wantSigner(request(keys.sign(own())), "a key rotated in at the URL")
	// The key location is for private_key_jwt only: the same key cannot
	// sign an external token for the client.
	c := own()
	c["sub"] = "someone"
	wantRefused(t, request(keys.sign(c)), 401, "invalid_client", "no trust rule")
}
