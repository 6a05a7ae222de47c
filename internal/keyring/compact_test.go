package keyring

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
)

// TestCompactSignerMatchesJose: the compact signer writes what go-jose's
// Signer writes: the same bytes for the deterministic algorithms (RS256,
// EdDSA), and for the randomised ones (PS256, ES256) the same header and
// payload with a signature go-jose verifies.
func TestCompactSignerMatchesJose(t *testing.T) {
	payload := []byte(`{"iss":"https://mint.test/","aud":"a&b<c>","scope":"read write"}`)
	for _, alg := range mint.SigningAlgorithms {
		t.Run(alg, func(t *testing.T) {
			priv, err := newPrivateKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			jwk := jose.JSONWebKey{Key: priv, KeyID: "key_" + alg, Algorithm: alg, Use: "sig"}
			header, err := joseHeader(alg, jwk)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := newCompactSigner(alg, priv, header)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ours.Sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			js, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jwk},
				(&jose.SignerOptions{}).WithType(TokenType))
			if err != nil {
				t.Fatal(err)
			}
			obj, err := js.Sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			want, err := obj.CompactSerialize()
			if err != nil {
				t.Fatal(err)
			}
			if alg == mint.AlgRS256 || alg == mint.AlgEdDSA {
				if got != want {
					t.Fatalf("compact signer wrote\n%s\ngo-jose\n%s", got, want)
				}
			}
			g, w := strings.Split(got, "."), strings.Split(want, ".")
			if len(g) != 3 || g[0] != w[0] || g[1] != w[1] || len(g[2]) != len(w[2]) {
				t.Fatalf("compact signer wrote\n%s\ngo-jose\n%s", got, want)
			}
			parsed, err := jose.ParseSigned(got, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatal(err)
			}
			verified, err := parsed.Verify(jwk.Public())
			if err != nil || string(verified) != string(payload) {
				t.Fatalf("go-jose does not verify it: %v", err)
			}
		})
	}
}

// TestRawECDSA: short r and s are left-padded; malformed DER is refused.
func TestRawECDSA(t *testing.T) {
	der := []byte{0x30, 0x07, 0x02, 0x01, 0x05, 0x02, 0x02, 0x00, 0x80}
	got, err := rawECDSA(der, 4)
	if err != nil || base64.StdEncoding.EncodeToString(got) != base64.StdEncoding.EncodeToString([]byte{0, 0, 0, 5, 0, 0, 0, 0x80}) {
		t.Fatalf("rawECDSA = %x, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {0x30}, {0x30, 0x03, 0x02, 0x01}, {0x31, 0x00}, append(der, 0)} {
		if _, err := rawECDSA(bad, 4); err == nil {
			t.Errorf("rawECDSA(%x): want an error", bad)
		}
	}
}

// TestCompactSignerTokensAreTheirOwn: a token is the bytes of its own
// buffer (unsafe.String), so signing the next one must not change it.
func TestCompactSignerTokensAreTheirOwn(t *testing.T) {
	for _, alg := range mint.SigningAlgorithms {
		t.Run(alg, func(t *testing.T) {
			priv, err := newPrivateKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			header, err := joseHeader(alg, jose.JSONWebKey{Key: priv, KeyID: "key_" + alg, Algorithm: alg, Use: "sig"})
			if err != nil {
				t.Fatal(err)
			}
			s, err := newCompactSigner(alg, priv, header)
			if err != nil {
				t.Fatal(err)
			}
			first, err := s.Sign([]byte(`{"jti":"one"}`))
			if err != nil {
				t.Fatal(err)
			}
			kept := strings.Clone(first)
			for range 3 {
				if _, err := s.Sign([]byte(`{"jti":"two, and longer than one"}`)); err != nil {
					t.Fatal(err)
				}
			}
			if first != kept {
				t.Fatalf("the first token changed when the next were signed:\n%s\n%s", kept, first)
			}
			sig, err := base64.RawURLEncoding.DecodeString(first[strings.LastIndexByte(first, '.')+1:])
			if err != nil || len(sig) != s.sigLen {
				t.Fatalf("signature of %d bytes (%v), want %d", len(sig), err, s.sigLen)
			}
		})
	}
}
