package storecache_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/postgres"
	"github.com/mintauth/mint/internal/storecache"
)

// gatedStore is the store with GetClient, once armed, counting its reads
// and holding each answer until gate is closed; rename, when set, replaces
// the client's name in the answers it holds, so that a test tells a
// fresh read from what the cache kept.
type gatedStore struct {
	mint.Store
	armed  atomic.Bool
	rename string
	reads  atomic.Int64
	read   chan struct{} // closed at the first armed read
	once   sync.Once
	gate   chan struct{}
}

func newGated(s mint.Store, rename string) *gatedStore {
	return &gatedStore{Store: s, rename: rename, read: make(chan struct{}), gate: make(chan struct{})}
}

func (s *gatedStore) GetClient(ctx context.Context, id string) (mint.Client, error) {
	c, err := s.Store.GetClient(ctx, id)
	if !s.armed.Load() {
		return c, err
	}
	s.reads.Add(1)
	s.once.Do(func() { close(s.read) })
	select {
	case <-s.gate:
	case <-ctx.Done():
		return mint.Client{}, ctx.Err()
	}
	if err == nil && s.rename != "" {
		c.Name = s.rename
	}
	return c, err
}

const revalidateTTL = time.Minute

// expiredSetup returns a cache over gs on backend name, listening, with
// clients ids read into it, then the clock moved past the TTL by past and
// gs armed.
func expiredSetup(t *testing.T, name string, gs func(mint.Store) *gatedStore, opts storecache.Options, past time.Duration, ids ...string) (*storecache.Store, *gatedStore, mint.Store) {
	t.Helper()
	b := openBackend(t, name)
	writer := b.Raw
	if b.Replica != nil {
		writer = b.Replica(t)
	}
	g := gs(b.Raw)
	clk := &clock{}
	clk.ns.Store(time.Now().UnixNano())
	if opts.Changes == nil {
		opts.Changes = b.Changes
	}
	opts.Now, opts.TTL = clk.now, revalidateTTL
	c := newCache(t, g, opts)
	for _, id := range ids {
		seed(t, writer, id)
	}
	waitFor(t, 5*time.Second, "the cache to listen", func() bool { return c.Stats().Watching })
	heardAll(t, c, writer) // a late notification would drop what is read below
	for _, id := range ids {
		if _, err := c.GetClient(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	g.armed.Store(true)
	clk.advance(revalidateTTL + past)
	return c, g, writer
}

// getName reads id through c, failing the test on an error; a read that
// waits for the gated store fails after 10 s instead of hanging.
func getName(t *testing.T, c *storecache.Store, id string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cl, err := c.GetClient(ctx, id)
	if err != nil {
		t.Fatalf("GetClient(%s): %v", id, err)
	}
	return cl.Name
}

// Past its TTL, with the feed listening, an entry is answered without
// waiting for the store (which holds every read here), and read again in
// the background; what that read found is then answered from memory.
func TestExpiredEntryAnsweredAndRefreshed(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			c, g, _ := expiredSetup(t, name, func(s mint.Store) *gatedStore { return newGated(s, "refreshed") },
				storecache.Options{}, time.Second, "c1")
			before := c.Stats()
			if got := getName(t, c, "c1"); got != "c1" {
				t.Fatalf("expired entry answered %q; want the kept %q", got, "c1")
			}
			<-g.read
			if s := c.Stats(); s.Refreshes != before.Refreshes+1 || s.Misses != before.Misses {
				t.Errorf("stats: %d refreshes, %d misses; want one refresh, no miss", s.Refreshes-before.Refreshes, s.Misses-before.Misses)
			}
			close(g.gate)
			c.WaitRefreshes()
			before = c.Stats()
			if got := getName(t, c, "c1"); got != "refreshed" {
				t.Fatalf("after the refresh: %q; want %q", got, "refreshed")
			}
			if s := c.Stats(); s.Loads != before.Loads || s.Refreshes != before.Refreshes || s.Hits != before.Hits+1 {
				t.Errorf("after the refresh: %+v; want a fresh hit", s)
			}
		})
	}
}

