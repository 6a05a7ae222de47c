package metrics

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mintauth/mint"
)

// DefaultMaxWindow bounds the window of mint_tokens_per_lifetime.
const DefaultMaxWindow = time.Hour

// slots is how many counters each window is kept in.
const slots = 12

var tokensPerLifetimeDesc = prometheus.NewDesc("mint_tokens_per_lifetime",
	"Tokens issued to the client for the audience during the last token lifetime (counted over at most the last hour and scaled to a lifetime). Far above 1: the client does not reuse its tokens.",
	[]string{"client_id", "audience"}, nil)

// Lifetimes counts, for each client and audience, the tokens issued during
// the last token lifetime: the gauge mint_tokens_per_lifetime. It is a
// prometheus.Collector, safe for concurrent use.
//
// Each pair keeps 12 counters, one per twelfth of its window; a scrape
// sums them. The window is the API's token lifetime, or MaxWindow when the
// lifetime is longer, in which case the count is scaled up to a lifetime (a
// 24 h token counted over the last hour is multiplied by 24). The sum
// covers the last window to within a twelfth of it (between 11/12 and all
// of it), at 12 integers per pair whatever the rate. In the first window
// after mint starts it covers only the time since the start, and so
// understates. A pair with no token in its window is dropped at a scrape,
// so the series are those of clients that took a token recently.
type Lifetimes struct {
	max time.Duration
	now func() time.Time
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
	width    int64   // nanoseconds per slot
	scale    float64 // lifetime / window
	counts   [slots]uint64
	last     int64 // the newest slot: Unix nanoseconds / width
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
	return &Lifetimes{max: maxWindow, now: now, pairs: map[pair]*window{}}
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
	w.add(now, lifetime, l.max)
	w.mu.Unlock()
}

// PerLifetime returns the gauge's value for client and audience.
func (l *Lifetimes) PerLifetime(client, audience string) float64 {
	l.mu.RLock()
	w := l.pairs[pair{client, audience}]
	l.mu.RUnlock()
	if w == nil {
		return 0
	}
	now := l.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.value(now)
}

func (w *window) add(now time.Time, lifetime, maxWindow time.Duration) {
	if lifetime <= 0 {
		lifetime = mint.DefaultTokenLifetime
	}
	if lifetime != w.lifetime { // new, or the API's lifetime changed
		span := min(lifetime, maxWindow)
		w.lifetime, w.width, w.scale = lifetime, max(int64(span/slots), 1), float64(lifetime)/float64(span)
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

func (w *window) value(now time.Time) float64 {
	w.advance(now)
	var n uint64
	for _, c := range w.counts {
		n += c
	}
	return float64(n) * w.scale
}

// Describe implements prometheus.Collector.
func (l *Lifetimes) Describe(ch chan<- *prometheus.Desc) { ch <- tokensPerLifetimeDesc }

// PairRate is one pair's mint_tokens_per_lifetime.
type PairRate struct {
	ClientID, Audience string
	PerLifetime        float64
}

// All returns the value of every pair with a token in its window, and
// forgets the others.
func (l *Lifetimes) All() []PairRate {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]PairRate, 0, len(l.pairs))
	for k, w := range l.pairs {
		w.mu.Lock()
		v := w.value(now)
		w.mu.Unlock()
		if v == 0 {
			delete(l.pairs, k)
			continue
		}
		out = append(out, PairRate{ClientID: k.client, Audience: k.audience, PerLifetime: v})
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
			if c := cmp.Compare(b.PerLifetime, a.PerLifetime); c != 0 {
				return c
			}
			return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.Audience, b.Audience))
		})
		pairs = pairs[:l.maxSeries]
	}
	for _, p := range pairs {
		ch <- prometheus.MustNewConstMetric(tokensPerLifetimeDesc, prometheus.GaugeValue, p.PerLifetime, p.ClientID, p.Audience)
	}
}
