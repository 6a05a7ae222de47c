package server

import (
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

// useCache puts a storecache in front of the store once the server is
// bootstrapped: from then on s.store answers the token path (token
// endpoint, client authentication, introspection) from memory, emptied on
// every change any replica commits, and adminStore reads fresh; reads of
// the store it makes are timed for the metrics, made here. Closing
// s.store stops the cache's watch and closes the database.
func (s *Server) useCache() {
	changes, _ := s.store.(storecache.Notifier)
	s.metrics = s.newMetrics()
	s.store = storecache.New(s.store, storecache.Options{Changes: changes, Log: s.cfg.Log, OnChange: s.noticeChange,
		ObserveLoad: s.metrics.ObserveStoreLoad})
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
