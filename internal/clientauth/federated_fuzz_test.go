package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/federation"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
	"github.com/mintauth/mint/oauth"
)

// FuzzFederatedAssertion feeds external tokens, as client assertions and
// as the jwt-bearer grant, to a client trusting an issuer on loopback. It
// must not panic, and every refusal must be invalid_client (invalid_grant
// for the grant): never a 500.
func FuzzFederatedAssertion(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "ES256"}}})
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(set) }))
	f.Cleanup(issuer.Close)
	store := testdb.Open(f, "sqlite")
	now := time.Now()
	ctx := context.Background()
	if err := store.CreateClient(ctx, mint.Client{ID: "c1", Name: "c", CreatedAt: now},
		mint.Secret{ID: "s1", ClientID: "c1", Digest: make([]byte, 32), CreatedAt: now}); err != nil {
		f.Fatal(err)
	}
	rule := mint.FederatedCredential{ID: "fed_1", ClientID: "c1", Issuer: "https://ci.example", Subject: "repo:acme/x",
		Audience: "https://mint.test", Claims: map[string]string{"env": "prod*"}, MaxAge: time.Hour,
		JWKSURI: issuer.URL + "/jwks", CreatedAt: now}
	if err := store.(mint.FederatedStore).CreateFederatedCredential(ctx, rule); err != nil {
		f.Fatal(err)
	}
	a := &Authenticator{Store: store, Issuer: "https://mint.test", Federation: &federation.Verifier{
		Rules: store.(mint.FederatedStore), Keys: &federation.KeyFetcher{}, OwnIssuer: "https://mint.test"}}
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	exp, iat := itoa(now.Add(time.Minute).Unix()), itoa(now.Unix())
	for _, claims := range []string{
		`{"iss":"https://ci.example","sub":"repo:acme/x","aud":"https://mint.test","exp":` + exp + `,"iat":` + iat + `,"jti":"j1","env":"production"}`,
		`{"iss":"https://ci.example","sub":"repo:acme/x","aud":["https://mint.test"],"exp":` + exp + `,"iat":` + iat + `,"jti":"j2","env":7}`,
		`{"iss":"https://ci.example","sub":"repo:acme/x","aud":["x"],"exp":"soon","jti":1}`,
		`{"iss":"https://ci.example","sub":["a"]}`, `{"iss":"https://mint.test","sub":"x"}`, `[]`, `null`,
	} {
		jws, _ := signer.Sign([]byte(claims))
		s, _ := jws.CompactSerialize()
		f.Add(s, "", false)
		f.Add(s, "c1", true)
	}
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2NpLmV4YW1wbGUiLCJzdWIiOiJyZXBvOmFjbWUveCJ9.", "", true)
	f.Add("a.b.c", "x", false)
	f.Fuzz(func(t *testing.T, assertion, clientID string, grant bool) {
		c, want := Credentials{Method: PrivateKeyJWT, ClientID: clientID, Assertion: assertion}, "invalid_client"
		if grant {
			c.Method, want = BearerGrant, "invalid_grant"
		}
		_, err := a.Authenticate(ctx, c)
		var e *oauth.Error
		if err != nil && (!errors.As(err, &e) || e.Code != want) {
			t.Fatalf("error %v is not %s", err, want)
		}
	})
}

// FuzzPeekIssuerSubject: routing an assertion never panics, and whatever
// it reads is only a hint (verification reads the claims again).
func FuzzPeekIssuerSubject(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJhIiwic3ViIjoiYiJ9.sig")
	f.Add("..")
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, token string) {
		iss, sub, ok := peekIssuerSubject(token)
		if !ok && (iss != "" || sub != "") {
			t.Fatalf("not ok, yet iss %q sub %q", iss, sub)
		}
	})
}
