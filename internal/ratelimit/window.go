package ratelimit

import (
	"context"
	"log/slog"
	"time"
)

// windowKind is a fixed quota window: the clock hour or the UTC day.
type windowKind struct {
	name   string // the store's window name and the header's policy name
	limit  string
	length time.Duration
}

var windowKinds = [2]windowKind{
	{"hour", LimitTokensPerHour, time.Hour},
	{"day", LimitTokensPerDay, 24 * time.Hour},
}

// start is when the window holding t began, in UTC.
func (k windowKind) start(t time.Time) time.Time {
	return t.UTC().Truncate(k.length) // Unix time has no leap seconds: days truncate to midnight UTC
}

// window is one replica's view of a client's count in one window.
type window struct {
	start time.Time
	// shared is the store's total when last read; pending, the tokens
	// counted here since and not yet added to the store.
	shared, pending int64
	warned          bool
}

func (w *window) count() int64 { return w.shared + w.pending }

// roll moves w to the window starting at start, if it is not there yet.
// Counts of a window that has ended matter to nobody, so pending ones are
// dropped, not flushed.
func (w *window) roll(start time.Time) {
	if !w.start.Equal(start) {
		*w = window{start: start}
	}
}

// Run adds the local counts to the store every FlushInterval and reads the
// shared totals back, prunes counts older than two days every hour, and
// flushes once more when ctx ends. Without a Counter it only waits.
func (l *Limiter) Run(ctx context.Context) {
	if l.cfg.Counter == nil {
		<-ctx.Done()
		return
	}
	tick := time.NewTicker(l.cfg.FlushInterval)
	defer tick.Stop()
	var pruned time.Time
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			l.Flush(fctx)
			cancel()
			return
		case <-tick.C:
		}
		l.Flush(ctx)
		if now := l.cfg.Now(); now.Sub(pruned) >= time.Hour {
			pruned = now
			if err := l.cfg.Counter.PruneTokenCounts(ctx, now.Add(-keepCounts)); err != nil {
				l.cfg.Log.Warn("prune token counts", "error", err)
			}
		}
	}
}

// Flush adds every pending count to the store and reads the totals back —
// also for clients that asked for tokens since the last Flush but got none
// here, so that each replica learns what the others issued — and forgets
// clients not seen for two days. A failed addition stays
// pending for the next Flush; the limits meanwhile hold with what this
// replica knows.
func (l *Limiter) Flush(ctx context.Context) {
	if l.cfg.Counter == nil {
		return
	}
	now := l.cfg.Now()
	var failures int
	var lastErr error
	l.clients.Range(func(key, value any) bool {
		id, st := key.(string), value.(*clientState)
		st.mu.Lock()
		active := st.active
		st.active = false
		st.mu.Unlock()
		for i, kind := range windowKinds {
			if !active && st.pendingIn(i) == 0 {
				continue
			}
			if err := l.flushWindow(ctx, id, st, i, kind); err != nil {
				failures, lastErr = failures+1, err
			}
		}
		st.mu.Lock()
		idle := now.Sub(st.lastSeen) > keepCounts && st.windows[0].pending == 0 && st.windows[1].pending == 0
		st.mu.Unlock()
		if idle {
			l.clients.Delete(id)
		}
		return true
	})
	if failures > 0 {
		l.cfg.Log.LogAttrs(ctx, slog.LevelWarn, "token counts not shared: limits hold with this replica's counts until the store answers",
			slog.Int("failures", failures), slog.Any("error", lastErr))
	}
}

func (st *clientState) pendingIn(i int) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.windows[i].pending
}

// flushWindow adds the pending count of one window (perhaps 0: a read)
// and takes the total back.
func (l *Limiter) flushWindow(ctx context.Context, id string, st *clientState, i int, kind windowKind) error {
	st.mu.Lock()
	w := st.windows[i]
	st.mu.Unlock()
	if w.start.IsZero() {
		return nil
	}
	total, err := l.cfg.Counter.AddTokenCount(ctx, id, kind.name, w.start, int(w.pending))
	if err != nil {
		return err
	}
	st.mu.Lock()
	if cur := &st.windows[i]; cur.start.Equal(w.start) {
		cur.shared = int64(total)
		cur.pending -= w.pending
	}
	st.mu.Unlock()
	return nil
}
