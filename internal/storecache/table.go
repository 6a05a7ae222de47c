package storecache

import (
	"encoding/binary"
	"hash/maphash"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
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
// A shard keeps its answers where the collector need not look (issue 16,
// slab.go): each answer is a record in the shard's slabs (its key, and
// the value as the kind's codec wrote it), found through a map from the
// key's seeded 64-bit hash to a slot (where the record is, when it
// expires, when it was last used), neither of which holds a pointer. The
// record's key is compared with the key asked for, so two keys of one
// hash are never confused: the later one replaces the earlier (a seeded
// hash: a stranger cannot choose keys that collide). A kind without a
// codec, and an answer its codec declines, keep the value on the heap in
// a slice of the shard (wholes), and the key and the value's index there
// in the slab.
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
	// codec, when set, writes answers into the slabs (codec.go).
	codec     *codec[V]
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
	compactions                 atomic.Uint64 // shards' slabs rewritten (compact)
}

type shard[V any] struct {
	gen    atomic.Uint64
	mu     sync.RWMutex
	index  map[uint64]uint32 // hash of a key → its slot
	slots  []slot
	arena  arena
	wholes []V              // values kept whole, by the index their record holds
	free   []uint32         // indexes of wholes not in use
	absent map[string]int64 // key → when "not found" expires (unix ns)
	_      [64]byte         // keeps shards' locks on separate cache lines
}

// slot is where an answer is and how it is used. It has no pointer, and
// neither has the slice of them.
type slot struct {
	ref     ref
	expires int64 // unix ns
	// state is the last hit in usedTick units, shifted left by one; its
	// low bit is set while a background refresh of the entry runs (one
	// per entry, revalidate.go). Changed with atomic operations under the
	// shard's read lock; moved only under its write lock.
	state int64
}

// used returns the tick of s's last hit.
func (s *slot) used() int64 { return atomic.LoadInt64(&s.state) >> 1 }

// touch marks s used at now: one store per tick at most. A touch that
// loses its race (another touch, the refresh flag moving) is dropped: the
// next hit makes it.
func (s *slot) touch(now int64) {
	tick := now / usedTick
	if st := atomic.LoadInt64(&s.state); st>>1 != tick {
		atomic.CompareAndSwapInt64(&s.state, st, tick<<1|st&1)
	}
}

// startRefresh sets s's refresh flag, reporting whether it was clear.
func (s *slot) startRefresh() bool {
	for {
		st := atomic.LoadInt64(&s.state)
		if st&1 != 0 {
			return false
		}
		if atomic.CompareAndSwapInt64(&s.state, st, st|1) {
			return true
		}
	}
}

// endRefresh clears s's refresh flag.
func (s *slot) endRefresh() {
	for {
		if st := atomic.LoadInt64(&s.state); atomic.CompareAndSwapInt64(&s.state, st, st&^1) {
			return
		}
	}
}

// usedTick is the grain of slot.used: a key hit many times within one
// tick costs one store to its slot, not one per hit.
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
		t.shards[i].index = make(map[uint64]uint32)
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

// hashOf is the key's hash in a shard's index. Its seed is the shards',
// so for a kind without groups it also chose the shard: the index's
// keys then share their low bits, which Go's map hashes again anyway.
func (t *table[V]) hashOf(key string) uint64 { return maphash.String(t.seed, key) }

// find returns the slot of key (whose hash is h) in sh, or nil. The
// caller holds sh.mu.
func (sh *shard[V]) find(h uint64, key string) *slot {
	p, ok := sh.index[h]
	if !ok {
		return nil
	}
	s := &sh.slots[p]
	if sh.arena.key(s.ref) != key {
		return nil
	}
	return s
}

// value decodes the answer of s. The caller holds sh.mu.
func (t *table[V]) value(sh *shard[V], s *slot) V {
	rec := sh.arena.record(s.ref)
	if recordWhole(rec) {
		return sh.wholes[wholeIndex(rec)]
	}
	return t.codec.decode(recordKey(rec), recordValue(rec))
}

// stats returns the table's counters and size.
func (t *table[V]) stats() KindStats {
	s := KindStats{Kind: t.name, Hits: t.hits.Load(), Misses: t.misses.Load(), Stale: t.stale.Load(),
		Bypassed: t.bypassed.Load(), Reloads: t.reloads.Load(), Refreshes: t.refreshes.Load(),
		RefreshesSkipped: t.refreshesSkipped.Load()}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.RLock()
		s.Entries += len(sh.slots)
		s.Absent += len(sh.absent)
		sh.mu.RUnlock()
	}
	return s
}

