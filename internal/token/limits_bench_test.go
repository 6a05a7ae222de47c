package token

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/ratelimit"
)

// BenchmarkIssueLimited is BenchmarkIssue's JSON case (EdDSA, where mint's
// own work weighs most) with the limits as mint serve wires them: no
// limit (the default), a request rate and an hourly quota no request
// reaches, and token reuse on the API (every request after the first
// reuses), audit and log included. Compare with BenchmarkIssue/EdDSA/json_post.
func BenchmarkIssueLimited(b *testing.B) {
	mintServeGC(b)
	f := newFixture(b)
	base, appender := servedEndpoint(b, f)
	api := mint.API{ID: "api_bench_limits", Name: "bench limits", Audience: "https://bench.test/limits",
		Scopes: []string{"read:orders"}, SigningAlg: mint.AlgEdDSA}
	reuseAPI := api
	reuseAPI.ID, reuseAPI.Audience, reuseAPI.TokenReuse = "api_bench_reuse", "https://bench.test/reuse", true
	for _, a := range []mint.API{api, reuseAPI} {
		f.must(b, f.store.CreateAPI(context.Background(), a))
	}
	c := f.client(b, mint.NewClientID(), time.Time{}, mint.Grant{Audience: api.Audience, Scopes: api.Scopes},
		mint.Grant{Audience: reuseAPI.Audience, Scopes: api.Scopes})
	req := func(audience string) httpCase {
		return jsonReq(fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":%q,"grant_type":"client_credentials"}`,
			c.ID, c.Secret, audience))
	}
	endpoint := func(cfg ratelimit.Config) *Endpoint {
		cfg.Now = func() time.Time { return f.now }
		e := *base
		e.Limits, e.Reuse = ratelimit.New(cfg), &ratelimit.Reuse{}
		return &e
	}
	b.Run("no_limits", func(b *testing.B) { benchIssue(b, endpoint(ratelimit.Config{}), appender, req(api.Audience)) })
	b.Run("rate_and_quota", func(b *testing.B) {
		benchIssue(b, endpoint(ratelimit.Config{Rate: 1e9, TokensPerHour: 1e12}), appender, req(api.Audience))
	})
	b.Run("reuse", func(b *testing.B) { benchIssue(b, endpoint(ratelimit.Config{}), appender, req(reuseAPI.Audience)) })
}
