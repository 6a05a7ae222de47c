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
)

// Recorder keeps the last use of each client secret in memory and writes
// them in one Store.RecordSecretUse call every FlushEvery, so that
// authenticating costs no database write. Run also forgets, every
// PruneEvery, the assertion ids and revoked tokens that have expired
// (Store.PruneExpired). A nil *Recorder records nothing. It is safe for
// concurrent use.
type Recorder struct {
	Store      mint.Store
	FlushEvery time.Duration    // default DefaultFlushEvery
	PruneEvery time.Duration    // default DefaultPruneEvery
	Now        func() time.Time // for pruning; nil means time.Now
	Log        *slog.Logger     // flush and prune failures, at Warn

	mu      sync.Mutex
	pending map[string]time.Time // secret ID → last use
}

// Record notes that the secret was used at t.
func (r *Recorder) Record(secretID string, t time.Time) {
	if r == nil || secretID == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
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
	}
	return err
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
