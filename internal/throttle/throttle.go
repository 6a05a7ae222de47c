// Package throttle slows down repeated client-authentication failures
// (issue 7). It counts failures in memory, per source address and per
// (client_id, source address) pair, in leaky buckets that drain at their
// limit per Window: after Limit failures in a burst the bucket is full and
// Check tells the caller how long to wait, until it has drained by one.
//
// A client_id on its own is never throttled: an attacker elsewhere fills
// only the buckets of their own address, so the real client, calling from
// its own address, is never locked out. Successes empty the pair's bucket
// but not the source's, so one valid client cannot reset a source that
// guesses at others.
//
// Every failed authentication is also answered no sooner than
// FailureFloor after it began: a second line behind clientauth, which
// makes an unknown client and a known one with a wrong secret do the same
// work.
//
// The counts are per process: N replicas give an attacker N times the
// budget. Throttling protects mint's load and logs from guessing; the
// 256-bit secrets are what make guessing hopeless.
package throttle

import (
	"hash/maphash"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Config's zero fields.
const (
	DefaultPairLimit   = 10
	DefaultSourceLimit = 50
	DefaultWindow      = time.Minute
	DefaultMaxEntries  = 100_000
	// DefaultFailureFloor is well above a database read of a client's
	// secrets (0.1–1 ms on SQLite and PostgreSQL), the difference it hides.
	DefaultFailureFloor = 10 * time.Millisecond
)

// Config sets the limits; zero fields take the defaults.
type Config struct {
	// PairLimit is how many failures one (client_id, source) pair may
	// have per Window; SourceLimit, one source with any client_ids.
	PairLimit, SourceLimit int
	Window                 time.Duration
	// MaxEntries bounds the buckets kept; when full, drained buckets are
	// dropped first, then arbitrary ones.
	MaxEntries int
	// FailureFloor is the least time a failed authentication takes to
	// answer; negative: no floor.
	FailureFloor time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Throttle counts failures. It is safe for concurrent use.
type Throttle struct {
	cfg    Config
	seed   maphash.Seed
	shards [shardCount]shard
	// held counts the buckets of all shards. While it is 0 — no failure
	// anywhere within a Window, the usual state — Check and Succeeded
	// return at once instead of parsing the source and locking two shards
	// per token. nextSweep (Unix ns) is when Check next drops drained
	// buckets, so that held falls back to 0 once failures stop.
	held      atomic.Int64
	nextSweep atomic.Int64
}

const shardCount = 32

type shard struct {
	mu      sync.Mutex
	buckets map[key]bucket
}

// key names a bucket: a source alone (clientID "" and pair false), or a
// pair.
type key struct {
	source   string
	clientID string
	pair     bool
}

// bucket is a leaky bucket: level failures at time at, draining at
// limit/Window per second.
type bucket struct {
	level float64
	at    time.Time
}

// New returns a Throttle with cfg's limits.
func New(cfg Config) *Throttle {
	if cfg.PairLimit <= 0 {
		cfg.PairLimit = DefaultPairLimit
	}
	if cfg.SourceLimit <= 0 {
		cfg.SourceLimit = DefaultSourceLimit
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.FailureFloor == 0 {
		cfg.FailureFloor = DefaultFailureFloor
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Throttle{cfg: cfg, seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].buckets = map[key]bucket{}
	}
	return t
}

// Check returns how long a request for clientID from source must wait
// before it may try to authenticate: 0 when it may now. It counts nothing.
func (t *Throttle) Check(clientID, source string) time.Duration {
	if t.held.Load() == 0 {
		return 0
	}
	t.sweep(t.cfg.Now())
	src, clientID := Source(source), clip(clientID)
	now := t.cfg.Now()
	wait := t.wait(key{source: src}, t.cfg.SourceLimit, now)
	return max(wait, t.wait(key{source: src, clientID: clientID, pair: true}, t.cfg.PairLimit, now))
}

// Failed counts a failed authentication for clientID from source.
func (t *Throttle) Failed(clientID, source string) {
	src, clientID := Source(source), clip(clientID)
	now := t.cfg.Now()
	t.add(key{source: src}, t.cfg.SourceLimit, now)
	t.add(key{source: src, clientID: clientID, pair: true}, t.cfg.PairLimit, now)
}

// Succeeded empties the pair's bucket; the source's is left to drain.
func (t *Throttle) Succeeded(clientID, source string) {
	if t.held.Load() == 0 {
		return
	}
	k := key{source: Source(source), clientID: clip(clientID), pair: true}
	s := t.shard(k)
	s.mu.Lock()
	t.remove(s, k)
	s.mu.Unlock()
}

// remove deletes k's bucket from s, whose lock is held.
func (t *Throttle) remove(s *shard, k key) {
	if _, ok := s.buckets[k]; ok {
		delete(s.buckets, k)
		t.held.Add(-1)
	}
}

// FailureFloor is the least time a failed authentication should take to
// answer, from its start; 0 or less: none.
func (t *Throttle) FailureFloor() time.Duration { return t.cfg.FailureFloor }

// Len returns the number of buckets held, for tests and metrics.
func (t *Throttle) Len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		n += len(s.buckets)
		s.mu.Unlock()
	}
	return n
}

func (t *Throttle) wait(k key, limit int, now time.Time) time.Duration {
	s := t.shard(k)
	s.mu.Lock()
	b, ok := s.buckets[k]
	s.mu.Unlock()
	if !ok {
		return 0
	}
	level := t.drain(b, limit, now)
	if level <= float64(limit-1) {
		return 0
	}
	// Time for the level to fall to limit-1, so that one more failure fits.
	over := level - float64(limit-1)
	return time.Duration(over / float64(limit) * float64(t.cfg.Window))
}

func (t *Throttle) add(k key, limit int, now time.Time) {
	s := t.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[k]
	if !ok && len(s.buckets) >= t.cfg.MaxEntries/shardCount+1 {
		t.evict(s, now)
	}
	if !ok {
		t.held.Add(1)
		// A key outlives its request: copy its strings out of the request's
		// memory (a clipped client_id may be a piece of a large body).
		k.source, k.clientID = strings.Clone(k.source), strings.Clone(k.clientID)
	}
	level := 0.0
	if ok {
		level = t.drain(b, limit, now)
	}
	s.buckets[k] = bucket{level: min(level+1, float64(limit)), at: now}
}

// drain returns b's level at now.
func (t *Throttle) drain(b bucket, limit int, now time.Time) float64 {
	elapsed := now.Sub(b.at)
	if elapsed <= 0 {
		return b.level
	}
	return max(0, b.level-elapsed.Seconds()*float64(limit)/t.cfg.Window.Seconds())
}

// sweep drops every drained bucket, at most once per Window.
func (t *Throttle) sweep(now time.Time) {
	next := t.nextSweep.Load()
	if now.UnixNano() < next || !t.nextSweep.CompareAndSwap(next, now.Add(t.cfg.Window).UnixNano()) {
		return
	}
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		t.dropDrained(s, now)
		s.mu.Unlock()
	}
}

