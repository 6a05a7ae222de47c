package storecache_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/storecache"
)

// TestKindStatsAndObserveLoad: each kind counts its own hits and misses,
// Stats sums them, and every read of the wrapped store is timed by name.
func TestKindStatsAndObserveLoad(t *testing.T) {
	b := openBackend(t, "sqlite")
	seed(t, b.Raw, "cli_stats")
	var mu sync.Mutex
	loads := map[string]int{}
	c := newCache(t, b.Raw, storecache.Options{ObserveLoad: func(op string, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if d <= 0 {
			t.Errorf("%s took %v", op, d)
		}
		loads[op]++
	}})
	ctx := context.Background()
	for range 3 {
		if err := tokenPathReads(ctx, c, "cli_stats"); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{"list_secrets": 1, "get_client": 1, "list_grants": 1, "find_grant": 1, "get_api_by_audience": 1}
	mu.Lock()
	if len(loads) != len(want) {
		t.Errorf("loads %v, want %v", loads, want)
	}
	for op, n := range want {
		if loads[op] != n {
			t.Errorf("loads %v, want %v", loads, want)
		}
	}
	mu.Unlock()
	var hits, misses uint64
	for _, k := range c.KindStats() {
		wantHits, wantMisses := uint64(2), uint64(1)
		if k.Kind == "apis" || k.Kind == "federated" { // not on this path
			wantHits, wantMisses = 0, 0
		}
		if k.Hits != wantHits || k.Misses != wantMisses {
			t.Errorf("%s: %d hits, %d misses; want %d, %d", k.Kind, k.Hits, k.Misses, wantHits, wantMisses)
		}
		hits, misses = hits+k.Hits, misses+k.Misses
	}
	if s := c.Stats(); s.Hits != hits || s.Misses != misses || s.Hits != 10 || s.Misses != 5 {
		t.Errorf("Stats %+v: want the kinds' sums, 10 hits and 5 misses", s)
	}
}
