package bearer_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
)

// migration is an API trusting two issuers during a cut-over: a stand-in
// mint (ES256, at+jwt, no trailing slash) and a stand-in Auth0 tenant
// (RS256, typ JWT, trailing slash), each with its own JWKS on loopback.
type migration struct {
	mint    *issuer
	auth0   *tenant
	mintKey *signingKey
	// auth0Key is the tenant's signing key: what an attacker holds in the
	// forgery tests, who may try to pass its tokens off as mint's.
	auth0Key *signingKey
	// mintShared and auth0Shared are RS256 keys of either issuer published
	// under the same kid.
	mintShared, auth0Shared *signingKey
	verifier                *bearer.Verifier
}

func newMigration(t testing.TB) *migration {
	t.Helper()
	m := &migration{mintKey: newKey(t, jose.ES256), auth0Key: newKey(t, jose.RS256),
		mintShared: newKey(t, jose.RS256), auth0Shared: newKey(t, jose.RS256)}
	m.mintShared.kid, m.auth0Shared.kid = "shared", "shared"
	m.mint = newIssuer(t, m.mintKey, m.mintShared)
	m.auth0 = newTenant(t, m.auth0Key, m.auth0Shared)
	clk := newClock()
	mintKeys, err := bearer.NewJWKS(t.Context(), bearer.JWKSConfig{Issuer: m.mint.url(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	auth0Keys, err := bearer.NewJWKS(t.Context(), bearer.JWKSConfig{Issuer: m.auth0.issuer(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	m.verifier = &bearer.Verifier{
		Audiences: []string{testAudience},
		Issuers: []bearer.TrustedIssuer{
			{Issuer: m.mint.url(), Keys: mintKeys},
			{Issuer: m.auth0.issuer(), Keys: auth0Keys, Algorithms: []jose.SignatureAlgorithm{jose.RS256}, Types: []string{"JWT"}},
		},
		Now: clk.Now,
	}
	return m
}

// fetches is how many documents both issuers have served so far.
func (m *migration) fetches() int32 { return m.mint.fetches.Load() + m.auth0.fetches.Load() }

func TestTrustedIssuersAcceptTokensOfEach(t *testing.T) {
	m := newMigration(t)
	h := bearer.Middleware(m.verifier)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := bearer.FromContext(r.Context())
		w.Header().Set("X-Issuer", c.Issuer)
		w.Header().Set("X-Client", c.ClientID)
		w.Header().Set("X-Scopes", strings.Join(c.Scopes, " "))
		w.Header().Set("X-Subject", c.Subject)
	}))
	tests := []struct {
		name, token                  string
		issuer, client, scopes, subj string
	}{
		{"mint", m.mintKey.sign(t, m.mint.claims(nil)), m.mint.url(), "cargo-client", "read:cargo", "cargo-client"},
		{"auth0", signAuth0(t, m.auth0Key, m.auth0.claims(epoch, nil)), m.auth0.issuer(),
			"P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH", "read:cargo write:cargo", "P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH@clients"},
		{"auth0 without scope", signAuth0(t, m.auth0Key, m.auth0.claims(epoch, map[string]any{"scope": nil})), m.auth0.issuer(),
			"P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH", "", "P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH@clients"},
		{"auth0 audience list", signAuth0(t, m.auth0Key, m.auth0.claims(epoch, map[string]any{
			"aud": []string{testAudience, m.auth0.issuer() + "userinfo"}})), m.auth0.issuer(),
			"P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH", "read:cargo write:cargo", "P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH@clients"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/ws/rest/Cargo", nil)
			r.Header.Set("Authorization", "Bearer "+tt.token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got := []string{w.Header().Get("X-Issuer"), w.Header().Get("X-Client"), w.Header().Get("X-Scopes"), w.Header().Get("X-Subject")}
			if w.Code != http.StatusOK || !slices.Equal(got, []string{tt.issuer, tt.client, tt.scopes, tt.subj}) {
				t.Errorf("status %d, claims %q: %s", w.Code, got, w.Body)
			}
		})
	}
}

// TestTrustedIssuersRefuseCrossIssuerForgeries: whoever holds a key of one
// issuer (a leaked key of the old tenant, say) cannot make tokens that pass
// as the other's, whatever "iss", "kid", "typ" or algorithm they choose;
// and an "iss" that is not exactly a trusted one is refused without any
// document being fetched.
func TestTrustedIssuersRefuseCrossIssuerForgeries(t *testing.T) {
	m := newMigration(t)
	mintURL := m.mint.url()
	asMint := func(edits map[string]any) map[string]any { return m.mint.claims(edits) }
	auth0Priv := func(kid string) jose.JSONWebKey { return jose.JSONWebKey{Key: m.auth0Key.priv, KeyID: kid} }
	forge := func(edits map[string]any) string { return signAuth0(t, m.auth0Key, asMint(edits)) }
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"auth0 key, mint iss, auth0 kid", signWith(t, jose.RS256, auth0Priv(m.auth0Key.kid), "at+jwt", asMint(nil)), bearer.ErrUnknownKey},
		{"auth0 key, mint iss, kid of mint's ES256 key", signWith(t, jose.RS256, auth0Priv(m.mintKey.kid), "at+jwt", asMint(nil)), bearer.ErrSignature},
		{"same kid in both sets, mint iss", m.auth0Shared.sign(t, asMint(nil)), bearer.ErrSignature},
		{"same kid in both sets, auth0 iss, mint key", signAuth0(t, m.mintShared, m.auth0.claims(epoch, nil)), bearer.ErrSignature},
		{"mint key, auth0 iss and kid, ES256", signWith(t, jose.ES256, jose.JSONWebKey{Key: m.mintKey.priv, KeyID: m.auth0Key.kid}, "JWT", m.auth0.claims(epoch, nil)), bearer.ErrAlgorithm},
		{"auth0 token shape, mint iss, typ JWT", forge(nil), bearer.ErrType},
		{"trailing slash added", forge(map[string]any{"iss": mintURL + "/"}), bearer.ErrIssuer},
		{"auth0 iss without its slash", signAuth0(t, m.auth0Key, m.auth0.claims(epoch, map[string]any{"iss": strings.TrimSuffix(m.auth0.issuer(), "/")})), bearer.ErrIssuer},
		{"auth0 iss with two slashes", signAuth0(t, m.auth0Key, m.auth0.claims(epoch, map[string]any{"iss": m.auth0.issuer() + "/"})), bearer.ErrIssuer},
		{"upper case", forge(map[string]any{"iss": strings.ToUpper(mintURL)}), bearer.ErrIssuer},
		{"upper-case scheme", forge(map[string]any{"iss": "HTTP" + strings.TrimPrefix(mintURL, "http")}), bearer.ErrIssuer},
		{"leading space", forge(map[string]any{"iss": " " + mintURL}), bearer.ErrIssuer},
		{"trailing newline", forge(map[string]any{"iss": mintURL + "\n"}), bearer.ErrIssuer},
		{"trailing NUL", forge(map[string]any{"iss": mintURL + "\x00"}), bearer.ErrIssuer},
		{"fullwidth digit", forge(map[string]any{"iss": strings.Replace(mintURL, "1", "\uff11", 1)}), bearer.ErrIssuer},
		{"cyrillic t", forge(map[string]any{"iss": strings.Replace(mintURL, "t", "\u0442", 1)}), bearer.ErrIssuer},
		{"zero-width space", forge(map[string]any{"iss": mintURL + "\u200b"}), bearer.ErrIssuer},
		{"missing iss", forge(map[string]any{"iss": nil}), bearer.ErrIssuer},
		{"empty iss", forge(map[string]any{"iss": ""}), bearer.ErrIssuer},
		{"upper-case claim name", forge(map[string]any{"iss": nil, "ISS": mintURL}), bearer.ErrIssuer},
		{"array iss", forge(map[string]any{"iss": []string{mintURL}}), bearer.ErrMalformed},
		{"object iss", forge(map[string]any{"iss": map[string]string{"url": mintURL}}), bearer.ErrMalformed},
		{"unknown issuer", forge(map[string]any{"iss": "https://evil.example/"}), bearer.ErrIssuer},
		{"HS256 with a public URL as secret", signWith(t, jose.HS256, []byte(strings.Repeat(mintURL, 4)), "at+jwt", asMint(nil)), bearer.ErrAlgorithm},
	}
	h := bearer.Middleware(m.verifier)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a forged token reached the handler")
	}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := m.auth0.fetches.Load()
			if _, err := m.verifier.Verify(t.Context(), tt.token); !errors.Is(err, tt.want) {
				t.Errorf("Verify: %v, want %v", err, tt.want)
			}
			r := httptest.NewRequest(http.MethodGet, "/ws/rest/Cargo", nil)
			r.Header.Set("Authorization", "Bearer "+tt.token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("answered %d %q, want 401 invalid_token", w.Code, w.Header().Get("WWW-Authenticate"))
			}
			if n := m.auth0.fetches.Load() - before; n != 0 {
				t.Errorf("the Auth0 tenant served %d documents for it", n)
			}
		})
	}
}

