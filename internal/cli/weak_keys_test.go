package cli

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"os"
	"path/filepath"
	"testing"
)

// TestWeakClientKeysAreRefused registers keys through the CLI and the real
// admin API: a key anyone could sign with, or one carrying its secret, is
// refused at create and at update, with the reason.
func TestWeakClientKeysAreRefused(t *testing.T) {
	h := newHarness(t)
	b64 := base64.RawURLEncoding.EncodeToString
	prime, err := rand.Prime(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaSet := func(n *big.Int, extra string) string {
		return `{"keys":[{"kty":"RSA","kid":"k","e":"AQAB","n":"` + b64(n.Bytes()) + `"` + extra + `}]}`
	}
	cases := []struct{ name, jwks, stderr string }{
		{"prime modulus", rsaSet(prime, ""), "prime"},
		{"RSA with p", rsaSet(good.N, `,"p":"`+b64(good.Primes[0].Bytes())+`"`), `private member "p"`},
		{"Ed25519 identity", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + b64(append([]byte{1}, make([]byte, 31)...)) + `"}]}`, "order"},
	}
	file := filepath.Join(t.TempDir(), "jwks.json")
	var created clientView
	if err := os.WriteFile(file, []byte(rsaSet(good.N, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	h.mustJSON(t, &created, "clients", "create", "--name", "sound", "--jwks-file", file)
	h.remember(created.ClientSecret)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(file, []byte(tc.jwks), 0o600); err != nil {
				t.Fatal(err)
			}
			r := h.run("clients", "create", "--name", "weak", "--jwks-file", file)
			r.wantCode(t, exitRefused)
			r.wantStderr(t, "jwks", tc.stderr)
			r = h.run("clients", "update", created.ClientID, "--jwks-file", file)
			r.wantCode(t, exitRefused)
			r.wantStderr(t, tc.stderr)
		})
	}
}
