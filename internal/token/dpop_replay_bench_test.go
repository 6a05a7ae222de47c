package token

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/policy"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/storecache"
	"github.com/mintauth/mint/internal/testdb"
)

// BenchmarkIssueDPoPReplay is BenchmarkIssueDPoP on each backend, one
// request at a time (serial) and 64 at once (parallel64: what group commit
// is for), each DPoP token paying for its proof's jti being recorded in
// the database replicas share. The endpoint is wired as mint serve wires
// it: store cache, audit appender, issuance log line, policy checker.
//
// It depends on nothing this branch added, so that the same file run
// against the previous commit measures "before" (docs/sender-constrained.md
// says how the figures there were taken).
func BenchmarkIssueDPoPReplay(b *testing.B) {
	mintServeGC(b)
	for _, backend := range testdb.Backends {
		b.Run(backend, func(b *testing.B) {
			rig := newReplayBench(b, backend)
			for _, mode := range []struct {
				name     string
				parallel bool
			}{{"serial", false}, {"parallel64", true}} {
				b.Run(mode.name+"/bearer", func(b *testing.B) { rig.run(b, mode.parallel, nil) })
				b.Run(mode.name+"/dpop", func(b *testing.B) {
					p, err := dpop.GenerateProver()
					if err != nil {
						b.Fatal(err)
					}
					p.Now = func() time.Time { return rig.now }
					rig.run(b, mode.parallel, p)
				})
			}
		})
	}
}

// replayBench is one database, one endpoint over it and a client whose
// grant allows the benchmark's API.
type replayBench struct {
	e        *Endpoint
	appender *audit.Appender
	now      time.Time
	body     string
}

func newReplayBench(b *testing.B, backend string) *replayBench {
	ctx := context.Background()
	raw := testdb.Open(b, backend)
	rb := &replayBench{now: time.Now().Truncate(time.Second)}
	clock := func() time.Time { return rb.now }
	ring, err := keyring.Open(ctx, raw, keyring.Config{MasterKey: keyring.NewMasterKey(), Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	api := mint.API{ID: "api_bench_dpop", Name: "bench dpop", Audience: "https://bench.test/dpop",
		Scopes: []string{"read:orders"}, SigningAlg: mint.AlgES256, CreatedAt: rb.now, UpdatedAt: rb.now}
	plain, digest := secret.New()
	c := mint.Client{ID: mint.NewClientID(), Name: "bench", CreatedAt: rb.now, UpdatedAt: rb.now}
	for _, err := range []error{
		raw.CreateAPI(ctx, api),
		raw.CreateClient(ctx, c, mint.Secret{ID: mint.NewID("sec"), Digest: digest, CreatedAt: rb.now}),
		raw.CreateGrant(ctx, mint.Grant{ID: mint.NewID("grant"), ClientID: c.ID, Audience: api.Audience,
			Scopes: api.Scopes, CreatedAt: rb.now, UpdatedAt: rb.now}),
	} {
		if err != nil {
			b.Fatal(err)
		}
	}
	rb.body = fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":%q,"grant_type":"client_credentials"}`,
		c.ID, plain, api.Audience)
	rb.appender = &audit.Appender{Store: raw.(mint.AuditStore), Log: discardJSON()}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); rb.appender.Run(runCtx) }()
	b.Cleanup(func() { cancel(); <-done })
	store := storecache.New(raw, storecache.Options{})
	rb.e = &Endpoint{Store: store, Keys: ring, Issuer: testIssuer, Now: clock, Log: discardJSON(),
		Audit:    &audit.Log{Appender: rb.appender, Now: clock},
		Policies: &policy.Checker{Log: discardJSON(), Audit: rb.appender, Now: clock},
		DPoP:     NewDPoPChecker(store, nil, clock)}
	return rb
}

// run asks for b.N tokens, with a fresh proof of p each when p is set,
// one at a time or from 64 goroutines.
func (rb *replayBench) run(b *testing.B, parallel bool, p *dpop.Prover) {
	var proofs []string
	if p != nil {
		proofs = make([]string, b.N)
		for i := range proofs {
			var err error
			if proofs[i], err = p.Proof(http.MethodPost, testIssuer+"oauth/token", "", ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	var next atomic.Int64
	issue := func(r *http.Request, body *rewindBody, w *reusedWriter) error {
		if proofs != nil {
			r.Header.Set("DPoP", proofs[next.Add(1)-1])
		}
		body.Reset()
		w.reset()
		rb.e.ServeHTTP(w, r)
		if w.code != http.StatusOK {
			return fmt.Errorf("status %d: %s", w.code, w.body.Bytes())
		}
		return nil
	}
	b.ReportAllocs()
	cpu := processCPU()
	b.ResetTimer()
	if parallel {
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			r, body, w := reusedRequest(jsonReq(rb.body))
			for pb.Next() {
				if err := issue(r, body, w); err != nil {
					b.Error(err)
					return
				}
			}
		})
	} else {
		r, body, w := reusedRequest(jsonReq(rb.body))
		for range b.N {
			if err := issue(r, body, w); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}
