package audit

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// Appender defaults.
//
// A batch is one transaction. Its issuances are one block (block.go): one
// row, and one row per distinct client in the side index a query by client
// reads. Batches of 5,000 from 10,000 clients still write several records'
// worth of clients to each page of that index; batches of 500 as rows
// dirtied about a thousand scattered pages for 500 records, and SQLite fell
// behind at 20k records/s.
//
// An appender that fell behind (more than Batch wait when it flushes)
// writes up to MaxBatch at a time: a block from 10,000 clients writes a
// side-index row for most of them whatever its size, so 25,000 records
// cost about half the rows per record that 5,000 do (9,200 and 3,900 of
// 10,000 clients), and the writer catches up instead of falling further
// behind. Blocks of the usual size
// keep a query by client reading little per block.
//
// The buffer holds two seconds of mint's maximum token rate on a 2-core
// machine (about 25k tokens/s): a stall that long drops nothing.
const (
	DefaultFlushInterval = time.Second
	DefaultBatch         = 5000
	DefaultMaxBatch      = 25000
	DefaultBuffer        = 50000
	// finalFlushTimeout bounds the flush Run makes when it stops.
	finalFlushTimeout = 10 * time.Second
)

// Appender writes records off the request path: it buffers them and Run
// appends them in batches, every FlushInterval or as soon as Batch are
// waiting, and once more when it stops.
//
// Two kinds of record go through it, with different promises:
//
//   - Droppable ones (token issuances): when Buffer of them wait unwritten
//     (the database is down or slow), new ones are dropped, counted in
//     Dropped and logged, so token issuance never waits for the audit log.
//   - Kept ones (authentication failures): never dropped for volume; when
//     Buffer of them wait, the caller waits for room — the failing request
//     is slowed, not answered without its record. Only if the caller's
//     context ends first is the record given up, and then it is written to
//     the log at Error level in full and counted in Lost.
//
// A batch that fails to append is retried at the next flush. A crash loses
// what was buffered, at most about one FlushInterval of records.
//
// With a Spill, droppable records are not dropped while the database is
// away: see spill_appender.go.
type Appender struct {
	Store         mint.AuditStore
	FlushInterval time.Duration // 0: DefaultFlushInterval
	Batch         int           // 0: DefaultBatch
	MaxBatch      int           // when more than Batch wait; 0: DefaultMaxBatch
	Buffer        int           // per kind; 0: DefaultBuffer
	Log           *slog.Logger  // nil: slog.Default()
	// Spill, if set, keeps droppable records on disk instead of dropping
	// them when a batch fails or the buffer is full (issue 20).
	Spill *Spill

	// Dropped counts droppable records dropped for a full buffer; Lost,
	// kept records given up when their caller stopped waiting.
	Dropped, Lost atomic.Uint64

	once     sync.Once
	mu       sync.Mutex
	kept     []mint.AuditRecord
	dropped  []mint.AuditRecord // droppable records waiting
	spare    []mint.AuditRecord // an empty array for dropped, from a written batch
	inflight [2]int             // kept and droppable records a Flush is writing
	room     chan struct{}      // closed when a flush makes room
	kick     chan struct{}      // a batch is ready
	lastLog  time.Time          // of the last "dropped" warning
	spillMu  sync.Mutex         // held while a batch from the Spill is written
}

func (a *Appender) init() {
	a.once.Do(func() {
		a.room = make(chan struct{})
		a.kick = make(chan struct{}, 1)
	})
}

// Add queues a droppable record, dropping it if the buffer is full.
func (a *Appender) Add(r mint.AuditRecord) {
	a.init()
	if a.Spill.Active() { // spill hook: queue behind the records spilled
		a.spillOrDrop(r)
		return
	}
	a.mu.Lock()
	if len(a.dropped)+a.inflight[1] >= a.buffer() {
		a.mu.Unlock()
		if a.Spill != nil { // spill hook
			a.spillOrDrop(r)
			return
		}
		n := a.Dropped.Add(1)
		a.warnDropped(n)
		return
	}
	a.dropped = append(a.dropped, r)
	ready := len(a.dropped)+len(a.kept) >= a.batch()
	a.mu.Unlock()
	if ready {
		a.wake()
	}
}

// AddKept queues a record that must not be dropped, waiting for room
// while the buffer is full, until ctx ends.
func (a *Appender) AddKept(ctx context.Context, r mint.AuditRecord) {
	a.init()
	for {
		a.mu.Lock()
		if len(a.kept)+a.inflight[0] < a.buffer() {
			a.kept = append(a.kept, r)
			ready := len(a.dropped)+len(a.kept) >= a.batch()
			a.mu.Unlock()
			if ready {
				a.wake()
			}
			return
		}
		room := a.room
		a.mu.Unlock()
		a.wake()
		select {
		case <-room:
		case <-ctx.Done():
			a.Lost.Add(1)
			a.log().Error("audit record lost: the audit buffer stayed full", "kind", r.Kind,
				"actor", r.Actor, "client_id", r.ClientID, "subject", r.Subject, "source", r.Source,
				"details", string(r.Details), "time", r.Time)
			return
		}
	}
}

func (a *Appender) wake() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Run flushes until ctx ends, then flushes what is left, bounded by
// finalFlushTimeout.
func (a *Appender) Run(ctx context.Context) {
	a.init()
	every := a.FlushInterval
	if every <= 0 {
		every = DefaultFlushInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
			for a.Flush(fctx) > 0 && fctx.Err() == nil {
			}
			cancel()
			a.spillRest() // spill hook
			return
		case <-t.C:
			a.syncSpill() // spill hook
		case <-a.kick:
		}
		for a.Flush(ctx) >= a.batch() && ctx.Err() == nil {
		}
	}
}

