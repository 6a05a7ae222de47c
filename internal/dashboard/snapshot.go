package dashboard

import (
	"cmp"
	"slices"
	"time"
)

// Snapshot is what a Rollup counted over a span of minutes, oldest
// first, the current (partial) minute last.
type Snapshot struct {
	// Start is the first minute's start; every series has Minutes points.
	Start   time.Time
	Minutes int
	// Tokens are the tokens answered: Issued (signed) and Reused.
	Tokens []Series
	// APIs and Clients are the tokens of the top APIs and clients over the
	// span, then the rest as Other.
	APIs, Clients []Series
	// Refusals by error code, and per-client Limits hit; only the codes
	// and limits counted at least once.
	Refusals, Limits []Series
	// Lifetimes are the tokens per token lifetime of the pairs sampled
	// with the highest values over the span: a gauge, not a count.
	Lifetimes []Series
}

// Series is one line of a chart.
type Series struct {
	Name   string
	Points []uint64
	// Total is the sum of Points; Peak their highest.
	Total, Peak uint64
	// Error is how much a sketch may overstate Total (space-saving's
	// error); 0 for exact counts.
	Error uint64
	// Gauge: the points are a level sampled each minute, not counts;
	// Total is then 0.
	Gauge bool
}

// Latest is the last point: the current minute's.
func (s Series) Latest() uint64 {
	if len(s.Points) == 0 {
		return 0
	}
	return s.Points[len(s.Points)-1]
}

// Names of the series that are not a key counted.
const (
	SeriesIssued = "issued"
	SeriesReused = "reused"
	SeriesOther  = "other"
)

// copied is one bucket read under its lock.
type copied struct {
	issued, reused uint64
	refusals       [nReasons]uint64
	limits         [nLimits]uint64
	apis, clients  []keyCount
	lifetimes      []LifetimeRate
}

type keyCount struct {
	key        string
	count, err uint64
}

// Snapshot reads the last minutes (at most the ring's length; 0 means all
// of it), naming the top APIs, clients and lifetime pairs (0: none, every
// token under Other).
func (r *Rollup) Snapshot(minutes, top int) Snapshot {
	if minutes <= 0 || minutes > len(r.buckets) {
		minutes = len(r.buckets)
	}
	top = max(top, 0)
	now := unixMinute(r.now())
	first := now - int64(minutes) + 1
	cs := make([]copied, minutes)
	for i := range cs {
		r.copyMinute(first+int64(i), &cs[i])
	}
	s := Snapshot{Start: time.Unix(first*60, 0).UTC(), Minutes: minutes}
	s.Tokens = []Series{
		series(SeriesIssued, cs, func(c *copied) uint64 { return c.issued }),
		series(SeriesReused, cs, func(c *copied) uint64 { return c.reused }),
	}
	for i, name := range Reasons {
		if v := series(name, cs, func(c *copied) uint64 { return c.refusals[i] }); v.Total > 0 {
			s.Refusals = append(s.Refusals, v)
		}
	}
	for i, name := range Limits {
		if v := series(name, cs, func(c *copied) uint64 { return c.limits[i] }); v.Total > 0 {
			s.Limits = append(s.Limits, v)
		}
	}
	total := func(c *copied) uint64 { return c.issued + c.reused }
	s.APIs = topSeries(cs, top, total, func(c *copied) []keyCount { return c.apis })
	s.Clients = topSeries(cs, top, total, func(c *copied) []keyCount { return c.clients })
	s.Lifetimes = lifetimeSeries(cs, top)
	return s
}

// copyMinute copies minute m's bucket into c, if the ring holds it.
func (r *Rollup) copyMinute(m int64, c *copied) {
	if m <= 0 {
		return
	}
	b := &r.buckets[m%int64(len(r.buckets))]
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.minute != m {
		return
	}
	c.issued, c.reused, c.refusals, c.limits = b.issued, b.reused, b.refusals, b.limits
	c.apis, c.clients = b.apis.copy(), b.clients.copy()
	c.lifetimes = slices.Clone(b.lifetimes)
}

func (s *sketch) copy() []keyCount {
	out := make([]keyCount, 0, len(s.keys))
	s.each(func(k string, n, e uint64) { out = append(out, keyCount{k, n, e}) })
	return out
}

func series(name string, cs []copied, v func(*copied) uint64) Series {
	s := Series{Name: name, Points: make([]uint64, len(cs))}
	for i := range cs {
		s.add(i, v(&cs[i]))
	}
	return s
}

func (s *Series) add(i int, n uint64) {
	s.Points[i] += n
	s.Total += n
	s.Peak = max(s.Peak, s.Points[i])
}

// topSeries is a series for each of the top keys by tokens over the span,
// the highest first, and one for the rest (Other: the total less the
// series shown, never below zero), when there is a rest.
func topSeries(cs []copied, top int, total func(*copied) uint64, keys func(*copied) []keyCount) []Series {
	sums := map[string]uint64{}
	for i := range cs {
		for _, kc := range keys(&cs[i]) {
			sums[kc.key] += kc.count
		}
	}
	names := make([]string, 0, len(sums))
	for k := range sums {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(sums[b], sums[a]), cmp.Compare(a, b)) })
	names = names[:min(top, len(names))]
	out := make([]Series, len(names))
	at := make(map[string]int, len(names))
	for i, n := range names {
		out[i] = Series{Name: n, Points: make([]uint64, len(cs))}
		at[n] = i
	}
	other := Series{Name: SeriesOther, Points: make([]uint64, len(cs))}
	for i := range cs {
		shown := uint64(0)
		for _, kc := range keys(&cs[i]) {
			if j, ok := at[kc.key]; ok {
				out[j].add(i, kc.count)
				out[j].Error += kc.err
				shown += kc.count
			}
		}
		if t := total(&cs[i]); t > shown {
			other.add(i, t-shown)
		}
	}
	if other.Total > 0 {
		out = append(out, other)
	}
	return out
}

// lifetimeSeries is a series for each of the top client and audience
// pairs by their highest sampled value, named "client → audience".
func lifetimeSeries(cs []copied, top int) []Series {
	type pair struct{ client, audience string }
	peaks := map[pair]uint64{}
	for i := range cs {
		for _, l := range cs[i].lifetimes {
			p := pair{l.ClientID, l.Audience}
			peaks[p] = max(peaks[p], l.Tokens)
		}
	}
	pairs := make([]pair, 0, len(peaks))
	for p := range peaks {
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		return cmp.Or(cmp.Compare(peaks[b], peaks[a]), cmp.Compare(a.client, b.client), cmp.Compare(a.audience, b.audience))
	})
	pairs = pairs[:min(top, len(pairs))]
	out := make([]Series, len(pairs))
	for j, p := range pairs {
		out[j] = Series{Name: p.client + " → " + p.audience, Points: make([]uint64, len(cs)), Gauge: true}
		for i := range cs {
			for _, l := range cs[i].lifetimes {
				if l.ClientID == p.client && l.Audience == p.audience {
					out[j].Points[i] = l.Tokens
					out[j].Peak = max(out[j].Peak, l.Tokens)
				}
			}
		}
	}
	return out
}
