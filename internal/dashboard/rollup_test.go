package dashboard

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/token"
	"github.com/mintauth/mint/oauth"
)

// clock is a settable clock for a Rollup.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func newTestRollup(cfg Config) (*Rollup, *clock) {
	c := &clock{t: t0}
	cfg.Now = c.now
	return New(cfg), c
}

// sumPoints adds the series' points minute by minute.
func sumPoints(minutes int, ss ...Series) []uint64 {
	out := make([]uint64, minutes)
	for _, s := range ss {
		for i, p := range s.Points {
			out[i] += p
		}
	}
	return out
}

// TestTotalsEqualEventsFed: whatever the mix of clients, APIs, reuse and
// refusals over several minutes, every chart's minute adds up to what was
// fed in that minute: tokens, tokens by API (with "other"), tokens by
// client (with "other"), refusals by reason, limits hit.
func TestTotalsEqualEventsFed(t *testing.T) {
	for _, tc := range []struct {
		name            string
		clients, topN   int
		events, minutes int
	}{
		{"few clients", 5, 100, 3000, 5},
		{"clients past the sketch", 5000, 20, 20000, 7},
		{"one client", 1, 1, 500, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, clk := newTestRollup(Config{Minutes: 30, TopN: tc.topN})
			rnd := rand.New(rand.NewPCG(1, uint64(tc.clients)))
			zipf := rand.NewZipf(rnd, 1.2, 1, uint64(tc.clients-1))
			tokens := make([]uint64, tc.minutes)
			reasons := make([]map[string]uint64, tc.minutes)
			limits := make([]map[string]uint64, tc.minutes)
			codes := append([]string{"made_up_code"}, Reasons...)
			for i := range tc.events {
				m := i * tc.minutes / tc.events
				clk.set(t0.Add(time.Duration(m)*time.Minute + time.Duration(i%60)*time.Second))
				if reasons[m] == nil {
					reasons[m], limits[m] = map[string]uint64{}, map[string]uint64{}
				}
				switch rnd.IntN(10) {
				case 0, 1:
					code := codes[rnd.IntN(len(codes))]
					r.ObserveToken(context.Background(), token.Outcome{Err: &oauth.Error{Code: code}})
					if code == "made_up_code" {
						code = ReasonOther
					}
					reasons[m][code]++
				case 2:
					l := Limits[rnd.IntN(len(Limits))]
					r.LimitHit(l)
					limits[m][l]++
				default:
					c := zipf.Uint64()
					r.ObserveToken(context.Background(), token.Outcome{ClientID: fmt.Sprintf("client-%d", c),
						Audience: fmt.Sprintf("https://api-%d", c%7), Reused: rnd.IntN(3) == 0})
					tokens[m]++
				}
			}
			s := r.Snapshot(tc.minutes, 5)
			got := map[string][]uint64{
				"tokens":           sumPoints(tc.minutes, s.Tokens...),
				"tokens by API":    sumPoints(tc.minutes, s.APIs...),
				"tokens by client": sumPoints(tc.minutes, s.Clients...),
			}
			for what, perMinute := range got {
				for m, want := range tokens {
					if perMinute[m] < want || (what == "tokens" && perMinute[m] != want) {
						t.Errorf("%s, minute %d: %d, want %d", what, m, perMinute[m], want)
					}
				}
			}
			checkNamed(t, "refusals", s.Refusals, reasons)
			checkNamed(t, "limits", s.Limits, limits)
			if len(s.Clients) > 6 || len(s.APIs) > 6 {
				t.Errorf("%d client and %d API series, want at most 5 and other", len(s.Clients), len(s.APIs))
			}
		})
	}
}

func checkNamed(t *testing.T, what string, got []Series, want []map[string]uint64) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range got {
		seen[s.Name] = true
		for m, n := range s.Points {
			if n != want[m][s.Name] {
				t.Errorf("%s %s, minute %d: %d, want %d", what, s.Name, m, n, want[m][s.Name])
			}
		}
	}
	for m := range want {
		for name, n := range want[m] {
			if n > 0 && !seen[name] {
				t.Errorf("%s: no series %s (%d in minute %d)", what, name, n, m)
			}
		}
	}
}

