package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
	"github.com/mintauth/mint/oauth"
)

// FuzzAssertion feeds the private_key_jwt path arbitrary assertions and
// body client_ids for a client with a registered key. It must not panic,
// and must answer invalid_client for anything but a fresh valid assertion.
func FuzzAssertion(f *testing.F) {
	store := testdb.Open(f, "sqlite")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "ES256"}}})
	now := time.Now()
	if err := store.CreateClient(context.Background(), mint.Client{ID: "c1", Name: "c", JWKS: set, CreatedAt: now},
		mint.Secret{ID: "s1", ClientID: "c1", Digest: make([]byte, 32), CreatedAt: now}); err != nil {
		f.Fatal(err)
	}
	a := &Authenticator{Store: store, Issuer: "https://mint.test"}
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	for _, claims := range []string{
		`{"iss":"c1","sub":"c1","aud":"https://mint.test","exp":` + itoa(now.Add(time.Minute).Unix()) + `,"jti":"j1"}`,
		`{"iss":"c1","sub":"c1","aud":["x"],"exp":"soon","jti":1}`,
		`{"iss":"c1"}`, `[]`, `null`,
	} {
		jws, _ := signer.Sign([]byte(claims))
		s, _ := jws.CompactSerialize()
		f.Add(s, "")
		f.Add(s, "c1")
	}
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJjMSJ9.", "")
	f.Add("a.b.c", "x")
	f.Fuzz(func(t *testing.T, assertion, clientID string) {
		_, err := a.Authenticate(context.Background(), Credentials{Method: PrivateKeyJWT, ClientID: clientID, Assertion: assertion})
		var e *oauth.Error
		if err != nil && (!errors.As(err, &e) || e.Code != "invalid_client") {
			t.Fatalf("error %v is not invalid_client", err)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