// Flush appends up to one batch, kept records first, and returns how many
// it wrote. On failure the batch goes back to the front of the queues, in
// order, for the next one.
//
// A batch is what waits, up to Batch records, or up to MaxBatch when more
// than Batch wait: an appender that fell behind catches up in larger
// blocks, and a block from many clients costs about one side-index row per
// distinct client, so a larger one costs less per record (issue 15).
//
// The batch is cut off the front of the queues without copying, and the
// lock is not held while it is written: Add runs on every token request and
// must not wait for a flush. The written batch's array is kept, emptied,
// for the queue to fill again: growing a queue of records anew after every
// batch copied each record twice more.
func (a *Appender) Flush(ctx context.Context) int {
	a.init()
	a.mu.Lock()
	if a.inflight != [2]int{} { // another Flush is writing
		a.mu.Unlock()
		return 0
	}
	limit := a.batch()
	if len(a.kept)+len(a.dropped) > limit {
		limit = max(limit, a.maxBatch())
	}
	nk := min(len(a.kept), limit)
	nd := min(len(a.dropped), limit-nk)
	kept, dropped := a.kept[:nk:nk], a.dropped[:nd:nd]
	// whole is the queue's array: recycled whole, not only the batch's
	// part of it, once the queue has moved to the spare and nothing but
	// the batch uses it.
	var whole []mint.AuditRecord
	queue := a.dropped
	a.kept, a.dropped = a.kept[nk:], a.dropped[nd:]
	if len(a.dropped) == 0 && a.spare != nil {
		whole = queue[:0]
		a.dropped, a.spare = a.spare, nil
	}
	a.inflight = [2]int{nk, nd}
	a.mu.Unlock()
	if nk+nd == 0 {
		a.mu.Lock()
		a.inflight = [2]int{}
		a.mu.Unlock()
		return a.flushSpill(ctx) // spill hook
	}
	batch := inIndexOrder(kept, dropped)
	err := a.Store.AppendAudit(ctx, batch)
	var spare []mint.AuditRecord
	if err == nil {
		clear(dropped) // the strings it holds are the collector's again
		spare = a.nextSpare(dropped, whole)
	}
	a.mu.Lock()
	a.inflight = [2]int{}
	if err != nil {
		a.kept = append(kept, a.kept...)
		a.dropped = append(dropped, a.dropped...)
		a.spillDropped() // spill hook
	} else {
		if cap(spare) > cap(a.spare) {
			a.spare = spare
		}
		close(a.room)
		a.room = make(chan struct{})
	}
	a.mu.Unlock()
	if err != nil {
		a.log().Warn("audit append failed; will retry", "records", nk+nd, "error", err)
		return 0
	}
	return nk + nd
}

// nextSpare is the empty array the queue of droppable records moves to at
// the next Flush, so that Add, on every token request, appends into room
// made in advance rather than growing the queue (a growslice copying the
// records waiting, and clearing the new array, on some request). It wants
// room for twice the records just written, up to a batch: the written
// batch's whole array when nothing else uses it, else the batch's part of
// it, else a new one, made here, off the request path and outside the
// lock. dropped is cleared; whole beyond it holds no record (every batch
// written is cleared).
func (a *Appender) nextSpare(dropped, whole []mint.AuditRecord) []mint.AuditRecord {
	want := min(2*len(dropped), a.batch())
	switch {
	case cap(whole) > 0 && cap(whole) >= want:
		return whole
	case cap(dropped) > 0 && cap(dropped) >= want:
		return dropped[:0]
	case want == 0:
		return nil
	}
	return make([]mint.AuditRecord, 0, want)
}

// Pending returns how many records wait to be written, or are being.
func (a *Appender) Pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.kept) + len(a.dropped) + a.inflight[0] + a.inflight[1] + a.spillPending() // spill hook
}

// warnDropped logs dropped records at most once a second.
func (a *Appender) warnDropped(total uint64) {
	a.mu.Lock()
	now := time.Now()
	quiet := now.Sub(a.lastLog) < time.Second
	if !quiet {
		a.lastLog = now
	}
	a.mu.Unlock()
	if !quiet {
		a.log().Warn("audit buffer full: token issuance records dropped", "dropped_total", total)
	}
}

func (a *Appender) batch() int {
	if a.Batch <= 0 {
		return DefaultBatch
	}
	return a.Batch
}

// maxBatch is the largest batch Flush takes when more than Batch wait.
func (a *Appender) maxBatch() int {
	if a.MaxBatch <= 0 {
		return DefaultMaxBatch
	}
	return a.MaxBatch
}

func (a *Appender) buffer() int {
	if a.Buffer <= 0 {
		return DefaultBuffer
	}
	return a.Buffer
}

func (a *Appender) log() *slog.Logger {
	if a.Log == nil {
		return slog.Default()
	}
	return a.Log
}

// inIndexOrder returns kept, then dropped, each in arrival order. The
// issuances were sorted by client here so that their rows went into the
// per-client indexes in key order; stored as one block (block.go), they
// write one side-index row per distinct client, which the block sorts, and
// keep the order they were issued in. A batch of one kind is passed as it
// is: copying 5,000 records cost more than a tenth of the writer's time.
func inIndexOrder(kept, dropped []mint.AuditRecord) []mint.AuditRecord {
	switch {
	case len(kept) == 0:
		return dropped
	case len(dropped) == 0:
		return kept
	}
	return slices.Concat(kept, dropped)
}
