// Package usebatch records used "jti" values (Store.UseAssertion: client
// assertions of RFC 7523 §3, DPoP proofs of RFC 9449 §11.1) in groups:
// the uses that arrive while one group is being written are written
// together next, in one statement and one commit. Each caller still waits
// for its own group's commit and is told whether its use was the first:
// acceptance is decided by the database every replica shares, not by this
// process. A database that answers slowly makes callers wait at most
// Batcher.Wait, and a full queue refuses at once; both are
// mint.ErrUnavailable (503), never an acceptance.
//
// The backends (internal/sqlite, internal/postgres) each keep one Batcher
// in front of their UseAssertion.
package usebatch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// Use is one jti to record: the arguments of Store.UseAssertion.
type Use struct {
	ClientID, ID string
	ExpiresAt    time.Time
}

// WriteFunc records uses, which are distinct and sorted by ClientID then
// ID, in one transaction, and reports for each whether it was recorded now
// (false: recorded before, by anyone). An error means none may be counted
// as recorded. Writing in sorted order keeps two replicas' overlapping
// groups from deadlocking on each other's rows.
type WriteFunc func(ctx context.Context, uses []Use) (fresh []bool, err error)

// Defaults of a Batcher.
const (
	DefaultMaxQueue = 4096
	DefaultMaxBatch = 256
	DefaultWait     = 5 * time.Second
	// DefaultWriteTimeout is DefaultWait: a write that outlives every
	// caller waiting for it would only burn their proofs.
	DefaultWriteTimeout = DefaultWait
)

// Errors of Use besides the write's own: both are mint.ErrUnavailable.
var (
	ErrQueueFull = fmt.Errorf("usebatch: too many uses waiting to be recorded: %w", mint.ErrUnavailable)
	ErrTimeout   = fmt.Errorf("usebatch: the use was not recorded in time: %w", mint.ErrUnavailable)
)

// Batcher groups uses for Write. Its zero value, with Write set, uses the
// defaults. It keeps no goroutine while idle: a use that arrives while
// fewer than Writers write is written by its caller, with whatever joined
// it, and a writer goroutine takes over the uses that arrived meanwhile,
// until the queue is empty.
// It is safe for concurrent use.
type Batcher struct {
	Write WriteFunc
	// MaxQueue bounds the uses waiting (those being written included);
	// beyond it Use answers ErrQueueFull. Uses whose callers gave up
	// leave the queue unwritten.
	MaxQueue int
	// MaxBatch bounds one group (one statement's rows).
	MaxBatch int
	// Wait bounds how long Use waits for its group's commit.
	Wait time.Duration
	// WriteTimeout bounds one group's write, and so does Wait: a write
	// that outlives every caller waiting for it would only burn their
	// proofs (the caller that writes its own group waits this long).
	WriteTimeout time.Duration
	// Writers bounds the groups being written at once; 0 means 1. More
	// than one suits a database that commits several transactions in
	// one flush (PostgreSQL), not one that has a single writer (SQLite).
	Writers int

	mu      sync.Mutex
	queue   []*waiter
	writing int // uses taken from the queue and being written
	running int // writer goroutines

	full, timedOut atomic.Uint64 // Use calls answered ErrQueueFull, ErrTimeout
}

// Stats are a Batcher's figures, for the metrics.
type Stats struct {
	// Waiting is Waiting().
	Waiting int
	// QueueFull and Timeouts count the Use calls answered ErrQueueFull
	// and ErrTimeout (the wait ran out, or the group's write did): uses
	// refused, never recorded, since the Batcher was made.
	QueueFull, Timeouts uint64
}

// Reporter is a store that records uses through a Batcher and tells its
// Stats (internal/sqlite, internal/postgres).
type Reporter interface {
	UseStats() Stats
}

// Stats returns b's figures now. The zero Batcher's are zero.
func (b *Batcher) Stats() Stats {
	return Stats{Waiting: b.Waiting(), QueueFull: b.full.Load(), Timeouts: b.timedOut.Load()}
}

// waiter is one Use call waiting for its group.
type waiter struct {
	use  Use
	done chan error // buffered: the writer never blocks on a caller gone
	gone atomic.Bool
}

// Use records one use, waiting for the commit of the group it joins. It
// returns nil when this was the first use of (clientID, id), an error
// wrapping mint.ErrConflict when it was used before (here or at another
// replica, or earlier in the same group), ErrQueueFull, ErrTimeout, ctx's
// error, or the write's error. Only nil means recorded.
func (b *Batcher) Use(ctx context.Context, clientID, id string, expiresAt time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("usebatch: %w", err)
	}
	w := &waiter{use: Use{ClientID: clientID, ID: id, ExpiresAt: expiresAt}, done: make(chan error, 1)}
	lead, err := b.enqueue(w)
	if err != nil {
		b.full.Add(1)
		return err
	}
	if lead {
		b.lead()
	}
	timer := time.NewTimer(orDefault(b.Wait, DefaultWait))
	defer timer.Stop()
	select {
	case err := <-w.done:
		if err != nil && errors.Is(err, ErrTimeout) {
			b.timedOut.Add(1)
		}
		return err
	case <-timer.C:
		w.gone.Store(true)
		b.timedOut.Add(1)
		return ErrTimeout
	case <-ctx.Done():
		w.gone.Store(true)
		return fmt.Errorf("usebatch: waiting for the use to be recorded: %w", ctx.Err())
	}
}

