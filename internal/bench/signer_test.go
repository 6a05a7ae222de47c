package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSigningBaselineAnswersAsMintDoes: the signing baseline's answers have
// mint's length and headers, and carry mint's header and claims with a new,
// valid signature of the same algorithm, for every algorithm mint signs.
func TestSigningBaselineAnswersAsMintDoes(t *testing.T) {
	ts := startMint(t)
	ctx := context.Background()
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			target, err := Setup(ctx, SetupConfig{Server: ts.URL, ClientID: adminID, ClientSecret: adminSecret, Alg: alg})
			if err != nil {
				t.Fatal(err)
			}
			defer target.Remove(ctx)
			cfg := Config{URL: ts.URL + "/oauth/token", ClientID: target.ClientID, ClientSecret: target.ClientSecret, Audience: target.Audience}
			ans, err := Fetch(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := resigning(ans)
			if err != nil {
				t.Fatal(err)
			}
			url, stop, err := serveLoopback(ctx, rs.handler())
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			cfg.URL = url
			got, err := Fetch(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Body) != len(ans.Body) {
				t.Errorf("body is %d bytes, mint's %d", len(got.Body), len(ans.Body))
			}
			got.Header.Del("Date")
			ans.Header.Del("Date")
			if !equalHeaders(got.Header, ans.Header) {
				t.Errorf("headers %v, mint's %v", got.Header, ans.Header)
			}
			mintInput, _ := splitToken(t, ans)
			input, sig := splitToken(t, got)
			mintHeader, mintClaims, _ := strings.Cut(mintInput, ".")
			header, claims, _ := strings.Cut(input, ".")
			if header != mintHeader {
				t.Errorf("protected header %q, mint's %q", header, mintHeader)
			}
			checkFreshClaims(t, decodeClaims(t, mintClaims), decodeClaims(t, claims))
			if !verifies(alg, rs.public, []byte(input), sig) {
				t.Errorf("the %s signature does not verify", alg)
			}
			again, err := Fetch(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			againInput, _ := splitToken(t, again)
			_, againClaims, _ := strings.Cut(againInput, ".")
			if a, b := decodeClaims(t, claims)["jti"], decodeClaims(t, againClaims)["jti"]; a == b {
				t.Errorf("two answers carry the same jti %v", a)
			}
		})
	}
	if _, err := resigning(&Answer{Body: []byte(`{"access_token":"e30.e30.c2ln"}`)}); err == nil {
		t.Error("an algorithm without a signer was accepted")
	}
}

func decodeClaims(t *testing.T, encoded string) map[string]any {
	t.Helper()
	payload, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("payload %s: %v", payload, err)
	}
	return claims
}

// checkFreshClaims: got is mint's claims with a new jti of the same length,
// and iat and exp moved together to a time no earlier than mint's.
func checkFreshClaims(t *testing.T, mint, got map[string]any) {
	t.Helper()
	if len(got) != len(mint) {
		t.Errorf("claims %v, mint's %v", got, mint)
	}
	for k, v := range mint {
		switch k {
		case "iat", "exp", "jti":
		default:
			if got[k] != v && fmt.Sprint(got[k]) != fmt.Sprint(v) {
				t.Errorf("claim %s is %v, mint's %v", k, got[k], v)
			}
		}
	}
	mintJTI, _ := mint["jti"].(string)
	jti, _ := got["jti"].(string)
	if jti == mintJTI || len(jti) != len(mintJTI) {
		t.Errorf("jti %q: want a new one as long as mint's %q", jti, mintJTI)
	}
	iat, _ := got["iat"].(float64)
	exp, _ := got["exp"].(float64)
	mintIat, _ := mint["iat"].(float64)
	mintExp, _ := mint["exp"].(float64)
	if iat < mintIat || exp-iat != mintExp-mintIat {
		t.Errorf("iat %v exp %v: want iat from %v on and a lifetime of %v", iat, exp, mintIat, mintExp-mintIat)
	}
}

func splitToken(t *testing.T, a *Answer) (input string, sig []byte) {
	t.Helper()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(a.Body, &body); err != nil {
		t.Fatal(err)
	}
	dot := strings.LastIndexByte(body.AccessToken, '.')
	sig, err := base64.RawURLEncoding.DecodeString(body.AccessToken[dot+1:])
	if err != nil {
		t.Fatal(err)
	}
	return body.AccessToken[:dot], sig
}

func verifies(alg string, pub crypto.PublicKey, input, sig []byte) bool {
	d := sha256.Sum256(input)
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return ed25519.Verify(k, input, sig)
	case *ecdsa.PublicKey:
		return len(sig) == 64 && ecdsa.Verify(k, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case *rsa.PublicKey:
		if alg == "PS256" {
			return rsa.VerifyPSS(k, crypto.SHA256, d[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], sig) == nil
	}
	return false
}

// TestWireConnRedials: a server that closes the connection after some
// answers costs the load generator a new connection, not an error.
func TestWireConnRedials(t *testing.T) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%3 == 0 {
			w.Header().Set("Connection", "close")
		}
		_, _ = w.Write([]byte(`{"access_token":"x.y.z","token_type":"Bearer","expires_in":1}`))
	}))
	defer ts.Close()
	cfg := Config{URL: ts.URL + "/oauth/token", ClientID: "c", ClientSecret: "s", Duration: 300 * time.Millisecond}
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests < 10 || r.Errors != 0 {
		t.Fatalf("result %+v: want requests, no errors", r)
	}
}
