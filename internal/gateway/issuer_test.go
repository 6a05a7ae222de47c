package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/oauth"
)

const audience = "https://dataloy.internal"

// issuer stands in for mint: one ES256 key, its JWKS and metadata on
// loopback.
type issuer struct {
	srv    *httptest.Server
	signer jose.Signer
}

func newIssuer(t testing.TB) *issuer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	iss := &issuer{signer: signer}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		oauth.WriteJSON(w, 200, map[string]string{"issuer": iss.srv.URL, "jwks_uri": iss.srv.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		oauth.WriteJSON(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: priv.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"},
		}})
	})
	iss.srv = httptest.NewServer(mux)
	t.Cleanup(iss.srv.Close)
	return iss
}

// token returns a valid access token with these scopes.
func (iss *issuer) token(t testing.TB, scope string) string {
	t.Helper()
	raw, err := jwt.Signed(iss.signer).Claims(map[string]any{
		"iss": iss.srv.URL, "sub": "cargo-client", "aud": audience, "client_id": "cargo-client",
		"scope": scope, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (iss *issuer) verifier(t testing.TB) *bearer.Verifier {
	t.Helper()
	keys, err := bearer.NewJWKS(t.Context(), bearer.JWKSConfig{Issuer: iss.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return &bearer.Verifier{Issuer: iss.srv.URL, Audiences: []string{audience}, Keys: keys}
}
