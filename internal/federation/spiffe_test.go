package federation_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

const (
	spiffeType   = "urn:ietf:params:oauth:client-assertion-type:jwt-spiffe"
	trustDomain  = "spiffe://example.org"
	billingID    = trustDomain + "/ns/prod/sa/billing"
	batchPattern = trustDomain + "/ns/batch/sa/*"
)

// bundleEndpoint plays a SPIFFE trust domain's bundle endpoint (SPIFFE
// Trust Domain and Bundle §4-5) on 127.0.0.1: a JWK Set whose JWT-SVID
// keys have "use":"jwt-svid", beside an X.509 key ("use":"x509-svid")
// that must never verify a JWT-SVID, and the SPIFFE members.
type bundleEndpoint struct {
	t    testing.TB
	srv  *httptest.Server
	mu   sync.Mutex
	keys []signingKey // jwt-svid keys; the last one signs
	x509 signingKey
	seq  int
}

func newBundleEndpoint(t testing.TB) *bundleEndpoint {
	t.Helper()
	b := &bundleEndpoint{t: t, x509: signingKey{kid: "x509-authority", priv: newKey(t, jose.ES256)}}
	b.rotate()
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *bundleEndpoint) URL() string { return b.srv.URL + "/bundle" }

func (b *bundleEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	keys := []map[string]any{jwk(b.t, b.x509, "x509-svid")}
	for _, k := range b.keys {
		keys = append(keys, jwk(b.t, k, "jwt-svid"))
	}
	seq := b.seq
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"keys": keys, "spiffe_sequence": seq, "spiffe_refresh_hint": 300})
}

// jwk is k's public JWK with use, without alg as SPIFFE bundles have it.
func jwk(t testing.TB, k signingKey, use string) map[string]any {
	raw, err := json.Marshal(jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid})
	must(t, err)
	var m map[string]any
	must(t, json.Unmarshal(raw, &m))
	m["use"] = use
	return m
}

// rotate adds a new signing key and retires the old ones.
func (b *bundleEndpoint) rotate() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	b.keys = []signingKey{{kid: fmt.Sprintf("svid-key-%d", b.seq), priv: newKey(b.t, jose.ES256)}}
}

func (b *bundleEndpoint) sign(claims map[string]any) string {
	b.mu.Lock()
	k := b.keys[len(b.keys)-1]
	b.mu.Unlock()
	return signWith(b.t, jose.ES256, k.kid, k.priv, claims)
}

// svid is the claims of a JWT-SVID for sub, for mint, as SPIRE makes
// them: no iss, no jti.
func (f *fixture) svid(sub string) map[string]any {
	now := f.clock.now()
	return map[string]any{"sub": sub, "aud": []string{mintIssuer}, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
}

func spiffeAssertion(tok string, extra ...string) url.Values {
	v := assertion(tok, extra...)
	v.Set("client_assertion_type", spiffeType)
	return v
}

// newSPIFFEFixture is newFixture with two SPIFFE rules of the trust
// domain example.org: partner trusts billing exactly, other trusts every
// service account of the batch namespace by pattern.
func newSPIFFEFixture(t *testing.T, backend string) (*fixture, *bundleEndpoint) {
	f := newFixture(t, backend)
	b := newBundleEndpoint(t)
	now := f.clock.now()
	f.addRule(mint.FederatedCredential{ID: "fed_spiffe", ClientID: "partner", Issuer: trustDomain, Subject: billingID,
		Audience: mintIssuer, MaxAge: time.Hour, JWKSURI: b.URL(), CreatedAt: now})
	f.addRule(mint.FederatedCredential{ID: "fed_spiffe_batch", ClientID: "other", Issuer: trustDomain, Subject: "*",
		Claims: map[string]string{"sub": batchPattern}, Audience: mintIssuer, MaxAge: time.Hour, JWKSURI: b.URL(), CreatedAt: now})
	f.settle()
	return f, b
}

// TestSPIFFETokens: JWT-SVIDs signed by the bundle's keys get the
// client's ordinary token, exact and by pattern, on both backends and
// both replicas.
func TestSPIFFETokens(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			f, b := newSPIFFEFixture(t, backend)
			svid := b.sign(f.svid(billingID))
			wantToken(t, post(t, f.a, spiffeAssertion(svid, "client_id", "partner")), "exact, client_id")
			// No jti: SPIFFE means the SVID to be reused until it expires.
			wantToken(t, post(t, f.b, spiffeAssertion(svid)), "the same SVID again, no client_id, other replica")
			wantToken(t, postJSON(t, f.a, map[string]string{"grant_type": "client_credentials", "client_assertion_type": spiffeType,
				"client_assertion": b.sign(f.svid(billingID)), "client_id": "partner", "audience": cargo}), "JSON body")
			batch := post(t, f.a, spiffeAssertion(b.sign(f.svid(trustDomain+"/ns/batch/sa/nightly"))))
			if batch.status != 200 || payload(t, batch.str("access_token"))["client_id"] != "other" {
				t.Fatalf("pattern rule: %d %v, want other's token", batch.status, batch.body)
			}
		})
	}
}

