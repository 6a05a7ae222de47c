package bearer_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
)

// BenchmarkMiddleware measures a request through the middleware with a
// cached key set: the cost every API request pays.
func BenchmarkMiddleware(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.ES256} {
		b.Run(string(alg), func(b *testing.B) {
			key := newKey(b, alg)
			iss := newIssuer(b, key)
			keys, err := bearer.NewJWKS(b.Context(), bearer.JWKSConfig{Issuer: iss.url(), Now: newClock().Now})
			if err != nil {
				b.Fatal(err)
			}
			v := &bearer.Verifier{Issuer: iss.url(), Audiences: []string{testAudience}, Keys: keys, Now: newClock().Now}
			h := bearer.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			r := httptest.NewRequest(http.MethodGet, "/ws/rest/Cargo", nil)
			r.Header.Set("Authorization", "Bearer "+key.sign(b, iss.claims(nil)))
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}

// BenchmarkMiddlewareTwoIssuers measures the same request through a
// Verifier trusting two issuers (mint and an Auth0 tenant), with a token
// of each: the cost during a migration.
func BenchmarkMiddlewareTwoIssuers(b *testing.B) {
	m := newMigration(b)
	for _, tc := range []struct{ name, token string }{
		{"mint-ES256", m.mintKey.sign(b, m.mint.claims(nil))},
		{"auth0-RS256", signAuth0(b, m.auth0Key, m.auth0.claims(epoch, nil))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := bearer.Middleware(m.verifier)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			r := httptest.NewRequest(http.MethodGet, "/ws/rest/Cargo", nil)
			r.Header.Set("Authorization", "Bearer "+tc.token)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
