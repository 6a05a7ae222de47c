package ratelimit

import (
	"math"
	"time"
)

// bucket is a token bucket: it holds up to burst, refills at rate per
// second, and each request takes one. The zero value is full on first use.
type bucket struct {
	tokens float64
	last   time.Time
}

// take takes one token at now if there is one. Otherwise it reports how
// long until there is one.
func (b *bucket) take(now time.Time, rate float64, burst int) (ok bool, wait time.Duration) {
	if b.last.IsZero() {
		b.tokens = float64(burst)
	} else if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(float64(burst), b.tokens+elapsed*rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// remaining is the whole tokens left.
func (b *bucket) remaining() int64 { return int64(b.tokens) }
