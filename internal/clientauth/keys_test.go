package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

var b64 = base64.RawURLEncoding

// primeModulus is a 2048-bit prime, the modulus of a forgeable "key".
var primeModulus = sync.OnceValue(func() *big.Int {
	p, err := rand.Prime(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return p
})

func rsaJWK(n *big.Int, e int, extra string) string {
	eb := big.NewInt(int64(e)).Bytes()
	return `{"kty":"RSA","kid":"k1","n":"` + b64.EncodeToString(n.Bytes()) + `","e":"` + b64.EncodeToString(eb) + `"` + extra + `}`
}

func TestParseJWKSRefusesWeakAndSecretKeys(t *testing.T) {
	good, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecJWK, _ := json.Marshal(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "e"})
	ecWith := func(member, value string) string {
		return strings.TrimSuffix(string(ecJWK), "}") + `,"` + member + `":"` + value + `"}`
	}
	half := b64.EncodeToString(good.Primes[0].Bytes())
	identity := b64.EncodeToString(append([]byte{1}, make([]byte, 31)...))
	order8, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	cases := []struct{ name, key, err string }{
		{"sound RSA", rsaJWK(good.N, 65537, ""), ""},
		{"prime modulus", rsaJWK(primeModulus(), 65537, ""), "prime"},
		{"even modulus", rsaJWK(new(big.Int).Add(good.N, big.NewInt(1)), 65537, ""), "even"},
		{"small factor", rsaJWK(new(big.Int).Mul(good.N, big.NewInt(7)), 65537, ""), "small prime factor"},
		{"e=3", rsaJWK(good.N, 3, ""), "exponent"},
		{"RSA with p, no d", rsaJWK(good.N, 65537, `,"p":"`+half+`"`), `"p"`},
		{"RSA with qi", rsaJWK(good.N, 65537, `,"qi":"`+half+`"`), `"qi"`},
		{"EC with d", ecWith("d", b64.EncodeToString(ec.D.Bytes())), "public key"},
		{"EC with D", ecWith("D", b64.EncodeToString(ec.D.Bytes())), `"D"`},
		{"oct", `{"kty":"oct","k":"c2VjcmV0"}`, "symmetric"},
		{"OCT", `{"kty":"OCT","k":"c2VjcmV0"}`, "not a JWK"},
		{"Ed25519 identity", `{"kty":"OKP","crv":"Ed25519","x":"` + identity + `"}`, "order"},
		{"Ed25519 order 8", `{"kty":"OKP","crv":"Ed25519","x":"` + b64.EncodeToString(order8) + `"}`, "order"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJWKS([]byte(`{"keys":[` + tc.key + `]}`))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want one with %q", err, tc.err)
			case err != nil && strings.Contains(err.Error(), half):
				t.Fatalf("the error quotes key material: %v", err)
			}
		})
	}
}

// A key with a prime modulus, stored before mint checked keys, lets anyone
// sign as its client: the forged assertion verifies under RSA, and mint
// must refuse it at authentication too.
func TestPrimeModulusAssertionIsRefused(t *testing.T) {
	store := testdb.Open(t, "sqlite")
	p := primeModulus()
	set := `{"keys":[` + rsaJWK(p, 65537, "") + `]}`
	now := time.Now()
	if err := store.CreateClient(context.Background(), mint.Client{ID: "victim", Name: "v", JWKS: []byte(set), CreatedAt: now},
		mint.Secret{ID: "s1", ClientID: "victim", Digest: make([]byte, 32), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	claims := `{"iss":"victim","sub":"victim","aud":"https://mint.test","exp":` + itoa(now.Add(time.Minute).Unix()) + `,"jti":"forged"}`
	assertion := forgeRS256(t, p, `{"alg":"RS256","kid":"k1"}`, claims)

	// The premise: the forgery verifies with the published key.
	if _, err := verifyWith(assertion, &rsa.PublicKey{N: p, E: 65537}); err != nil {
		t.Fatalf("the forged assertion does not verify under its key: %v", err)
	}
	a := &Authenticator{Store: store, Issuer: "https://mint.test"}
	_, err := a.Authenticate(context.Background(), Credentials{Method: PrivateKeyJWT, Assertion: assertion})
	if err == nil {
		t.Fatal("an assertion forged for a prime-modulus key authenticated its client")
	}
}

// forgeRS256 signs header.payload with the "private exponent" anyone can
// compute for a prime modulus p: e⁻¹ mod (p-1).
func forgeRS256(t *testing.T, p *big.Int, header, payload string) string {
	d := new(big.Int).ModInverse(big.NewInt(65537), new(big.Int).Sub(p, big.NewInt(1)))
	if d == nil {
		t.Skip("65537 divides p-1: no inverse")
	}
	input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	h := sha256.Sum256([]byte(input))
	prefix, _ := hex.DecodeString("3031300d060960864801650304020105000420") // DigestInfo, SHA-256
	k := (p.BitLen() + 7) / 8
	em := make([]byte, k)
	em[1] = 1
	tail := append(prefix, h[:]...)
	for i := 2; i < k-len(tail)-1; i++ {
		em[i] = 0xff
	}
	copy(em[k-len(tail):], tail)
	s := new(big.Int).Exp(new(big.Int).SetBytes(em), d, p)
	return input + "." + b64.EncodeToString(s.FillBytes(make([]byte, k)))
}

func verifyWith(compact string, key *rsa.PublicKey) ([]byte, error) {
	jws, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	return jws.Verify(key)
}
