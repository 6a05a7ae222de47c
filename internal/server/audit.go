package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
)

// auditPruneInterval is how often the server prunes the audit log when
// Config.AuditRetention is set.
const auditPruneInterval = time.Hour

// auditTrail is the server's audit log (issue 8): the database's
// AuditStore, the appender that batches the token path's records, the hook
// the token endpoint and client authentication call, and the pruner.
type auditTrail struct {
	store    mint.AuditStore
	appender *audit.Appender
	log      *audit.Log
	stop     context.CancelFunc
	done     sync.WaitGroup
}

// startAudit sets up the audit log on the database store (before the cache
// wraps it) and starts writing and pruning it in the background, until
// Close.
func (s *Server) startAudit() error {
	store, ok := s.store.(mint.AuditStore)
	if !ok {
		return fmt.Errorf("the %T store keeps no audit log", s.store)
	}
	a := &s.audit
	a.store = store
	spill, err := openSpill(s.cfg)
	if err != nil {
		return err
	}
	a.appender = &audit.Appender{Store: store, Log: s.cfg.Log, Spill: spill}
	a.log = &audit.Log{Appender: a.appender, Now: s.now}
	ctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	a.done.Go(func() { a.appender.Run(ctx) })
	if s.cfg.AuditRetention > 0 {
		a.done.Go(func() { s.pruneAudit(ctx) })
	}
	return nil
}

// stopAudit stops the background work and writes the records still
// buffered; Close calls it before closing the store.
func (s *Server) stopAudit() {
	if s.audit.stop != nil {
		s.audit.log.FlushFailures()
		s.audit.stop()
		s.audit.done.Wait()
		if sp := s.audit.appender.Spill; sp != nil {
			if err := sp.Close(); err != nil {
				s.cfg.Log.Warn("audit spill file close failed", "error", err)
			}
		}
	}
}

// openSpill opens the audit spill file cfg.AuditSpill names (see Config),
// or returns nil when there is to be none. Records a previous run left in
// it are sent once the database takes them.
func openSpill(cfg Config) (*audit.Spill, error) {
	path := cfg.AuditSpill
	if path == "off" {
		return nil, nil
	}
	chosen := path != ""
	if !chosen {
		db, ok := sqlitePath(cfg.DB)
		if !ok {
			// PostgreSQL has no file of its own beside which to spill; a
			// replica's local disk is the operator's to name.
			cfg.Log.Warn("no audit spill file: while the database is away, issuance audit records wait in memory and past its bound are dropped (counted in mint_audit_dropped_total); give --audit-spill FILE on a local disk, or --audit-spill off to say none is wanted")
			return nil, nil
		}
		path = db + ".audit-spill"
	}
	sp, err := audit.OpenSpill(path, 0)
	if errors.Is(err, audit.ErrSpillInUse) && !chosen {
		// Another mint serves the same SQLite file and has the default
		// spill: run without one rather than refuse to start.
		cfg.Log.Warn("audit spill file in use by another mint process; this one keeps none (give it --audit-spill)", "file", path)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if n := sp.Pending(); n > 0 {
		cfg.Log.Warn("audit spill file holds records of an earlier run; sending them once the database takes them",
			"records", n, "file", path)
	}
	return sp, nil
}

// pruneAudit deletes records older than the retention at start and every
// auditPruneInterval; the store keeps the last one deleted as the chain's
// anchor, so the rest still verifies.
func (s *Server) pruneAudit(ctx context.Context) {
	t := time.NewTicker(auditPruneInterval)
	defer t.Stop()
	for {
		before := s.now().Add(-s.cfg.AuditRetention)
		total := 0
		for {
			n, err := s.audit.store.PruneAudit(ctx, before)
			if err != nil {
				if ctx.Err() == nil {
					s.cfg.Log.Warn("audit prune failed", "error", err)
				}
				break
			}
			if total += n; n == 0 {
				break
			}
		}
		if total > 0 {
			s.cfg.Log.Info("audit log pruned", "records", total, "before", before.UTC())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// AuditStats reports the audit appender's counters: records waiting to be
// written, issuance records dropped for a full buffer, failure records
// given up by a caller that stopped waiting.
func (s *Server) AuditStats() (pending int, dropped, lost uint64) {
	if s.audit.appender == nil {
		return 0, 0, 0
	}
	return s.audit.appender.Pending(), s.audit.appender.Dropped.Load(), s.audit.appender.Lost.Load()
}
