package dpop

import (
	"context"
	"crypto/sha256"
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

// Memory is a ReplayCache in one process's memory, for one replica: a
// proof replayed to another replica is not seen (the token endpoint uses
// mint's store instead, which all replicas share). It keeps two
// generations of at most Max entries each and drops the older one every
// Window, so it holds each jti at least Window. Safe for concurrent use.
type Memory struct {
	// Window must be at least the longest time a proof stays acceptable:
	// MaxAge plus twice Leeway of the Checker using it.
	Window time.Duration
	// Max bounds each generation; beyond it Use answers ErrBusy.
	Max int
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	cur, prev map[replayKey]struct{}
	rotated   time.Time
}

// replayKey is 128 bits of the SHA-256 of a proof's key thumbprint and
// jti: a fixed 16 bytes per proof however long the jti, so that Max
// bounds the memory (about 60 bytes a proof with the map's own).
type replayKey [16]byte

func keyOf(jkt, jti string) replayKey {
	h := sha256.New()
	h.Write([]byte(jkt))
	h.Write([]byte{0})
	h.Write([]byte(jti))
	var k replayKey
	copy(k[:], h.Sum(nil))
	return k
}

var _ ReplayCache = (*Memory)(nil)

// NewMemory returns a Memory for a Checker with the default window,
// remembering up to max proofs per window.
func NewMemory(max int) *Memory {
	return &Memory{Window: DefaultMaxAge + 2*DefaultLeeway, Max: max}
}

// Use records jkt and jti, or returns ErrReplay or ErrBusy.
func (m *Memory) Use(_ context.Context, jkt, jti string, _ time.Time) error {
	key := keyOf(jkt, jti)
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rotate(now())
	if _, ok := m.cur[key]; ok {
		return ErrReplay
	}
	if _, ok := m.prev[key]; ok {
		return ErrReplay
	}
	if len(m.cur) >= m.Max {
		return ErrBusy
	}
	m.cur[key] = struct{}{}
	return nil
}

// Forget drops jkt and jti, so that the proof is taken again: for a
// caller whose shared record of the proof failed, which must not leave
// this replica refusing the client's retry as a replay.
func (m *Memory) Forget(jkt, jti string) {
	key := keyOf(jkt, jti)
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.cur, key)
	delete(m.prev, key)
}

// rotate drops the older generation once per Window; after twice the
// Window of silence both go.
func (m *Memory) rotate(now time.Time) {
	if m.cur == nil {
		m.cur, m.prev, m.rotated = map[replayKey]struct{}{}, map[replayKey]struct{}{}, now
		return
	}
	switch since := now.Sub(m.rotated); {
	case since >= 2*m.Window:
		m.cur, m.prev, m.rotated = map[replayKey]struct{}{}, map[replayKey]struct{}{}, now
	case since >= m.Window:
		m.prev, m.cur, m.rotated = m.cur, map[replayKey]struct{}{}, now
	}
}
