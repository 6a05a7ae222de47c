package keycheck

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"math/big"
	"strings"
	"sync"
	"testing"
)

// testKeys are generated once: RSA generation is slow on a shared machine.
var testKeys = sync.OnceValue(func() (k struct {
	rsa2048, rsa1024 *rsa.PrivateKey
	prime2048        *big.Int
}) {
	k.rsa2048, _ = rsa.GenerateKey(rand.Reader, 2048)
	k.rsa1024, _ = rsa.GenerateKey(rand.Reader, 1024)
	k.prime2048, _ = rand.Prime(rand.Reader, 2048)
	return k
})

func mustPrime(t testing.TB, bits int) *big.Int {
	p, err := rand.Prime(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func pow(b *big.Int, k int64) *big.Int { return new(big.Int).Exp(b, big.NewInt(k), nil) }

func TestRSA(t *testing.T) {
	k := testKeys()
	n := func(x *big.Int) *rsa.PublicKey { return &rsa.PublicKey{N: x, E: 65537} }
	mul := func(a int64, b *big.Int) *big.Int { return new(big.Int).Mul(big.NewInt(a), b) }
	cases := []struct {
		name string
		key  *rsa.PublicKey
		err  string // "" for accepted
	}{
		{"generated 2048", &k.rsa2048.PublicKey, ""},
		{"generated 1024", &k.rsa1024.PublicKey, "1024 bits"},
		{"prime modulus", n(k.prime2048), "prime"},
		{"even modulus", n(new(big.Int).Add(k.rsa2048.N, one)), "even"},
		{"factor 3", n(mul(3, k.rsa2048.N)), "small prime factor"},
		{"factor 16381", n(mul(16381, k.rsa2048.N)), "small prime factor"},
		{"three primes", n(new(big.Int).Mul(k.rsa1024.N, mustPrime(t, 1030))), ""},
		{"square", n(pow(mustPrime(t, 1025), 2)), "perfect power"},
		{"cube", n(pow(mustPrime(t, 690), 3)), "perfect power"},
		{"7th power", n(pow(mustPrime(t, 300), 7)), "perfect power"},
		{"e=3", &rsa.PublicKey{N: k.rsa2048.N, E: 3}, "exponent"},
		{"e=1", &rsa.PublicKey{N: k.rsa2048.N, E: 1}, "exponent"},
		{"e even", &rsa.PublicKey{N: k.rsa2048.N, E: 65538}, "exponent"},
		{"e large odd", &rsa.PublicKey{N: k.rsa2048.N, E: 65539}, ""},
		{"too large", n(new(big.Int).Lsh(k.rsa2048.N, 7000)), "bits"},
		{"no modulus", &rsa.PublicKey{E: 65537}, "modulus"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantVerdict(t, Public(tc.key), tc.err)
			wantVerdict(t, Public(tc.key), tc.err) // second time from the cache
		})
	}
}

func wantVerdict(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("refused: %v", err)
	case want != "" && err == nil:
		t.Fatalf("accepted, want refused with %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q, want one with %q", err, want)
	}
}

// The key built in a prime-modulus attack: its "private" exponent is
// e⁻¹ mod (p-1), which anyone computes, and it signs what RSA verifies.
func TestPrimeModulusIsForgeable(t *testing.T) {
	p := testKeys().prime2048
	d := new(big.Int).ModInverse(big.NewInt(65537), new(big.Int).Sub(p, one))
	if d == nil {
		t.Skip("65537 divides p-1")
	}
	m := big.NewInt(424242)
	s := new(big.Int).Exp(m, d, p)
	if new(big.Int).Exp(s, big.NewInt(65537), p).Cmp(m) != 0 {
		t.Fatal("the forged signature does not verify; the premise of the check is wrong")
	}
	wantVerdict(t, RSA(&rsa.PublicKey{N: p, E: 65537}), "prime")
}

