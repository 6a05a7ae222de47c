package federation_test

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

// TestFederatedTokens: each way of presenting an external token gets the
// client's ordinary token, on both backends.
func TestFederatedTokens(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			f := newFixture(t, backend)
			cases := []struct {
				name string
				send func() answer
			}{
				{"GitHub Actions, client_id", func() answer {
					return post(t, f.a, assertion(f.gh.sign(f.githubClaims()), "client_id", "partner"))
				}},
				{"GitHub Actions, no client_id", func() answer { return post(t, f.a, assertion(f.gh.sign(f.githubClaims()))) }},
				{"GitHub Actions, JSON body", func() answer {
					return postJSON(t, f.a, map[string]string{"grant_type": "client_credentials", "client_assertion_type": assertionType,
						"client_assertion": f.gh.sign(f.githubClaims()), "audience": cargo})
				}},
				{"Kubernetes service account", func() answer { return post(t, f.a, assertion(f.k8s.sign(f.k8sClaims()))) }},
				{"jwt-bearer grant", func() answer {
					return post(t, f.a, url.Values{"grant_type": {bearerGrant}, "assertion": {f.k8s.sign(f.k8sClaims())}, "audience": {cargo}})
				}},
				{"jwt-bearer grant, JSON, client_id", func() answer {
					return postJSON(t, f.a, map[string]string{"grant_type": bearerGrant, "assertion": f.gh.sign(f.githubClaims()),
						"client_id": "partner", "audience": cargo})
				}},
				{"other replica", func() answer { return post(t, f.b, assertion(f.gh.sign(f.githubClaims()))) }},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { wantToken(t, c.send(), c.name) })
			}
		})
	}
}

// TestFederatedRefusals: every refusal of issue 18's list, each answered
// invalid_client (invalid_grant for the bearer grant) with a description
// that names what is wrong with the token, never which rule almost
// matched.
func TestFederatedRefusals(t *testing.T) {
	f := newFixture(t, "sqlite")
	const noRule, unmet = "no trust rule", "audience or claim conditions"
	gh := func(change func(map[string]any)) func() string {
		return func() string {
			c := f.githubClaims()
			change(c)
			return f.gh.sign(c)
		}
	}
	now := f.clock.now()
	attackerKey := newKey(t, jose.RS256).(*rsa.PrivateKey)
	cases := []struct {
		name, clientID string
		token          func() string
		want           string
	}{
		{"wrong issuer", "", gh(func(c map[string]any) { c["iss"] = githubIssuer + ".evil.example" }), noRule},
		{"issuer with a trailing slash", "", gh(func(c map[string]any) { c["iss"] = githubIssuer + "/" }), noRule},
		{"subject mismatch", "", gh(func(c map[string]any) { c["sub"] = "repo:acme/deploy:ref:refs/heads/dev" }), noRule},
		{"another client's client_id", "other", gh(func(map[string]any) {}), noRule},
		{"unknown client_id", "nobody", gh(func(map[string]any) {}), noRule},
		{"expired", "", gh(func(c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-10*time.Minute).Unix(), now.Add(-10*time.Minute).Unix(), now.Add(-time.Minute).Unix()
		}), "expired"},
		{"older than max_age", "", gh(func(c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(time.Hour).Unix()
		}), "max_age"},
		{"not yet valid", "", gh(func(c map[string]any) { c["nbf"] = now.Add(5 * time.Minute).Unix() }), "not valid yet"},
		{"issued in the future", "", gh(func(c map[string]any) { c["iat"] = now.Add(5 * time.Minute).Unix() }), "issued in the future"},
		{"wrong audience", "", gh(func(c map[string]any) { c["aud"] = "https://elsewhere.example" }), unmet},
		{"audience of mint's admin API", "", gh(func(c map[string]any) { c["aud"] = []string{mintIssuer, mint.AdminAudience} }), "own tokens"},
		{"claim mismatch", "", gh(func(c map[string]any) { c["repository_owner"] = "evil" }), unmet},
		{"claim missing", "", gh(func(c map[string]any) { delete(c, "repository_owner") }), unmet},
		{"claim not a string", "", gh(func(c map[string]any) { c["repository_owner"] = []string{"acme"} }), unmet},
		{"pattern: '*' does not cross '/'", "", gh(func(c map[string]any) {
			c["job_workflow_ref"] = "acme/deploy/x/.github/workflows/deploy.yml@refs/heads/main"
		}), unmet},
		{"pattern: other branch", "", gh(func(c map[string]any) {
			c["job_workflow_ref"] = "acme/deploy/.github/workflows/deploy.yml@refs/heads/main-evil"
		}), unmet},
		{"no exp", "", gh(func(c map[string]any) { delete(c, "exp") }), "needs exp"},
		{"no iat", "", gh(func(c map[string]any) { delete(c, "iat") }), "needs iat"},
		{"no jti", "", gh(func(c map[string]any) { delete(c, "jti") }), "jti"},
		{"no kid", "", func() string { return signWith(t, jose.RS256, "", attackerKey, f.githubClaims()) }, "kid"},
		{"alg none", "", func() string { return unsigned(t, "none", f.githubClaims()) }, "allowed algorithm"},
		{"HS256", "", func() string {
			return signWith(t, jose.HS256, "key-1", []byte("0123456789abcdef0123456789abcdef"), f.githubClaims())
		}, "allowed algorithm"},
		{"the issuer's kid, an attacker's key", "", func() string {
			return signWith(t, jose.RS256, "key-1", attackerKey, f.githubClaims())
		}, noRule},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := c.token()
			form := assertion(tok)
			if c.clientID != "" {
				form.Set("client_id", c.clientID)
			}
			wantRefused(t, post(t, f.a, form), 401, "invalid_client", c.want)
			bearer := url.Values{"grant_type": {bearerGrant}, "assertion": {tok}, "audience": {cargo}}
			if c.clientID != "" {
				bearer.Set("client_id", c.clientID)
			}
			wantRefused(t, post(t, f.a, bearer), 400, "invalid_grant", c.want)
		})
	}
	// Something that is no JWT cannot be told from a malformed
	// private_key_jwt assertion: it gets that method's answer.
	wantRefused(t, post(t, f.a, assertion("not.a.jwt")), 401, "invalid_client", "client authentication failed")
	wantRefused(t, post(t, f.a, url.Values{"grant_type": {bearerGrant}, "assertion": {"not.a.jwt"}}), 400, "invalid_grant", "allowed algorithm")
}

