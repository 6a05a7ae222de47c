package storecache_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storecache"
)

// synthetic is a store that makes up, for any client ID, the rows a
// client created through the admin API has: a 32-character ID, a name, one
// secret (32-byte digest), one grant of two scopes; one API. It lets the
// benchmarks fill the cache with a million clients without a database.
// Each string is a copy of its own, as rows read from a database are.
type synthetic struct{ mint.Store }

var syntheticAPI = mint.API{ID: "api_cargo", Name: "cargo", Audience: audience, Scopes: []string{"read", "write"},
	TokenLifetime: time.Hour, CreatedAt: t0, UpdatedAt: t0}

func (synthetic) GetClient(_ context.Context, id string) (mint.Client, error) {
	return mint.Client{ID: strings.Clone(id), Name: "partner " + id[:8], CreatedAt: t0, UpdatedAt: t0}, nil
}

func (synthetic) ListSecrets(_ context.Context, clientID string) ([]mint.Secret, error) {
	return []mint.Secret{{ID: "sec_" + clientID[:20], ClientID: strings.Clone(clientID), Digest: make([]byte, 32), CreatedAt: t0}}, nil
}

func (synthetic) FindGrant(_ context.Context, clientID, aud string) (mint.Grant, error) {
	return mint.Grant{ID: "grt_" + clientID[:20], ClientID: strings.Clone(clientID), Audience: strings.Clone(aud), Scopes: []string{strings.Clone("read"), strings.Clone("write")},
		CreatedAt: t0, UpdatedAt: t0}, nil
}

func (synthetic) GetAPIByAudience(context.Context, string) (mint.API, error) {
	return syntheticAPI, nil
}

func (synthetic) Close() error { return nil }

// clientID returns the i-th synthetic client's ID, 32 characters.
func clientID(i int) string { return fmt.Sprintf("client%026d", i) }

// warmSynthetic makes a cache of n synthetic clients' answers, all held.
func warmSynthetic(tb testing.TB, n int) *storecache.Store {
	tb.Helper()
	c := storecache.New(synthetic{}, storecache.Options{MaxEntries: max(2*n, storecache.DefaultMaxEntries)})
	ctx := context.Background()
	for i := range n {
		if err := requestReads(ctx, c, clientID(i)); err != nil {
			tb.Fatal(err)
		}
	}
	return c
}

// BenchmarkHit: the store reads of one token request (ListSecrets,
// GetClient, FindGrant, GetAPIByAudience), all hits, with 1, 100k and 1M
// clients held, from parallel goroutines.
func BenchmarkHit(b *testing.B) {
	for _, n := range []int{1, 100_000, 1_000_000} {
		var c *storecache.Store // filled once: the testing package calls the function below several times
		b.Run(fmt.Sprint("clients=", n), func(b *testing.B) {
			if c == nil {
				c = warmSynthetic(b, n)
			}
			ids := make([]string, n)
			for i := range ids {
				ids[i] = clientID(i)
			}
			before := c.Stats()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				i := 0
				for pb.Next() {
					if err := requestReads(ctx, c, ids[i%len(ids)]); err != nil {
						b.Error(err)
						return
					}
					i += 7919 // a prime: goroutines spread over the keys
				}
			})
			b.StopTimer()
			if after := c.Stats(); after.Misses != before.Misses {
				b.Errorf("%d misses; the benchmark wants hits only", after.Misses-before.Misses)
			}
		})
	}
}

// BenchmarkMemoryPerClient reports the live heap the cache holds per
// client whose token reads it answers (client, secrets, grant by audience;
// the API is shared), at 100k clients.
func BenchmarkMemoryPerClient(b *testing.B) {
	const n = 100_000
	for range b.N {
		before := liveHeap()
		c := warmSynthetic(b, n)
		after := liveHeap()
		b.ReportMetric(float64(after-before)/n, "B/client")
		runtime.KeepAlive(c)
	}
}

func liveHeap() uint64 {
	b, _ := liveHeapObjects()
	return b
}