// Waiting returns how many uses wait to be recorded, those being written
// included.
func (b *Batcher) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue) + b.writing
}

// enqueue adds w; lead reports that the caller is to write, fewer than
// Writers writing now.
func (b *Batcher) enqueue(w *waiter) (lead bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	limit := orDefault(b.MaxQueue, DefaultMaxQueue)
	if len(b.queue)+b.writing >= limit {
		b.queue = slices.DeleteFunc(b.queue, (*waiter).left)
		if len(b.queue)+b.writing >= limit {
			return false, ErrQueueFull
		}
	}
	b.queue = append(b.queue, w)
	if b.running < orDefault(b.Writers, 1) {
		b.running++
		return true, nil
	}
	return false, nil
}

// lead writes the next group in the caller's goroutine — a use that
// arrives alone is written with no hand-over between goroutines — then
// leaves what arrived meanwhile to a writer goroutine, so that the caller
// answers as soon as its own group is written.
func (b *Batcher) lead() {
	if !b.writeNext() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.running--
		return
	}
	go b.run()
}

// run writes groups until the queue is empty.
func (b *Batcher) run() {
	for b.writeNext() {
	}
}

// writeNext writes the next group; false: there was none, and the writer
// stopped (take).
func (b *Batcher) writeNext() bool {
	group := b.take()
	if group == nil {
		return false
	}
	b.write(group)
	b.mu.Lock()
	b.writing -= len(group)
	b.mu.Unlock()
	return true
}

// take removes the next group from the queue, leaving out the uses whose
// callers gave up, or stops the writer (nil) when there is none.
func (b *Batcher) take() []*waiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	size := orDefault(b.MaxBatch, DefaultMaxBatch)
	var group []*waiter
	for len(b.queue) > 0 && len(group) < size {
		w := b.queue[0]
		b.queue[0] = nil
		b.queue = b.queue[1:]
		if !w.left() {
			group = append(group, w)
		}
	}
	if len(group) == 0 {
		b.running--
		b.queue = nil // let a burst's backing array go
		return nil
	}
	b.writing += len(group)
	return group
}

// left reports whether w's caller stopped waiting.
func (w *waiter) left() bool { return w.gone.Load() }

// write records one group and tells each waiter its answer. A use named
// twice in the group is written once: the first waiter gets the write's
// answer, the others a conflict.
func (b *Batcher) write(group []*waiter) {
	slices.SortStableFunc(group, func(x, y *waiter) int {
		return cmp.Or(cmp.Compare(x.use.ClientID, y.use.ClientID), cmp.Compare(x.use.ID, y.use.ID))
	})
	uses := make([]Use, 0, len(group))
	first := make([]*waiter, 0, len(group)) // the waiter of uses[i]
	for i, w := range group {
		if i > 0 && sameUse(group[i-1].use, w.use) {
			w.done <- conflict(w.use)
			continue
		}
		uses = append(uses, w.use)
		first = append(first, w)
	}
	ctx, cancel := context.WithTimeout(context.Background(),
		min(orDefault(b.WriteTimeout, DefaultWriteTimeout), orDefault(b.Wait, DefaultWait)))
	defer cancel()
	fresh, err := b.Write(ctx, uses)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	if err == nil && len(fresh) != len(uses) {
		err = fmt.Errorf("usebatch: %d answers for %d uses", len(fresh), len(uses))
	}
	for i, w := range first {
		switch {
		case err != nil:
			w.done <- err
		case fresh[i]:
			w.done <- nil
		default:
			w.done <- conflict(w.use)
		}
	}
}

func sameUse(a, b Use) bool { return a.ClientID == b.ClientID && a.ID == b.ID }

// conflict is the error of a use seen before; it names no secret (a jti
// is not one) and wraps mint.ErrConflict.
func conflict(u Use) error {
	return fmt.Errorf("assertion %q of client %q used already: %w", u.ID, u.ClientID, mint.ErrConflict)
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Lazy is a Batcher made on its first use, so that a store can hold one
// by value and wire its write method in only when a use comes.
type Lazy struct {
	once sync.Once
	b    Batcher
}

// Batcher returns the Batcher, made on the first call with write and
// writers (Batcher.Writers).
func (l *Lazy) Batcher(write WriteFunc, writers int) *Batcher {
	l.once.Do(func() { l.b.Write, l.b.Writers = write, writers })
	return &l.b
}

// Stats is the Batcher's Stats (zero before its first use).
func (l *Lazy) Stats() Stats { return l.b.Stats() }

// Recorded returns, for each use, whether a write recorded it: whether
// its client and ID are among inserted, the rows the write's RETURNING
// gave back.
func Recorded(uses []Use, inserted map[[2]string]struct{}) []bool {
	fresh := make([]bool, len(uses))
	for i, u := range uses {
		_, fresh[i] = inserted[[2]string{u.ClientID, u.ID}]
	}
	return fresh
}
