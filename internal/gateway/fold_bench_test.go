package gateway

import "testing"

// BenchmarkLookalikes is what the case and trailing-slash check adds to
// each request the gateway forwards: three ServeMux lookups.
func BenchmarkLookalikes(b *testing.B) {
	var rules []Rule
	for _, s := range []string{"GET /admin/ write:cargo", "POST /orders/ write:cargo", "/billing write:cargo", "/ read:cargo"} {
		r, err := ParseRule(s)
		if err != nil {
			b.Fatal(err)
		}
		rules = append(rules, r)
	}
	l := newLookalikes(rules, false)
	b.ReportAllocs()
	for b.Loop() {
		if l.ambiguous("GET", "/orders/2026/cargo/17") {
			b.Fatal("a plain path judged ambiguous")
		}
	}
}
