package token

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// typicalPolicy is the per-partner tier claim of docs/policies.md.
const typicalPolicy = `client.metadata.?tier.orValue("") == "gold" ? claims({"tier": "gold"}) : allow()`

// BenchmarkIssuePolicy measures what an issuance policy adds to a token:
// the same request (EdDSA, the cheapest signature, so that the policy's
// share shows) for an API without a policy and for one with the typical
// policy, in one run so that the two compare.
func BenchmarkIssuePolicy(b *testing.B) {
	mintServeGC(b)
	f := newFixture(b)
	e, appender := servedEndpoint(b, f)
	for _, tc := range []struct{ name, policy string }{{"none", ""}, {"typical", typicalPolicy}} {
		api := mint.API{ID: "api_policy_" + tc.name, Name: "policy " + tc.name, Audience: "https://policy.test/" + tc.name,
			Scopes: []string{"read:orders"}, SigningAlg: mint.AlgEdDSA, Policy: tc.policy}
		f.must(b, f.store.CreateAPI(context.Background(), api))
		id := mint.NewClientID()
		c := f.client(b, id, time.Time{}, mint.Grant{Audience: api.Audience, Scopes: api.Scopes})
		_, err := f.store.UpdateClient(context.Background(), id, func(cl mint.Client) (mint.Client, error) {
			cl.Metadata = map[string]string{"tier": "gold", "region": "eu"}
			return cl, nil
		})
		f.must(b, err)
		req := jsonReq(fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":%q,"grant_type":"client_credentials"}`,
			c.ID, c.Secret, api.Audience))
		b.Run(tc.name, func(b *testing.B) {
			// The thread's CPU time beside ns/op: on a loaded machine the
			// wall clock counts the time other processes ran.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			before := threadCPU()
			benchIssue(b, e, appender, req)
			b.ReportMetric(float64(threadCPU()-before)/float64(b.N), "cpu-ns/op")
		})
	}
}

func threadCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
