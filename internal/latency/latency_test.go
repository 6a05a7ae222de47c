package latency

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestMannWhitneyZ(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	// Hand-computed: a = {1,2}, b = {3,4}: U = 0, mean 2, sd sqrt(4·5/12).
	if got, want := MannWhitneyZ(ms(1, 2), ms(3, 4)), -2/math.Sqrt(20.0/12); math.Abs(got-want) > 1e-12 {
		t.Errorf("separated samples: z = %v, want %v", got, want)
	}
	if got := MannWhitneyZ(ms(5, 5, 5), ms(5, 5, 5)); got != 0 {
		t.Errorf("all ties: z = %v, want 0", got)
	}
	if got := MannWhitneyZ(nil, ms(1)); got != 0 {
		t.Errorf("empty sample: z = %v, want 0", got)
	}
	// Antisymmetric, and a planted shift is resolved while equal
	// distributions are not.
	r := rand.New(rand.NewPCG(1, 2))
	same := func(shift time.Duration) []time.Duration {
		d := make([]time.Duration, 2000)
		for i := range d {
			d[i] = time.Duration(r.ExpFloat64()*float64(time.Millisecond)) + shift
		}
		return d
	}
	a, b := same(0), same(0)
	if z := MannWhitneyZ(a, b); math.Abs(z) > 4 {
		t.Errorf("two samples of one distribution: |z| = %.2f", math.Abs(z))
	}
	if z, w := MannWhitneyZ(a, b), MannWhitneyZ(b, a); math.Abs(z+w) > 1e-9 {
		t.Errorf("not antisymmetric: %v and %v", z, w)
	}
	if z := MannWhitneyZ(same(300*time.Microsecond), b); z < 10 {
		t.Errorf("a planted 300 µs shift: z = %.2f, want ≥ 10", z)
	}
}

func TestKolmogorovSmirnovDAndQuantile(t *testing.T) {
	a := []time.Duration{4, 1, 3, 2}
	if got := KolmogorovSmirnovD(a, a); got != 0 {
		t.Errorf("D of a sample against itself = %v", got)
	}
	if got := KolmogorovSmirnovD([]time.Duration{1, 2}, []time.Duration{3, 4}); got != 1 {
		t.Errorf("D of separated samples = %v, want 1", got)
	}
	if got := Quantile(a, .5); got != 2 {
		t.Errorf("median of 1..4 = %v, want 2 (nearest rank below)", got)
	}
	if got := Quantile(a, 1); got != 4 {
		t.Errorf("max = %v", got)
	}
	if a[0] != 4 {
		t.Error("Quantile sorted its argument in place")
	}
}
