package storecache

import (
	"context"
	"sync/atomic"
	"time"
)

// Notifier is a store that tells of committed changes. The sqlite and
// postgres stores implement it.
type Notifier interface {
	// WatchChanges calls onChange(table) after each committed change to
	// a table, until ctx is done or the watch fails, and returns why it
	// ended (ctx.Err() when ctx is done). Once it is listening it first
	// calls onChange("") — "anything may have changed" — so that what was
	// read before can be dropped. onChange is quick and called one call at
	// a time.
	WatchChanges(ctx context.Context, onChange func(table string)) error
}

// Tables whose changes the cache ignores: it holds nothing read from them.
var ignoredTables = map[string]bool{
	"signing_keys": true, "revoked_tokens": true, "used_assertions": true,
}

// Backoff between watches that ended without listening.
const (
	minRetry = 100 * time.Millisecond
	maxRetry = 5 * time.Second
)

// watch runs n.WatchChanges until ctx is done, again after each failure,
// waiting minRetry, doubling up to maxRetry while it keeps failing before
// it listens. While it is not listening the cache is empty and reads pass
// through (deaf).
func (c *Store) watch(ctx context.Context, n Notifier) {
	defer close(c.watching)
	retry := minRetry
	for {
		var listened atomic.Bool
		err := n.WatchChanges(ctx, func(table string) {
			if table == "" {
				listened.Store(true)
			}
			c.changed(table)
			c.onChange(table)
		})
		c.deaf()
		if ctx.Err() != nil {
			return
		}
		if listened.Load() {
			retry = minRetry
		}
		c.log.Warn("store changes not heard: reading through to the store until they are",
			"error", err, "retry_in", retry.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
		retry = min(2*retry, maxRetry)
	}
}

// changed empties the cache for a change to table; "" means the Notifier
// has started listening, so answers may be kept from now on.
func (c *Store) changed(table string) {
	if ignoredTables[table] {
		return
	}
	c.flush()
	if table == "" {
		c.live.Store(true)
	}
}

// deaf stops keeping answers. live goes false before the flush moves gen,
// and reads load gen before live: a read either sees live false and passes
// through, or holds a generation the flush has ended.
func (c *Store) deaf() {
	c.live.Store(false)
	c.flush()
}
