package tokenstate_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

// TestPrivateKeyJWT: a client authenticates with an assertion signed by a
// key of its JWKS (RFC 7523 §2.2, §3), at the token endpoint and at the
// introspection endpoint, for each key type.
func TestPrivateKeyJWT(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		for _, k := range []struct {
			alg jose.SignatureAlgorithm
			key func(testing.TB) crypto.Signer
		}{{jose.RS256, rsaKey}, {jose.PS256, rsaKey}, {jose.ES256, ecKey}, {jose.EdDSA, edKey}} {
			t.Run(string(k.alg), func(t *testing.T) {
				c := h.newClient(k.key(t), k.alg, false)
				a := h.post("/oauth/token", assertionForm(h.assertion(c, nil), "grant_type", "client_credentials"), "")
				if a.status != http.StatusOK || !strings.Contains(string(a.body), `"access_token"`) {
					t.Fatalf("token: %d %s", a.status, a.body)
				}
				// The issuer as aud, and client_id in the body, are fine too.
				a = h.post("/oauth/token", assertionForm(h.assertion(c, func(m map[string]any) { m["aud"] = []string{"x", issuer} }),
					"grant_type", "client_credentials", "client_id", c.id), "")
				if a.status != http.StatusOK {
					t.Fatalf("token with aud = issuer: %d %s", a.status, a.body)
				}
				tok := h.issue(c)
				a = h.post("/oauth/introspect", assertionForm(h.assertion(c, nil), "token", tok), "")
				if a.status != http.StatusOK || !strings.Contains(string(a.body), `"active":true`) {
					t.Fatalf("introspect with an assertion: %d %s", a.status, a.body)
				}
			})
		}
	})
}

// TestPrivateKeyJWTRefusals: every refused assertion is the same 401
// invalid_client, without a challenge and without saying which check
// failed.
func TestPrivateKeyJWTRefusals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		c := h.newClient(rsaKey(t), jose.RS256, false)
		other := h.newClient(rsaKey(t), jose.RS256, false)
		noKeys := h.newClient(nil, "", false)
		noKeys.key, noKeys.alg = rsaKey(t), jose.RS256
		used := h.assertion(c, nil)
		if a := h.post("/oauth/token", assertionForm(used, "grant_type", "client_credentials"), ""); a.status != 200 {
			t.Fatalf("first use: %d %s", a.status, a.body)
		}
		edit := func(f func(map[string]any)) string { return h.assertion(c, f) }
		cases := []struct{ name, assertion, reason string }{
			{"bad signature", signJWT(t, rsaKey(t), jose.RS256, c.kid, claimsOf(h, c)), "signature invalid"},
			{"other client's key", h.assertion(client{id: c.id, key: other.key, alg: jose.RS256, kid: c.kid}, nil), "signature invalid"},
			{"wrong iss", edit(func(m map[string]any) { m["iss"] = other.id }), "iss and sub"},
			{"wrong sub", edit(func(m map[string]any) { m["sub"] = other.id }), "iss and sub"},
			{"no iss", edit(func(m map[string]any) { delete(m, "iss") }), "iss and sub"},
			{"wrong aud", edit(func(m map[string]any) { m["aud"] = "https://elsewhere.test/oauth/token" }), "aud names"},
			{"resource as aud", edit(func(m map[string]any) { m["aud"] = cargo.Audience }), "aud names"},
			{"no aud", edit(func(m map[string]any) { delete(m, "aud") }), "aud names"},
			{"expired", edit(func(m map[string]any) { m["exp"] = h.now.Add(-time.Minute).Unix() }), "expired"},
			{"no exp", edit(func(m map[string]any) { delete(m, "exp") }), "no exp"},
			{"exp too far", edit(func(m map[string]any) { m["exp"] = h.now.Add(11 * time.Minute).Unix() }), "exp more than"},
			{"nbf in the future", edit(func(m map[string]any) { m["nbf"] = h.now.Add(time.Minute).Unix() }), "nbf in"},
			{"iat in the future", edit(func(m map[string]any) { m["iat"] = h.now.Add(time.Minute).Unix() }), "iat in"},
			{"no jti", edit(func(m map[string]any) { delete(m, "jti") }), "jti missing"},
			{"jti too long", edit(func(m map[string]any) { m["jti"] = strings.Repeat("j", 257) }), "jti missing"},
			{"replay", used, "already used"},
			{"client without JWKS", h.assertion(noKeys, nil), "no JWKS"},
			{"unknown client", h.assertion(client{id: "no-such-client", key: c.key, alg: jose.RS256, kid: c.kid}, nil), "unknown client"},
			{"unknown kid", h.assertion(client{id: c.id, key: c.key, alg: jose.RS256, kid: "other"}, nil), "no single key"},
			{"alg none", unsignedJWT(claimsOf(h, c)), "malformed"},
			{"alg HS256 with the public key", signJWT(t, publicDER(t, c), jose.HS256, c.kid, claimsOf(h, c)), "malformed"},
			{"not a JWT", "not.a.jwt", "malformed"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				a := h.post("/oauth/token", assertionForm(tc.assertion, "grant_type", "client_credentials"), "")
				if a.status != http.StatusUnauthorized || a.header.Get("WWW-Authenticate") != "" {
					t.Fatalf("status %d, challenge %q: %s", a.status, a.header.Get("WWW-Authenticate"), a.body)
				}
				golden(t, "assertion_refused", a.body)
				lines := strings.Split(strings.TrimSpace(h.logs.String()), "\n")
				if last := lines[len(lines)-1]; !strings.Contains(last, "reason=") || !strings.Contains(last, tc.reason) {
					t.Errorf("last log line %q, want reason %q", last, tc.reason)
				}
				if strings.Contains(h.logs.String(), tc.assertion) {
					t.Error("the log holds the assertion")
				}
			})
		}
		t.Run("client_id differs from iss", func(t *testing.T) {
			a := h.post("/oauth/token", assertionForm(h.assertion(c, nil), "grant_type", "client_credentials", "client_id", other.id), "")
			if a.status != http.StatusUnauthorized {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
		})
	})
}

