package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mintauth/mint/internal/metrics"
	"github.com/mintauth/mint/internal/token"
	"github.com/mintauth/mint/oauth"
)

// TestLifetimesWindow: the gauge counts the tokens of the last lifetime,
// to within a twelfth of it, counts a lifetime longer than MaxWindow over
// MaxWindow without scaling it up, restarts when the lifetime changes, and
// forgets idle pairs.
func TestLifetimesWindow(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := metrics.NewLifetimes(time.Hour, func() time.Time { return now })
	const hour = time.Hour
	now = now.Add(2 * hour) // mint has run longer than every window below
	// A 12-minute lifetime: 12 slots of a minute.
	for i := range 3 {
		if i > 0 {
			now = now.Add(4 * time.Minute)
		}
		l.Issued("a", "api", 12*time.Minute)
	}
	want := func(client string, tokens uint64, window, lifetime time.Duration, why string) {
		t.Helper()
		if got := l.Tokens(client, "api"); got.Tokens != tokens || got.Window != window || got.Lifetime != lifetime {
			t.Errorf("%s: %d tokens in %v of a %v lifetime, want %d in %v of %v", why,
				got.Tokens, got.Window, got.Lifetime, tokens, window, lifetime)
		}
	}
	want("a", 3, 12*time.Minute, 12*time.Minute, "3 tokens in 8 minutes")
	now = now.Add(4*time.Minute + 30*time.Second) // the first token is 12.5 minutes old, the second 8.5
	want("a", 2, 12*time.Minute, 12*time.Minute, "after the first left the window")
	now = now.Add(12 * time.Minute)
	want("a", 0, 12*time.Minute, 12*time.Minute, "a lifetime later")

	// A 24 h lifetime is counted over the last hour, as it is: 2, not 48.
	for range 2 {
		l.Issued("b", "api", 24*hour)
	}
	want("b", 2, hour, 24*hour, "2 tokens in the last hour of 24 h tokens")
	// The API's lifetime changed: the count starts again, and so does its
	// window.
	l.Issued("b", "api", 2*hour)
	want("b", 1, 0, 2*hour, "right after a lifetime change")
	now = now.Add(10 * time.Minute)
	want("b", 1, 10*time.Minute, 2*hour, "10 minutes after a lifetime change")

	reg := prometheus.NewRegistry()
	reg.MustRegister(l)
	for range 2 {
		if n, err := count(reg, "mint_tokens_per_lifetime"); err != nil || n != 1 {
			t.Errorf("collected %d series (%v), want 1 (a has nothing in its window)", n, err)
		}
	}
}

// TestLifetimesRightAfterStart: a partner that took 9 day-long tokens in
// the 3 minutes since mint started took 9, in 3 minutes: the count is not
// stretched over a day (that read 216), and the window says how short it
// is.
func TestLifetimesRightAfterStart(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	now := start
	l := metrics.NewLifetimes(0, func() time.Time { return now })
	for range 9 {
		now = now.Add(20 * time.Second)
		l.Issued("partner", "https://dataloy", 24*time.Hour)
	}
	got := l.Tokens("partner", "https://dataloy")
	if got.Tokens != 9 || got.Window != 3*time.Minute || got.Lifetime != 24*time.Hour {
		t.Errorf("got %d tokens in %v of a %v lifetime, want 9 in 3m0s of 24h0m0s", got.Tokens, got.Window, got.Lifetime)
	}
	// A day later the window is the whole lifetime, and the 9 have left it.
	now = start.Add(25 * time.Hour)
	l.Issued("partner", "https://dataloy", 24*time.Hour)
	if got := l.Tokens("partner", "https://dataloy"); got.Tokens != 1 || got.Window != 24*time.Hour {
		t.Errorf("a day later: %d tokens in %v, want 1 in 24h0m0s", got.Tokens, got.Window)
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
