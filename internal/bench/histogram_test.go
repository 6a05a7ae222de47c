package bench

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := time.Millisecond
	oneTo100 := make([]time.Duration, 100)
	for i := range oneTo100 {
		oneTo100[i] = time.Duration(i+1) * ms
	}
	tests := []struct {
		name   string
		values []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value is every percentile", []time.Duration{3 * ms}, 99, 3 * ms},
		{"median of 1..100 ms", oneTo100, 50, 50 * ms},
		{"p90 of 1..100 ms", oneTo100, 90, 90 * ms},
		{"p99 of 1..100 ms", oneTo100, 99, 99 * ms},
		{"p100 is the max", oneTo100, 100, 100 * ms},
		{"p0 is the min", oneTo100, 0, 1 * ms},
		{"small values are exact", []time.Duration{5, 7, 9, 200}, 50, 7},
		{"p99 of 99 fast and 1 slow is fast",
			append(repeat(99, ms), 500*ms), 99, ms},
		{"p99.5 of 99 fast and 1 slow is the slow one",
			append(repeat(99, ms), 500*ms), 99.5, 500 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h histogram
			for _, v := range tt.values {
				h.record(v)
			}
			got := h.percentile(tt.p)
			if !near(got, tt.want) {
				t.Errorf("p%v = %v, want %v (within 1/%d)", tt.p, got, tt.want, subCount)
			}
		})
	}
}

func repeat(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

// near reports whether got is want to within the histogram's precision.
func near(got, want time.Duration) bool {
	diff := got - want
	return diff >= 0 && diff <= want/subCount
}

func TestBucketsCoverEveryValueTightly(t *testing.T) {
	for _, v := range []uint64{0, 1, 255, 256, 257, 1000, 999_999, 1 << 40, 1<<63 + 12345, 1<<64 - 1} {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, out of range", v, i)
		}
		high := bucketHigh(i)
		if high < v || high-v > v/subCount {
			t.Errorf("value %d: bucket %d ends at %d, want within 1/%d above", v, i, high, subCount)
		}
		if i > 0 && bucketHigh(i-1) >= v {
			t.Errorf("value %d also fits bucket %d", v, i-1)
		}
	}
}

func TestMergeKeepsCountsAndExtremes(t *testing.T) {
	var a, b histogram
	for _, v := range []time.Duration{2, 4, 6} {
		a.record(v * time.Millisecond)
	}
	for _, v := range []time.Duration{1, 8} {
		b.record(v * time.Millisecond)
	}
	a.merge(&b)
	if a.n != 5 || a.min != time.Millisecond || a.max != 8*time.Millisecond {
		t.Fatalf("merged n=%d min=%v max=%v, want 5, 1ms, 8ms", a.n, a.min, a.max)
	}
	if got := a.percentile(50); !near(got, 4*time.Millisecond) {
		t.Errorf("merged median = %v, want 4ms", got)
	}
}
