package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/postgres"
	"github.com/mintauth/mint/internal/sqlite"
	"github.com/mintauth/mint/internal/storecache"
)

// Both backends tell the cache of changes: SQLite within the process,
// PostgreSQL to every replica on the schema (LISTEN/NOTIFY).
var (
	_ storecache.Notifier = (*sqlite.Store)(nil)
	_ storecache.Notifier = (*postgres.Store)(nil)
)

// CacheConfig sizes the token path's store cache (mint serve --cache-*,
// docs/scale-cache.md and docs/deployment.md).
type CacheConfig struct {
	// MaxEntries bounds each kind of cached answer; 0:
	// storecache.DefaultMaxEntries.
	MaxEntries int
	// StaleBound: how long after losing the database's change feed the
	// answers held keep being given; 0 (the zero Config) reads through to
	// the store at once. mint serve defaults to DefaultStaleBound.
	StaleBound time.Duration
}

// DefaultStaleBound is mint serve's --cache-stale-bound (issue 20).
const DefaultStaleBound = 5 * time.Minute

// useCache puts a storecache in front of the store once the server is
// bootstrapped: from then on s.store answers the token path (token
// endpoint, client authentication, introspection) from memory, each entry
// invalidated when any replica commits a change to it, and adminStore
// reads fresh; reads of the store it makes are timed for the metrics, made
// here. Closing s.store stops the cache's watch and closes the database.
func (s *Server) useCache() {
	changes, _ := s.store.(storecache.Notifier)
	s.metrics = s.newMetrics()
	c := storecache.New(s.store, storecache.Options{Changes: changes, Log: s.cfg.Log, OnChange: s.noticeChange,
		ObserveLoad: s.metrics.ObserveStoreLoad, MaxEntries: s.cfg.Cache.MaxEntries, StaleBound: s.cfg.Cache.StaleBound})
	s.store = c
	s.metrics.Registry().MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mint_cache_stale_seconds",
			Help: "Seconds since the store's change feed was lost (0 while it is heard): how out of date a token answered from memory may be, up to the stale bound.",
		}, func() float64 { return staleSeconds(c.Stats(), s.now()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "mint_cache_stale_answers_total",
			Help: "Token path reads answered from memory while the store's change feed was lost (within --cache-stale-bound).",
		}, func() float64 { return float64(c.Stats().Stale) }),
	)
}

// staleSeconds is mint_cache_stale_seconds.
func staleSeconds(st storecache.Stats, now time.Time) float64 {
	if st.DegradedSince.IsZero() {
		return 0
	}
	return max(now.Sub(st.DegradedSince).Seconds(), 0)
}

// degraded says, for /readyz, since when the change feed has been lost and
// until when held answers are given; ok is false while it is heard, or
// when no answer is given from memory without it (no stale bound).
func (s *Server) degraded() (since, until time.Time, ok bool) {
	st := s.CacheStats()
	if st.DegradedSince.IsZero() || st.StaleBound == 0 {
		return time.Time{}, time.Time{}, false
	}
	return st.DegradedSince, st.DegradedSince.Add(st.StaleBound), true
}

// adminStore is the store of the admin API: reads from the database, never
// from the cache, and writes that empty the cache before they return.
func (s *Server) adminStore() mint.Store {
	if c, ok := s.store.(*storecache.Store); ok {
		return c.Fresh()
	}
	return s.store
}

// CacheStats returns the token path's cache counters, zero before New has
// finished.
func (s *Server) CacheStats() storecache.Stats {
	if c, ok := s.store.(*storecache.Store); ok {
		return c.Stats()
	}
	return storecache.Stats{}
}

// noticeKeyChange wakes key maintenance when any replica changed the
// signing keys, or the watch (re)started and changes may have been missed,
// so a rotation made elsewhere is published here at once rather than at
// the next KeyMaintenanceInterval.
func (s *Server) noticeKeyChange(table string) {
	if table != "signing_keys" && table != "" {
		return
	}
	select {
	case s.keysChanged <- struct{}{}:
	default: // a wake-up is already pending
	}
}
