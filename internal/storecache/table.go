package storecache

import (
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// table is one kind of cached answer, by key, split into shards so that
// reads of different keys rarely meet on one lock. Each shard holds at
// most perShard answers; a new answer past that pushes out the least
// recently used of a few sampled ones (sampled LRU: no list to keep in
// order on every hit, one atomic store per hit at most). It also keeps,
// apart and with a bound of its own, the keys the store said it does not
// have, so that a stranger naming random keys pushes out only other such
// keys, never an answer.
//
// Each shard has its own generation: invalidating a key moves the
// generation of the key's shard, so a read of a key in flight when the key
// changes cannot store what it read (see put). Keys of one group (a
// client's grants by audience) share a shard: see groupOf.
type table[V any] struct {
	kind byte   // names the kind in load keys
	name string // names the kind in KindStats
	op   string // the store read that fills it, for Options.ObserveLoad
	// groupOf returns the part of a key that chooses its shard and that
	// invalidateGroup names; nil: the whole key.
	groupOf func(key string) string
	// adopt, when set, returns the key to store an answer under and the
	// answer, sharing one copy of the key's bytes between them: the
	// client ID a client's rows repeat is then held once (see shareKey).
	adopt     func(key string, v V) (string, V)
	seed      maphash.Seed
	perShard  int
	perAbsent int // "not found" keys each shard holds at most
	// grace is Store.grace: an entry that long past its expiry is still
	// answered, so eviction counts it as used, not as dead.
	grace  int64
	shards []shard[V]

	hits, misses, bypassed, stale atomic.Uint64
	reloads                       atomic.Uint64 // reads of the store past a kept answer (reload)
	// refreshes are background reads of an expired answer still given
	// (revalidate.go); refreshesSkipped, those not made because as many
	// as maxRefreshes were already running.
	refreshes, refreshesSkipped atomic.Uint64
}

type shard[V any] struct {
	gen    atomic.Uint64
	mu     sync.RWMutex
	m      map[string]*entry[V]
	absent map[string]int64 // key → when "not found" expires (unix ns)
	_      [64]byte         // keeps shards' locks on separate cache lines
}

type entry[V any] struct {
	val     V
	expires int64 // unix ns
	// state is the last hit in usedTick units, shifted left by one; its
	// low bit is set while a background refresh of the entry runs (one
	// per entry, revalidate.go). One word for both: a flag of its own
	// made every entry 8 bytes bigger, 32 B a client.
	state atomic.Int64
}

// used returns the tick of e's last hit.
func (e *entry[V]) used() int64 { return e.state.Load() >> 1 }

// touch marks e used at now: one store per tick at most. A touch that
// loses its race (another touch, the refresh flag moving) is dropped: the
// next hit makes it.
func (e *entry[V]) touch(now int64) {
	tick := now / usedTick
	if s := e.state.Load(); s>>1 != tick {
		e.state.CompareAndSwap(s, tick<<1|s&1)
	}
}

// startRefresh sets e's refresh flag, reporting whether it was clear.
func (e *entry[V]) startRefresh() bool {
	for {
		s := e.state.Load()
		if s&1 != 0 {
			return false
		}
		if e.state.CompareAndSwap(s, s|1) {
			return true
		}
	}
}

// endRefresh clears e's refresh flag.
func (e *entry[V]) endRefresh() {
	for {
		if s := e.state.Load(); e.state.CompareAndSwap(s, s&^1) {
			return
		}
	}
}

// usedTick is the grain of entry.used: a key hit many times within one
// tick costs one store to its entry, not one per hit.
const usedTick = 1 << 20 // ~1 ms in ns

// evictSample is how many entries a full shard compares to choose the one
// to push out.
const evictSample = 5

// shardsFor returns the number of shards for a table of size entries: one
// for small tables (so that the bound is exact), else 64.
func shardsFor(size int) int {
	if size < 4096 {
		return 1
	}
	return 64
}

// maxAbsent bounds the "not found" keys of each kind, whatever MaxEntries:
// they only spare a stranger's misses a second read (issue 13), and a
// stranger chooses them.
const maxAbsent = 10_000

func newTable[V any](kind byte, name, op string, size int, groupOf func(string) string) *table[V] {
	n := shardsFor(size)
	t := &table[V]{kind: kind, name: name, op: op, groupOf: groupOf, seed: maphash.MakeSeed(),
		perShard: size / n, perAbsent: max(min(size, maxAbsent)/n, 1), shards: make([]shard[V], n)}
	for i := range t.shards {
		t.shards[i].m = make(map[string]*entry[V])
		t.shards[i].absent = make(map[string]int64)
	}
	return t
}

// shardOf returns the shard holding key.
func (t *table[V]) shardOf(key string) *shard[V] {
	if t.groupOf != nil {
		key = t.groupOf(key)
	}
	return t.shardOfGroup(key)
}

func (t *table[V]) shardOfGroup(group string) *shard[V] {
	if len(t.shards) == 1 {
		return &t.shards[0]
	}
	return &t.shards[maphash.String(t.seed, group)&uint64(len(t.shards)-1)]
}

// stats returns the table's counters and size.
func (t *table[V]) stats() KindStats {
	s := KindStats{Kind: t.name, Hits: t.hits.Load(), Misses: t.misses.Load(), Stale: t.stale.Load(),
		Bypassed: t.bypassed.Load(), Reloads: t.reloads.Load(), Refreshes: t.refreshes.Load(),
		RefreshesSkipped: t.refreshesSkipped.Load()}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.RLock()
		s.Entries += len(sh.m)
		s.Absent += len(sh.absent)
		sh.mu.RUnlock()
	}
	return s
}