// TestSPIFFEReplay: an SVID with a jti is accepted once, across replicas.
func TestSPIFFEReplay(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			f, b := newSPIFFEFixture(t, backend)
			c := f.svid(billingID)
			c["jti"] = "svid-1"
			svid := b.sign(c)
			wantToken(t, post(t, f.a, spiffeAssertion(svid)), "first use")
			wantRefused(t, post(t, f.a, spiffeAssertion(svid)), 401, "invalid_client", "used already")
			wantRefused(t, post(t, f.b, spiffeAssertion(svid)), 401, "invalid_client", "used already")
		})
	}
}

// TestSPIFFERefusals: every way a JWT-SVID must be refused.
func TestSPIFFERefusals(t *testing.T) {
	f, b := newSPIFFEFixture(t, "sqlite")
	const noRule = "no trust rule"
	now := f.clock.now()
	svid := func(change func(map[string]any)) func() string {
		return func() string {
			c := f.svid(billingID)
			change(c)
			return b.sign(c)
		}
	}
	sub := func(s string) func() string { return svid(func(c map[string]any) { c["sub"] = s }) }
	attacker := newKey(t, jose.ES256)
	cases := []struct {
		name, clientID string
		token          func() string
		want           string
	}{
		{"other trust domain", "", sub("spiffe://evil.org/ns/prod/sa/billing"), noRule},
		{"trust domain suffix", "", sub("spiffe://example.org.evil.org/ns/prod/sa/billing"), noRule},
		{"other workload", "", sub(trustDomain + "/ns/prod/sa/payroll"), noRule},
		{"another client's client_id", "other", svid(func(map[string]any) {}), noRule},
		{"pattern: '*' does not cross '/'", "", sub(trustDomain + "/ns/batch/sa/a/b"), noRule},
		{"upper-case trust domain", "", sub("spiffe://EXAMPLE.org/ns/prod/sa/billing"), "not a SPIFFE ID"},
		{"upper-case scheme", "", sub("SPIFFE://example.org/ns/prod/sa/billing"), "not a SPIFFE ID"},
		{"trailing slash", "", sub(billingID + "/"), "not a SPIFFE ID"},
		{"empty segment", "", sub(trustDomain + "/ns//prod/sa/billing"), "not a SPIFFE ID"},
		{"dot segment", "", sub(trustDomain + "/ns/./prod/sa/billing"), "not a SPIFFE ID"},
		{"dot-dot segment", "", sub(trustDomain + "/ns/x/../prod/sa/billing"), "not a SPIFFE ID"},
		{"percent-encoding", "", sub(trustDomain + "/ns/%70rod/sa/billing"), "not a SPIFFE ID"},
		{"user info", "", sub("spiffe://u@example.org/ns/prod/sa/billing"), "not a SPIFFE ID"},
		{"port", "", sub("spiffe://example.org:443/ns/prod/sa/billing"), "not a SPIFFE ID"},
		{"query", "", sub(billingID + "?x=1"), "not a SPIFFE ID"},
		{"fragment", "", sub(billingID + "#x"), "not a SPIFFE ID"},
		{"trust domain only", "", sub(trustDomain), "trust domain"},
		{"not SPIFFE", "", sub("https://example.org/ns/prod/sa/billing"), "not a SPIFFE ID"},
		{"expired", "", svid(func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-10*time.Minute).Unix(), now.Add(-time.Minute).Unix()
		}), "expired"},
		{"no exp", "", svid(func(c map[string]any) { delete(c, "exp") }), "needs exp"},
		{"no aud", "", svid(func(c map[string]any) { delete(c, "aud") }), "needs aud"},
		{"wrong aud", "", svid(func(c map[string]any) { c["aud"] = []string{"https://elsewhere.example"} }), "audience or claim conditions"},
		{"admin audience", "", svid(func(c map[string]any) { c["aud"] = []string{mintIssuer, mint.AdminAudience} }), "own tokens"},
		{"older than max_age", "", svid(func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(time.Hour).Unix()
		}), "max_age"},
		{"no iat, lives past max_age", "", svid(func(c map[string]any) {
			delete(c, "iat")
			c["exp"] = now.Add(3 * time.Hour).Unix()
		}), "max_age"},
		{"not yet valid", "", svid(func(c map[string]any) { c["nbf"] = now.Add(5 * time.Minute).Unix() }), "not valid yet"},
		{"signed by the bundle's X.509 key", "", func() string {
			return signWith(t, jose.ES256, b.x509.kid, b.x509.priv, f.svid(billingID))
		}, noRule},
		{"the bundle's kid, an attacker's key", "", func() string {
			return signWith(t, jose.ES256, "svid-key-1", attacker, f.svid(billingID))
		}, noRule},
		{"no kid", "", func() string { return signWith(t, jose.ES256, "", attacker, f.svid(billingID)) }, "kid"},
		{"alg none", "", func() string { return unsigned(t, "none", f.svid(billingID)) }, "allowed algorithm"},
		{"HS256", "", func() string {
			return signWith(t, jose.HS256, "svid-key-1", []byte("0123456789abcdef0123456789abcdef"), f.svid(billingID))
		}, "allowed algorithm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			form := spiffeAssertion(c.token())
			if c.clientID != "" {
				form.Set("client_id", c.clientID)
			}
			wantRefused(t, post(t, f.a, form), 401, "invalid_client", c.want)
		})
	}
	// A JWT-SVID with a SPIFFE iss never reaches SPIFFE rules through the
	// jwt-bearer assertion type, which checks no SPIFFE ID.
	c := f.svid(billingID)
	c["iss"], c["jti"] = trustDomain, "j1"
	wantRefused(t, post(t, f.a, assertion(b.sign(c))), 401, "invalid_client", "jwt-spiffe")
}