// A change heard while a refresh reads wins: the refresh's answer, read
// before the change, is not kept, and the next read sees the change.
func TestChangeDuringRefreshWins(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			c, g, writer := expiredSetup(t, name, func(s mint.Store) *gatedStore { return newGated(s, "") },
				storecache.Options{}, time.Second, "c1")
			if got := getName(t, c, "c1"); got != "c1" {
				t.Fatalf("expired entry answered %q; want %q", got, "c1")
			}
			<-g.read // the refresh has read the old row
			before := c.Stats().Invalidated
			_, err := writer.UpdateClient(t.Context(), "c1", func(cl mint.Client) (mint.Client, error) {
				cl.Name = "changed"
				return cl, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, bound, "the change to be heard", func() bool { return c.Stats().Invalidated > before })
			close(g.gate)
			c.WaitRefreshes()
			// As in TestReadRacingChangeKeepsNothingStale: the counted
			// notification may be another one of the change. A refresh
			// kept over the change would stay for the TTL, and the clock
			// does not move.
			waitFor(t, bound, "the change to reach the cache", func() bool { return getName(t, c, "c1") == "changed" })
		})
	}
}

// Many goroutines reading one expired entry make one background refresh,
// and none of them waits for it.
func TestOneRefreshForManyHits(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			c, g, _ := expiredSetup(t, name, func(s mint.Store) *gatedStore { return newGated(s, "") },
				storecache.Options{}, time.Second, "c1")
			before := c.Stats()
			const goroutines, reads = 64, 20
			var wg sync.WaitGroup
			wrong := make(chan string, goroutines*reads)
			for range goroutines {
				wg.Go(func() {
					for range reads {
						ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
						cl, err := c.GetClient(ctx, "c1")
						cancel()
						if err != nil || cl.Name != "c1" {
							wrong <- fmt.Sprint(cl.Name, err)
						}
					}
				})
			}
			wg.Wait()
			close(wrong)
			for w := range wrong {
				t.Fatalf("a read answered %s; want c1 from memory", w)
			}
			<-g.read // the refresh reads in the background: wait until it has
			if s := c.Stats(); s.Refreshes-before.Refreshes != 1 || g.reads.Load() != 1 || s.Misses != before.Misses {
				t.Errorf("%d hits: %d refreshes, %d store reads, %d misses; want 1, 1, 0", goroutines*reads,
					s.Refreshes-before.Refreshes, g.reads.Load(), s.Misses-before.Misses)
			}
			close(g.gate)
			c.WaitRefreshes()
		})
	}
}

// At MaxAge an entry is no longer answered: the read waits for the store.
func TestMaxAgeReadsThrough(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			past := (storecache.DefaultMaxAgeTTLs - 1) * revalidateTTL
			c, g, _ := expiredSetup(t, name, func(s mint.Store) *gatedStore { return newGated(s, "reread") },
				storecache.Options{}, past, "c1")
			close(g.gate)
			before := c.Stats()
			if got := getName(t, c, "c1"); got != "reread" {
				t.Fatalf("at MaxAge: %q; want the store's %q", got, "reread")
			}
			if s := c.Stats(); s.Misses != before.Misses+1 || s.Refreshes != before.Refreshes {
				t.Errorf("at MaxAge: %d misses, %d refreshes; want one miss, no refresh", s.Misses-before.Misses, s.Refreshes-before.Refreshes)
			}
		})
	}
}

// With MaxAge at most the TTL, an expired entry is read before it is
// answered, as before issue 16.
func TestMaxAgeOffReadsThrough(t *testing.T) {
	c, g, _ := expiredSetup(t, "sqlite", func(s mint.Store) *gatedStore { return newGated(s, "reread") },
		storecache.Options{MaxAge: -1}, time.Second, "c1")
	close(g.gate)
	if got := getName(t, c, "c1"); got != "reread" {
		t.Fatalf("expired, MaxAge off: %q; want the store's %q", got, "reread")
	}
	if s := c.Stats(); s.Refreshes != 0 {
		t.Errorf("%d refreshes with MaxAge off", s.Refreshes)
	}
}

