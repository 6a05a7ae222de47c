package sqlite

import (
	"context"
	"sync"
)

// Table names WatchChanges reports, as in the schema.
const (
	tableAPIs        = "apis"
	tableClients     = "clients"
	tableSecrets     = "secrets"
	tableGrants      = "grants"
	tableSigningKeys = "signing_keys"
	// tableRevokedTokens: a token was revoked (the token reuse cache
	// listens; the store cache holds nothing from it).
	tableRevokedTokens = "revoked_tokens"
)

// WatchChanges calls onChange with a table's name after each write method
// that may have changed the table returns, until ctx is done; it then
// returns ctx.Err(). keys name the client whose row, secrets or grants
// changed, or are nil: anything in the table may have changed (APIs, and
// writes that know only a grant's ID). It first calls onChange("", nil) —
// "anything may have changed" — once it is watching, so a caller can drop
// what it read before.
//
// The call comes from the writing goroutine before the write method
// returns, so a change is reported before its writer hears it is done,
// and after it is committed, so a read made after onChange sees it.
// Failed writes may be reported too. Writes that only record use
// (RecordSecretUse), pruning and assertion ids are not reported, nor
// are tables changed by cascade: a deleted client is reported as
// "clients", not also as "secrets" and "grants".
//
// Only changes made through this Store are seen: several processes
// sharing one SQLite file do not hear each other. onChange must be quick
// and must not call the Store; calls are made one at a time.
func (s *Store) WatchChanges(ctx context.Context, onChange func(table string, keys []string)) error {
	stop := s.changes.watch(onChange)
	defer stop()
	<-ctx.Done()
	return ctx.Err()
}

// changeFeed hands changes to the watchers of WatchChanges. Its zero value
// has no watchers.
type changeFeed struct {
	mu       sync.Mutex
	next     int
	watchers map[int]func(table string, keys []string)
}

// watch adds onChange, tells it "" and returns a function removing it.
func (f *changeFeed) watch(onChange func(table string, keys []string)) (stop func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.watchers == nil {
		f.watchers = make(map[int]func(string, []string))
	}
	id := f.next
	f.next++
	f.watchers[id] = onChange
	onChange("", nil)
	return func() {
		f.mu.Lock()
		delete(f.watchers, id)
		f.mu.Unlock()
	}
}

// publish tells every watcher that keys of table (any row of it, without
// keys) may have changed. Write methods defer it, so that it runs once
// their transaction has ended.
func (f *changeFeed) publish(table string, keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, onChange := range f.watchers {
		onChange(table, keys)
	}
}