// TestTopNBoundedHeavyHitterKept: 20,000 distinct clients in one minute,
// one of them taking a fifth of the tokens. The bucket holds at most TopN
// clients, the heavy hitter among them with a count between its true one
// and that plus its error, and it tops the chart by name; so does every
// client above total/TopN (the space-saving guarantee).
func TestTopNBoundedHeavyHitterKept(t *testing.T) {
	const topN, strangers = 50, 20000
	r, _ := newTestRollup(Config{Minutes: 10, TopN: topN})
	rnd := rand.New(rand.NewPCG(7, 7))
	var heavy, medium, total uint64
	for i := range strangers {
		r.Token(fmt.Sprintf("stranger-%d", i), "https://api", false)
		total++
		if rnd.IntN(4) == 0 {
			r.Token("heavy", "https://api", false)
			heavy++
			total++
		}
		if i%20 == 0 {
			r.Token("medium", "https://api", true)
			medium++
			total++
		}
	}
	b := &r.buckets[unixMinute(t0)%10]
	if n := len(b.clients.keys); n > topN {
		t.Fatalf("the bucket holds %d clients, bound %d", n, topN)
	}
	if medium <= total/topN {
		t.Fatalf("test setup: medium (%d) is not above total/TopN (%d)", medium, total/topN)
	}
	s := r.Snapshot(1, 3)
	if s.Clients[0].Name != "heavy" {
		t.Fatalf("top client %q, want heavy", s.Clients[0].Name)
	}
	if c := s.Clients[0]; c.Total < heavy || c.Total > heavy+c.Error {
		t.Errorf("heavy counted %d (error %d), true %d", c.Total, c.Error, heavy)
	}
	var found bool
	for _, c := range s.Clients {
		found = found || c.Name == "medium"
	}
	if !found {
		t.Errorf("medium (%d of %d tokens, above total/TopN) is not among %v", medium, total, names(s.Clients))
	}
}

func names(ss []Series) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

// TestBucketRotation: counts land in the minute of the clock, a new minute
// starts from zero in its own bucket, a bucket is reused once the ring has
// gone round, and a count for a minute older than the ring is dropped
// rather than added to a newer minute's.
func TestBucketRotation(t *testing.T) {
	r, clk := newTestRollup(Config{Minutes: 4})
	clk.set(t0.Add(59*time.Second + 999*time.Millisecond))
	r.Token("a", "x", false)
	clk.set(t0.Add(time.Minute))
	r.Token("a", "x", false)
	r.Token("a", "x", false)
	clk.set(t0.Add(3*time.Minute + 30*time.Second))
	r.Refusal("invalid_client")
	s := r.Snapshot(4, 5)
	if got := s.Tokens[0].Points; fmt.Sprint(got) != "[1 2 0 0]" {
		t.Errorf("issued per minute %v, want [1 2 0 0]", got)
	}
	if !s.Start.Equal(t0) {
		t.Errorf("start %v, want %v", s.Start, t0)
	}
	clk.set(t0.Add(4*time.Minute + time.Second)) // minute 4 takes minute 0's bucket
	r.Token("b", "x", true)
	s = r.Snapshot(4, 5)
	if issued, reused := s.Tokens[0].Points, s.Tokens[1].Points; fmt.Sprint(issued, reused) != "[2 0 0 0] [0 0 0 1]" {
		t.Errorf("after a turn of the ring: issued %v reused %v, want [2 0 0 0] [0 0 0 1]", issued, reused)
	}
	if c := s.Clients; len(c) != 2 || c[0].Name != "a" || c[0].Total != 2 || c[1].Name != "b" {
		t.Errorf("clients %+v, want a (2) then b", c)
	}
	clk.set(t0) // the clock stepped back past the ring
	r.Token("late", "x", false)
	clk.set(t0.Add(4*time.Minute + 2*time.Second))
	if s := r.Snapshot(4, 5); s.Tokens[0].Total != 2 || len(s.Clients) != 2 {
		t.Errorf("a count from before the ring changed the ring: issued %d, clients %v", s.Tokens[0].Total, names(s.Clients))
	}
	clk.set(t0.Add(time.Hour))
	if s := r.Snapshot(0, 5); s.Tokens[0].Total+s.Tokens[1].Total != 0 || len(s.Refusals) != 0 {
		t.Errorf("an hour later, minutes long gone still show: %+v", s)
	}
}

// TestClockBeforeEpoch: a clock set before 1970 counts nothing and
// panics nowhere.
func TestClockBeforeEpoch(t *testing.T) {
	r, clk := newTestRollup(Config{Minutes: 10})
	for _, at := range []time.Time{time.Unix(0, 0), time.Unix(-1, 0), time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)} {
		clk.set(at)
		r.Token("a", "x", false)
		r.Refusal("invalid_client")
		r.LimitHit("rate")
		r.SampleLifetimes([]LifetimeRate{{"a", "x", 5}})
		if s := r.Snapshot(0, 5); s.Tokens[0].Total != 0 || len(s.Refusals)+len(s.Limits)+len(s.Lifetimes) != 0 {
			t.Errorf("at %v: counted %+v", at, s)
		}
	}
}

// TestSnapshotBounds: spans and tops out of range are brought within it.
func TestSnapshotBounds(t *testing.T) {
	r, _ := newTestRollup(Config{Minutes: 10})
	r.Token("a", "x", false)
	for _, tc := range []struct{ minutes, top, wantMinutes, wantClients int }{
		{0, 5, 10, 1}, {-3, 5, 10, 1}, {1 << 40, 5, 10, 1}, {3, 0, 3, 1}, {3, -7, 3, 1},
	} {
		s := r.Snapshot(tc.minutes, tc.top)
		if s.Minutes != tc.wantMinutes || len(s.Tokens[0].Points) != tc.wantMinutes || len(s.Clients) != tc.wantClients {
			t.Errorf("Snapshot(%d, %d): %d minutes, clients %v", tc.minutes, tc.top, s.Minutes, names(s.Clients))
		}
		if tc.top <= 0 && s.Clients[0].Name != SeriesOther {
			t.Errorf("Snapshot(%d, %d) names %v, want only other", tc.minutes, tc.top, names(s.Clients))
		}
	}
}

