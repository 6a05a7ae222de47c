package clientauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestParseJWKS(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	smallRSA, _ := rsa.GenerateKey(rand.Reader, 1024)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	set := func(keys ...jose.JSONWebKey) string {
		b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	many := make([]jose.JSONWebKey, 11)
	for i := range many {
		many[i] = jose.JSONWebKey{Key: edPub, KeyID: string(rune('a' + i))}
	}
	cases := []struct {
		name, jwks, err string
	}{
		{"rsa", set(jose.JSONWebKey{Key: &rsaKey.PublicKey, Algorithm: "PS256"}), ""},
		{"three types", set(jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "r"}, jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "e", Use: "sig"},
			jose.JSONWebKey{Key: edPub, KeyID: "o", Algorithm: "EdDSA"}), ""},
		{"private rsa", set(jose.JSONWebKey{Key: rsaKey}), "public key"},
		{"private ed25519", set(jose.JSONWebKey{Key: edPriv}), "public key"},
		{"symmetric", `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, "symmetric"},
		{"small rsa", set(jose.JSONWebKey{Key: &smallRSA.PublicKey}), "2048"},
		{"P-384", set(jose.JSONWebKey{Key: &p384.PublicKey}), "P-256"},
		{"alg mismatch", set(jose.JSONWebKey{Key: &ecKey.PublicKey, Algorithm: "RS256"}), "does not fit"},
		{"use enc", set(jose.JSONWebKey{Key: &ecKey.PublicKey, Use: "enc"}), "use"},
		{"two keys without kid", set(jose.JSONWebKey{Key: edPub, KeyID: "a"}, jose.JSONWebKey{Key: &ecKey.PublicKey}), "no kid"},
		{"kid twice", set(jose.JSONWebKey{Key: edPub, KeyID: "a"}, jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "a"}), "twice"},
		{"too many", set(many...), "1 to 10"},
		{"empty", `{"keys":[]}`, "1 to 10"},
		{"not an object", `[]`, "JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJWKS([]byte(tc.jwks))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want one with %q", err, tc.err)
			}
		})
	}
}
