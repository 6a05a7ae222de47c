package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mintauth/mint/metrics"
	"github.com/mintauth/mint/oauth"
	"github.com/mintauth/mint/token"
)

// TestLifetimesWindow: the gauge counts the tokens of the last lifetime,
// to within a twelfth of it, scales a window capped at MaxWindow up to the
// lifetime, restarts when the lifetime changes, and forgets idle pairs.
func TestLifetimesWindow(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := metrics.NewLifetimes(time.Hour, func() time.Time { return now })
	const hour = time.Hour
	// A 12-minute lifetime: 12 slots of a minute.
	for i := range 3 {
		if i > 0 {
			now = now.Add(4 * time.Minute)
		}
		l.Issued("a", "api", 12*time.Minute)
	}
	if got := l.PerLifetime("a", "api"); got != 3 {
		t.Errorf("3 tokens in 8 minutes of a 12-minute lifetime: %v, want 3", got)
	}
	now = now.Add(4*time.Minute + 30*time.Second) // the first token is 12.5 minutes old, the second 8.5
	if got := l.PerLifetime("a", "api"); got != 2 {
		t.Errorf("after the first left the window: %v, want 2", got)
	}
	now = now.Add(12 * time.Minute)
	if got := l.PerLifetime("a", "api"); got != 0 {
		t.Errorf("a lifetime later: %v, want 0", got)
	}

	// A 24 h lifetime is counted over the last hour and scaled by 24.
	for range 2 {
		l.Issued("b", "api", 24*hour)
	}
	if got := l.PerLifetime("b", "api"); got != 48 {
		t.Errorf("2 tokens in the last hour of 24 h tokens: %v, want 48", got)
	}
	// The API's lifetime changed: the count starts again.
	l.Issued("b", "api", 2*hour)
	if got := l.PerLifetime("b", "api"); got != 2 {
		t.Errorf("after a lifetime change: %v, want 2 (1 token in 1 h of a 2 h lifetime)", got)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(l)
	for range 2 {
		if n, err := count(reg, "mint_tokens_per_lifetime"); err != nil || n != 1 {
			t.Errorf("collected %d series (%v), want 1 (a has nothing in its window)", n, err)
		}
	}
}

// TestObserveToken: outcomes become series with "unknown" standing for a
// client or audience not established.
func TestObserveToken(t *testing.T) {
	m := metrics.New(metrics.Options{})
	ctx := context.Background()
	m.ObserveToken(ctx, token.Outcome{ClientID: "c1", Audience: "api", Alg: "EdDSA", Lifetime: time.Hour,
		Signing: 30 * time.Microsecond, Duration: time.Millisecond})
	m.ObserveToken(ctx, token.Outcome{Err: oauth.ErrInvalidClient, Duration: time.Millisecond})
	m.ObserveToken(ctx, token.Outcome{ClientID: "c1", Err: oauth.ErrInvalidTarget, Duration: time.Millisecond})
	for _, c := range []struct {
		name  string
		count int
	}{
		{"mint_token_requests_total", 3},
		{"mint_token_request_duration_seconds", 3},
		{"mint_signing_duration_seconds", 4}, // one per algorithm, made at New
		{"mint_tokens_per_lifetime", 1},
	} {
		if n, err := count(m.Registry(), c.name); err != nil || n != c.count {
			t.Errorf("%s: %d series (%v), want %d", c.name, n, err, c.count)
		}
	}
}

// count returns how many series of the metric g gathers.
func count(g prometheus.Gatherer, name string) (int, error) {
	mfs, err := g.Gather()
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric()), err
		}
	}
	return 0, err
}

// BenchmarkObserveToken is what the metrics add to each issued token,
// beside two clock reads.
func BenchmarkObserveToken(b *testing.B) {
	m := metrics.New(metrics.Options{})
	o := token.Outcome{ClientID: "cli_0123456789abcdef", Audience: "https://api.example.com", Alg: "EdDSA",
		Lifetime: time.Hour, Signing: 30 * time.Microsecond, Duration: 50 * time.Microsecond}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveToken(ctx, o)
		}
	})
}
