package dpop

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var (
	testNow = time.Unix(1_800_000_000, 0)
	ecKey   = mustEC(elliptic.P256())
)

func mustEC(c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// forge signs claims with key and alg, letting a test set any header:
// what an attacker can send.
type forge struct {
	key    crypto.Signer
	alg    jose.SignatureAlgorithm
	typ    string
	jwk    any // nil: the key's public JWK; false: none
	claims map[string]any
}

func goodClaims() map[string]any {
	return map[string]any{"jti": "id-1", "htm": "POST", "htu": "https://api.example/v1/things", "iat": testNow.Unix()}
}

func (f forge) sign(t testing.TB) string {
	t.Helper()
	if f.key == nil {
		f.key = ecKey
	}
	if f.alg == "" {
		f.alg = jose.ES256
	}
	if f.typ == "" {
		f.typ = TypeHeader
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(f.typ))
	switch j := f.jwk.(type) {
	case nil:
		opts.EmbedJWK = true
	case bool:
	default:
		opts = opts.WithHeader("jwk", j)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: f.alg, Key: f.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(f.claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func with(m map[string]any, k string, v any) map[string]any {
	if v == nil {
		delete(m, k)
	} else {
		m[k] = v
	}
	return m
}

func header(proofs ...string) http.Header {
	h := http.Header{}
	for _, p := range proofs {
		h.Add("DPoP", p)
	}
	return h
}

func TestCheckRefusals(t *testing.T) {
	rsaSmall, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	p384 := mustEC(elliptic.P384())
	other := mustEC(elliptic.P256())
	otherJKT, _ := Thumbprint(&jose.JSONWebKey{Key: other.Public()})
	good := forge{claims: goodClaims()}.sign(t)
	parts := strings.Split(good, ".")
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"dpop+jwt"}`))
	hsHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"dpop+jwt","jwk":{"kty":"oct","k":"c2VjcmV0"}}`))
	req := Request{Method: "POST", URL: "https://api.example/v1/things"}
	tests := []struct {
		name string
		h    http.Header
		req  Request
		want error
	}{
		{"missing", header(), req, ErrMissing},
		{"two headers", header(good, good), req, ErrMultiple},
		{"not a JWS", header("abc"), req, ErrMalformed},
		{"empty", header(""), req, ErrMalformed},
		{"too long", header(strings.Repeat("a", MaxProofLength) + ".b.c"), req, ErrMalformed},
		{"alg none", header(noneHeader + "." + parts[1] + "."), req, ErrAlgorithm},
		{"alg HS256 with an oct jwk", header(hsHeader + "." + parts[1] + "." + parts[2]), req, ErrAlgorithm},
		{"typ jwt", header(forge{typ: "JWT", claims: goodClaims()}.sign(t)), req, ErrType},
		{"typ at+jwt", header(forge{typ: "at+jwt", claims: goodClaims()}.sign(t)), req, ErrType},
		{"no jwk", header(forge{jwk: false, claims: goodClaims()}.sign(t)), req, ErrKey},
		{"private jwk", header(forge{jwk: &jose.JSONWebKey{Key: ecKey}, claims: goodClaims()}.sign(t)), req, ErrMalformed},
		{"jwk of another key", header(forge{jwk: &jose.JSONWebKey{Key: other.Public()}, claims: goodClaims()}.sign(t)), req, ErrSignature},
		{"RSA 1024", header(forge{key: rsaSmall, alg: jose.RS256, claims: goodClaims()}.sign(t)), req, ErrKey},
		{"P-384 key with ES256", header(signES256Raw(t, p384)), req, ErrKey},
		{"jwk alg differs", header(forge{jwk: &jose.JSONWebKey{Key: ecKey.Public(), Algorithm: "ES384"}, claims: goodClaims()}.sign(t)), req, ErrKey},
		{"no jti", header(forge{claims: with(goodClaims(), "jti", nil)}.sign(t)), req, ErrClaims},
		{"jti not a string", header(forge{claims: with(goodClaims(), "jti", 7)}.sign(t)), req, ErrClaims},
		{"jti too long", header(forge{claims: with(goodClaims(), "jti", strings.Repeat("x", MaxIDLength+1))}.sign(t)), req, ErrClaims},
		{"no htm", header(forge{claims: with(goodClaims(), "htm", nil)}.sign(t)), req, ErrClaims},
		{"no htu", header(forge{claims: with(goodClaims(), "htu", nil)}.sign(t)), req, ErrClaims},
		{"no iat", header(forge{claims: with(goodClaims(), "iat", nil)}.sign(t)), req, ErrClaims},
		{"iat a string", header(forge{claims: with(goodClaims(), "iat", "1800000000")}.sign(t)), req, ErrClaims},
		{"iat huge", header(forge{claims: with(goodClaims(), "iat", 1e300)}.sign(t)), req, ErrClaims},
		{"iat negative", header(forge{claims: with(goodClaims(), "iat", -5)}.sign(t)), req, ErrClaims},
		{"other method", header(forge{claims: with(goodClaims(), "htm", "GET")}.sign(t)), req, ErrMethod},
		{"method lower case", header(forge{claims: with(goodClaims(), "htm", "post")}.sign(t)), req, ErrMethod},
		{"other path", header(forge{claims: with(goodClaims(), "htu", "https://api.example/v1/other")}.sign(t)), req, ErrURL},
		{"other host", header(forge{claims: with(goodClaims(), "htu", "https://evil.example/v1/things")}.sign(t)), req, ErrURL},
		{"http for https", header(forge{claims: with(goodClaims(), "htu", "http://api.example/v1/things")}.sign(t)), req, ErrURL},
		{"other port", header(forge{claims: with(goodClaims(), "htu", "https://api.example:8443/v1/things")}.sign(t)), req, ErrURL},
		{"trailing slash", header(forge{claims: with(goodClaims(), "htu", "https://api.example/v1/things/")}.sign(t)), req, ErrURL},
		{"relative htu", header(forge{claims: with(goodClaims(), "htu", "/v1/things")}.sign(t)), req, ErrURL},
		{"stale", header(forge{claims: with(goodClaims(), "iat", testNow.Add(-DefaultMaxAge-DefaultLeeway-time.Second).Unix())}.sign(t)), req, ErrStale},
		{"future", header(forge{claims: with(goodClaims(), "iat", testNow.Add(DefaultLeeway+time.Second).Unix())}.sign(t)), req, ErrFuture},
		{"ath at the token endpoint", header(forge{claims: with(goodClaims(), "ath", TokenHash("t"))}.sign(t)), req, ErrTokenHash},
		{"no ath with a token", header(good), Request{Method: "POST", URL: req.URL, AccessToken: "tok"}, ErrTokenHash},
		{"ath of another token", header(forge{claims: with(goodClaims(), "ath", TokenHash("other"))}.sign(t)), Request{Method: "POST", URL: req.URL, AccessToken: "tok"}, ErrTokenHash},
		{"key not the bound one", header(good), Request{Method: "POST", URL: req.URL, JKT: otherJKT}, ErrKeyMismatch},
		{"RSA 2048 passes", header(forge{key: rsaKey, alg: jose.PS256, claims: goodClaims()}.sign(t)), req, nil},
		{"Ed25519 passes", header(forge{key: edKey, alg: jose.EdDSA, claims: goodClaims()}.sign(t)), req, nil},
		{"P-384 passes", header(forge{key: p384, alg: jose.ES384, claims: goodClaims()}.sign(t)), req, nil},
		{"good", header(good), req, nil},
	}
	c := &Checker{Now: func() time.Time { return testNow }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Check(context.Background(), tt.h, tt.req)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCheckSignatureTampered(t *testing.T) {
	good := forge{claims: goodClaims()}.sign(t)
	parts := strings.Split(good, ".")
	c := with(goodClaims(), "htm", "GET")
	payload, _ := json.Marshal(c)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	_, err := (&Checker{Now: func() time.Time { return testNow }}).Check(context.Background(), header(tampered), Request{Method: "GET", URL: "https://api.example/v1/things"})
	if !errors.Is(err, ErrSignature) {
		t.Fatalf("Check = %v, want ErrSignature", err)
	}
}

func TestCheckBoundTokenAndQuery(t *testing.T) {
	jkt, _ := Thumbprint(&jose.JSONWebKey{Key: ecKey.Public()})
	raw := forge{claims: with(with(goodClaims(), "ath", TokenHash("tok")), "htu", "HTTPS://API.example:443/v1/%7ething%2f")}.sign(t)
	req := Request{Method: "POST", URL: "https://api.example/v1/~thing%2F?page=2#x", AccessToken: "tok", JKT: jkt}
	p, err := (&Checker{Now: func() time.Time { return testNow }}).Check(context.Background(), header(raw), req)
	if err != nil {
		t.Fatal(err)
	}
	if p.JKT != jkt || p.ID != "id-1" {
		t.Fatalf("proof = %+v", p)
	}
}

func TestCheckReplay(t *testing.T) {
	now := testNow
	mem := NewMemory(10)
	mem.Now = func() time.Time { return now }
	c := &Checker{Replay: mem, Now: func() time.Time { return now }}
	raw := forge{claims: goodClaims()}.sign(t)
	req := Request{Method: "POST", URL: "https://api.example/v1/things"}
	if _, err := c.Check(context.Background(), header(raw), req); err != nil {
		t.Fatal(err)
	}
	for _, after := range []time.Duration{0, time.Second, DefaultMaxAge} {
		now = testNow.Add(after)
		if _, err := c.Check(context.Background(), header(raw), req); !errors.Is(err, ErrReplay) {
			t.Fatalf("replay after %v: %v, want ErrReplay", after, err)
		}
	}
	// The same jti under another key is another proof.
	other := forge{key: mustEC(elliptic.P256()), claims: with(goodClaims(), "iat", now.Unix())}.sign(t)
	if _, err := c.Check(context.Background(), header(other), req); err != nil {
		t.Fatalf("same jti, other key: %v", err)
	}
	// Once stale, the proof is refused as stale whether remembered or not.
	now = testNow.Add(DefaultMaxAge + 2*DefaultLeeway + time.Second)
	if _, err := c.Check(context.Background(), header(raw), req); !errors.Is(err, ErrStale) {
		t.Fatalf("stale replay: %v, want ErrStale", err)
	}
}

func TestMemoryBoundedAndForgets(t *testing.T) {
	now := testNow
	m := &Memory{Window: time.Minute, Max: 2, PerHolder: 3, Now: func() time.Time { return now }}
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := m.Use(ctx, "k", id, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Use(ctx, "k", "c", time.Time{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("full: %v, want ErrBusy", err)
	}
	now = now.Add(time.Minute)
	if err := m.Use(ctx, "k", "a", time.Time{}); !errors.Is(err, ErrReplay) {
		t.Fatalf("a one window later: %v, want ErrReplay", err)
	}
	if err := m.Use(ctx, "k", "c", time.Time{}); err != nil {
		t.Fatalf("room after rotation: %v", err)
	}
	now = now.Add(time.Minute)
	if err := m.Use(ctx, "k", "a", time.Time{}); err != nil {
		t.Fatalf("a two windows later: %v", err)
	}
}

func TestNonces(t *testing.T) {
	now := testNow
	n := &Nonces{Key: []byte("0123456789abcdef0123456789abcdef"), Period: time.Minute, Now: func() time.Time { return now }}
	replica := &Nonces{Key: n.Key, Period: time.Minute, Now: n.Now}
	stranger := &Nonces{Key: []byte("another key of thirty-two bytes!"), Period: time.Minute, Now: n.Now}
	nonce := n.Issue()
	if !replica.Valid(nonce) {
		t.Fatal("another replica refuses the nonce")
	}
	if stranger.Valid(nonce) {
		t.Fatal("a server with another key accepts the nonce")
	}
	for _, bad := range []string{"", "x", nonce + "A", strings.ToUpper(nonce), nonce[:len(nonce)-1] + "B"} {
		if bad != nonce && n.Valid(bad) {
			t.Fatalf("Valid(%q) = true", bad)
		}
	}
	now = now.Add(time.Minute)
	if !n.Valid(nonce) || n.Issue() == nonce {
		t.Fatal("the last period's nonce should still pass, and a new one be issued")
	}
	now = now.Add(time.Minute)
	if n.Valid(nonce) {
		t.Fatal("a nonce two periods old passes")
	}
}

func TestCheckNonce(t *testing.T) {
	n := &Nonces{Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return testNow }}
	c := &Checker{Nonces: n, Now: func() time.Time { return testNow }}
	req := Request{Method: "POST", URL: "https://api.example/v1/things"}
	for _, tt := range []struct {
		nonce any
		want  error
	}{{nil, ErrUseNonce}, {"made-up", ErrUseNonce}, {n.Issue(), nil}} {
		_, err := c.Check(context.Background(), header(forge{claims: with(goodClaims(), "nonce", tt.nonce)}.sign(t)), req)
		if !errors.Is(err, tt.want) {
			t.Fatalf("nonce %v: %v, want %v", tt.nonce, err, tt.want)
		}
	}
}

func TestProverRoundTrip(t *testing.T) {
	p, err := GenerateProver()
	if err != nil {
		t.Fatal(err)
	}
	p.Now = func() time.Time { return testNow }
	raw, err := p.Proof("GET", "https://api.example/x?y=1", "tok", "n1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := (&Checker{Now: p.Now}).Check(context.Background(), header(raw), Request{Method: "GET", URL: "https://api.example/x", AccessToken: "tok", JKT: p.JKT()})
	if err != nil {
		t.Fatal(err)
	}
	if got.Nonce != "n1" || got.URL != "https://api.example/x" {
		t.Fatalf("proof = %+v", got)
	}
	if _, err := NewProver(mustEC(elliptic.P384()), jose.ES256); err == nil {
		t.Fatal("NewProver took a P-384 key for ES256")
	}
}

// TestThumbprintRFC7638 checks the example of RFC 7638 §3.1.
func TestThumbprintRFC7638(t *testing.T) {
	const jwk = `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON([]byte(jwk)); err != nil {
		t.Fatal(err)
	}
	got, err := Thumbprint(&k)
	if err != nil || got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Fatalf("Thumbprint = %q, %v", got, err)
	}
}

// signES256Raw signs good claims with a P-384 key under the ES256 label,
// which go-jose will not do: an attacker's curve confusion.
func signES256Raw(t *testing.T, key *ecdsa.PrivateKey) string {
	jwk, _ := json.Marshal(jose.JSONWebKey{Key: key.Public()})
	h, _ := json.Marshal(map[string]any{"alg": "ES256", "typ": TypeHeader, "jwk": json.RawMessage(jwk)})
	payload, _ := json.Marshal(goodClaims())
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := append(r.FillBytes(make([]byte, 48)), s.FillBytes(make([]byte, 48))...)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}
