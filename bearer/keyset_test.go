package bearer

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"testing"
)

// An issuer's key set is not trusted blindly either: a weak key in it is
// skipped like a key of unknown type, and the sound ones serve.
func TestParseKeySetSkipsWeakKeys(t *testing.T) {
	good, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwk := func(kid string, n *big.Int, e int64) string {
		return `{"kty":"RSA","kid":"` + kid + `","n":"` + b64(n.Bytes()) + `","e":"` + b64(big.NewInt(e).Bytes()) + `"}`
	}
	set := `{"keys":[` +
		jwk("good", good.N, 65537) + "," +
		jwk("factor3", new(big.Int).Mul(good.N, big.NewInt(3)), 65537) + "," +
		jwk("e3", good.N, 3) + "," +
		`{"kty":"OKP","crv":"Ed25519","kid":"identity","x":"` + b64(append([]byte{1}, make([]byte, 31)...)) + `"}` + "]}"
	keys, err := parseKeySet([]byte(set), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := keys["good"]; !ok || len(keys) != 1 {
		t.Errorf("kept %d keys (good: %v), want only the sound one", len(keys), ok)
	}
}
