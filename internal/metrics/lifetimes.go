package metrics

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mintauth/mint/internal/mint"
)

// DefaultMaxWindow bounds the window of mint_tokens_per_lifetime: a day
// covers the lifetime of every token but the rare longer ones, whose count
// then covers the last day only.
const DefaultMaxWindow = 24 * time.Hour

// slots is how many counters each window is kept in.
const slots = 12

var tokensPerLifetimeDesc = prometheus.NewDesc("mint_tokens_per_lifetime",
	"Tokens issued to the client for the audience during the last token lifetime (at most the last 24 hours; only since mint started when that is more recent). Far above 1: the client does not reuse its tokens.",
	[]string{"client_id", "audience"}, nil)

// Lifetimes counts, for each client and audience, the tokens issued during
// the last token lifetime: the gauge mint_tokens_per_lifetime. It is a
// prometheus.Collector, safe for concurrent use.
//
// Each pair keeps 12 counters, one per twelfth of its window; a scrape
// sums them. The window is the API's token lifetime, or MaxWindow when the
// lifetime is longer. The value is the tokens counted, never scaled: a
// count over a short window scaled up to a long lifetime (9 tokens in the
// 3 minutes since start, ×24 for a day's tokens, read "216 per lifetime")
// flags clients that took a handful of tokens. So it may understate, never
// overstate: in the first window after mint starts it covers only the time
// since the start, and a lifetime longer than MaxWindow is counted over
// MaxWindow; Window says what it covered. The sum covers the last window
// to within a twelfth of it (between 11/12 and all of it), at 12 integers
// per pair whatever the rate. A pair with no token in its window is dropped
// at a scrape, so the series are those of clients that took a token
// recently.
type Lifetimes struct {
	max   time.Duration
	now   func() time.Time
	start time.Time // counting began
	// maxSeries bounds the series Collect exports; 0 exports all.
	maxSeries int

	mu    sync.RWMutex
	pairs map[pair]*window
}

type pair struct{ client, audience string }

// window is one pair's counters.
type window struct {
	mu       sync.Mutex
	lifetime time.Duration
	span     time.Duration // the window: lifetime, at most MaxWindow
	width    int64         // nanoseconds per slot
	// since is when counting began for this lifetime: the start of
	// counting, or the lifetime's last change. A pair dropped for want of
	// tokens had none since then either, so a new window counts from the
	// start too.
	since  time.Time
	counts [slots]uint64
	last   int64 // the newest slot: Unix nanoseconds / width
}

// NewLifetimes returns an empty Lifetimes; maxWindow zero means
// DefaultMaxWindow, now nil means time.Now.
func NewLifetimes(maxWindow time.Duration, now func() time.Time) *Lifetimes {
	if maxWindow <= 0 {
		maxWindow = DefaultMaxWindow
	}
	if now == nil {
		now = time.Now
	}
	return &Lifetimes{max: maxWindow, now: now, start: now(), pairs: map[pair]*window{}}
}

// Issued counts one token issued to client for audience, valid for
// lifetime.
func (l *Lifetimes) Issued(client, audience string, lifetime time.Duration) {
	k := pair{client, audience}
	l.mu.RLock()
	w := l.pairs[k]
	l.mu.RUnlock()
	if w == nil {
		l.mu.Lock()
		if w = l.pairs[k]; w == nil {
			w = &window{}
			l.pairs[k] = w
		}
		l.mu.Unlock()
	}
	now := l.now()
	w.mu.Lock()
	w.add(now, lifetime, l.max, l.start)
	w.mu.Unlock()
}

// Tokens returns client's count for audience: the gauge's value, with the
// window it covers.
func (l *Lifetimes) Tokens(client, audience string) PairRate {
	l.mu.RLock()
	w := l.pairs[pair{client, audience}]
	l.mu.RUnlock()
	r := PairRate{ClientID: client, Audience: audience}
	if w == nil {
		return r
	}
	now := l.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rate(now, &r)
	return r
}

func (w *window) add(now time.Time, lifetime, maxWindow time.Duration, start time.Time) {
	if lifetime <= 0 {
		lifetime = mint.DefaultTokenLifetime
	}
	if lifetime != w.lifetime { // new, or the API's lifetime changed
		if w.lifetime == 0 {
			w.since = start
		} else {
			w.since = now
		}
		w.lifetime, w.span = lifetime, min(lifetime, maxWindow)
		w.width = max(int64(w.span/slots), 1)
		w.counts, w.last = [slots]uint64{}, now.UnixNano()/w.width
	}
	w.advance(now)
	w.counts[w.last%slots]++
}

// advance moves the newest slot to now, emptying the slots it passes.
func (w *window) advance(now time.Time) {
	s := now.UnixNano() / w.width
	switch {
	case s <= w.last: // the same slot, or the clock went back
		return
	case s-w.last >= slots:
		w.counts = [slots]uint64{}
	default:
		for i := w.last + 1; i <= s; i++ {
			w.counts[i%slots] = 0
		}
	}
	w.last = s
}

// rate fills in r's count and the windows it covers at now.
func (w *window) rate(now time.Time, r *PairRate) {
	w.advance(now)
	r.Tokens = 0
	for _, c := range w.counts {
		r.Tokens += c
	}
	r.Lifetime, r.Window = w.lifetime, min(w.span, max(now.Sub(w.since), 0))
}

// Describe implements prometheus.Collector.
func (l *Lifetimes) Describe(ch chan<- *prometheus.Desc) { ch <- tokensPerLifetimeDesc }

// PairRate is one pair's mint_tokens_per_lifetime.
type PairRate struct {
	ClientID, Audience string
	// Tokens is how many the client took during Window: the gauge.
	Tokens uint64
	// Window is the time counted: the last token lifetime, or less when
	// mint started more recently or the lifetime is longer than the
	// longest window.
	Window time.Duration
	// Lifetime is the API's token lifetime.
	Lifetime time.Duration
}

// All returns the value of every pair with a token in its window, and
// forgets the others.
func (l *Lifetimes) All() []PairRate {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]PairRate, 0, len(l.pairs))
	for k, w := range l.pairs {
		r := PairRate{ClientID: k.client, Audience: k.audience}
		w.mu.Lock()
		w.rate(now, &r)
		w.mu.Unlock()
		if r.Tokens == 0 {
			delete(l.pairs, k)
			continue
		}
		out = append(out, r)
	}
	return out
}

// Collect implements prometheus.Collector: one gauge per pair with a token
// in its window, the others forgotten. With maxSeries set, only the
// maxSeries pairs with the highest values are exported (ties broken by
// client and audience, so that scrapes agree): those are the clients an
// alert on this gauge looks for, and 100k active clients must not make
// 100k series.
func (l *Lifetimes) Collect(ch chan<- prometheus.Metric) {
	pairs := l.All()
	if l.maxSeries > 0 && len(pairs) > l.maxSeries {
		slices.SortFunc(pairs, func(a, b PairRate) int {
			if c := cmp.Compare(b.Tokens, a.Tokens); c != 0 {
				return c
			}
			return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.Audience, b.Audience))
		})
		pairs = pairs[:l.maxSeries]
	}
	for _, p := range pairs {
		ch <- prometheus.MustNewConstMetric(tokensPerLifetimeDesc, prometheus.GaugeValue, float64(p.Tokens), p.ClientID, p.Audience)
	}
}
