// Package latency compares samples of request latencies in tests, with
// rank statistics that hold on a loaded machine: a test decides on how two
// samples order against each other, never on a wall-clock bound.
package latency

import (
	"math"
	"slices"
	"time"
)

// MannWhitneyZ is the normal approximation of the Mann–Whitney U statistic
// of a against b, ties given their mean rank: positive when a tends to be
// larger. 0 when either sample is empty.
func MannWhitneyZ(a, b []time.Duration) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	type obs struct {
		d     time.Duration
		fromA bool
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, d := range a {
		all = append(all, obs{d, true})
	}
	for _, d := range b {
		all = append(all, obs{d, false})
	}
	slices.SortFunc(all, func(x, y obs) int { return int(x.d - y.d) })
	rankA := 0.0
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].d == all[i].d {
			j++
		}
		rank := float64(i+j+1) / 2 // mean rank of the ties, 1-based
		for k := i; k < j; k++ {
			if all[k].fromA {
				rankA += rank
			}
		}
		i = j
	}
	n1, n2 := float64(len(a)), float64(len(b))
	u := rankA - n1*(n1+1)/2
	return (u - n1*n2/2) / math.Sqrt(n1*n2*(n1+n2+1)/12)
}

// KolmogorovSmirnovD is the two-sample Kolmogorov–Smirnov statistic: the
// largest gap between the two samples' distribution functions.
func KolmogorovSmirnovD(a, b []time.Duration) float64 {
	a, b = Sorted(a), Sorted(b)
	d, i, j := 0.0, 0, 0
	for i < len(a) && j < len(b) {
		x := min(a[i], b[j])
		for i < len(a) && a[i] == x {
			i++
		}
		for j < len(b) && b[j] == x {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

// Sorted returns a sorted copy of d.
func Sorted(d []time.Duration) []time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of d by the nearest rank
// below; 0 for an empty sample.
func Quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := Sorted(d)
	return s[int(q*float64(len(s)-1))]
}
