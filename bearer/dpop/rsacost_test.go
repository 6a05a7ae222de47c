package dpop

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"testing"
)

// TestHugeRSAKeyRefusedBeforeVerifying: a proof is a stranger's, and so is
// the key in its header. An RSA verification costs about the cube of the
// modulus size: a 20,000-bit modulus (it fits in MaxProofLength) with a
// large exponent costs some hundred times a 2048-bit one, from an
// unauthenticated 8 KB header. Such a key must be refused before any
// signature check (go-jose's MaxRSAModulusBits, 4096, does it today while
// parsing the header: this test keeps it so if that bound is raised).
func TestHugeRSAKeyRefusedBeforeVerifying(t *testing.T) {
	tests := []struct {
		name     string
		bits     int
		e        int64
		verified bool // the signature check was reached
	}{
		{"4096 bits: checked, signature bad", 4096, 65537, true},
		{"4097 bits", 4097, 65537, false},
		{"8192 bits", 8192, 65537, false},
		{"20000 bits", 20000, 65537, false},
		{"20000 bits, exponent 2^31-1", 20000, 1<<31 - 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(rsaProof(t, tt.bits, tt.e))
			if err == nil {
				t.Fatal("a garbage signature verified")
			}
			if got := errors.Is(err, ErrSignature); got != tt.verified {
				t.Fatalf("signature check reached: %v, want %v (%v)", got, tt.verified, err)
			}
		})
	}
}

// rsaProof is a proof whose header carries an RSA key of bits bits (an
// odd random modulus: nobody needs its factors to send it) and whose
// signature is garbage of the modulus' length.
func rsaProof(t *testing.T, bits int, e int64) string {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits)))
	if err != nil {
		t.Fatal(err)
	}
	n.SetBit(n, bits-1, 1)
	n.SetBit(n, 0, 1)
	b64 := base64.RawURLEncoding.EncodeToString
	header, _ := json.Marshal(map[string]any{"typ": TypeHeader, "alg": "RS256",
		"jwk": map[string]string{"kty": "RSA", "n": b64(n.Bytes()), "e": b64(big.NewInt(e).Bytes())}})
	payload, _ := json.Marshal(goodClaims())
	sig := make([]byte, (bits+7)/8)
	sig[len(sig)-1] = 2
	return b64(header) + "." + b64(payload) + "." + b64(sig)
}
