package bench

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: every power of two is cut into
// 2^subBits linear buckets, so a recorded value is off by less than
// 1/2^subBits (0.8 %) of itself, and values below 2^(subBits+1) ns are exact.
const subBits = 7

const (
	subCount   = 1 << subBits
	numBuckets = (64-subBits)*subCount + subCount
)

// histogram counts latencies in log-linear buckets, as HdrHistogram does:
// recording is a few instructions and no allocation, and percentiles are
// exact to within the bucket width. It is not safe for concurrent use; each
// load goroutine keeps its own and they are merged at the end.
type histogram struct {
	counts   [numBuckets]uint64
	n        uint64
	min, max time.Duration
}

// bucketOf returns the bucket holding v nanoseconds.
func bucketOf(v uint64) int {
	if v < 2*subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	return (shift+1)<<subBits + int(v>>shift) - subCount
}

// bucketHigh returns the largest value bucket i holds.
func bucketHigh(i int) uint64 {
	if i < 2*subCount {
		return uint64(i)
	}
	shift := i>>subBits - 1
	m := uint64(i&(subCount-1) + subCount)
	return (m+1)<<shift - 1
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
}

func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
}

// percentile returns the smallest recorded value (to within the bucket
// width, rounded up, and never above the exact maximum) that at least p
// percent of the values do not exceed. It is 0 when nothing was recorded.
func (h *histogram) percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(max(time.Duration(bucketHigh(i)), h.min), h.max)
		}
	}
	return h.max
}
