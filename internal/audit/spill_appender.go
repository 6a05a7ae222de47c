package audit

import (
	"context"
	"errors"

	"github.com/mintauth/mint/internal/mint"
)

// The Appender's use of a Spill (issue 20). Without a Spill nothing here
// does anything and the Appender drops droppable records as before.
//
// With one, once a batch fails to append (the database is away) the
// droppable records waiting in memory go to the spill file, and so does
// every new one while the file holds any: they queue behind it, so that
// records are written in the order they came. Flush writes the file's
// records, oldest first, whenever memory holds none. Kept records
// (authentication failures) stay in memory as before; when the Appender
// stops, what is left in memory of either kind is spilled, for the next
// run to send.

// spillOrDrop spills r, dropping it (counted in Dropped) if the spill
// file is full or cannot be written.
func (a *Appender) spillOrDrop(r mint.AuditRecord) {
	if n, err := a.Spill.Add(r); n > 0 {
		a.droppedOnSpill(uint64(n), err)
	}
}

// spillDropped moves the droppable records waiting in memory to the spill
// file, after a failed batch. a.mu is held. Those that do not fit stay in
// memory.
func (a *Appender) spillDropped() {
	if a.Spill == nil || len(a.dropped) == 0 {
		return
	}
	if !a.Spill.Active() {
		a.log().Warn("audit records cannot be written now; keeping them in the spill file until they can",
			"records", len(a.dropped), "file", a.Spill.path)
	}
	n, err := a.Spill.Add(a.dropped...)
	if err != nil && !errors.Is(err, ErrSpillFull) {
		a.log().Warn("audit spill write failed", "error", err)
	}
	a.dropped = a.dropped[len(a.dropped)-n:]
}

// flushSpill appends up to one batch of the spill file's oldest records
// and returns how many it wrote.
func (a *Appender) flushSpill(ctx context.Context) int {
	if !a.Spill.Active() || !a.spillMu.TryLock() {
		return 0
	}
	defer a.spillMu.Unlock()
	records, next, lost, err := a.Spill.Peek(a.batch())
	if err != nil {
		a.log().Error("audit spill unreadable from here on; records dropped", "records", lost, "error", err)
		a.Lost.Add(uint64(lost))
	}
	if len(records) == 0 {
		return 0
	}
	if err := a.Store.AppendAudit(ctx, inIndexOrder(nil, records)); err != nil {
		a.log().Warn("audit append from the spill file failed; will retry", "records", len(records), "error", err)
		return 0
	}
	if err := a.Spill.Commit(next, len(records)); err != nil {
		// The records are written; the file will send them again.
		a.log().Warn("audit spill: cannot mark records written", "error", err)
	}
	if !a.Spill.Active() {
		a.log().Info("audit spill file written to the database")
	}
	return len(records)
}

// spillRest spills what is left in memory when the Appender stops, for
// the next run to send.
func (a *Appender) spillRest() {
	if a.Spill == nil {
		return
	}
	a.mu.Lock()
	rest := append(a.kept, a.dropped...)
	a.kept, a.dropped = nil, nil
	a.mu.Unlock()
	if len(rest) > 0 {
		if n, err := a.Spill.Add(rest...); n > 0 {
			a.Lost.Add(uint64(n))
			a.log().Error("audit records lost at stop: the spill file cannot take them", "records", n, "error", err)
		}
	}
	a.syncSpill()
}

func (a *Appender) syncSpill() {
	if a.Spill == nil {
		return
	}
	if err := a.Spill.Sync(); err != nil {
		a.log().Warn("audit spill sync failed", "error", err)
	}
}

// spillPending is how many records wait in the spill file.
func (a *Appender) spillPending() int {
	if a.Spill == nil {
		return 0
	}
	return a.Spill.Pending()
}

// droppedOnSpill counts n records the spill file could not take.
func (a *Appender) droppedOnSpill(n uint64, err error) {
	total := a.Dropped.Add(n)
	if !errors.Is(err, ErrSpillFull) {
		a.log().Warn("audit spill write failed", "error", err)
	}
	a.warnDropped(total)
}