// TestSPIFFEKeyRotation: an SVID signed with a key the trust domain
// rotated in is accepted once mint fetches the bundle again, which an
// unknown kid makes it do at most once per few seconds; the retired key
// is then refused.
func TestSPIFFEKeyRotation(t *testing.T) {
	f, b := newSPIFFEFixture(t, "sqlite")
	old := b.sign(f.svid(billingID))
	wantToken(t, post(t, f.a, spiffeAssertion(old)), "before rotation")
	b.rotate()
	wantRefused(t, post(t, f.a, spiffeAssertion(b.sign(f.svid(billingID)))), 401, "invalid_client", "no trust rule")
	f.clock.advance(6 * time.Second)
	wantToken(t, post(t, f.a, spiffeAssertion(b.sign(f.svid(billingID)))), "after rotation")
	wantRefused(t, post(t, f.a, spiffeAssertion(old)), 401, "invalid_client", "no trust rule")
}

// bundleText is the bundle b serves now, as an admin would paste it.
func (b *bundleEndpoint) bundleText() string {
	resp, err := http.Get(b.URL())
	must(b.t, err)
	defer resp.Body.Close()
	var raw json.RawMessage
	must(b.t, json.NewDecoder(resp.Body).Decode(&raw))
	return string(raw)
}

// TestSPIFFEStaticBundle: a rule holding the bundle itself verifies SVIDs
// without fetching anything, on both backends; the bundle's X.509 key and
// keys it does not hold are refused, and a second static rule of the same
// trust domain with other keys is checked with its own keys.
func TestSPIFFEStaticBundle(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			f := newFixture(t, backend)
			b := newBundleEndpoint(t)
			other := newBundleEndpoint(t)
			now := f.clock.now()
			f.addRule(mint.FederatedCredential{ID: "fed_static_other", ClientID: "partner", Issuer: trustDomain, Subject: billingID,
				Audience: mintIssuer, MaxAge: time.Hour, Bundle: other.bundleText(), CreatedAt: now})
			f.addRule(mint.FederatedCredential{ID: "fed_static", ClientID: "partner", Issuer: trustDomain, Subject: billingID,
				Audience: mintIssuer, MaxAge: time.Hour, Bundle: b.bundleText(), CreatedAt: now.Add(time.Second)})
			f.settle()
			b.srv.Close() // nothing is fetched
			wantToken(t, post(t, f.a, spiffeAssertion(b.sign(f.svid(billingID)))), "static bundle")
			wantToken(t, post(t, f.a, spiffeAssertion(other.sign(f.svid(billingID)))), "the other static bundle")
			wantRefused(t, post(t, f.a, spiffeAssertion(signWith(t, jose.ES256, b.x509.kid, b.x509.priv, f.svid(billingID)))),
				401, "invalid_client", "no trust rule")
			b.rotate()
			wantRefused(t, post(t, f.a, spiffeAssertion(b.sign(f.svid(billingID)))), 401, "invalid_client", "no trust rule")
		})
	}
}
