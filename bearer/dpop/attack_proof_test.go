package dpop

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"
)

func fixedNow() time.Time { return testNow }

// TestAttackProofShapes: forms of a proof an attacker controls entirely
// (RFC 9449 §4.3 wants a compact JWT whose header names one public key).
// Each must be refused, whatever the reason given.
func TestAttackProofShapes(t *testing.T) {
	good := forge{claims: goodClaims()}.sign(t)
	parts := strings.Split(good, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	// The JWS JSON serialization of the good proof, with an unprotected
	// header whose value holds the two dots the length check counts.
	general, _ := json.Marshal(map[string]any{
		"payload": parts[1], "protected": parts[0], "signature": parts[2],
		"header": map[string]string{"kid": "a.b.c"},
	})
	flattenedNoDots, _ := json.Marshal(map[string]any{"payload": parts[1], "protected": parts[0], "signature": parts[2], "header": map[string]string{"x": "."}})
	// A P-256 point off the curve (x, y+1), with a signature of the real
	// key: an invalid-curve key must be refused before any use.
	pub := ecKey.PublicKey
	y := new(big.Int).Add(pub.Y, big.NewInt(1))
	offCurve, _ := json.Marshal(map[string]any{"typ": TypeHeader, "alg": "ES256",
		"jwk": map[string]string{"kty": "EC", "crv": "P-256", "x": b64(pub.X.FillBytes(make([]byte, 32))), "y": b64(y.FillBytes(make([]byte, 32)))}})
	critHeader := func(crit any) string {
		h := map[string]any{}
		raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
		_ = json.Unmarshal(raw, &h)
		h["crit"] = crit
		h["exp"] = 1
		out, _ := json.Marshal(h)
		return b64(out)
	}
	cases := []struct{ name, proof string }{
		{"JWS JSON serialization", string(general)},
		{"flattened JSON with a dot", string(flattenedNoDots)},
		{"EC point not on the curve", b64(offCurve) + "." + parts[1] + "." + parts[2]},
		{"unknown critical header", critHeader([]string{"exp"}) + "." + parts[1] + "." + parts[2]},
		{"typ with parameters", forge{typ: "dpop+jwt; charset=utf-8", claims: goodClaims()}.sign(t)},
		{"typ application/dpop+jwt", forge{typ: "application/dpop+jwt", claims: goodClaims()}.sign(t)},
		{"payload not an object", forge{claims: nil}.sign(t)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if p, err := (&Checker{Now: fixedNow}).Check(context.Background(), header(tc.proof), Request{Method: "POST", URL: "https://api.example/v1/things"}); err == nil {
				t.Fatalf("accepted: %+v", p)
			}
		})
	}
	if _, err := (&Checker{Now: fixedNow}).Check(context.Background(), header(good), Request{Method: "POST", URL: "https://api.example/v1/things"}); err != nil {
		t.Fatalf("control: the good proof was refused: %v", err)
	}
}
