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
	// now was read before the caller's lock, so calls may arrive out of
	// order: last only moves forward, or time would be counted twice.
	switch {
	case b.last.IsZero():
		b.tokens, b.last = float64(burst), now
	case now.After(b.last):
		b.tokens = math.Min(float64(burst), b.tokens+now.Sub(b.last).Seconds()*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// remaining is the whole tokens left.
func (b *bucket) remaining() int64 { return int64(b.tokens) }
