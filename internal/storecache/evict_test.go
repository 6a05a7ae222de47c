package storecache

import "testing"

// Eviction takes an entry past its hard age first, else the least recently
// used: an entry past its TTL but within its grace is still answered, and
// competes by its use like a fresh one.
func TestEvictCountsGraceAsUsed(t *testing.T) {
	const now, grace = int64(1_000 * usedTick), int64(100 * usedTick)
	mk := func(expires, usedAgo int64) slot {
		return slot{expires: expires, state: (now - usedAgo) / usedTick << 1}
	}
	for _, tc := range []struct {
		name  string
		slots []slot
		want  int
	}{
		{"dead goes first", []slot{
			mk(now-grace/2, 500*usedTick), // in grace, unused
			mk(now-grace-1, 0),            // dead but used
			mk(now+1, 10*usedTick),
			mk(now+1, 20*usedTick),
		}, 1},
		{"else least used, in grace or not", []slot{
			mk(now-grace/2, 0),              // in grace, used
			mk(now+1, 300*usedTick),         // fresh, unused
			mk(now+1, 10*usedTick),          // fresh
			mk(now-1, 100*usedTick),         // in grace, middle
			mk(now-grace/2|1, 200*usedTick), // in grace, less used
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := evictLRU(tc.slots, now-grace, nil); got != tc.want {
				t.Errorf("evicted slot %d; want %d", got, tc.want)
			}
		})
	}
}

// Past evictSample slots, the sample is taken with pick, each at random.
func TestEvictSamples(t *testing.T) {
	slots := make([]slot, 100)
	for i := range slots {
		slots[i] = slot{expires: 1 << 62, state: int64(1000-i) << 1}
	}
	var picked []int
	next := []int{3, 50, 7, 99, 20}
	got := evictLRU(slots, 0, func(n int) int {
		if n != len(slots) {
			t.Fatalf("pick(%d); want pick(%d)", n, len(slots))
		}
		p := next[len(picked)]
		picked = append(picked, p)
		return p
	})
	if len(picked) != evictSample || got != 99 {
		t.Errorf("picked %v, evicted %d; want %d picks and slot 99 (least used of them)", picked, got, evictSample)
	}
}
