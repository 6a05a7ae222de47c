package storecache

import "testing"

// Eviction takes an entry past its hard age first, else the least recently
// used: an entry past its TTL but within its grace is still answered, and
// competes by its use like a fresh one.
func TestEvictCountsGraceAsUsed(t *testing.T) {
	const now, grace = int64(1_000 * usedTick), int64(100 * usedTick)
	mk := func(expires, usedAgo int64) *entry[int] { return newEntry(0, now-usedAgo, expires) }
	for _, tc := range []struct {
		name string
		m    map[string]*entry[int]
		want string
	}{
		{"dead goes first", map[string]*entry[int]{
			"in-grace-unused": mk(now-grace/2, 500*usedTick),
			"dead-but-used":   mk(now-grace-1, 0),
			"fresh1":          mk(now+1, 10*usedTick),
			"fresh2":          mk(now+1, 20*usedTick),
		}, "dead-but-used"},
		{"else least used, in grace or not", map[string]*entry[int]{
			"in-grace-used":   mk(now-grace/2, 0),
			"fresh-unused":    mk(now+1, 300*usedTick),
			"fresh":           mk(now+1, 10*usedTick),
			"in-grace-middle": mk(now-1, 100*usedTick),
		}, "fresh-unused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evictLRU(tc.m, now-grace)
			if _, ok := tc.m[tc.want]; ok || len(tc.m) != 3 {
				t.Errorf("left %v; want %s evicted", keys(tc.m), tc.want)
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
