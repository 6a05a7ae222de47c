package keycheck

import (
	"crypto/rsa"
	"testing"
)

// BenchmarkRSAUncached is the cost of judging a sound 2048-bit key the
// first time (later times come from the cache).
func BenchmarkRSAUncached(b *testing.B) {
	k := &testKeys().rsa2048.PublicKey
	for b.Loop() {
		if err := checkModulus(k.N); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRSACached(b *testing.B) {
	k := &rsa.PublicKey{N: testKeys().rsa2048.N, E: 65537}
	_ = RSA(k)
	for b.Loop() {
		_ = RSA(k)
	}
}
