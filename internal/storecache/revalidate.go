package storecache

import (
	"context"
	"strings"
)

// Stale-while-revalidate (issue 16). While the Notifier listens, an entry
// is kept correct by invalidation; the TTL only bounds a change the
// Notifier missed. Reading an expired entry again before answering made a
// cliff: once one pass over the active clients took longer than the TTL
// (fewer than N/600 tokens/s at a 10-minute TTL), every request missed,
// and at 1M clients the rate fell from 1,583 to 295 tokens/s. So an
// expired entry is still answered, up to Options.MaxAge, and read again in
// the background. While the Notifier does not listen none of this applies:
// see lookup and Options.StaleBound.

// maxRefreshes bounds the background refreshes running at once, across
// kinds: enough to keep up with expiries on a busy replica, few enough
// that refreshes never take the database connections the misses need.
// Past it an expired entry is answered and refreshed on a later hit.
const maxRefreshes = 4

// refresh reads key again in the background, unless a refresh of its entry
// is running already or maxRefreshes are. gen is the shard's generation
// loaded before the entry was read: a change heard since (or the Notifier
// lost) moves it, and the refresh's answer is then not kept (table.put),
// so a refresh racing a change never overwrites the invalidation. A
// refresh that keeps nothing clears the entry's mark, for a later hit to
// try again; one that keeps its answer replaces the entry.
func refresh[V any](c *Store, t *table[V], sh *shard[V], key string, gen uint64, fetch fetcher[V]) {
	if !t.startRefresh(sh, key) {
		return
	}
	select {
	case c.refreshSlots <- struct{}{}:
	default:
		t.endRefresh(sh, key)
		t.refreshesSkipped.Add(1)
		return
	}
	t.refreshes.Add(1)
	key = strings.Clone(key) // it may be a piece of a request
	c.bg.Go(func() {
		defer func() { <-c.refreshSlots }()
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		c.loads.Add(1)
		now := c.now().UnixNano()
		v, err := observed(ctx, c, t.op, key, fetch)
		keep(t, sh, key, v, err, now, now+int64(c.ttl), gen)
		t.endRefresh(sh, key)
	})
}