// TestPrivateKeyJWTRequestShape: mixing methods and half-sent assertions
// are invalid_request.
func TestPrivateKeyJWTRequestShape(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		c := h.newClient(ecKey(t), jose.ES256, false)
		cases := []struct {
			name string
			form func() (form map[string][]string, auth string)
		}{
			{"assertion and secret", func() (map[string][]string, string) {
				return assertionForm(h.assertion(c, nil), "grant_type", "client_credentials", "client_secret", c.secret), ""
			}},
			{"assertion and basic", func() (map[string][]string, string) {
				return assertionForm(h.assertion(c, nil), "grant_type", "client_credentials"), basic(c)
			}},
			{"wrong assertion type", func() (map[string][]string, string) {
				f := assertionForm(h.assertion(c, nil), "grant_type", "client_credentials")
				f["client_assertion_type"] = []string{"urn:ietf:params:oauth:client-assertion-type:saml2-bearer"}
				return f, ""
			}},
			{"type without assertion", func() (map[string][]string, string) {
				f := assertionForm("", "grant_type", "client_credentials")
				delete(f, "client_assertion")
				return f, ""
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				form, auth := tc.form()
				a := h.post("/oauth/token", form, auth)
				if a.status != http.StatusBadRequest {
					t.Fatalf("status %d: %s", a.status, a.body)
				}
				golden(t, "shape/"+strings.ReplaceAll(tc.name, " ", "_"), a.body)
			})
		}
	})
}

// TestAssertionReplayAcrossReplicas: two mint replicas on one PostgreSQL
// schema; an assertion used at one is refused at the other.
func TestAssertionReplayAcrossReplicas(t *testing.T) {
	dsn := testdb.New(t, "postgres")
	master := keyring.NewMasterKey()
	a := newReplica(t, testdb.OpenDSN(t, "postgres", dsn), master)
	a.must(a.store.CreateAPI(context.Background(), cargo))
	b := newReplica(t, testdb.OpenDSN(t, "postgres", dsn), master)
	c := a.newClient(edKey(t), jose.EdDSA, false)
	assertion := a.assertion(c, nil)
	if got := a.post("/oauth/token", assertionForm(assertion, "grant_type", "client_credentials"), ""); got.status != 200 {
		t.Fatalf("replica A: %d %s", got.status, got.body)
	}
	if got := b.post("/oauth/token", assertionForm(assertion, "grant_type", "client_credentials"), ""); got.status != 401 {
		t.Fatalf("replay at replica B: %d %s", got.status, got.body)
	}
	if got := b.post("/oauth/token", assertionForm(b.assertion(c, nil), "grant_type", "client_credentials"), ""); got.status != 200 {
		t.Fatalf("fresh assertion at replica B: %d %s", got.status, got.body)
	}
}

func claimsOf(h *harness, c client) map[string]any {
	return map[string]any{"iss": c.id, "sub": c.id, "aud": issuer, "exp": h.now.Add(time.Minute).Unix(), "jti": mint.NewID("jti")}
}

// publicDER is c's public key as bytes, the HMAC secret of an algorithm
// confusion attack.
func publicDER(tb testing.TB, c client) []byte {
	der, err := x509.MarshalPKIXPublicKey(c.key.Public())
	if err != nil {
		tb.Fatal(err)
	}
	return der
}
