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
	// tracked bounds the pairs counted at once (see Issued); 0 is
	// unbounded.
	tracked int

	mu    sync.RWMutex
	pairs map[pair]*window
}

// DefaultTracked is how many client and audience pairs a Lifetimes counts
// at once when New is not told (4 × DefaultMaxClients): about 250 bytes
// each, 1 MB in all, whatever the number of clients.
const DefaultTracked = 4 * DefaultMaxClients

// evictionSample is how many tracked pairs a new pair's arrival looks at,
// when the table is full, to give up the one with the fewest tokens.
const evictionSample = 8

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

// NewLifetimes returns an empty Lifetimes counting at most DefaultTracked
// pairs at once; maxWindow zero means DefaultMaxWindow, now nil means
// time.Now.
func NewLifetimes(maxWindow time.Duration, now func() time.Time) *Lifetimes {
	if maxWindow <= 0 {
		maxWindow = DefaultMaxWindow
	}
	if now == nil {
		now = time.Now
	}
	return &Lifetimes{max: maxWindow, now: now, start: now(), tracked: DefaultTracked, pairs: map[pair]*window{}}
}

// Issued counts one token issued to client for audience, valid for
// lifetime.
//
// At most tracked pairs are counted at once. A pair not counted yet, when
// they all are, takes the place of the one with the fewest tokens in its
// window among evictionSample of them picked at random (the map's own
// random iteration order), whose count is forgotten. So memory and the
// work per token are bounded whatever the number of clients, and a client
// taking many tokens — the one the gauge is for — keeps its count: it is
// given up only if every pair sampled with it has more. A pair given up
// and back later counts again from then: the gauge may understate, never
// overstate. Pairs with no token in their window are forgotten at each
// scrape (All).
func (l *Lifetimes) Issued(client, audience string, lifetime time.Duration) {
	k := pair{client, audience}
	l.mu.RLock()
	w := l.pairs[k]
	l.mu.RUnlock()
	now := l.now()
	if w == nil {
		w = l.track(k, now)
	}
	w.mu.Lock()
	w.add(now, lifetime, l.max, l.start)
	w.mu.Unlock()
}

// track returns k's window, making one if another goroutine has not. The
// unlock is deferred: a panic here once left l.mu locked, and every token
// request and scrape after it waited forever.
func (l *Lifetimes) track(k pair, now time.Time) *window {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.pairs[k]
	if w == nil {
		w = l.room(now)
		l.pairs[k] = w
	}
	return w
}

// room makes room for a new pair and returns its window: past tracked
// pairs, it first gives one up. l.mu is held.
func (l *Lifetimes) room(now time.Time) *window {
	if l.tracked <= 0 || len(l.pairs) < l.tracked {
		return &window{}
	}
	var (
		victim pair
		found  bool
		fewest uint64
		seen   int
		r      PairRate
	)
	for k, w := range l.pairs {
		w.mu.Lock()
		w.rate(now, &r)
		w.mu.Unlock()
		if !found || r.Tokens < fewest {
			victim, found, fewest = k, true, r.Tokens
		}
		if seen++; seen == evictionSample || fewest == 0 {
			break
		}
	}
	// A new window, not the victim's emptied: a token being counted for the
	// victim right now (it looked its window up before this) must not land
	// in the new pair's count.
	delete(l.pairs, victim)
	return &window{}
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

// rate fills in r's count and the windows it covers at now. A window
// that has counted nothing yet has no width: Issued puts a new pair's
// window in the map before counting its first token, and another new
// pair's room may sample it in between.
func (w *window) rate(now time.Time, r *PairRate) {
	if w.width == 0 {
		r.Tokens, r.Lifetime, r.Window = 0, 0, 0
		return
	}
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

// Top returns the n pairs with the most tokens in their window, most
// first (ties by client and audience, so that calls agree), forgetting
// the pairs with none; n ≤ 0 returns every pair counted.
func (l *Lifetimes) Top(n int) []PairRate {
	pairs := l.All()
	slices.SortFunc(pairs, func(a, b PairRate) int {
		if c := cmp.Compare(b.Tokens, a.Tokens); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.Audience, b.Audience))
	})
	if n > 0 && len(pairs) > n {
		pairs = pairs[:n]
	}
	return pairs
}

// OfClient returns client's pairs that are counted, one per audience it
// took a token for recently.
func (l *Lifetimes) OfClient(client string) []PairRate {
	now := l.now()
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []PairRate
	for k, w := range l.pairs {
		if k.client != client {
			continue
		}
		r := PairRate{ClientID: k.client, Audience: k.audience}
		w.mu.Lock()
		w.rate(now, &r)
		w.mu.Unlock()
		if r.Tokens > 0 {
			out = append(out, r)
		}
	}
	return out
}

// Collect implements prometheus.Collector: one gauge per pair with a token
// in its window, the others forgotten. With maxSeries set, only the
// maxSeries pairs with the highest values are exported (ties broken by
// client and audience, so that scrapes agree): those are the clients an
// alert on this gauge looks for, and 100k active clients must not make
// 100k series. A scrape reads at most tracked pairs.
func (l *Lifetimes) Collect(ch chan<- prometheus.Metric) {
	for _, p := range l.Top(l.maxSeries) {
		ch <- prometheus.MustNewConstMetric(tokensPerLifetimeDesc, prometheus.GaugeValue, float64(p.Tokens), p.ClientID, p.Audience)
	}
}
