package clientauth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// Defaults of a Recorder.
const (
	DefaultFlushEvery = 5 * time.Second
	DefaultPruneEvery = time.Minute
	// DefaultUsePrecision is how out of date a secret's stored last use
	// may be: a use less than this after the one the caller read is not
	// written. Without it every secret used within a flush costs a row
	// update per flush: with 100k active clients, thousands of updates a
	// second on the database the tokens are served from (docs/scale.md).
	DefaultUsePrecision = time.Hour
)

// Recorder keeps the last use of each client secret in memory and writes
// them in one Store.RecordSecretUse call every FlushEvery, so that
// authenticating costs no database write. A use within UsePrecision of the
// secret's last use already stored is not written at all (RecordUse), so
// that a busy client costs one row update an hour, not one per flush. Run
// also forgets, every PruneEvery, the assertion ids and revoked tokens
// that have expired (Store.PruneExpired). A nil *Recorder records nothing.
// It is safe for concurrent use.
type Recorder struct {
	Store      mint.Store
	FlushEvery time.Duration // default DefaultFlushEvery
	PruneEvery time.Duration // default DefaultPruneEvery
	// UsePrecision: see DefaultUsePrecision (the default); negative: every
	// use is written.
	UsePrecision time.Duration
	Now          func() time.Time // for pruning and dating writes; nil means time.Now
	Log          *slog.Logger     // flush and prune failures, at Warn

	mu      sync.Mutex
	pending map[string]time.Time // secret ID → last use
	// written and writtenBefore hold the uses this Recorder wrote, for
	// what the caller's stored value does not show yet (see RecordUse);
	// written becomes writtenBefore every rememberWritten, so that each
	// is kept between one and two of those.
	// Values are unix ns: 24 bytes a slot where a time.Time takes 40, and
	// the key is the cached secret's own ID string, not a copy.
	written, writtenBefore map[string]int64
	rotated                time.Time
}

// rememberWritten bounds how long a use this Recorder wrote is kept to
// stop writing it again: longer than the store cache's TTL (10 minutes,
// storecache.DefaultTTL), after which the cache has read the written value
// anew and the caller's stored value shows it. Only the secrets written in
// the last 15 to 30 minutes are held, at most one in two of the active
// ones with the default precision.
const rememberWritten = 15 * time.Minute

// Record notes that the secret was used at t.
func (r *Recorder) Record(secretID string, t time.Time) {
	r.RecordUse(secretID, time.Time{}, t)
}

// RecordUse notes that the secret was used at t, unless t is within
// UsePrecision of stored, the last use the caller read with the secret
// (zero: none, or not known), or of a use this Recorder wrote lately.
// stored comes from memory (the store cache) and may lag the database by
// up to the cache's TTL, which the uses written lately cover.
func (r *Recorder) RecordUse(secretID string, stored, t time.Time) {
	if r == nil || secretID == "" {
		return
	}
	p := r.precision()
	if !stored.IsZero() && t.Sub(stored) < p {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p > 0 {
		ns := t.UnixNano()
		if w, ok := r.written[secretID]; ok && ns-w < int64(p) {
			return
		}
		if w, ok := r.writtenBefore[secretID]; ok && ns-w < int64(p) {
			return
		}
	}
	if r.pending == nil {
		r.pending = map[string]time.Time{}
	}
	if t.After(r.pending[secretID]) {
		r.pending[secretID] = t
	}
}

// Flush writes the uses recorded since the last flush. On failure they are
// kept for the next one.
func (r *Recorder) Flush(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	uses := r.pending
	r.pending = nil
	r.mu.Unlock()
	if len(uses) == 0 {
		return nil
	}
	err := r.Store.RecordSecretUse(ctx, uses)
	if err != nil {
		for id, t := range uses {
			r.Record(id, t)
		}
		return err
	}
	r.wrote(uses)
	return nil
}

// wrote remembers uses as written (see rememberWritten).
func (r *Recorder) wrote(uses map[string]time.Time) {
	if r.precision() == 0 {
		return
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.written == nil || now.Sub(r.rotated) >= rememberWritten || now.Before(r.rotated) {
		r.writtenBefore, r.written, r.rotated = r.written, make(map[string]int64, len(uses)), now
	}
	for id, t := range uses {
		r.written[id] = max(r.written[id], t.UnixNano())
	}
}

// Run flushes every FlushEvery and prunes every PruneEvery until ctx ends,
// then flushes once more, with a few seconds of its own, and returns. Start
// it once per process: go recorder.Run(ctx).
func (r *Recorder) Run(ctx context.Context) {
	flush := time.NewTicker(orDefault(r.FlushEvery, DefaultFlushEvery))
	defer flush.Stop()
	prune := time.NewTicker(orDefault(r.PruneEvery, DefaultPruneEvery))
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			r.warn(final, "flush secret uses", r.Flush(final))
			cancel()
			return
		case <-flush.C:
			r.warn(ctx, "flush secret uses", r.Flush(ctx))
		case <-prune.C:
			r.warn(ctx, "prune expired assertions and revocations", r.Store.PruneExpired(ctx, r.now()))
		}
	}
}

func (r *Recorder) warn(ctx context.Context, what string, err error) {
	if err != nil && r.Log != nil {
		r.Log.WarnContext(ctx, what+" failed", "error", err)
	}
}

func (r *Recorder) precision() time.Duration {
	switch {
	case r.UsePrecision < 0:
		return 0
	case r.UsePrecision == 0:
		return DefaultUsePrecision
	}
	return r.UsePrecision
}

func (r *Recorder) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
