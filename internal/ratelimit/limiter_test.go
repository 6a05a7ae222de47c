package ratelimit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// memCounter is a mint.TokenCounter in memory that records each call.
type memCounter struct {
	mu     sync.Mutex
	counts map[string]int
	calls  []int // n of each AddTokenCount
	fail   error
}

func (c *memCounter) AddTokenCount(_ context.Context, clientID, window string, start time.Time, n int) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return 0, c.fail
	}
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	k := clientID + "/" + window + "/" + start.String()
	c.counts[k] += n
	c.calls = append(c.calls, n)
	return c.counts[k], nil
}

func (c *memCounter) PruneTokenCounts(context.Context, time.Time) error { return nil }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var t0 = time.Date(2026, 3, 4, 10, 39, 26, 0, time.UTC)

func ptr(n int64) *int64 { return &n }

func refusedLimit(t *testing.T, err error) string {
	t.Helper()
	var e *oauth.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an *oauth.Error", err)
	}
	if e.Status != 429 || e.Code != "rate_limit_exceeded" {
		t.Fatalf("refusal = %d %s", e.Status, e.Code)
	}
	return e.Limit
}

func TestRate(t *testing.T) {
	ck := &clock{t0}
	l := New(Config{Rate: 10, Burst: 3, Now: ck.now})
	c := mint.Client{ID: "a"}
	for i := range 3 {
		if err := l.CheckRequest(t.Context(), c); err != nil {
			t.Fatalf("request %d of the burst: %v", i, err)
		}
	}
	if got := refusedLimit(t, l.CheckRequest(t.Context(), c)); got != LimitRate {
		t.Errorf("limit = %q", got)
	}
	if err := l.CheckRequest(t.Context(), mint.Client{ID: "b"}); err != nil {
		t.Errorf("another client is limited too: %v", err)
	}
	ck.t = ck.t.Add(100 * time.Millisecond) // one more at 10/s
	if err := l.CheckRequest(t.Context(), c); err != nil {
		t.Errorf("after 100 ms: %v", err)
	}
	if err := l.CheckRequest(t.Context(), c); err == nil {
		t.Error("a second one after 100 ms is allowed")
	}
}

func TestQuotas(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        Config
		client     mint.Client
		allowed    int
		limit      string
		retryAfter string
	}{
		{"hour default", Config{TokensPerHour: 5}, mint.Client{ID: "a"}, 5, LimitTokensPerHour, "1234"},
		{"day default", Config{TokensPerDay: 3}, mint.Client{ID: "a"}, 3, LimitTokensPerDay, "48034"},
		{"own hour over default", Config{TokensPerHour: 5}, mint.Client{ID: "a", TokensPerHour: ptr(2)}, 2, LimitTokensPerHour, "1234"},
		{"own 0 is unlimited", Config{TokensPerHour: 5}, mint.Client{ID: "a", TokensPerHour: ptr(0)}, 50, "", ""},
		{"hour before day", Config{TokensPerHour: 4, TokensPerDay: 4}, mint.Client{ID: "a"}, 4, LimitTokensPerHour, "1234"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Now = (&clock{t0}).now
			l := New(tc.cfg)
			for i := range tc.allowed {
				if err := l.TakeToken(t.Context(), tc.client); err != nil {
					t.Fatalf("token %d: %v", i+1, err)
				}
			}
			err := l.TakeToken(t.Context(), tc.client)
			if tc.limit == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := refusedLimit(t, err); got != tc.limit {
				t.Errorf("limit = %q, want %q", got, tc.limit)
			}
			if got := oauth.As(err).Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
		})
	}
}