// get returns the answer for key; expired says whether it has expired at
// now (a caller answering from stale memory may still use it). It marks
// the entry used.
func (t *table[V]) get(sh *shard[V], key string, now int64) (val V, ok, expired bool) {
	e := t.entryOf(sh, key, now)
	if e == nil {
		return val, false, false
	}
	return e.val, true, now >= e.expires
}

// entryOf returns the entry for key, or nil, marking it used.
func (t *table[V]) entryOf(sh *shard[V], key string, now int64) *entry[V] {
	sh.mu.RLock()
	e := sh.m[key]
	sh.mu.RUnlock()
	if e != nil {
		e.touch(now)
	}
	return e
}

// freshHit returns the unexpired answer for key, given as bytes (and not
// kept) in group's shard, counting the hit; without one the caller takes
// the full lookup, which counts what it finds.
func (t *table[V]) freshHit(group string, key []byte, now int64) (V, bool) {
	sh := t.shardOfGroup(group)
	sh.mu.RLock()
	e := sh.m[string(key)] // no allocation: the compiler looks up the bytes
	sh.mu.RUnlock()
	if e == nil || now >= e.expires {
		var zero V
		return zero, false
	}
	e.touch(now)
	t.hits.Add(1)
	return e.val, true
}

// isAbsent reports whether the store said it has no key; expired as get.
func (t *table[V]) isAbsent(sh *shard[V], key string, now int64) (ok, expired bool) {
	sh.mu.RLock()
	expires, ok := sh.absent[key]
	sh.mu.RUnlock()
	return ok, ok && now >= expires
}

// put stores val for key unless the shard's generation has moved on from
// gen, which means the key (or the whole kind) was invalidated since val
// was read. The check and the store are one step under the shard's lock,
// and invalidation moves the generation before it takes that lock, so an
// answer read before a change can never be stored after the invalidation
// for that change.
func (t *table[V]) put(sh *shard[V], key string, val V, now, expires int64, gen uint64) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen.Load() != gen {
		return
	}
	delete(sh.absent, key)
	if e := sh.m[key]; e == nil && len(sh.m) >= t.perShard {
		evictLRU(sh.m, now-t.grace)
	}
	if t.adopt != nil {
		key, val = t.adopt(key, val)
	} else {
		key = strings.Clone(key) // it may be a piece of a request
	}
	sh.m[key] = newEntry(val, now, expires)
}

func newEntry[V any](val V, now, expires int64) *entry[V] {
	e := &entry[V]{val: val, expires: expires}
	e.state.Store(now / usedTick << 1)
	return e
}

