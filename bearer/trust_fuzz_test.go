package bearer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// countingKeys is a fixed key set that counts its lookups.
type countingKeys struct {
	keys    fuzzKeys
	lookups atomic.Int32
}

func (k *countingKeys) LookupKey(ctx context.Context, kid string) (jose.JSONWebKey, bool, error) {
	k.lookups.Add(1)
	return k.keys.LookupKey(ctx, kid)
}

// FuzzTrustedIssuerSelection signs arbitrary payloads, under an arbitrary
// kid and typ, with the key of issuer B, and checks the selection of the
// issuer by "iss": issuer A's keys are consulted only for a payload whose
// "iss" is exactly A's, B's only for B's, and a token is accepted only as
// B's. Whoever holds B's key never gets a token through as A's, and never
// makes a key source be consulted by choosing an "iss".
func FuzzTrustedIssuerSelection(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	const issA, issB = "https://mint.example", "https://tenant.eu.auth0.com/"
	keyA, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	keyB, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	// Both sets publish kid "k": the attacker's kid collides with A's.
	a := &countingKeys{keys: fuzzKeys{"k": {Key: keyA.Public(), KeyID: "k", Algorithm: "ES256"}}}
	b := &countingKeys{keys: fuzzKeys{"k": {Key: keyB.Public(), KeyID: "k", Algorithm: "ES256"}, "b": {Key: keyB.Public(), KeyID: "b"}}}
	v := &Verifier{
		Audiences: []string{"api"},
		Issuers:   []TrustedIssuer{{Issuer: issA, Keys: a}, {Issuer: issB, Keys: b, Types: []string{"JWT", "at+jwt"}}},
		Now:       func() time.Time { return now },
	}
	exp := now.Add(time.Hour).Unix()
	for _, p := range []map[string]any{
		{"iss": issA, "aud": "api", "exp": exp}, {"iss": issB, "aud": "api", "exp": exp},
		{"iss": issA + "/", "aud": "api", "exp": exp}, {"iss": []string{issA}, "aud": "api", "exp": exp},
		{"ISS": issA, "aud": "api", "exp": exp}, {"aud": "api", "exp": exp},
		{"iss": " " + issA, "aud": "api", "exp": exp}, {"iss": "HTTPS://MINT.EXAMPLE", "aud": "api", "exp": exp},
	} {
		raw, _ := json.Marshal(p)
		f.Add(raw, "k", "at+jwt")
		f.Add(raw, "b", "JWT")
	}
	f.Add([]byte(`{"iss":"https://tenant.eu.auth0.com/","iss":"https://mint.example","aud":"api","exp":1800000000}`), "k", "at+jwt")
	f.Add([]byte(`{"iss":"https:\/\/mint.example","aud":"api","exp":1800000000}`), "k", "at+jwt")
	f.Fuzz(func(t *testing.T, payload []byte, kid, typ string) {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: keyB, KeyID: kid}},
			(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
		if err != nil {
			t.Skip()
		}
		jws, err := signer.Sign(payload)
		if err != nil {
			t.Skip()
		}
		raw, err := jws.CompactSerialize()
		if err != nil {
			t.Skip()
		}
		lookupsA, lookupsB := a.lookups.Load(), b.lookups.Load()
		claims, err := v.Verify(context.Background(), raw)
		iss, isString := issOf(payload)
		if err == nil && (claims.Issuer != issB || iss != issB) {
			t.Fatalf("token signed with B's key accepted as %q (payload iss %q)", claims.Issuer, iss)
		}
		if a.lookups.Load() != lookupsA && !(isString && iss == issA) {
			t.Fatalf("A's keys consulted for iss %q", iss)
		}
		if b.lookups.Load() != lookupsB && !(isString && iss == issB) {
			t.Fatalf("B's keys consulted for iss %q", iss)
		}
		if err != nil {
			if k := kindOf(err); k == serverFailure || k.status >= 500 {
				t.Fatalf("unclassified refusal %v", err)
			}
		}
	})
}

// issOf reads "iss" from a JSON payload independently of go-jose: the last
// member named exactly "iss", as encoding/json keeps for a map.
func issOf(payload []byte) (string, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return "", false
	}
	var iss string
	if json.Unmarshal(m["iss"], &iss) != nil {
		return "", false
	}
	return iss, true
}
