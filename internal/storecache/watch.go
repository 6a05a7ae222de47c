package storecache

import (
	"context"
	"sync/atomic"
	"time"
)

// Notifier is a store that tells of committed changes. The sqlite and
// postgres stores implement it.
type Notifier interface {
	// WatchChanges calls onChange(table, keys) after each committed
	// change to a table, until ctx is done or the watch fails, and returns
	// why it ended (ctx.Err() when ctx is done). keys name the rows
	// changed — by client ID for clients, secrets and grants — or are nil:
	// anything in table may have changed. "clients:update" and
	// "apis:update" tell of rows of clients or apis updated in place,
	// which changes nothing in other tables ("clients" and "apis" may
	// also be deletions, which take secrets and grants with them). Once
	// it is listening it first calls onChange("", nil) — "anything may
	// have changed" — so that what was read before can be dropped.
	// onChange is quick and called one call at a time.
	WatchChanges(ctx context.Context, onChange func(table string, keys []string)) error
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
// it listens. While it is not listening nothing new is kept (deaf).
func (c *Store) watch(ctx context.Context, n Notifier) {
	defer close(c.watching)
	retry := minRetry
	for {
		var listened atomic.Bool
		err := n.WatchChanges(ctx, func(table string, keys []string) {
			if table == "" {
				listened.Store(true)
			}
			c.changed(table, keys)
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
			"error", err, "retry_in", retry.String(), "stale_bound", c.staleBound.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
		retry = min(2*retry, maxRetry)
	}
}

// changed invalidates what a change to table touched; "" means the
// Notifier has started listening, so answers may be kept from now on.
func (c *Store) changed(table string, keys []string) {
	if table == "" {
		c.flush(true)
		c.deafSince.Store(0)
		c.live.Store(true)
		return
	}
	c.invalidate(table, keys...)
}

// invalidate drops what a change to keys of table may have changed (all of
// the kinds read from table when keys is empty). A client's row, secrets
// and grants are each keyed by client ID; a client's deletion takes its
// secrets and grants with it. An API's change empties the API kinds and
// the grants (a deleted API deletes its grants), which are few changes
// for a whole reload of grants: APIs change far less often than clients.
// "clients:update" and "apis:update" are updates of those rows in place
// (see Notifier): only the kinds read from the rows themselves are
// dropped, not the secrets and grants a deletion would take with them.
func (c *Store) invalidate(table string, keys ...string) {
	if ignoredTables[table] {
		return
	}
	c.invalidated.Add(uint64(len(keys)))
	switch table {
	case "clients":
		if len(keys) == 0 {
			c.flushKinds(c.clients.flush, c.secrets.flush, c.grants.flush, c.grantFor.flush, c.federated.flush)
		}
		for _, k := range keys {
			c.clients.invalidate(k)
			c.secrets.invalidate(k)
			c.grants.invalidate(k)
			c.grantFor.invalidateGroup(k)
		}
	case "secrets":
		if len(keys) == 0 {
			c.flushKinds(c.secrets.flush)
		}
		for _, k := range keys {
			c.secrets.invalidate(k)
		}
	case "grants":
		if len(keys) == 0 {
			c.flushKinds(c.grants.flush, c.grantFor.flush)
		}
		for _, k := range keys {
			c.grants.invalidate(k)
			c.grantFor.invalidateGroup(k)
		}
	case "clients:update":
		// Rows of clients changed in place: their secrets and grants did
		// not (a change to those is told of as "secrets" or "grants").
		if len(keys) == 0 {
			c.flushKinds(c.clients.flush)
		}
		for _, k := range keys {
			c.clients.invalidate(k)
		}
	case "apis":
		c.flushKinds(c.apis.flush, c.audiences.flush, c.grants.flush, c.grantFor.flush)
	case "apis:update":
		// APIs changed in place: no grant was deleted with them.
		c.flushKinds(c.apis.flush, c.audiences.flush)
	case "federated_credentials":
		// Kept by issuer and subject, not by client: a change empties the
		// kind, which holds few answers and changes rarely.
		c.flushKinds(c.federated.flush)
	default: // a table this cache does not know of: assume the worst
		c.flush(true)
	}
}

// flushKinds empties the kinds whose flush methods are given.
func (c *Store) flushKinds(flushes ...func(drop bool)) {
	c.flushes.Add(1)
	for _, f := range flushes {
		f(true)
	}
}

// deaf stops keeping answers. live goes false before the generations move,
// and reads load their shard's generation before live: a read either sees
// live false and does not store, or holds a generation that has ended.
// With a StaleBound what is kept stays, for reads to use for that long
// after the first time the Notifier stopped; without, it is dropped.
func (c *Store) deaf() {
	c.deafSince.CompareAndSwap(0, c.now().UnixNano())
	c.live.Store(false)
	c.flush(c.staleBound == 0)
}
