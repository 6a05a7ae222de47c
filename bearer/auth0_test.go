package bearer_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/oauth"
)

// tenant stands in for an Auth0 tenant on loopback: its issuer ends with a
// slash, it publishes OpenID Connect discovery and a JWKS, and it signs
// RS256 tokens with typ "JWT", shaped like the seed's Auth0 token:
//
//	{"iss":"https://tocc.eu.auth0.com/","sub":"P5SY…@clients","aud":"https://api.eu.tocc.tech",
//	 "iat":1695320599,"exp":1695406999,"azp":"P5SY…","gty":"client-credentials"}
type tenant struct {
	srv     *httptest.Server
	fetches atomic.Int32 // requests of any document
	mu      sync.Mutex
	keys    []jose.JSONWebKey
}

func newTenant(t testing.TB, keys ...*signingKey) *tenant {
	t.Helper()
	tn := &tenant{}
	for _, k := range keys {
		tn.publish(k)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		oauth.WriteJSON(w, http.StatusOK, map[string]string{
			"issuer": tn.issuer(), "jwks_uri": tn.srv.URL + "/.well-known/jwks.json",
		})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		tn.mu.Lock()
		set := jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), tn.keys...)}
		tn.mu.Unlock()
		w.Header().Set("Cache-Control", "public, max-age=15")
		oauth.WriteJSONCached(w, http.StatusOK, set)
	})
	tn.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tn.fetches.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(tn.srv.Close)
	return tn
}

// issuer is the tenant's "iss", with Auth0's trailing slash.
func (tn *tenant) issuer() string { return tn.srv.URL + "/" }

func (tn *tenant) publish(k *signingKey) {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	tn.keys = append(tn.keys, k.public())
}

// claims returns Auth0-shaped client-credentials claims valid at now, with
// edits (a nil value deletes the claim).
func (tn *tenant) claims(now time.Time, edits map[string]any) map[string]any {
	c := map[string]any{
		"iss": tn.issuer(), "sub": "P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH@clients", "aud": testAudience,
		"iat": now.Unix(), "exp": now.Add(24 * time.Hour).Unix(), "azp": "P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH",
		"gty": "client-credentials", "scope": "read:cargo write:cargo",
	}
	for k, v := range edits {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// signAuth0 signs claims as Auth0 does: RS256, typ "JWT", the key's kid.
func signAuth0(t testing.TB, k *signingKey, claims map[string]any) string {
	return signWith(t, k.alg, jose.JSONWebKey{Key: k.priv, KeyID: k.kid}, "JWT", claims)
}
