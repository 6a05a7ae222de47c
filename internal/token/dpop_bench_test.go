package token

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/mint"
)

// BenchmarkIssueDPoP compares a token request with and without a DPoP
// proof, in one run, over the endpoint as mint serve wires it (store cache
// in front of SQLite, audit appender). The DPoP case pays the proof's
// parse and ES256 verification and one store write for its jti (replay
// across replicas); proofs are made before the timer starts, one per
// request, as each must be fresh.
func BenchmarkIssueDPoP(b *testing.B) {
	mintServeGC(b)
	f := newFixture(b)
	e, appender := servedEndpoint(b, f)
	e.DPoP = NewDPoPChecker(f.store, nil, func() time.Time { return f.now })
	api := mint.API{ID: "api_bench_dpop", Name: "bench dpop", Audience: "https://bench.test/dpop",
		Scopes: []string{"read:orders"}, SigningAlg: mint.AlgES256}
	f.must(b, f.store.CreateAPI(context.Background(), api))
	c := f.client(b, mint.NewClientID(), time.Time{}, mint.Grant{Audience: api.Audience, Scopes: api.Scopes})
	body := fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":%q,"grant_type":"client_credentials"}`,
		c.ID, c.Secret, api.Audience)
	b.Run("bearer", func(b *testing.B) { benchIssue(b, e, appender, jsonReq(body)) })
	b.Run("dpop", func(b *testing.B) {
		p, err := dpop.GenerateProver()
		if err != nil {
			b.Fatal(err)
		}
		p.Now = func() time.Time { return f.now }
		proofs := make([]string, b.N)
		for i := range proofs {
			if proofs[i], err = p.Proof("POST", testIssuer+"oauth/token", "", ""); err != nil {
				b.Fatal(err)
			}
		}
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
		r.Header.Set("Content-Type", "application/json")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			r.Body = io.NopCloser(bytes.NewReader([]byte(body)))
			r.Header.Set("DPoP", proofs[i])
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}
