package bearer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

type fuzzKeys map[string]jose.JSONWebKey

func (k fuzzKeys) LookupKey(_ context.Context, kid string) (jose.JSONWebKey, bool, error) {
	key, ok := k[kid]
	return key, ok, nil
}

// FuzzVerify feeds Authorization header values to the token path: it must
// never panic, and every refusal must be one of the classified reasons,
// never a server error.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	v := &Verifier{
		Issuer: "https://mint.example", Audiences: []string{"api"},
		Keys: fuzzKeys{"k1": {Key: priv.Public(), KeyID: "k1", Algorithm: "ES256"}},
		Now:  func() time.Time { return now },
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		f.Fatal(err)
	}
	valid, err := jwt.Signed(signer).Claims(map[string]any{
		"iss": v.Issuer, "aud": "api", "exp": now.Add(time.Hour).Unix(), "client_id": "c", "scope": "a b",
	}).Serialize()
	if err != nil {
		f.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	for _, seed := range []string{
		"Bearer " + valid, "bearer  " + valid, "Bearer " + valid + "=", "Basic abc", "Bearer", "Bearer ", "",
		"Bearer a.b.c", "Bearer ...", "Bearer " + b64([]byte(`{"alg":"none"}`)) + "." + b64([]byte(`{}`)) + ".",
		"Bearer " + b64([]byte(`{"alg":"ES256","typ":"at+jwt","kid":"k1","crit":["exp"]}`)) + ".e30.AAAA",
		"Bearer " + b64([]byte(`{"alg":"ES256","typ":"at+jwt","kid":"k1"}`)) + "." + b64([]byte(`{"exp":"x"}`)) + ".AA",
		"DPoP " + valid, "dpop " + valid, "DPoP", "DPoP a.b.c",
	} {
		f.Add(seed, "")
		f.Add(seed, "eyJhbGciOiJFUzI1NiIsInR5cCI6ImRwb3Arand0In0.e30.AA")
	}
	rs := newResponder(nil)
	f.Fuzz(func(t *testing.T, header, proof string) {
		r := httptest.NewRequest(http.MethodGet, "http://api.example/x", nil)
		r.Header = http.Header{"Authorization": {header}, "Dpop": {proof}}
		claims, _, err := rs.authenticateRequest(context.Background(), v, r)
		if err == nil {
			if claims == nil {
				t.Fatal("no error and no claims")
			}
			return
		}
		if k := kindOf(err); k == serverFailure || k.status >= 500 {
			t.Fatalf("unclassified refusal %v for %q", err, header)
		}
	})
}