// TestUntrustedIssuerFetchesNothing: an attacker choosing "iss" (and "kid")
// cannot make the verifier fetch anything, from the URL they name or from
// a trusted issuer.
func TestUntrustedIssuerFetchesNothing(t *testing.T) {
	m := newMigration(t)
	var probes atomic.Int32
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { probes.Add(1) }))
	t.Cleanup(attacker.Close)
	before := m.fetches()
	for i, iss := range []string{attacker.URL, attacker.URL + "/", attacker.URL + "/.well-known/jwks.json", m.mint.url() + "/x"} {
		kid := []string{"k", "unknown", m.mintKey.kid, m.auth0Key.kid}[i]
		for _, typ := range []string{"at+jwt", "JWT"} {
			token := signWith(t, jose.RS256, jose.JSONWebKey{Key: m.auth0Key.priv, KeyID: kid}, typ, m.mint.claims(map[string]any{"iss": iss}))
			if _, err := m.verifier.Verify(t.Context(), token); !errors.Is(err, bearer.ErrIssuer) {
				t.Errorf("iss %q: %v, want ErrIssuer", iss, err)
			}
		}
	}
	if n := probes.Load(); n != 0 {
		t.Errorf("the attacker's server got %d requests", n)
	}
	if n := m.fetches() - before; n != 0 {
		t.Errorf("the trusted issuers served %d documents", n)
	}
}