// Without a Notifier the TTL is how a change is seen: an expired entry is
// read before it is answered, never refreshed behind it.
func TestNoNotifierExpiredReadsThrough(t *testing.T) {
	b := openBackend(t, "sqlite")
	g := newGated(b.Raw, "reread")
	clk := &clock{}
	clk.ns.Store(time.Now().UnixNano())
	c := newCache(t, g, storecache.Options{TTL: revalidateTTL, Now: clk.now})
	seed(t, b.Raw, "c1")
	if got := getName(t, c, "c1"); got != "c1" {
		t.Fatal(got)
	}
	g.armed.Store(true)
	close(g.gate)
	clk.advance(revalidateTTL)
	if got := getName(t, c, "c1"); got != "reread" {
		t.Fatalf("expired without a Notifier: %q; want the store's %q", got, "reread")
	}
	if s := c.Stats(); s.Refreshes != 0 {
		t.Errorf("%d refreshes without a Notifier", s.Refreshes)
	}
}

// Past the bound on refreshes running at once, an expired entry is still
// answered, its refresh left to a later hit.
func TestRefreshesBounded(t *testing.T) {
	ids := []string{"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"}
	c, g, _ := expiredSetup(t, "sqlite", func(s mint.Store) *gatedStore { return newGated(s, "") },
		storecache.Options{}, time.Second, ids...)
	before := c.Stats()
	for _, id := range ids {
		if got := getName(t, c, id); got != id {
			t.Fatalf("%s answered %q", id, got)
		}
	}
	s := c.Stats()
	started, skipped := s.Refreshes-before.Refreshes, s.RefreshesSkipped-before.RefreshesSkipped
	if started == 0 || started >= uint64(len(ids)) || started+skipped != uint64(len(ids)) || s.Misses != before.Misses {
		t.Fatalf("%d expired entries read: %d refreshes, %d skipped, %d misses; want some refreshed, the rest skipped, none missed",
			len(ids), started, skipped, s.Misses-before.Misses)
	}
	close(g.gate)
	c.WaitRefreshes()
	for _, id := range ids { // the skipped ones are refreshed now
		getName(t, c, id)
	}
	c.WaitRefreshes()
	if s2 := c.Stats(); s2.Refreshes-before.Refreshes != uint64(len(ids)) {
		t.Errorf("after a second pass: %d refreshes; want %d, one per entry", s2.Refreshes-before.Refreshes, len(ids))
	}
}

// While the feed is lost, MaxAge does not apply: the StaleBound rules do,
// as before issue 16, and nothing is refreshed.
func TestFeedLostNoRefresh(t *testing.T) {
	b := openBackend(t, "postgres")
	writer := b.Replica(t)
	proxy, dsn := throughProxy(t, lastDSN)
	ctx := t.Context()
	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	clk.ns.Store(time.Now().UnixNano())
	const staleBound = 2 * revalidateTTL
	c := newCache(t, store, storecache.Options{Changes: store, TTL: revalidateTTL, MaxAge: 10 * revalidateTTL,
		StaleBound: staleBound, Now: clk.now})
	seed(t, writer, "c1")
	warm(t, c, "c1")
	proxy.stop()
	waitFor(t, 30*time.Second, "the cache to notice the outage", func() bool { return !c.Stats().Watching })
	clk.advance(staleBound - time.Second) // past the TTL, within the bound
	before := c.Stats()
	if got := getName(t, c, "c1"); got != "c1" {
		t.Fatalf("within the stale bound: %q", got)
	}
	if s := c.Stats(); s.Stale != before.Stale+1 || s.Refreshes != 0 {
		t.Errorf("within the stale bound: %d stale, %d refreshes; want one stale answer, no refresh", s.Stale-before.Stale, s.Refreshes)
	}
	clk.advance(time.Second) // past the bound, within MaxAge
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.GetClient(rctx, "c1"); err == nil || errors.Is(err, mint.ErrNotFound) {
		t.Errorf("past the stale bound, within MaxAge, feed lost: %v; want the store's failure", err)
	}
	if s := c.Stats(); s.Refreshes != 0 {
		t.Errorf("%d refreshes while the feed was lost", s.Refreshes)
	}
}