// TestSampleLifetimes: a minute keeps the pairs above one token per
// lifetime, at most ReuseTop, and the series follow a pair across
// minutes.
func TestSampleLifetimes(t *testing.T) {
	r, clk := newTestRollup(Config{Minutes: 10, ReuseTop: 2})
	r.SampleLifetimes([]LifetimeRate{{"greedy", "https://a", 40}, {"eager", "https://a", 9}, {"third", "https://a", 8}})
	clk.set(t0.Add(time.Minute))
	r.SampleLifetimes([]LifetimeRate{{"greedy", "https://a", 55}, {"calm", "https://a", 1}})
	s := r.Snapshot(2, 5)
	if len(s.Lifetimes) != 2 {
		t.Fatalf("lifetime series %v, want greedy and eager", names(s.Lifetimes))
	}
	g, e := s.Lifetimes[0], s.Lifetimes[1]
	if g.Name != "greedy → https://a" || fmt.Sprint(g.Points) != "[40 55]" || g.Peak != 55 || !g.Gauge {
		t.Errorf("greedy: %+v", g)
	}
	if e.Name != "eager → https://a" || fmt.Sprint(e.Points) != "[9 0]" {
		t.Errorf("eager: %+v", e)
	}
}

// TestConcurrentTotals: goroutines recording at once lose no count (run
// with -race).
func TestConcurrentTotals(t *testing.T) {
	r, _ := newTestRollup(Config{Minutes: 5, TopN: 10})
	const workers, each = 4, 5000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r.Token(fmt.Sprintf("c-%d-%d", w, i%50), "https://api", i%2 == 0)
				r.Refusal("invalid_client")
			}
		})
	}
	wg.Wait()
	s := r.Snapshot(1, 3)
	if got := s.Tokens[0].Total + s.Tokens[1].Total; got != workers*each {
		t.Errorf("tokens %d, want %d", got, workers*each)
	}
	if got := sumPoints(1, s.Clients...)[0]; got != workers*each {
		t.Errorf("tokens by client add up to %d, want %d", got, workers*each)
	}
	if len(s.Refusals) != 1 || s.Refusals[0].Total != workers*each {
		t.Errorf("refusals %+v, want %d invalid_client", s.Refusals, workers*each)
	}
}

// TestRecordingDoesNotAllocate: recording an outcome allocates nothing,
// a key new to a full sketch included, so the token path keeps its pinned
// allocations (internal/token TestIssueAllocations).
func TestRecordingDoesNotAllocate(t *testing.T) {
	r, _ := newTestRollup(Config{Minutes: 5, TopN: 8})
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("client-%d", i)
	}
	refusal := &oauth.Error{Code: "invalid_scope"}
	i := 0
	got := testing.AllocsPerRun(2000, func() {
		i++
		r.ObserveToken(context.Background(), token.Outcome{ClientID: ids[i%len(ids)], Audience: ids[i%13]})
		r.ObserveToken(context.Background(), token.Outcome{Err: refusal})
		r.LimitHit("rate")
	})
	if got != 0 {
		t.Errorf("%v allocations per outcome recorded, want 0", got)
	}
}

// TestSketchIndexSurvivesChurn: after many evictions (tombstones, index
// rebuilds) every key held is found again by add, never held twice.
func TestSketchIndexSurvivesChurn(t *testing.T) {
	s := newSketch(16)
	rnd := rand.New(rand.NewPCG(3, 3))
	for range 50000 {
		s.add(fmt.Sprintf("k%d", rnd.IntN(200)), 1)
	}
	seen := map[string]bool{}
	for _, k := range s.keys {
		if seen[k] {
			t.Fatalf("key %q held twice", k)
		}
		seen[k] = true
	}
	var sum uint64
	for i := range s.keys {
		sum += s.counts[i]
	}
	if sum != 50000 {
		t.Errorf("counts add up to %d, want 50000 (space-saving keeps the sum)", sum)
	}
	for i, k := range s.keys {
		c := s.counts[i]
		s.add(k, 1)
		if s.counts[i] != c+1 {
			t.Errorf("%q: add did not find the key held", k)
		}
	}
}

// BenchmarkRecord is the cost of counting one token, for few clients
// (every one held) and for 100,000 (each new to a full sketch: the scan
// for the smallest count).
func BenchmarkRecord(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			r := New(Config{})
			ids := make([]string, n)
			for i := range ids {
				ids[i] = fmt.Sprintf("client-%d", i)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.Token(ids[i%n], "https://api.test", false)
				i++
			}
		})
	}
}
