package dashboard

import (
	"context"
	"sync"
	"time"

	"github.com/mintauth/mint/internal/token"
)

// Defaults of Config.
const (
	DefaultMinutes  = 360 // six hours
	DefaultTopN     = 100
	DefaultReuseTop = 10
	// MaxTopN bounds Config.TopN: the scan that finds a sketch's smallest
	// count is TopN long.
	MaxTopN = 1000
)

// Config sizes a Rollup.
type Config struct {
	// Minutes is how many one-minute buckets are kept; 0 means
	// DefaultMinutes.
	Minutes int
	// TopN bounds the APIs and the clients each bucket counts (see
	// sketch); 0 means DefaultTopN.
	TopN int
	// ReuseTop is how many client and audience pairs SampleLifetimes keeps
	// a minute; 0 means DefaultReuseTop.
	ReuseTop int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Rollup counts the token endpoint's outcomes per minute over the last
// Config.Minutes. It is safe for concurrent use; its memory is fixed at
// New.
type Rollup struct {
	now      func() time.Time
	buckets  []bucket
	reuseTop int
}

// bucket is one minute's counts.
type bucket struct {
	mu       sync.Mutex
	minute   int64 // the Unix minute counted; 0 before the first count
	issued   uint64
	reused   uint64
	refusals [nReasons]uint64
	limits   [nLimits]uint64
	apis     sketch
	clients  sketch
	// lifetimes are the pairs with the most tokens per lifetime, sampled
	// once in the minute (SampleLifetimes).
	lifetimes []LifetimeRate
}

// LifetimeRate is one client's tokens for one API during the last token
// lifetime (metrics.PairRate).
type LifetimeRate struct {
	ClientID, Audience string
	Tokens             uint64
}

// New makes a Rollup with all its buckets.
func New(cfg Config) *Rollup {
	cfg.Minutes = orDefault(cfg.Minutes, DefaultMinutes)
	cfg.TopN = min(orDefault(cfg.TopN, DefaultTopN), MaxTopN)
	cfg.ReuseTop = orDefault(cfg.ReuseTop, DefaultReuseTop)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Rollup{now: cfg.Now, buckets: make([]bucket, cfg.Minutes), reuseTop: cfg.ReuseTop}
	for i := range r.buckets {
		b := &r.buckets[i]
		b.apis, b.clients = newSketch(cfg.TopN), newSketch(cfg.TopN)
		b.lifetimes = make([]LifetimeRate, 0, cfg.ReuseTop)
	}
	return r
}

func orDefault(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// unixMinute is the minute t falls in.
func unixMinute(t time.Time) int64 { return t.Unix() / 60 }

// lock returns the bucket of minute m locked, emptied first if it held an
// older minute; nil if it holds a newer one (m is older than the ring),
// or if m is not after 1970's first minute (a clock gone wrong).
func (r *Rollup) lock(m int64) *bucket {
	if m <= 0 {
		return nil
	}
	b := &r.buckets[m%int64(len(r.buckets))]
	b.mu.Lock()
	if b.minute == m {
		return b
	}
	if b.minute > m {
		b.mu.Unlock()
		return nil
	}
	b.minute, b.issued, b.reused = m, 0, 0
	b.refusals, b.limits = [nReasons]uint64{}, [nLimits]uint64{}
	b.apis.reset()
	b.clients.reset()
	clear(b.lifetimes)
	b.lifetimes = b.lifetimes[:0]
	return b
}

// Token counts a token answered to clientID for audience: a new one, or
// one issued before and handed out again (reused).
func (r *Rollup) Token(clientID, audience string, reused bool) {
	b := r.lock(unixMinute(r.now()))
	if b == nil {
		return
	}
	if reused {
		b.reused++
	} else {
		b.issued++
	}
	b.apis.add(audience, 1)
	b.clients.add(clientID, 1)
	b.mu.Unlock()
}

// Refusal counts a token request answered with the error code.
func (r *Rollup) Refusal(code string) {
	if b := r.lock(unixMinute(r.now())); b != nil {
		b.refusals[reasonIndex(code)]++
		b.mu.Unlock()
	}
}

// LimitHit counts a request over a per-client limit (ratelimit.Config's
// Exceeded); a limit not in Limits is not counted.
func (r *Rollup) LimitHit(limit string) {
	i := limitIndex(limit)
	if i < 0 {
		return
	}
	if b := r.lock(unixMinute(r.now())); b != nil {
		b.limits[i]++
		b.mu.Unlock()
	}
}

// ObserveToken records one token request's outcome; it has the signature
// of token.Endpoint's Observe.
func (r *Rollup) ObserveToken(_ context.Context, o token.Outcome) {
	if o.Err != nil {
		r.Refusal(o.Err.Code)
		return
	}
	r.Token(o.ClientID, o.Audience, o.Reused)
}

// SampleLifetimes keeps, for the current minute, the first ReuseTop of
// rates (highest first, as metrics.TopTokensPerLifetime gives them) that
// took more than one token per lifetime: a client that reuses its token
// takes one. A later sample in the same minute replaces it.
func (r *Rollup) SampleLifetimes(rates []LifetimeRate) {
	b := r.lock(unixMinute(r.now()))
	if b == nil {
		return
	}
	clear(b.lifetimes)
	b.lifetimes = b.lifetimes[:0]
	for _, l := range rates {
		if l.Tokens > 1 && len(b.lifetimes) < r.reuseTop {
			b.lifetimes = append(b.lifetimes, l)
		}
	}
	b.mu.Unlock()
}