// An expired entry answered while its refresh runs allocates nothing, as
// a fresh hit does (TestHitsDoNotAllocate): only the hit that starts the
// refresh pays for it.
func TestExpiredHitsDoNotAllocate(t *testing.T) {
	c, g, _ := expiredSetup(t, "sqlite", func(s mint.Store) *gatedStore { return newGated(s, "") },
		storecache.Options{}, time.Second, "c1")
	defer func() { close(g.gate); c.WaitRefreshes() }()
	ctx := t.Context()
	getName(t, c, "c1") // starts the refresh, held by the gate
	var err error
	allocs := testing.AllocsPerRun(100, func() { _, err = c.GetClient(ctx, "c1") })
	if err != nil {
		t.Fatal(err)
	}
	if allocs > 0 {
		t.Errorf("expired hit during a refresh: %.0f allocations; want none", allocs)
	}
	if s := c.Stats(); s.Refreshes != 1 {
		t.Errorf("%d refreshes; want 1", s.Refreshes)
	}
}

// BenchmarkPassLongerThanTTL: the token reads of clients in rotation
// where each pass over them takes longer than the TTL (the clock moves a
// TTL at the start of each pass), the cliff of issue 16: "sync" reads an
// expired entry before answering (MaxAge off, as before), "revalidate"
// answers it and refreshes it in the background (the default). Each op is
// one request's reads; the refreshes' own cost is not waited for, but
// shares the CPU.
func BenchmarkPassLongerThanTTL(b *testing.B) {
	const clients = 1000
	be := openBackend(b, "sqlite")
	for i := range clients {
		seed(b, be.Raw, fmt.Sprint("c", i))
	}
	for _, v := range []struct {
		name   string
		maxAge time.Duration
	}{{"sync", -1}, {"revalidate", 0}} {
		b.Run(v.name, func(b *testing.B) {
			clk := &clock{}
			clk.ns.Store(time.Now().UnixNano())
			var loadNs, loadN atomic.Int64
			c := storecache.New(keepOpen{be.Raw}, storecache.Options{Changes: be.Changes, TTL: revalidateTTL, MaxAge: v.maxAge, Now: clk.now,
				ObserveLoad: func(op string, d time.Duration) { loadNs.Add(int64(d)); loadN.Add(1) }})
			defer c.Close()
			ctx := context.Background()
			for i := range clients {
				if err := requestReads(ctx, c, fmt.Sprint("c", i)); err != nil {
					b.Fatal(err)
				}
			}
			ids := make([]string, clients)
			for i := range ids {
				ids[i] = fmt.Sprint("c", i)
			}
			before := c.Stats()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%clients == 0 {
					clk.advance(revalidateTTL + time.Second)
				}
				if err := requestReads(ctx, c, ids[i%clients]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			s := c.Stats()
			b.ReportMetric(float64(s.Misses-before.Misses)/float64(i), "misses/op")
			b.ReportMetric(float64(s.Refreshes-before.Refreshes)/float64(i), "refreshes/op")
			b.ReportMetric(float64(s.RefreshesSkipped-before.RefreshesSkipped)/float64(i), "skipped/op")
			b.ReportMetric(float64(loadNs.Load())/float64(max(loadN.Load(), 1)), "ns/load")
			c.WaitRefreshes()
		})
	}
}

// keepOpen is a store that a cache's Close leaves open, for the next
// cache of a benchmark.
type keepOpen struct{ mint.Store }

func (keepOpen) Close() error { return nil }
