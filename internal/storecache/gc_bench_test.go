package storecache_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

// tokenGarbage allocates about what an EdDSA token request does besides
// the store reads (42 allocations, ~3 KB: docs/performance.md).
//
//go:noinline
func tokenGarbage() [][]byte {
	g := make([][]byte, 41)
	for i := range g {
		g[i] = make([]byte, 64)
	}
	return g
}

// gcPercentFor is cmd/mint's collector target (cmd/mint/gc.go): 400 %
// while that is under 48 MiB of growth, then what keeps the growth at
// 48 MiB, never under 25 %.
func gcPercentFor(live uint64) int {
	const headroom = 48 << 20
	if live*400/100 <= headroom {
		return 400
	}
	return max(int(headroom*100/live), 25)
}

// BenchmarkGCShare: the share of CPU the collector takes while the cache
// holds 1 or 100k clients and each operation makes a token request's
// reads (hits) and allocates what a token request allocates, with the
// collector's target mint serve sets. gc-% is the collector's CPU over
// the collector's and the program's (runtime/metrics estimates);
// gc-busy-% leaves out the marking done on otherwise idle processors.
func BenchmarkGCShare(b *testing.B) {
	for _, n := range []int{1, 100_000} {
		var ids []string
		b.Run(fmt.Sprint("clients=", n), func(b *testing.B) {
			c := warmSynthetic(b, n)
			defer c.Close()
			if ids == nil {
				for i := range n {
					ids = append(ids, clientID(i))
				}
			}
			live := liveHeap()
			defer debug.SetGCPercent(debug.SetGCPercent(gcPercentFor(live)))
			s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/user:cpu-seconds"},
				{Name: "/cpu/classes/gc/mark/idle:cpu-seconds"}}
			metrics.Read(s)
			gc0, user0, idle0 := s[0].Value.Float64(), s[1].Value.Float64(), s[2].Value.Float64()
			var gcs0 runtime.MemStats
			runtime.ReadMemStats(&gcs0)
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
					runtime.KeepAlive(tokenGarbage())
					i += 7919
				}
			})
			b.StopTimer()
			metrics.Read(s) // as of the last cycle's end: one cycle late at most
			gc, user, idle := s[0].Value.Float64()-gc0, s[1].Value.Float64()-user0, s[2].Value.Float64()-idle0
			var gcs runtime.MemStats
			runtime.ReadMemStats(&gcs)
			b.ReportMetric(100*gc/(gc+user), "gc-%")
			b.ReportMetric(100*(gc-idle)/(gc-idle+user), "gc-busy-%")
			b.ReportMetric(float64(gcs.NumGC-gcs0.NumGC), "GCs")
			b.ReportMetric(float64(live)/(1<<20), "live-MiB")
		})
	}
}