// TestTrustedIssuersConfiguration: a Verifier that would check nothing for
// some issuer answers 500, not 401: it is the operator's mistake.
func TestTrustedIssuersConfiguration(t *testing.T) {
	m := newMigration(t)
	token := m.mintKey.sign(t, m.mint.claims(nil))
	good := m.verifier.Issuers[0]
	tests := []struct {
		name string
		v    bearer.Verifier
	}{
		{"Issuer too", bearer.Verifier{Issuer: m.mint.url(), Audiences: []string{testAudience}, Issuers: []bearer.TrustedIssuer{good}}},
		{"Keys too", bearer.Verifier{Keys: good.Keys, Audiences: []string{testAudience}, Issuers: []bearer.TrustedIssuer{good}}},
		{"no keys", bearer.Verifier{Audiences: []string{testAudience}, Issuers: []bearer.TrustedIssuer{{Issuer: good.Issuer}}}},
		{"no audience", bearer.Verifier{Issuers: []bearer.TrustedIssuer{good}}},
		{"only HMAC", bearer.Verifier{Audiences: []string{testAudience}, Issuers: []bearer.TrustedIssuer{
			{Issuer: good.Issuer, Keys: good.Keys, Algorithms: []jose.SignatureAlgorithm{jose.HS256}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.v.Now = newClock().Now
			_, err := tt.v.Verify(t.Context(), token)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			bearer.Middleware(&tt.v)(http.NotFoundHandler()).ServeHTTP(w, r)
			if err == nil || w.Code != http.StatusInternalServerError {
				t.Errorf("Verify: %v; middleware answered %d, want 500", err, w.Code)
			}
		})
	}
	// Its own audiences are enough for an issuer.
	own := bearer.Verifier{Issuers: []bearer.TrustedIssuer{{Issuer: good.Issuer, Keys: good.Keys, Audiences: []string{testAudience}}}, Now: newClock().Now}
	if _, err := own.Verify(t.Context(), token); err != nil {
		t.Errorf("issuer with its own audiences: %v", err)
	}
	own.Issuers[0].Audiences = []string{"https://other.internal"}
	if _, err := own.Verify(t.Context(), token); !errors.Is(err, bearer.ErrAudience) {
		t.Errorf("issuer with other audiences: %v, want ErrAudience", err)
	}
}
