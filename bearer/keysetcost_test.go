package bearer

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"testing"
)

// hardModuli returns n odd 4096-bit numbers without a prime factor below
// 2^14: the moduli that pass keycheck's cheap checks and so cost it a
// primality test and a perfect-power search each. Anyone can make them
// by the thousand (no prime needs to be found): what a key set served by
// a hostile issuer, or at a client's key URL, may hold.
func hardModuli(t testing.TB, n int) []*big.Int {
	t.Helper()
	var primorial = big.NewInt(1)
	for p := int64(3); p < 1<<14; p += 2 {
		if big.NewInt(p).ProbablyPrime(0) {
			primorial.Mul(primorial, big.NewInt(p))
		}
	}
	max := new(big.Int).Lsh(big.NewInt(1), 4096)
	var out []*big.Int
	for len(out) < n {
		m, err := rand.Int(rand.Reader, max)
		if err != nil {
			t.Fatal(err)
		}
		m.SetBit(m, 4095, 1)
		m.SetBit(m, 0, 1)
		if new(big.Int).GCD(nil, nil, m, primorial).Cmp(big.NewInt(1)) == 0 {
			out = append(out, m)
		}
	}
	return out
}

func keySetOf(moduli []*big.Int) []byte {
	type jwk struct{ Kty, Kid, N, E string }
	keys := make([]map[string]string, len(moduli))
	for i, m := range moduli {
		keys[i] = map[string]string{"kty": "RSA", "kid": fmt.Sprintf("k%d", i), "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(m.Bytes()), "e": "AQAB"}
	}
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}

// TestKeySetOfManyKeysRefused: a key set is fetched again whenever a token
// names a kid mint lacks (at most once per MinRefreshInterval), and every
// RSA key in it costs keycheck milliseconds of CPU. 1 MB holds some 1,400
// 4096-bit keys: a minute and more of CPU every refresh, chosen by
// whoever serves the set. A set of more than MaxKeys (DefaultMaxKeys
// when unset) is refused whole, before any key is checked.
func TestKeySetOfManyKeysRefused(t *testing.T) {
	moduli := hardModuli(t, DefaultMaxKeys+1)
	for _, tt := range []struct {
		name    string
		max, n  int
		refused bool
	}{
		{"default bound, one over", 0, DefaultMaxKeys + 1, true},
		{"bound 8, one over", 8, 9, true},
		{"bound 8, at it", 8, 8, false},
		{"default bound, two keys", 0, 2, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := parseKeySet(keySetOf(moduli[:tt.n]), "", tt.max)
			switch {
			case tt.refused && err == nil:
				t.Fatalf("a set of %d keys was accepted", tt.n)
			case !tt.refused && (err != nil || len(keys) != tt.n):
				t.Fatalf("a set of %d keys: %d kept, %v", tt.n, len(keys), err)
			}
		})
	}
}

// BenchmarkParseKeySetHostile: the CPU one fetch of a 1 MB hostile set
// costs (1,400 keys; refused at once with the bound). Run it with
// -benchtime 1x: later rounds find keycheck's verdicts cached.
func BenchmarkParseKeySetHostile(b *testing.B) {
	set := keySetOf(hardModuli(b, 1400))
	b.SetBytes(int64(len(set)))
	for b.Loop() {
		parseKeySet(set, "", 0)
	}
}
