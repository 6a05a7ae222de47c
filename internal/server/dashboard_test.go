package server_test

import (
	"testing"
	"time"

	"github.com/mintauth/mint/internal/dashboard"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// seriesTotal is the total of the series name, 0 if there is none.
func seriesTotal(ss []dashboard.Series, name string) uint64 {
	for _, s := range ss {
		if s.Name == name {
			return s.Total
		}
	}
	return 0
}

// TestDashboardCountsTheTokenPath: what the token endpoint answers over
// HTTP reaches the dashboard: tokens by client, new or reused, refusals
// over a quota by reason, and the quota hits by limit.
func TestDashboardCountsTheTokenPath(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			r := startReplica(t, server.Config{DB: testdb.New(t, backend), MasterKey: keyring.NewMasterKey()})
			quota := setUpLimits(t, r.srv.Store(), ptr(3), nil)
			free := setUpLimits(t, r.srv.Store(), nil, nil)
			// Let the setup's change notifications arrive (they empty the
			// reuse cache) before the first token.
			time.Sleep(250 * time.Millisecond)
			var refused int
			for range 5 {
				if a := askToken(t, r.url, quota, limitsAPI.Audience, ""); a.status == 429 {
					refused++
				}
			}
			first := mustToken(t, r.url, free, reuseAPI.Audience, "read")
			again := mustToken(t, r.url, free, reuseAPI.Audience, "read")
			reused := uint64(0)
			if again.tok.AccessToken == first.tok.AccessToken {
				reused = 1
			}
			s := r.srv.DashboardSnapshot(5, 10)
			if refused != 2 {
				t.Fatalf("%d refused over a quota of 3 in 5 requests, want 2", refused)
			}
			if got := seriesTotal(s.Clients, quota.id); got != 3 {
				t.Errorf("tokens of the client with a quota: %d, want 3", got)
			}
			if got := seriesTotal(s.Clients, free.id); got != 2 {
				t.Errorf("tokens of the free client: %d, want 2", got)
			}
			if got := seriesTotal(s.Tokens, dashboard.SeriesReused); got != reused {
				t.Errorf("reused tokens: %d, want %d", got, reused)
			}
			if got := seriesTotal(s.Refusals, "rate_limit_exceeded"); got != 2 {
				t.Errorf("refusals rate_limit_exceeded: %d, want 2", got)
			}
			if got := seriesTotal(s.Limits, "tokens_per_hour"); got != 2 {
				t.Errorf("tokens_per_hour hits: %d, want 2", got)
			}
		})
	}
}
