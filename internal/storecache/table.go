package storecache

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// table is one kind of cached answer, by key. It holds at most max entries;
// a new entry past that pushes out an arbitrary one. It also keeps, apart
// and with a bound of their own, the keys the store said it does not
// have, so that a stranger naming random keys pushes out only other
// such keys, never an answer.
type table[V any] struct {
	kind  byte      // names the kind in load keys
	name  string    // names the kind in KindStats
	op    string    // the store read that fills it, for Options.ObserveLoad
	clone func(V) V // a copy a caller may change
	max   int

	hits, misses, bypassed atomic.Uint64
	reloads                atomic.Uint64 // reads of the store past a kept answer (reload)

	mu     sync.RWMutex
	m      map[string]entry[V]
	absent map[string]time.Time // key → when "not found" expires
}

type entry[V any] struct {
	val     V
	expires time.Time
}

func newTable[V any](kind byte, name, op string, max int, clone func(V) V) *table[V] {
	return &table[V]{kind: kind, name: name, op: op, clone: clone, max: max,
		m: make(map[string]entry[V]), absent: make(map[string]time.Time)}
}

// stats returns the table's counters and size.
func (t *table[V]) stats() KindStats {
	return KindStats{Kind: t.name, Hits: t.hits.Load(), Misses: t.misses.Load(),
		Bypassed: t.bypassed.Load(), Reloads: t.reloads.Load(), Entries: t.len(), Absent: t.absentLen()}
}

// get returns the entry for key unless it is missing or expired at now.
func (t *table[V]) get(key string, now time.Time) (V, bool) {
	t.mu.RLock()
	e, ok := t.m[key]
	t.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.val, true
}

// put stores val for key unless the cache's generation has moved on from
// gen, which means it was emptied since val was read. The check and the
// store are one step under the table's lock, and flush moves the
// generation before it takes that lock, so an answer read before a change
// can never be stored after the flush for that change.
func (t *table[V]) put(key string, val V, expires time.Time, gen uint64, current *atomic.Uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if current.Load() != gen {
		return
	}
	if _, ok := t.m[key]; !ok && len(t.m) >= t.max {
		for k := range t.m { // Go starts map iteration at a random place
			delete(t.m, k)
			break
		}
	}
	t.m[key] = entry[V]{val: val, expires: expires}
}

// isAbsent reports whether the store said it has no key, and that answer
// has not expired at now.
func (t *table[V]) isAbsent(key string, now time.Time) bool {
	t.mu.RLock()
	expires, ok := t.absent[key]
	t.mu.RUnlock()
	return ok && now.Before(expires)
}

// maxAbsentKey bounds the keys kept as "not found": a client_id reaches
// the cache only up to 256 bytes (clientauth.MaxClientIDBytes), but an
// audience an authenticated client names is as long as its request, and
// 10,000 of those must not hold the request bodies' worth of memory.
const maxAbsentKey = 512

// putAbsent keeps "not found" for key as put keeps an answer, unless the
// key is longer than maxAbsentKey. The key is copied: it may be a piece of
// a request body.
func (t *table[V]) putAbsent(key string, expires time.Time, gen uint64, current *atomic.Uint64) {
	if len(key) > maxAbsentKey {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if current.Load() != gen {
		return
	}
	if _, ok := t.absent[key]; !ok && len(t.absent) >= t.max {
		for k := range t.absent {
			delete(t.absent, k)
			break
		}
	}
	t.absent[strings.Clone(key)] = expires
}

func (t *table[V]) flush() {
	t.mu.Lock()
	clear(t.m)
	clear(t.absent)
	t.mu.Unlock()
}

func (t *table[V]) absentLen() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.absent)
}

func (t *table[V]) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}

// loadKey names one read of key in generation gen, for singleflight: reads
// of one key share a load only within one generation, so that a read
// starting after a flush never takes an answer read before it.
func (t *table[V]) loadKey(gen uint64, key string) string {
	return string(t.kind) + strconv.FormatUint(gen, 10) + ":" + key
}

// pairKey joins two strings into one key that no other pair gives.
func pairKey(a, b string) string {
	return strconv.Itoa(len(a)) + ":" + a + b
}