// dropDrained drops s's buckets that have drained: no bucket holds more
// than a Window's worth. s's lock is held.
func (t *Throttle) dropDrained(s *shard, now time.Time) {
	for k, b := range s.buckets {
		if now.Sub(b.at) >= t.cfg.Window {
			t.remove(s, k)
		}
	}
}

// evict makes room in a full shard: it drops every bucket that has
// drained, and when none has, an arbitrary eighth of them.
func (t *Throttle) evict(s *shard, now time.Time) {
	t.dropDrained(s, now)
	if len(s.buckets) < t.cfg.MaxEntries/shardCount {
		return
	}
	n := len(s.buckets)/8 + 1
	for k := range s.buckets { // map order is random
		if n--; n < 0 {
			break
		}
		t.remove(s, k)
	}
}

func (t *Throttle) shard(k key) *shard {
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteString(k.source)
	h.WriteByte(0)
	h.WriteString(k.clientID)
	return &t.shards[h.Sum64()%shardCount]
}

// maxClientID bounds the client_id kept in a bucket's key: a client_id
// is whatever the request sent. Two longer ones that share the prefix
// share a bucket, which only the same source can fill.
const maxClientID = 256

func clip(clientID string) string {
	if len(clientID) > maxClientID {
		return clientID[:maxClientID]
	}
	return clientID
}

// Source returns the part of a network address the throttle counts by:
// the IP address without the port, and for IPv6 its /64, the block one
// host is usually given. Anything else is used as it is.
func Source(addr string) string {
	ap, err := netip.ParseAddrPort(addr)
	ip := ap.Addr()
	if err != nil {
		if ip, err = netip.ParseAddr(addr); err != nil {
			return addr
		}
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
