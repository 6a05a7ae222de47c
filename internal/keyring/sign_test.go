package keyring_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
)

func TestSign(t *testing.T) {
	r, _, _ := newRing(t)
	claims := jwt.Claims{
		Issuer:   "https://mint.example.com/",
		Subject:  "cli_0123456789abcdefABCDEF012345",
		Audience: jwt.Audience{"https://api.example.com"},
		IssuedAt: jwt.NewNumericDate(epoch),
		Expiry:   jwt.NewNumericDate(epoch.Add(time.Hour)),
		ID:       "tok_1",
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	token, err := r.Sign(testContext(t), "RS256", payload)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}

	t.Run("CompactHeader", func(t *testing.T) {
		parts := strings.Split(token, ".")
		if len(parts) != 3 {
			t.Fatalf("token has %d parts, want 3 (compact JWS)", len(parts))
		}
		raw, err := base64.RawURLEncoding.DecodeString(parts[0])
		if err != nil {
			t.Fatalf("header is not base64url: %v", err)
		}
		var header map[string]any
		if err := json.Unmarshal(raw, &header); err != nil {
			t.Fatalf("header is not JSON: %v", err)
		}
		want := map[string]any{"alg": "RS256", "kid": r.ActiveKeyID(), "typ": "at+jwt"}
		if len(header) != len(want) {
			t.Errorf("header = %s, want exactly alg, kid, typ", raw)
		}
		for k, v := range want {
			if header[k] != v {
				t.Errorf("header %q = %v, want %v", k, header[k], v)
			}
		}
	})

	t.Run("ParsedHeader", func(t *testing.T) {
		jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatalf("ParseSigned: %v", err)
		}
		if n := len(jws.Signatures); n != 1 {
			t.Fatalf("%d signatures, want 1", n)
		}
		h := jws.Signatures[0].Protected
		if h.Algorithm != "RS256" || h.KeyID != r.ActiveKeyID() || h.ExtraHeaders[jose.HeaderType] != keyring.TokenType {
			t.Errorf("protected header alg=%q kid=%q typ=%v, want RS256 %q at+jwt",
				h.Algorithm, h.KeyID, h.ExtraHeaders[jose.HeaderType], r.ActiveKeyID())
		}
		if h.JSONWebKey != nil {
			t.Error("header embeds a jwk; verifiers must take keys from the JWKS only")
		}
	})

	published, ok, err := r.LookupKey(testContext(t), r.ActiveKeyID())
	if err != nil || !ok {
		t.Fatalf("LookupKey(active) = %v, %v", ok, err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Split(token, ".")
	forged, err := json.Marshal(jwt.Claims{Subject: "cli_attacker", Audience: claims.Audience})
	if err != nil {
		t.Fatal(err)
	}
	tampered[1] = base64.RawURLEncoding.EncodeToString(forged)

	tests := []struct {
		name   string
		token  string
		key    any
		wantOK bool
	}{
		{"VerifiesWithPublishedKey", token, published, true},
		{"VerifiesWithBareRSAKey", token, published.Key, true},
		{"RejectsAnotherKey", token, &other.PublicKey, false},
		{"RejectsChangedPayload", strings.Join(tampered, "."), published, false},
		{"RejectsTruncatedSignature", token[:len(token)-4], published, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := jwt.ParseSigned(tt.token, []jose.SignatureAlgorithm{jose.RS256})
			if err != nil {
				if tt.wantOK {
					t.Fatalf("jwt.ParseSigned: %v", err)
				}
				return
			}
			var got jwt.Claims
			err = tok.Claims(tt.key, &got)
			if !tt.wantOK {
				if err == nil {
					t.Errorf("Claims verified, want a signature error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Claims: %v", err)
			}
			if got.Subject != claims.Subject || got.ID != claims.ID || !slices.Equal(got.Audience, claims.Audience) ||
				*got.Expiry != *claims.Expiry {
				t.Errorf("claims = %+v, want %+v", got, claims)
			}
		})
	}
}

// TestSignConcurrently signs from many goroutines while the ring reloads;
// run with -race.
func TestSignConcurrently(t *testing.T) {
	r, _, _ := newRing(t)
	pub, _, _ := r.LookupKey(testContext(t), r.ActiveKeyID())
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 8 {
		wg.Go(func() {
			for range 4 {
				tok, err := r.Sign(testContext(t), "RS256", []byte(`{"sub":"x"}`))
				if err == nil {
					var jws *jose.JSONWebSignature
					if jws, err = jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256}); err == nil {
						_, err = jws.Verify(pub)
					}
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for range 4 {
			if err := r.Reload(testContext(t)); err != nil {
				errs <- err
			}
			_ = r.PublicKeys()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSignPerAlgorithm signs with each algorithm's own key ring: the first
// token of an algorithm creates its key; each verifies with go-jose
// against the published key, and no other.
func TestSignPerAlgorithm(t *testing.T) {
	ctx := testContext(t)
	r, store, _ := newRing(t)
	seen := map[string]string{} // kid → alg
	for _, alg := range mint.SigningAlgorithms {
		t.Run(alg, func(t *testing.T) {
			tok, err := r.Sign(ctx, alg, benchPayload)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatalf("ParseSigned with only %s allowed: %v", alg, err)
			}
			h := jws.Signatures[0].Protected
			if h.Algorithm != alg || h.KeyID != r.SigningKeyID(alg) {
				t.Errorf("header alg %q kid %q, want %s %q", h.Algorithm, h.KeyID, alg, r.SigningKeyID(alg))
			}
			if other, dup := seen[h.KeyID]; dup {
				t.Errorf("%s signs with the %s key", alg, other)
			}
			seen[h.KeyID] = alg
			pub, found, _ := r.LookupKey(ctx, h.KeyID)
			if !found || pub.Algorithm != alg || pub.Use != "sig" || !pub.IsPublic() {
				t.Fatalf("published key: found %v alg %q use %q public %v", found, pub.Algorithm, pub.Use, pub.IsPublic())
			}
			got, err := jws.Verify(pub)
			if err != nil || string(got) != string(benchPayload) {
				t.Errorf("Verify with the published key: %v", err)
			}
			for _, k := range r.PublicKeys().Keys {
				if k.KeyID != h.KeyID {
					if _, err := jws.Verify(k); err == nil {
						t.Errorf("verifies with the %s key %s too", k.Algorithm, k.KeyID)
					}
				}
			}
		})
	}
	if n := len(listKeys(t, store)); n != len(mint.SigningAlgorithms) {
		t.Errorf("store holds %d keys, want one per algorithm", n)
	}
	if _, err := r.Sign(ctx, "HS256", benchPayload); err == nil {
		t.Error("Sign accepted HS256")
	}
}

// benchPayload is the size of a typical access token's claims.
var benchPayload = []byte(`{"iss":"https://mint.example.com/","sub":"cli_0123456789abcdefABCDEF012345",` +
	`"aud":"https://api.example.com","client_id":"cli_0123456789abcdefABCDEF012345",` +
	`"scope":"read:orders write:orders","iat":1740830400,"exp":1740834000,"jti":"tok_0123456789abcdefghij"}`)

// BenchmarkSign measures the signing ceiling of each algorithm: RS256 and
// PS256 cost one 2048-bit RSA private-key operation per token.
// processCPU is the CPU time the process has used, user and system, in
// nanoseconds: its share of a loop is what the loop cost whatever else
// shares the machine, which a loaded machine's wall time does not say.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkSign(b *testing.B) {
	r, _, _ := newRing(b)
	ctx := context.Background()
	for _, alg := range mint.SigningAlgorithms {
		if err := r.EnsureKey(ctx, alg); err != nil {
			b.Fatal(err)
		}
		b.Run(alg+"/Serial", func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				if _, err := r.Sign(ctx, alg, benchPayload); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
		b.Run(alg+"/Parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := r.Sign(ctx, alg, benchPayload); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