// locate returns the shard holding key and key's hash: one hash for a
// kind without groups, whose shard is chosen by the same hash.
func (t *table[V]) locate(key string) (*shard[V], uint64) {
	if t.groupOf != nil {
		return t.shardOf(key), t.hashOf(key)
	}
	h := t.hashOf(key)
	return &t.shards[h&uint64(len(t.shards)-1)], h
}

// get returns the answer for key and when it expires (a caller may still
// use it after), marking it used.
func (t *table[V]) get(sh *shard[V], key string, now int64) (val V, expires int64, ok bool) {
	return t.getHashed(sh, t.hashOf(key), key, now)
}

// getHashed is get of a key whose hash is h.
func (t *table[V]) getHashed(sh *shard[V], h uint64, key string, now int64) (val V, expires int64, ok bool) {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	s := sh.find(h, key)
	if s == nil {
		return val, 0, false
	}
	s.touch(now)
	return t.value(sh, s), s.expires, true
}

// freshHit returns the unexpired answer for key, given as bytes (and not
// kept) in group's shard, counting the hit; without one the caller takes
// the full lookup, which counts what it finds.
func (t *table[V]) freshHit(group string, key []byte, now int64) (V, bool) {
	sh := t.shardOfGroup(group)
	k := unsafe.String(unsafe.SliceData(key), len(key)) // only read during the call
	h := t.hashOf(k)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	s := sh.find(h, k)
	if s == nil || now >= s.expires {
		var zero V
		return zero, false
	}
	s.touch(now)
	t.hits.Add(1)
	return t.value(sh, s), true
}

