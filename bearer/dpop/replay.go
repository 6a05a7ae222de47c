package dpop

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// ReplayCache remembers the jti of each proof accepted, so that a second
// use is refused (RFC 9449 §11.1). Use returns ErrReplay when jti was seen
// for the key jkt before, ErrBusy when it cannot remember more, or another
// error when the cache cannot be reached. until is when the proof can no
// longer be accepted anyway: the cache may forget it then.
type ReplayCache interface {
	Use(ctx context.Context, jkt, jti string, until time.Time) error
}

// HolderCache is a ReplayCache that shares its memory among the holders of
// tokens, so that one holder sending many proofs cannot fill it for the
// others. Checker.Check calls UseFor, instead of Use, when the Request
// names a Holder.
type HolderCache interface {
	ReplayCache
	// UseFor is Use for a proof sent by holder (Request.Holder). Besides
	// Use's errors it may return a *TooManyError (ErrTooMany): holder
	// has had its share of the memory.
	UseFor(ctx context.Context, holder, jkt, jti string, until time.Time) error
}

// TooManyError is a proof refused because its holder sent more proofs
// than its share of a HolderCache within a window; it is ErrTooMany.
type TooManyError struct {
	// RetryAfter is how long until the holder's share is free again.
	RetryAfter time.Duration
}

func (e *TooManyError) Error() string { return ErrTooMany.Error() }
func (e *TooManyError) Unwrap() error { return ErrTooMany }

// Memory is a ReplayCache in one process's memory, for one replica: a
// proof replayed to another replica is not seen (the token endpoint uses
// mint's store instead, which all replicas share). Safe for concurrent
// use.
//
// It keeps two generations of at most Max proofs each: a new one starts
// every Window, and the older is dropped only once every proof in it is
// past its until (the Checker's iat window, on the clock the Checker
// uses), so that a proof is remembered for as long as it could be
// accepted, whatever the clock does. A clock stepped back keeps proofs the
// longer (see Use).
//
// Within a generation each holder (UseFor; the proof's key for Use) may
// add at most PerHolder proofs: past that its proofs are refused with a
// *TooManyError until the next generation, while everyone else's are
// still accepted. Only when Max / PerHolder holders have each used their
// share is the memory full, and then every new proof is ErrBusy.
type Memory struct {
	// Window must be at least the longest time a proof stays acceptable:
	// MaxAge plus twice Leeway of the Checker using it.
	Window time.Duration
	// Max bounds each generation; beyond it Use answers ErrBusy.
	Max int
	// PerHolder bounds each holder's proofs in a generation; 0 means
	// Max/8 (at least 1).
	PerHolder int
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	seedOnce  sync.Once
	seeds     [3]maphash.Seed // two for proofs, one for holders
	mu        sync.Mutex
	cur, prev generation
}

// generation is the proofs of one Window and each holder's count of them.
// holders never has more entries than seen, so Max bounds both.
type generation struct {
	seen    map[replayKey]struct{}
	holders map[uint64]int32
	start   time.Time // when it began to take proofs
	until   time.Time // the latest until of its proofs
}

func newGeneration(now time.Time) generation {
	return generation{seen: map[replayKey]struct{}{}, holders: map[uint64]int32{}, start: now}
}

// replayKey is 128 bits of a seeded hash of a proof's key thumbprint and
// jti: a fixed 16 bytes per proof however long the jti, so that Max
// bounds the memory. The seeds are random per Memory, so nobody outside
// can make two proofs collide, nor crowd one map bucket (hash flooding).
type replayKey [16]byte

var _ HolderCache = (*Memory)(nil)

// NewMemory returns a Memory for a Checker with the default window,
// remembering up to max proofs per window, max/8 from one holder.
func NewMemory(max int) *Memory {
	return &Memory{Window: DefaultMaxAge + 2*DefaultLeeway, Max: max}
}

// Use records jkt and jti, or returns ErrReplay, a *TooManyError or
// ErrBusy; the holder is the proof's key jkt.
func (m *Memory) Use(ctx context.Context, jkt, jti string, until time.Time) error {
	return m.UseFor(ctx, jkt, jkt, jti, until)
}

// UseFor records jkt and jti for holder, or returns ErrReplay (seen in
// either generation, whatever the holder's share), a *TooManyError (holder
// has PerHolder proofs in this generation) or ErrBusy (Max proofs in it).
// A zero until means Window from now.
func (m *Memory) UseFor(_ context.Context, holder, jkt, jti string, until time.Time) error {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	t := now()
	if until.IsZero() {
		until = t.Add(m.Window)
	}
	m.seed()
	key, who := m.keyOf(jkt, jti), maphash.String(m.seeds[2], holder)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rotate(t)
	if _, ok := m.cur.seen[key]; ok {
		return ErrReplay
	}
	if _, ok := m.prev.seen[key]; ok {
		return ErrReplay
	}
	if int(m.cur.holders[who]) >= m.perHolder() {
		return &TooManyError{RetryAfter: max(m.freeAt().Sub(t), time.Second)}
	}
	if len(m.cur.seen) >= m.Max {
		return ErrBusy
	}
	m.cur.seen[key] = struct{}{}
	m.cur.holders[who]++
	if until.After(m.cur.until) {
		m.cur.until = until
	}
	return nil
}

func (m *Memory) perHolder() int {
	n := m.PerHolder
	if n <= 0 {
		n = max(m.Max/8, 1)
	}
	return min(n, math.MaxInt32) // the count's type
}

// Forget drops the proof jkt, jti, so that it is taken again: for a
// caller whose shared record of the proof failed, which must not leave
// this replica refusing the client's retry as a replay. The proof still
// counts in its holder's share until its generation goes.
func (m *Memory) Forget(jkt, jti string) {
	m.seed()
	key := m.keyOf(jkt, jti)
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.cur.seen, key)
	delete(m.prev.seen, key)
}

// seed draws the Memory's hash seeds, once.
func (m *Memory) seed() {
	m.seedOnce.Do(func() {
		m.seeds = [3]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed(), maphash.MakeSeed()}
	})
}

// keyOf hashes jkt's length, jkt and jti with two seeds.
func (m *Memory) keyOf(jkt, jti string) replayKey {
	var k replayKey
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(jkt)))
	for i := range 2 {
		var h maphash.Hash
		h.SetSeed(m.seeds[i])
		h.Write(n[:])
		h.WriteString(jkt)
		h.WriteString(jti)
		binary.LittleEndian.PutUint64(k[8*i:], h.Sum64())
	}
	return k
}

// rotate starts a new generation once the current one is Window old and
// the previous one is gone, and drops the previous one once all its
// proofs are past their until. A clock stepped back restarts the current
// generation's age rather than drop anything.
func (m *Memory) rotate(now time.Time) {
	if m.cur.seen == nil {
		m.cur = newGeneration(now)
	}
	if now.Before(m.cur.start) {
		m.cur.start = now
	}
	if m.prev.seen != nil && now.After(m.prev.until) {
		m.prev = generation{}
	}
	if m.prev.seen == nil && now.Sub(m.cur.start) >= m.Window {
		m.prev, m.cur = m.cur, newGeneration(now)
		if now.After(m.prev.until) {
			m.prev = generation{}
		}
	}
}

// freeAt is when the current generation will be replaced, so that a
// holder past its share may send proofs again: a Window after it began,
// or once the previous one can go, whichever is later.
func (m *Memory) freeAt() time.Time {
	at := m.cur.start.Add(m.Window)
	if m.prev.seen != nil && m.prev.until.After(at) {
		at = m.prev.until
	}
	return at
}