// liveHeapObjects returns the live heap's bytes and objects, after two
// collections.
func liveHeapObjects() (bytes, objects uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.HeapObjects
}

// The cache's memory per client stays within what docs/scale-cache.md
// states (about 650; DefaultMaxEntries is sized on it), with a margin:
// records in slabs, times as instants, shared scope lists (883 bytes
// before those, 730 and 7 objects before the slabs).
func TestMemoryPerClient(t *testing.T) {
	if testing.Short() {
		t.Skip("fills the cache with 50k clients")
	}
	const n, most, mostObjects = 50_000, 700, 0.5
	bytes0, objects0 := liveHeapObjects()
	c := warmSynthetic(t, n)
	bytes1, objects1 := liveHeapObjects()
	perClient, objects := float64(bytes1-bytes0)/n, float64(objects1-objects0)/n
	runtime.KeepAlive(c)
	t.Logf("%.0f bytes, %.1f objects of live heap per cached client", perClient, objects)
	if perClient > most {
		t.Errorf("%.0f bytes per cached client; docs/scale-cache.md says at most %d", perClient, most)
	}
	// Objects are what a collection walks (see packer).
	if objects > mostObjects {
		t.Errorf("%.1f heap objects per cached client; want at most %.1f", objects, mostObjects)
	}
}

// scanHeap returns the heap the collector scans (runtime/metrics
// /gc/scan/heap:bytes) and the live heap's objects, after two collections.
func scanHeap() (scan, objects uint64) {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	metrics.Read(s)
	_, objects = liveHeapObjects()
	return s[0].Value.Uint64(), objects
}

// The collector has almost nothing to look at per cached client (issue
// 16): the clients, secrets and grants by audience are records in slabs
// that hold no pointer it follows, indexed by maps and slots without
// pointers. Before, each client was 7 heap objects the collector marked
// at every cycle, ~470 scannable bytes among them.
func TestCollectorScansLittlePerClient(t *testing.T) {
	if testing.Short() {
		t.Skip("fills the cache with 100k clients")
	}
	const n, mostScan, mostObjects = 100_000, 16, 0.1
	scan0, objects0 := scanHeap()
	c := warmSynthetic(t, n)
	scan1, objects1 := scanHeap()
	runtime.KeepAlive(c)
	scan, objects := (float64(scan1)-float64(scan0))/n, (float64(objects1)-float64(objects0))/n
	t.Logf("%.1f scannable bytes, %.3f heap objects per cached client", scan, objects)
	if scan > mostScan {
		t.Errorf("%.1f scannable bytes per cached client; want at most %d", scan, mostScan)
	}
	if objects > mostObjects {
		t.Errorf("%.3f heap objects per cached client; want at most %.2f", objects, mostObjects)
	}
}

// A full cache pushes out the least recently used entries: a client read
// between every two new ones stays held through many evictions, where a
// random choice would have pushed it out with near certainty.
func TestRecentlyUsedStay(t *testing.T) {
	clk := &clock{}
	clk.ns.Store(t0.UnixNano())
	const size, others = 100, 2000
	c := storecache.New(synthetic{}, storecache.Options{MaxEntries: size, Now: clk.now})
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	hot := clientID(-1)
	for i := range others {
		if _, err := c.GetClient(ctx, hot); err != nil {
			t.Fatal(err)
		}
		clk.advance(2 * time.Millisecond)
		if _, err := c.GetClient(ctx, clientID(i)); err != nil {
			t.Fatal(err)
		}
	}
	st := c.KindStats()[0]
	if st.Kind != "clients" || st.Entries > size {
		t.Fatalf("clients kind: %+v; want at most %d entries", st, size)
	}
	// One miss for hot (its first read) and one for each other client.
	if st.Misses != others+1 {
		t.Errorf("%d misses over %d reads of a hot client and %d others; want %d: the hot client was pushed out",
			st.Misses, others, others, others+1)
	}
}
