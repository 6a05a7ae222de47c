package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/ratelimit"
	"github.com/mintauth/mint/internal/storecache"
	"github.com/mintauth/mint/internal/token"
)

// LimitsConfig are the token endpoint's per-client limits (package
// ratelimit, docs/limits.md). The zero value limits nothing.
type LimitsConfig struct {
	// Observe logs and counts what would be refused, refusing nothing.
	Observe bool
	// Rate is the authenticated token requests per second per client on
	// each replica, with bursts of Burst (0: 2 s of Rate). 0: no limit.
	Rate  float64
	Burst int
	// TokensPerHour and TokensPerDay are the quotas of clients that set
	// none of their own. 0: none.
	TokensPerHour, TokensPerDay int64
	// FlushInterval is how often counts are shared through the store; 0
	// means ratelimit.DefaultFlushInterval.
	FlushInterval time.Duration
}

// limits are the server's limiter and token reuse cache.
type limits struct {
	limiter *ratelimit.Limiter
	reuse   *ratelimit.Reuse
	stop    context.CancelFunc
	done    chan struct{}
}

// newReuse makes the token reuse cache before the store cache is put in
// front of the store, so that noticeChange can empty it.
func (s *Server) newReuse() {
	s.limits.reuse = &ratelimit.Reuse{Listening: func() bool {
		c, ok := s.store.(*storecache.Store)
		return !ok || c.Stats().Watching
	}}
}

// noticeChange is the store cache's OnChange: it empties the token reuse
// cache on changes that may stop a token being handed out, and wakes key
// maintenance on key changes.
func (s *Server) noticeChange(table string) {
	if s.limits.reuse != nil {
		s.limits.reuse.Changed(table)
	}
	s.noticeKeyChange(table)
}

// startLimits makes the limiter, with counts shared through counter (the
// store under the cache), its metric, and starts sharing the counts. It
// is made even when no default limit is set: a client may have quotas of
// its own, set at any time, and a limiter with nothing to limit answers
// at once.
func (s *Server) startLimits(counter mint.TokenCounter) {
	cfg := s.cfg.Limits
	exceeded := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mint_limit_exceeded_total",
		Help: `Authenticated token requests over a per-client limit (rate, tokens_per_hour, tokens_per_day), refused or, in observe mode, only counted; clients past the label budget are "other".`,
	}, []string{"client_id", "limit"})
	s.metrics.Registry().MustRegister(exceeded)
	s.limits.limiter = ratelimit.New(ratelimit.Config{
		Rate: cfg.Rate, Burst: cfg.Burst, TokensPerHour: cfg.TokensPerHour, TokensPerDay: cfg.TokensPerDay,
		Observe: cfg.Observe, Counter: counter, FlushInterval: cfg.FlushInterval, Now: s.now, Log: s.cfg.Log,
		Exceeded: func(clientID, limit string) {
			exceeded.WithLabelValues(s.metrics.ClientLabel(clientID), limit).Inc()
			s.dash.rollup.LimitHit(limit)
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	s.limits.stop, s.limits.done = cancel, make(chan struct{})
	go func() {
		defer close(s.limits.done)
		s.limits.limiter.Run(ctx)
	}()
}

// stopLimits shares the last counts and stops.
func (s *Server) stopLimits() {
	if s.limits.stop != nil {
		s.limits.stop()
		<-s.limits.done
	}
}

// limitEndpoint gives the token endpoint the limiter and the token reuse
// cache.
func (s *Server) limitEndpoint(e *token.Endpoint) {
	e.Limits, e.Reuse = s.limits.limiter, s.limits.reuse
}