// unsigned is a JWT with alg "none" (RFC 7519 §6.1), which no allow-list
// may take.
func unsigned(t *testing.T, alg string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": alg, "kid": "key-1", "typ": "JWT"})
	p, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

// TestFederatedReplay: a token is accepted once, on whichever replica
// sees it first; the jwt-bearer grant and client assertions share the
// record.
func TestFederatedReplay(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			f := newFixture(t, backend)
			tok := f.gh.sign(f.githubClaims())
			wantToken(t, post(t, f.a, assertion(tok)), "first use")
			wantRefused(t, post(t, f.a, assertion(tok)), 401, "invalid_client", "used already")
			wantRefused(t, post(t, f.b, assertion(tok)), 401, "invalid_client", "used already")
			wantRefused(t, post(t, f.b, url.Values{"grant_type": {bearerGrant}, "assertion": {tok}, "audience": {cargo}}),
				400, "invalid_grant", "used already")
			// A second client trusting the same workload cannot take the
			// token again either.
			f.addRule(mint.FederatedCredential{ID: "fed_other_k8s", ClientID: "other", Issuer: f.k8s.URL(), Subject: k8sSubject,
				Audience: mintIssuer, MaxAge: time.Hour, CreatedAt: f.clock.now()})
			f.settle()
			k8s := f.k8s.sign(f.k8sClaims())
			wantToken(t, post(t, f.a, assertion(k8s, "client_id", "partner")), "partner's use")
			wantRefused(t, post(t, f.a, assertion(k8s, "client_id", "other")), 401, "invalid_client", "used already")
			wantRefused(t, post(t, f.a, assertion(f.k8s.sign(f.k8sClaims()))), 401, "invalid_client", "several clients")
		})
	}
}