func TestECDSA(t *testing.T) {
	gen := func(c elliptic.Curve) *ecdsa.PublicKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return &k.PublicKey
	}
	p256 := gen(elliptic.P256())
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: p256.X, Y: new(big.Int).Add(p256.Y, one)}
	infinity := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int), Y: new(big.Int)}
	cases := []struct {
		name string
		key  *ecdsa.PublicKey
		err  string
	}{
		{"P-256", p256, ""},
		{"P-384", gen(elliptic.P384()), ""},
		{"P-521", gen(elliptic.P521()), ""},
		{"P-224", gen(elliptic.P224()), "not allowed"},
		{"off the curve", offCurve, "not a valid point"},
		{"point at infinity", infinity, "not a valid point"},
		{"no curve", &ecdsa.PublicKey{}, "without a curve"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantVerdict(t, Public(tc.key), tc.err) })
	}
}

// smallOrder are the canonical encodings of the eight points of order 1,
// 2, 4 and 8 of edwards25519.
var smallOrder = []string{
	"0100000000000000000000000000000000000000000000000000000000000000", // identity
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
	"0000000000000000000000000000000000000000000000000000000000000000", // order 4
	"0000000000000000000000000000000000000000000000000000000000000080",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}

func TestEd25519(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wantVerdict(t, Public(pub), "")
	for _, h := range smallOrder {
		t.Run("small order "+h[:8]+h[62:], func(t *testing.T) {
			b, _ := hex.DecodeString(h)
			wantVerdict(t, Public(ed25519.PublicKey(b)), "small order")
		})
	}
	nonCanonical := []string{
		"0100000000000000000000000000000000000000000000000000000000000080", // identity, x = -0
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p+1
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = 2^255-1
	}
	for _, h := range nonCanonical {
		b, _ := hex.DecodeString(h)
		wantVerdict(t, Public(ed25519.PublicKey(b)), "canonical")
	}
	wantVerdict(t, Public(ed25519.PublicKey(pub[:31])), "31 bytes")

	// A sound key plus a point of order 8 has large order: refused only
	// by a prime-order check, which RFC 8032 does not ask for.
	x, y, _ := decodePoint(pub)
	tx, ty, _ := decodePoint(mustHex(smallOrder[4]))
	mx, my := edAdd(x, y, tx, ty)
	wantVerdict(t, Public(encodePoint(mx, my)), "")
}

func mustHex(s string) []byte { b, _ := hex.DecodeString(s); return b }

// encodePoint is RFC 8032 §5.1.2's encoding, for tests.
func encodePoint(x, y *big.Int) ed25519.PublicKey {
	b := make([]byte, 32)
	y.FillBytes(b)
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	b[31] |= byte(x.Bit(0)) << 7
	return b
}

func TestUnsupportedTypes(t *testing.T) {
	wantVerdict(t, Public(nil), "no key")
	wantVerdict(t, Public([]byte("secret")), "not supported")
	k := testKeys().rsa2048
	wantVerdict(t, Public(k), "not supported") // a private key is not a public key
}

// FuzzPublic: no input panics; every Ed25519 key made from a seed and
// every r^k modulus are judged right.
func FuzzPublic(f *testing.F) {
	f.Add([]byte("seed"), []byte{1}, uint8(2))
	f.Add(make([]byte, 32), mustHex(smallOrder[6]), uint8(3))
	f.Add([]byte{0xff}, make([]byte, 256), uint8(5))
	f.Fuzz(func(t *testing.T, seed, raw []byte, k uint8) {
		s := make([]byte, ed25519.SeedSize)
		copy(s, seed)
		pub := ed25519.NewKeyFromSeed(s).Public().(ed25519.PublicKey)
		if err := Public(pub); err != nil {
			t.Fatalf("a generated Ed25519 key is refused: %v", err)
		}
		_ = Public(ed25519.PublicKey(raw))
		n := new(big.Int).SetBytes(raw)
		_ = Public(&rsa.PublicKey{N: n, E: 65537})

		// r^k for any r ≥ 2 and k ≥ 2 is never a sound modulus.
		r := new(big.Int).SetBytes(append([]byte{1}, raw...))
		e := int64(k%7) + 2
		for pow(r, e).BitLen() < MinRSABits {
			r.Lsh(r, 61).Add(r, big.NewInt(int64(len(raw))+3))
		}
		if pow(r, e).BitLen() > MaxRSABits {
			return
		}
		if err := Public(&rsa.PublicKey{N: pow(r, e), E: 65537}); err == nil {
			t.Fatalf("%d-th power modulus accepted", e)
		}
	})
}