func TestWindowRolls(t *testing.T) {
	ck := &clock{t0}
	l := New(Config{TokensPerHour: 1, Now: ck.now})
	c := mint.Client{ID: "a"}
	if err := l.TakeToken(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if l.TakeToken(t.Context(), c) == nil {
		t.Fatal("second token in the hour allowed")
	}
	ck.t = time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	if err := l.TakeToken(t.Context(), c); err != nil {
		t.Fatalf("first token of the next hour: %v", err)
	}
}

func TestObserveCountsAndRefusesNothing(t *testing.T) {
	var exceeded []string
	l := New(Config{TokensPerHour: 2, Rate: 1, Burst: 1, Observe: true, Now: (&clock{t0}).now,
		Exceeded: func(id, limit string) { exceeded = append(exceeded, id+" "+limit) }})
	c := mint.Client{ID: "a"}
	for i := range 4 {
		if err := l.CheckRequest(t.Context(), c); err != nil {
			t.Fatalf("observe mode refused request %d: %v", i, err)
		}
		if err := l.TakeToken(t.Context(), c); err != nil {
			t.Fatalf("observe mode refused token %d: %v", i, err)
		}
	}
	want := []string{"a rate", "a rate", "a tokens_per_hour", "a rate", "a tokens_per_hour"}
	if len(exceeded) != len(want) {
		t.Fatalf("exceeded = %q, want %q", exceeded, want)
	}
	st := l.state("a")
	if got := st.windows[0].count(); got != 4 {
		t.Errorf("count = %d, want every token issued (4)", got)
	}
}

// TestFlushBatches: tokens are added to the store in one call per window
// per Flush, and the shared total read back limits this replica.
func TestFlushBatches(t *testing.T) {
	counter := &memCounter{}
	ck := &clock{t0}
	a := New(Config{TokensPerHour: 10, Counter: counter, Now: ck.now})
	b := New(Config{TokensPerHour: 10, Counter: counter, Now: ck.now})
	c := mint.Client{ID: "a"}
	for range 6 {
		if err := a.TakeToken(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	if len(counter.calls) != 0 {
		t.Fatalf("store written before Flush: %v", counter.calls)
	}
	a.Flush(t.Context())
	if len(counter.calls) != 1 || counter.calls[0] != 6 {
		t.Fatalf("Flush calls = %v, want one adding 6", counter.calls)
	}
	// b learns a's 6 at its first Flush after the client asked it.
	if err := b.TakeToken(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	b.Flush(t.Context())
	for i := range 3 {
		if err := b.TakeToken(t.Context(), c); err != nil {
			t.Fatalf("b token %d: %v", i+2, err)
		}
	}
	if b.TakeToken(t.Context(), c) == nil {
		t.Fatal("b issued past the shared quota")
	}
	a.Flush(t.Context()) // idle since its last Flush: reads nothing
	b.Flush(t.Context())
	if got, _ := counter.AddTokenCount(t.Context(), "a", "hour", t0.Truncate(time.Hour), 0); got != 10 {
		t.Errorf("shared total = %d, want 10", got)
	}
}

func TestFlushFailureKeepsCounts(t *testing.T) {
	counter := &memCounter{fail: errors.New("down")}
	l := New(Config{TokensPerHour: 10, Counter: counter, Now: (&clock{t0}).now})
	for range 3 {
		l.TakeToken(t.Context(), mint.Client{ID: "a"})
	}
	l.Flush(t.Context())
	counter.fail = nil
	l.Flush(t.Context())
	if len(counter.calls) != 1 || counter.calls[0] != 3 {
		t.Fatalf("calls after recovery = %v, want one adding 3", counter.calls)
	}
}

func TestReuse(t *testing.T) {
	now := t0
	tok := Token{AccessToken: "t", ID: "j", IssuedAt: now, Expiry: now.Add(time.Hour)}
	var r Reuse
	gen := r.Generation()
	r.Put(gen, "a", "aud", "read", tok, now)
	for _, tc := range []struct {
		name                    string
		client, audience, scope string
		at                      time.Duration
		revokedBefore           time.Time
		ok                      bool
	}{
		{"same", "a", "aud", "read", 10 * time.Minute, time.Time{}, true},
		{"other client", "b", "aud", "read", 0, time.Time{}, false},
		{"other audience", "a", "aud2", "read", 0, time.Time{}, false},
		{"other scope", "a", "aud", "read write", 0, time.Time{}, false},
		{"half gone", "a", "aud", "read", 30 * time.Minute, time.Time{}, false},
		{"client's tokens revoked", "a", "aud", "read", 0, now.Add(time.Second), false},
	} {
		_, ok := r.Get(tc.client, tc.audience, tc.scope, now.Add(tc.at), tc.revokedBefore)
		if ok != tc.ok {
			t.Errorf("%s: reused = %v, want %v", tc.name, ok, tc.ok)
		}
	}
	r.Changed("used_assertions")
	if r.Len() != 1 {
		t.Error("an assertion id emptied the cache")
	}
	r.Changed("revoked_tokens")
	if r.Len() != 0 {
		t.Error("a revocation did not empty the cache")
	}
	r.Put(gen, "a", "aud", "read", tok, now)
	if r.Len() != 0 {
		t.Error("a token from before the flush was kept")
	}
	r.Listening = func() bool { return false }
	r.Put(r.Generation(), "a", "aud", "read", tok, now)
	if _, ok := r.Get("a", "aud", "read", now, time.Time{}); ok {
		t.Error("reused while changes are not heard")
	}
}

// TestRateOutOfOrder: calls whose clock readings arrive out of order (read
// before the lock) do not count the time between them twice.
func TestRateOutOfOrder(t *testing.T) {
	ck := &clock{t0}
	l := New(Config{Rate: 10, Burst: 1, Now: ck.now})
	c := mint.Client{ID: "a"}
	if err := l.CheckRequest(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	allowed := 0
	for _, at := range []time.Duration{100, 50, 100, 50, 100} { // ms after t0, out of order
		ck.t = t0.Add(at * time.Millisecond)
		if l.CheckRequest(t.Context(), c) == nil {
			allowed++
		}
	}
	if allowed != 1 {
		t.Errorf("allowed %d in 100 ms at 10/s, want 1", allowed)
	}
}

// TestFlushKeepsRateState: a Flush does not forget a client that only
// has a rate (no quota), which would refill its bucket.
func TestFlushKeepsRateState(t *testing.T) {
	l := New(Config{Rate: 1, Burst: 1, Counter: &memCounter{}, Now: (&clock{t0}).now})
	c := mint.Client{ID: "a"}
	if err := l.CheckRequest(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	l.Flush(t.Context())
	if l.CheckRequest(t.Context(), c) == nil {
		t.Error("the bucket was refilled by a Flush")
	}
}