// TestFederatedKeyRotation: a token signed with a key the issuer rotated
// in is accepted once mint fetches the keys again, which an unknown kid
// makes it do at most once per few seconds per issuer.
func TestFederatedKeyRotation(t *testing.T) {
	f := newFixture(t, "sqlite")
	wantToken(t, post(t, f.a, assertion(f.gh.sign(f.githubClaims()))), "before rotation")
	f.gh.rotate()
	wantRefused(t, post(t, f.a, assertion(f.gh.sign(f.githubClaims()))), 401, "invalid_client", "no trust rule")
	f.clock.advance(6 * time.Second) // past the refresh interval
	wantToken(t, post(t, f.a, assertion(f.gh.sign(f.githubClaims()))), "after rotation")
}

// TestOwnTokensAreNotAssertions: mint's own access token, even of a client
// with trust rules, is never an assertion.
func TestOwnTokensAreNotAssertions(t *testing.T) {
	f := newFixture(t, "sqlite")
	first := post(t, f.a, assertion(f.k8s.sign(f.k8sClaims())))
	wantToken(t, first, "first")
	own := first.str("access_token")
	wantRefused(t, post(t, f.a, assertion(own)), 401, "invalid_client", "own tokens")
	wantRefused(t, post(t, f.a, url.Values{"grant_type": {bearerGrant}, "assertion": {own}}), 400, "invalid_grant", "own tokens")
}

// TestRuleChangesReachOtherReplica: a rule deleted on one replica stops
// working on the other within the notification bound.
func TestRuleChangesReachOtherReplica(t *testing.T) {
	f := newFixture(t, "postgres")
	wantToken(t, post(t, f.a, assertion(f.k8s.sign(f.k8sClaims()))), "before the deletion")
	must(t, f.b.srv.Store().(mint.FederatedStore).DeleteFederatedCredential(context.Background(), "partner", "fed_k8s"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		a := post(t, f.a, assertion(f.k8s.sign(f.k8sClaims())))
		if a.status == 401 {
			wantRefused(t, a, 401, "invalid_client", "no trust rule")
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rule deleted on b still accepted on a: %d %v", a.status, a.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRequestShapes: the jwt-bearer grant is proved by its assertion
// alone.
func TestRequestShapes(t *testing.T) {
	f := newFixture(t, "sqlite")
	tok := f.k8s.sign(f.k8sClaims())
	cases := []struct {
		name string
		form url.Values
		want string
	}{
		{"bearer grant without assertion", url.Values{"grant_type": {bearerGrant}}, "assertion"},
		{"bearer grant with a secret", url.Values{"grant_type": {bearerGrant}, "assertion": {tok}, "client_id": {"partner"}, "client_secret": {"x"}}, "no client_secret"},
		{"bearer grant with a client assertion", url.Values{"grant_type": {bearerGrant}, "assertion": {tok}, "client_assertion_type": {assertionType}, "client_assertion": {tok}}, "no client_secret"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantRefused(t, post(t, f.a, c.form), 400, "invalid_request", c.want)
		})
	}
	// Nothing was consumed by the refused requests.
	wantToken(t, post(t, f.a, assertion(tok)), "after the refusals")
}

func ExampleMatch() {
	fmt.Println(matchExample("repo:acme/*:ref:refs/heads/main", "repo:acme/api:ref:refs/heads/main"))
	fmt.Println(matchExample("repo:acme/*:ref:refs/heads/main", "repo:acme/api/x:ref:refs/heads/main"))
	// Output:
	// true
	// false
}

// TestDiscoveryAdvertisesBearerGrant: the metadata lists the JWT bearer
// grant beside client_credentials (RFC 8414 §2).
func TestDiscoveryAdvertisesBearerGrant(t *testing.T) {
	f := newFixture(t, "sqlite")
	resp, err := http.Get(f.a.url + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		GrantTypes []string `json:"grant_types_supported"`
	}
	defer resp.Body.Close()
	must(t, json.NewDecoder(resp.Body).Decode(&m))
	if !slices.Contains(m.GrantTypes, "client_credentials") || !slices.Contains(m.GrantTypes, bearerGrant) {
		t.Fatalf("grant_types_supported = %v", m.GrantTypes)
	}
}