// evictLRU deletes, of evictSample entries of m, one expired at dead (no
// longer answered: now less the grace) or else the least recently used.
// Go starts each map iteration at a random
// place, which makes the sample.
func evictLRU[V any](m map[string]*entry[V], dead int64) {
	var victim string
	oldest := int64(-1)
	n := 0
	for k, e := range m {
		used := e.used()
		if dead >= e.expires {
			used = -1 << 62
		}
		if oldest == -1 || used < oldest {
			victim, oldest = k, used
		}
		if n++; n == evictSample {
			break
		}
	}
	delete(m, victim)
}

// maxAbsentKey bounds the keys kept as "not found": a client_id reaches
// the cache only up to 256 bytes (clientauth.MaxClientIDBytes), but an
// audience an authenticated client names is as long as its request, and
// 10,000 of those must not hold the request bodies' worth of memory.
const maxAbsentKey = 512

// putAbsent keeps "not found" for key as put keeps an answer, unless the
// key is longer than maxAbsentKey. The key is copied: it may be a piece of
// a request body.
func (t *table[V]) putAbsent(sh *shard[V], key string, expires int64, gen uint64) {
	if len(key) > maxAbsentKey {
		return
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen.Load() != gen {
		return
	}
	delete(sh.m, key)
	if _, ok := sh.absent[key]; !ok && len(sh.absent) >= t.perAbsent {
		for k := range sh.absent { // random: strangers' keys are all alike
			delete(sh.absent, k)
			break
		}
	}
	sh.absent[strings.Clone(key)] = expires
}

// invalidate drops what is kept for key and stops reads of it in flight
// from storing their answer.
func (t *table[V]) invalidate(key string) {
	sh := t.shardOf(key)
	sh.gen.Add(1)
	sh.mu.Lock()
	delete(sh.m, key)
	delete(sh.absent, key)
	sh.mu.Unlock()
}

// invalidateGroup drops every key of group (see groupOf): it looks through
// the group's shard, a 1/64th of the table.
func (t *table[V]) invalidateGroup(group string) {
	if t.groupOf == nil {
		t.invalidate(group)
		return
	}
	sh := t.shardOfGroup(group)
	sh.gen.Add(1)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for k := range sh.m {
		if t.groupOf(k) == group {
			delete(sh.m, k)
		}
	}
	for k := range sh.absent {
		if t.groupOf(k) == group {
			delete(sh.absent, k)
		}
	}
}

// flush stops every read in flight from storing its answer and, if drop,
// empties the table. Without drop what is kept stays readable as stale
// (see Store.deaf).
func (t *table[V]) flush(drop bool) {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.gen.Add(1)
		if drop {
			sh.mu.Lock()
			clear(sh.m)
			clear(sh.absent)
			sh.mu.Unlock()
		}
	}
}

// loadKey names one read of key in generation gen, for singleflight: reads
// of one key share a load only within one generation, so that a read
// starting after an invalidation never takes an answer read before it.
func (t *table[V]) loadKey(gen uint64, key string) string {
	return string(t.kind) + strconv.FormatUint(gen, 10) + ":" + key
}

// pairKey joins two strings into one key that no other pair gives; its
// group (pairGroup) is the first. appendPairKey appends the same bytes.
func pairKey(a, b string) string {
	return strconv.Itoa(len(a)) + ":" + a + b
}

func appendPairKey(dst []byte, a, b string) []byte {
	dst = strconv.AppendInt(dst, int64(len(a)), 10)
	dst = append(dst, ':')
	dst = append(dst, a...)
	return append(dst, b...)
}

// pairGroup returns the first string of a pairKey, pairSecond the second.
func pairGroup(key string) string {
	a, _ := splitPair(key)
	return a
}

func pairSecond(key string) string {
	_, b := splitPair(key)
	return b
}

func splitPair(key string) (string, string) {
	i := strings.IndexByte(key, ':')
	n, err := strconv.Atoi(key[:max(i, 0)])
	if i < 0 || err != nil || n < 0 || i+1+n > len(key) {
		return key, ""
	}
	return key[i+1 : i+1+n], key[i+1+n:]
}
