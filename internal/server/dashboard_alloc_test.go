package server

import (
	"context"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/dashboard"
	"github.com/mintauth/mint/internal/metrics"
	"github.com/mintauth/mint/internal/token"
	"github.com/mintauth/mint/oauth"
)

// TestDashboardHookAllocatesNothing: the token endpoint's Observe with
// the dashboard allocates no more than the metrics' Observe alone, issued
// tokens and refusals alike, for a client new to a full minute's sketch
// too; and both are told of every outcome.
func TestDashboardHookAllocatesNothing(t *testing.T) {
	s := &Server{now: time.Now}
	s.metrics = metrics.New(metrics.Options{})
	s.dash.rollup = dashboard.New(dashboard.Config{TopN: 4})
	ids := []string{"c1", "c2", "c3", "c4", "c5", "c6", "c7"}
	outcomes := make([]token.Outcome, 0, 2*len(ids))
	for _, id := range ids {
		outcomes = append(outcomes, token.Outcome{ClientID: id, Audience: "https://api.test", Alg: "EdDSA", Lifetime: time.Hour},
			token.Outcome{Err: &oauth.Error{Code: "invalid_client"}})
	}
	measure := func(observe func(context.Context, token.Outcome)) float64 {
		for _, o := range outcomes { // the metrics make their series once
			observe(context.Background(), o)
		}
		i := 0
		return testing.AllocsPerRun(500, func() {
			observe(context.Background(), outcomes[i%len(outcomes)])
			i++
		})
	}
	alone := measure(s.metrics.ObserveToken)
	with := measure(s.withDashboard(s.metrics.ObserveToken))
	if with > alone {
		t.Errorf("Observe allocates %v with the dashboard, %v without", with, alone)
	}
	snap := s.dash.rollup.Snapshot(2, 10) // the runs may cross a minute
	var tokens, refusals uint64
	for _, series := range snap.Tokens {
		tokens += series.Total
	}
	for _, series := range snap.Refusals {
		refusals += series.Total
	}
	// Warm-up: 7 of each; AllocsPerRun's 501 runs: 251 tokens (even
	// runs), 250 refusals.
	if tokens != 7+251 || refusals != 7+250 {
		t.Errorf("the dashboard counted %d tokens and %d refusals, want 258 and 257", tokens, refusals)
	}
}

// BenchmarkObserve compares the token endpoint's Observe with and without
// the dashboard, on the same outcomes in the same run.
func BenchmarkObserve(b *testing.B) {
	s := &Server{now: time.Now, metrics: metrics.New(metrics.Options{})}
	s.dash.rollup = dashboard.New(dashboard.Config{})
	o := token.Outcome{ClientID: "c1", Audience: "https://api.test", Alg: "EdDSA", Lifetime: time.Hour}
	for name, observe := range map[string]func(context.Context, token.Outcome){
		"metrics": s.metrics.ObserveToken, "metrics+dashboard": s.withDashboard(s.metrics.ObserveToken)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				observe(context.Background(), o)
			}
		})
	}
}
