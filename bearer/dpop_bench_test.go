package bearer_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/bearer/dpop"
)

// BenchmarkMiddlewareDPoP compares, in one run, a request through the
// middleware with a bearer token and with a DPoP-bound token and its proof
// (an ES256 token either way; ES256 proofs): the DPoP case adds the
// proof's parse, one more ES256 verification, the thumbprint and the
// replay cache. Proofs are made before the timer starts, one per request.
func BenchmarkMiddlewareDPoP(b *testing.B) {
	key := newKey(b, jose.ES256)
	iss := newIssuer(b, key)
	c := newClock()
	keys, err := bearer.NewJWKS(b.Context(), bearer.JWKSConfig{Issuer: iss.url(), Now: c.Now})
	if err != nil {
		b.Fatal(err)
	}
	v := &bearer.Verifier{Issuer: iss.url(), Audiences: []string{testAudience}, Keys: keys, Now: c.Now}
	checker := &dpop.Checker{Now: c.Now, Replay: &dpop.Memory{Window: time.Hour, Max: 1 << 24, PerHolder: 1 << 24, Now: c.Now}}
	h := bearer.Middleware(v, bearer.WithDPoP(checker))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	const target = "http://api.example/ws/rest/Cargo"
	b.Run("bearer", func(b *testing.B) {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Header.Set("Authorization", "Bearer "+key.sign(b, iss.claims(nil)))
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
	dpopRun := func(checker *dpop.Checker) func(b *testing.B) {
		return func(b *testing.B) {
			h := bearer.Middleware(v, bearer.WithDPoP(checker))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			p, err := dpop.GenerateProver()
			if err != nil {
				b.Fatal(err)
			}
			p.Now = c.Now
			tok := key.sign(b, iss.claims(map[string]any{"cnf": map[string]string{"jkt": p.JKT()}}))
			proofs := make([]string, b.N)
			for i := range proofs {
				if proofs[i], err = p.Proof(http.MethodGet, target, tok, ""); err != nil {
					b.Fatal(err)
				}
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			r.Header.Set("Authorization", "DPoP "+tok)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.Header.Set("DPoP", proofs[i])
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		}
	}
	// dpop: the replay cache shared per holder (issue 19); dpop-legacy:
	// the cache before it, one SHA-256 key and one bound for everyone.
	b.Run("dpop", dpopRun(checker))
	b.Run("dpop-legacy", dpopRun(&dpop.Checker{Now: c.Now, Replay: &legacyReplay{seen: map[[16]byte]struct{}{}}}))
}

// legacyReplay is dpop.Memory as it was before issue 19, without its
// rotation (the benchmark's window never ends), for BenchmarkMiddlewareDPoP.
type legacyReplay struct {
	mu   sync.Mutex
	seen map[[16]byte]struct{}
}

func (l *legacyReplay) Use(_ context.Context, jkt, jti string, _ time.Time) error {
	h := sha256.New()
	h.Write([]byte(jkt))
	h.Write([]byte{0})
	h.Write([]byte(jti))
	var k [16]byte
	copy(k[:], h.Sum(nil))
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[k]; ok {
		return dpop.ErrReplay
	}
	l.seen[k] = struct{}{}
	return nil
}
