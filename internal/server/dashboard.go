package server

import (
	"context"
	"time"

	"github.com/mintauth/mint/internal/dashboard"
	"github.com/mintauth/mint/internal/token"
)

// dashboardState is the console dashboard's rollup (package dashboard)
// and its once-a-minute sampler of the clients that do not reuse their
// tokens.
type dashboardState struct {
	rollup *dashboard.Rollup
	stop   context.CancelFunc
	done   chan struct{}
}

// reuseSample is how many clients the dashboard samples a minute from
// mint_tokens_per_lifetime.
const reuseSample = 10

// newDashboard makes the rollup, before the token endpoint and the limiter
// that feed it. The numbers are this replica's own: docs/console.md says
// why.
func (s *Server) newDashboard() {
	s.dash.rollup = dashboard.New(dashboard.Config{Now: s.now, ReuseTop: reuseSample})
}

// startDashboard starts sampling the clients that do not reuse their
// tokens, once the server is assembled: the sampler reads the metrics.
func (s *Server) startDashboard() {
	ctx, cancel := context.WithCancel(context.Background())
	s.dash.stop, s.dash.done = cancel, make(chan struct{})
	go func() {
		defer close(s.dash.done)
		tick := time.NewTicker(time.Minute)
		defer tick.Stop()
		for {
			s.sampleReuse()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

func (s *Server) stopDashboard() {
	if s.dash.stop != nil {
		s.dash.stop()
		<-s.dash.done
	}
}

// withDashboard makes observe (the token endpoint's Observe) tell the
// dashboard too; counting there allocates nothing.
func (s *Server) withDashboard(observe func(context.Context, token.Outcome)) func(context.Context, token.Outcome) {
	rollup := s.dash.rollup
	if rollup == nil {
		return observe
	}
	if observe == nil {
		return rollup.ObserveToken
	}
	return func(ctx context.Context, o token.Outcome) {
		observe(ctx, o)
		rollup.ObserveToken(ctx, o)
	}
}

// sampleReuse gives the dashboard this minute's clients with the most
// tokens per lifetime.
func (s *Server) sampleReuse() {
	if s.metrics == nil || s.dash.rollup == nil {
		return
	}
	top := s.metrics.TopTokensPerLifetime(reuseSample)
	rates := make([]dashboard.LifetimeRate, len(top))
	for i, p := range top {
		rates[i] = dashboard.LifetimeRate{ClientID: p.ClientID, Audience: p.Audience, Tokens: p.Tokens}
	}
	s.dash.rollup.SampleLifetimes(rates)
}

// DashboardSnapshot is the console's read of the last minutes, with the
// reuse sample brought up to date first so the current minute is fresh.
func (s *Server) DashboardSnapshot(minutes, top int) dashboard.Snapshot {
	s.sampleReuse()
	return s.dash.rollup.Snapshot(minutes, top)
}