// startRefresh sets the refresh flag of key's entry, reporting whether
// there is one and its flag was clear; endRefresh clears it. A refresh
// names its entry by key: if a new answer replaced the entry meanwhile,
// the new one's flag is clear already (or set by a refresh of its own,
// which the end of the old one then clears: at worst a second refresh).
func (t *table[V]) startRefresh(sh *shard[V], key string) bool {
	h := t.hashOf(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	s := sh.find(h, key)
	return s != nil && s.startRefresh()
}

func (t *table[V]) endRefresh(sh *shard[V], key string) {
	h := t.hashOf(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	if s := sh.find(h, key); s != nil {
		s.endRefresh()
	}
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
	h := t.hashOf(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen.Load() != gen {
		return
	}
	delete(sh.absent, key)
	p, ok := sh.index[h]
	if ok {
		t.release(sh, p) // the key's earlier answer, or another key of the same hash
	} else {
		if len(sh.slots) >= t.perShard {
			t.remove(sh, evictLRU(sh.slots, now-t.grace, rand.IntN))
		}
		p = uint32(len(sh.slots))
		sh.slots = append(sh.slots, slot{})
		sh.index[h] = p
	}
	sh.slots[p] = slot{ref: t.write(sh, &sh.arena, key, val, -1), expires: expires, state: now / usedTick << 1}
	if sh.arena.compactDue() {
		t.compact(sh)
	}
}

// write writes a record of key and val into a: val encoded by the codec,
// or else kept whole in sh.wholes, the record holding its
// index. kept ≥ 0: the value is sh.wholes[kept] already, write only the
// key and the index (compact).
func (t *table[V]) write(sh *shard[V], a *arena, key string, val V, kept int) ref {
	n := -1
	if t.codec != nil && kept < 0 {
		n = t.codec.size(key, val)
	}
	kl, size := uint32(len(key)), n
	if n < 0 {
		kl |= wholeBit
		size = 4
	}
	r, rec := a.alloc(recordHeader + align8(len(key)) + align8(size))
	binary.LittleEndian.PutUint32(rec, uint32(len(rec)))
	binary.LittleEndian.PutUint32(rec[4:], kl)
	copy(rec[recordHeader:], key)
	switch {
	case n >= 0:
		t.codec.encode(recordValue(rec), recordKey(rec), val)
	case kept >= 0:
		binary.LittleEndian.PutUint32(recordValue(rec), uint32(kept))
	default:
		var i uint32
		if k := len(sh.free); k > 0 {
			i, sh.free = sh.free[k-1], sh.free[:k-1]
			sh.wholes[i] = val
		} else {
			i = uint32(len(sh.wholes))
			sh.wholes = append(sh.wholes, val)
		}
		binary.LittleEndian.PutUint32(recordValue(rec), i)
	}
	return r
}

// wholeIndex returns the index in wholes of a record's value kept whole.
func wholeIndex(rec []byte) uint32 { return binary.LittleEndian.Uint32(recordValue(rec)) }

// release counts the record of slot p as dead and drops a value kept
// whole; the slot stays, for the caller to fill or remove.
func (t *table[V]) release(sh *shard[V], p uint32) {
	r := sh.slots[p].ref
	if rec := sh.arena.record(r); recordWhole(rec) {
		i := wholeIndex(rec)
		var zero V
		sh.wholes[i] = zero // lets the collector have it
		sh.free = append(sh.free, i)
	}
	sh.arena.free(r)
}

// remove drops the entry of slot p: the last slot takes its place.
func (t *table[V]) remove(sh *shard[V], p int) {
	h := t.hashOf(sh.arena.key(sh.slots[p].ref))
	t.release(sh, uint32(p))
	delete(sh.index, h)
	last := len(sh.slots) - 1
	if p != last {
		sh.slots[p] = sh.slots[last]
		sh.index[t.hashOf(sh.arena.key(sh.slots[p].ref))] = uint32(p)
	}
	sh.slots = sh.slots[:last]
}

// compact copies the shard's live records into new slabs and drops the
// old ones: a view handed out of an old slab keeps it alive, and reads
// the bytes it always read. The records are decoded and written again,
// not copied as bytes, since a record may hold pointers into its own slab
// (see putRaw).
func (t *table[V]) compact(sh *shard[V]) {
	t.compactions.Add(1)
	old := sh.arena
	sh.arena = arena{}
	for i := range sh.slots {
		s := &sh.slots[i]
		rec := old.record(s.ref)
		key := recordKey(rec)
		if recordWhole(rec) {
			s.ref = t.write(sh, &sh.arena, key, *new(V), int(wholeIndex(rec)))
		} else {
			s.ref = t.write(sh, &sh.arena, key, t.codec.decode(key, recordValue(rec)), -1)
		}
	}
}

// evictLRU returns, of evictSample slots (all of them when there are no
// more, else sampled at random with pick), one expired at dead (no longer
// answered: now less the grace) or else the least recently used.
func evictLRU(slots []slot, dead int64, pick func(n int) int) int {
	n := len(slots)
	victim, oldest := -1, int64(0)
	for k := range min(n, evictSample) {
		p := k
		if n > evictSample {
			p = pick(n)
		}
		used := slots[p].used()
		if dead >= slots[p].expires {
			used = -1 << 62
		}
		if victim < 0 || used < oldest {
			victim, oldest = p, used
		}
	}
	return victim
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
	h := t.hashOf(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen.Load() != gen {
		return
	}
	t.drop(sh, h, key)
	if _, ok := sh.absent[key]; !ok && len(sh.absent) >= t.perAbsent {
		for k := range sh.absent { // random: strangers' keys are all alike
			delete(sh.absent, k)
			break
		}
	}
	sh.absent[strings.Clone(key)] = expires
}

// drop removes key's answer from sh, if held. The caller holds sh.mu.
func (t *table[V]) drop(sh *shard[V], h uint64, key string) {
	if p, ok := sh.index[h]; ok && sh.arena.key(sh.slots[p].ref) == key {
		t.remove(sh, int(p))
		if sh.arena.compactDue() {
			t.compact(sh)
		}
	}
}

// invalidate drops what is kept for key and stops reads of it in flight
// from storing their answer.
func (t *table[V]) invalidate(key string) {
	sh := t.shardOf(key)
	h := t.hashOf(key)
	sh.gen.Add(1)
	sh.mu.Lock()
	t.drop(sh, h, key)
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
	// Backwards: remove moves the last slot, already looked at, into p.
	for p := len(sh.slots) - 1; p >= 0; p-- {
		if t.groupOf(sh.arena.key(sh.slots[p].ref)) == group {
			t.remove(sh, p)
		}
	}
	if sh.arena.compactDue() {
		t.compact(sh)
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
			clear(sh.index)
			sh.wholes, sh.free = nil, nil
			clear(sh.absent)
			sh.slots = nil
			sh.arena = arena{}
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

// slabBytes returns the bytes of the table's slabs.
func (t *table[V]) slabBytes() int {
	n := 0
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.RLock()
		n += sh.arena.bytes()
		sh.mu.RUnlock()
	}
	return n
}
