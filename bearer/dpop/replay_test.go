package dpop

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMemoryOneHolderCannotFill is the attack of issue 19: one holder
// sends fresh proofs without end. It gets its share and then ErrTooMany;
// every other holder's proofs are still accepted, and replays are still
// refused as replays, the flooder's and the others'.
func TestMemoryOneHolderCannotFill(t *testing.T) {
	now := testNow
	m := &Memory{Window: time.Minute, Max: 64, PerHolder: 8, Now: func() time.Time { return now }}
	ctx := context.Background()
	accepted, tooMany := 0, 0
	for i := range 10_000 {
		err := m.UseFor(ctx, "mallory", "jkt-m", fmt.Sprint("m", i), time.Time{})
		var tm *TooManyError
		switch {
		case err == nil:
			accepted++
		case errors.As(err, &tm) && errors.Is(err, ErrTooMany):
			tooMany++
			if tm.RetryAfter < time.Second || tm.RetryAfter > time.Minute {
				t.Fatalf("RetryAfter = %v, want within the window", tm.RetryAfter)
			}
		default:
			t.Fatalf("flood proof %d: %v", i, err)
		}
	}
	if accepted != 8 || tooMany != 10_000-8 {
		t.Fatalf("flooder: %d accepted, %d too many; want 8 and the rest", accepted, tooMany)
	}
	// The flooder using other keys is the same holder.
	if err := m.UseFor(ctx, "mallory", "jkt-m2", "fresh", time.Time{}); !errors.Is(err, ErrTooMany) {
		t.Fatalf("flooder with another key: %v, want ErrTooMany", err)
	}
	// Seven other holders each get their whole share under the flood.
	for h := range 7 {
		for i := range 8 {
			if err := m.UseFor(ctx, fmt.Sprint("partner", h), fmt.Sprint("jkt", h), fmt.Sprint(i), time.Time{}); err != nil {
				t.Fatalf("partner %d proof %d under flood: %v", h, i, err)
			}
		}
	}
	// Replays stay replays, before any share or size check.
	if err := m.UseFor(ctx, "mallory", "jkt-m", "m0", time.Time{}); !errors.Is(err, ErrReplay) {
		t.Fatalf("flooder's replay: %v, want ErrReplay", err)
	}
	if err := m.UseFor(ctx, "partner3", "jkt3", "5", time.Time{}); !errors.Is(err, ErrReplay) {
		t.Fatalf("partner's replay: %v, want ErrReplay", err)
	}
	// Max / PerHolder holders at their share fill it: only then ErrBusy.
	if err := m.UseFor(ctx, "latecomer", "jkt-l", "1", time.Time{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("ninth holder once 8 shares are used: %v, want ErrBusy", err)
	}
	// The next generation gives the flooder a share again, and still
	// remembers its proofs.
	now = now.Add(time.Minute)
	if err := m.UseFor(ctx, "mallory", "jkt-m", "m0", time.Time{}); !errors.Is(err, ErrReplay) {
		t.Fatalf("flooder's replay one window later: %v, want ErrReplay", err)
	}
	if err := m.UseFor(ctx, "mallory", "jkt-m", "m-next", time.Time{}); err != nil {
		t.Fatalf("flooder in the next window: %v", err)
	}
}

// TestCheckerNamesTheHolder: through Checker.Check, proofs with
// Request.Holder share the holder's quota whatever their key, and
// without it each key is its own holder.
func TestCheckerNamesTheHolder(t *testing.T) {
	now := testNow
	mem := &Memory{Window: time.Hour, Max: 100, PerHolder: 1, Now: func() time.Time { return now }}
	c := &Checker{Replay: mem, Now: func() time.Time { return now }}
	req := Request{Method: "POST", URL: "https://api.example/v1/things", Holder: "iss\x00client"}
	first := forge{claims: with(goodClaims(), "jti", "one")}.sign(t)
	if _, err := c.Check(context.Background(), header(first), req); err != nil {
		t.Fatal(err)
	}
	second := forge{key: mustEC(ecKey.Curve), claims: with(goodClaims(), "jti", "two")}.sign(t)
	if _, err := c.Check(context.Background(), header(second), req); !errors.Is(err, ErrTooMany) {
		t.Fatalf("second proof of the holder, another key: %v, want ErrTooMany", err)
	}
	req.Holder = ""
	if _, err := c.Check(context.Background(), header(second), req); err != nil {
		t.Fatalf("without a holder, another key is another holder: %v", err)
	}
}

// TestMemoryNeverAcceptsTwice is a property test: over random sequences
// of proofs (few holders, keys and jtis, so that repeats are common) and
// clock moves, forwards and back, a jti is never accepted twice for a
// key unless the clock has been past the first acceptance's until since
// (a bounded memory must forget some time; then the Checker, on the same
// clock, refuses the proof as stale).
func TestMemoryNeverAcceptsTwice(t *testing.T) {
	type acceptance struct {
		until   time.Time
		expired bool // the clock has been past until since
	}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 19))
		now := testNow
		window := time.Duration(1+rng.IntN(90)) * time.Second
		m := &Memory{Window: window, Max: 1 + rng.IntN(40), PerHolder: rng.IntN(10), Now: func() time.Time { return now }}
		accepted := map[[2]string]*acceptance{}
		for step := range 2000 {
			switch r := rng.IntN(100); {
			case r < 10:
				now = now.Add(time.Duration(rng.IntN(int(2 * window))))
			case r < 12:
				now = now.Add(-time.Duration(rng.IntN(int(window)))) // a clock stepped back
			}
			for _, a := range accepted {
				a.expired = a.expired || now.After(a.until)
			}
			holder := fmt.Sprint("h", rng.IntN(4))
			jkt, jti := fmt.Sprint("k", rng.IntN(3)), fmt.Sprint("j", rng.IntN(30))
			// until as the Checker computes it: iat within the window.
			until := now.Add(time.Duration(rng.IntN(int(window))))
			err := m.UseFor(context.Background(), holder, jkt, jti, until)
			prev, seen := accepted[[2]string{jkt, jti}]
			switch {
			case err == nil && seen && !prev.expired:
				t.Fatalf("seed %d step %d: %s/%s accepted twice within %v (until %v, now %v)", seed, step, jkt, jti, window, prev.until, now)
			case err == nil:
				accepted[[2]string{jkt, jti}] = &acceptance{until: until}
			case errors.Is(err, ErrReplay), errors.Is(err, ErrTooMany), errors.Is(err, ErrBusy):
			default:
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
		}
	}
}

// TestMemoryClock: a clock stepped back keeps every proof (its until has
// not passed on the new clock), and one leaping forward drops them only
// once their until has passed.
func TestMemoryClock(t *testing.T) {
	now := testNow
	m := &Memory{Window: time.Minute, Max: 100, Now: func() time.Time { return now }}
	ctx := context.Background()
	until := now.Add(80 * time.Second)
	if err := m.Use(ctx, "k", "a", until); err != nil {
		t.Fatal(err)
	}
	now = now.Add(-time.Hour)
	for range 3 {
		now = now.Add(time.Minute)
		if err := m.Use(ctx, "k", "other"+now.String(), now.Add(80*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Use(ctx, "k", "a", until); !errors.Is(err, ErrReplay) {
		t.Fatalf("after the clock went back an hour and on three windows: %v, want ErrReplay", err)
	}
	now = until.Add(-time.Second)
	if err := m.Use(ctx, "k", "a", until); !errors.Is(err, ErrReplay) {
		t.Fatalf("just before until: %v, want ErrReplay", err)
	}
	now = until.Add(3 * time.Minute)
	if err := m.Use(ctx, "k", "a", now.Add(time.Minute)); err != nil {
		t.Fatalf("long past until: %v", err)
	}
}

// TestMemoryRace: many goroutines send the same and fresh proofs; each
// jti is accepted exactly once. Run with -race.
func TestMemoryRace(t *testing.T) {
	m := NewMemory(1 << 12)
	m.PerHolder = 1 << 12
	var wg sync.WaitGroup
	var accepted [64]atomic.Int32
	for g := range 8 {
		wg.Go(func() {
			for i := range 64 {
				err := m.UseFor(context.Background(), fmt.Sprint("h", i%4), "k", fmt.Sprint(i), time.Time{})
				switch {
				case err == nil:
					accepted[i].Add(1)
				case !errors.Is(err, ErrReplay):
					t.Errorf("goroutine %d jti %d: %v", g, i, err)
				}
			}
		})
	}
	wg.Wait()
	for i := range accepted {
		if n := accepted[i].Load(); n != 1 {
			t.Fatalf("jti %d accepted %d times, want 1", i, n)
		}
	}
}

// TestMemoryBytes measures the heap of a full Memory in its worst shape —
// both generations at Max proofs, each from a holder of its own — against
// the bound the docs state: 80 bytes a proof.
func TestMemoryBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 2 × 2^16 entries")
	}
	const max = 1 << 16
	now := testNow
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := &Memory{Window: time.Minute, Max: max, Now: func() time.Time { return now }}
	for gen := range 2 {
		for i := range max {
			if err := m.UseFor(context.Background(), fmt.Sprint(gen, "/", i), "k", fmt.Sprint(gen, "/", i), now.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		now = now.Add(time.Minute)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perProof := float64(after.HeapAlloc-before.HeapAlloc) / (2 * max)
	t.Logf("%.1f bytes a proof (%d proofs, %d KiB)", perProof, 2*max, (after.HeapAlloc-before.HeapAlloc)/1024)
	if perProof > 80 {
		t.Fatalf("%.1f bytes a proof, over the documented 80", perProof)
	}
	runtime.KeepAlive(m)
}

// legacyMemory is Memory as it was before issue 19 (a SHA-256 key, one
// bound for everyone, generations dropped by age), kept here to compare
// the cost per proof.
type legacyMemory struct {
	window    time.Duration
	now       func() time.Time
	mu        sync.Mutex
	cur, prev map[[16]byte]struct{}
	rotated   time.Time
}

func (l *legacyMemory) Use(_ context.Context, jkt, jti string, _ time.Time) error {
	h := sha256.New()
	h.Write([]byte(jkt))
	h.Write([]byte{0})
	h.Write([]byte(jti))
	var k [16]byte
	copy(k[:], h.Sum(nil))
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	switch since := now.Sub(l.rotated); {
	case l.cur == nil || since >= 2*l.window:
		l.cur, l.prev, l.rotated = map[[16]byte]struct{}{}, map[[16]byte]struct{}{}, now
	case since >= l.window:
		l.prev, l.cur, l.rotated = l.cur, map[[16]byte]struct{}{}, now
	}
	if _, ok := l.cur[k]; ok {
		return ErrReplay
	}
	if _, ok := l.prev[k]; ok {
		return ErrReplay
	}
	l.cur[k] = struct{}{}
	return nil
}

// BenchmarkReplay compares, in one run, a proof's replay check before
// issue 19 (legacy) and now (seeded hashes, a holder's count, until), in
// a steady state: a proof a millisecond of a fake clock, a 64 s window,
// so that each generation holds 64k proofs.
func BenchmarkReplay(b *testing.B) {
	const jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	const holder = "https://mint.example\x00cargo-client"
	const window = 64 * time.Second
	run := func(b *testing.B, use func(now time.Time, jti string) error) {
		now := testNow
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			now = now.Add(time.Millisecond)
			if err := use(now, strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("legacy", func(b *testing.B) {
		var now time.Time
		l := &legacyMemory{window: window, now: func() time.Time { return now }}
		run(b, func(t time.Time, jti string) error {
			now = t
			return l.Use(context.Background(), jkt, jti, time.Time{})
		})
	})
	b.Run("holders", func(b *testing.B) {
		var now time.Time
		m := &Memory{Window: window, Max: 1 << 20, Now: func() time.Time { return now }}
		run(b, func(t time.Time, jti string) error {
			now = t
			return m.UseFor(context.Background(), holder, jkt, jti, t.Add(window))
		})
	})
}

// TestMemoryAllocs pins what checking a fresh proof allocates: nothing but
// the maps' amortized growth (the key is a fixed array, hashed with
// maphash; before issue 19, SHA-256 took two allocations a proof).
func TestMemoryAllocs(t *testing.T) {
	m := &Memory{Window: time.Hour, Max: 1 << 20, PerHolder: 1 << 20, Now: func() time.Time { return testNow }}
	const jkt, holder = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "https://mint.example\x00cargo-client"
	jtis := make([]string, 2001)
	for i := range jtis {
		jtis[i] = strconv.Itoa(i)
	}
	i := 0
	allocs := testing.AllocsPerRun(2000, func() {
		if err := m.UseFor(context.Background(), holder, jkt, jtis[i], time.Time{}); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("%v allocations a proof, want 0", allocs)
	}
}

func TestMemoryForget(t *testing.T) {
	now := testNow
	m := &Memory{Window: time.Minute, Max: 10, PerHolder: 10, Now: func() time.Time { return now }}
	ctx := context.Background()
	m.Forget("k", "before any use")
	for _, id := range []string{"a", "b"} {
		if err := m.Use(ctx, "k", id, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Minute) // "a" and "b" are in the older generation now
	if err := m.Use(ctx, "k", "c", time.Time{}); err != nil {
		t.Fatal(err)
	}
	m.Forget("k", "a")
	m.Forget("k", "c")
	m.Forget("k", "never used")
	for _, id := range []string{"a", "c"} {
		if err := m.Use(ctx, "k", id, time.Time{}); err != nil {
			t.Errorf("%s after Forget: %v, want it taken again", id, err)
		}
	}
	if err := m.Use(ctx, "k", "b", time.Time{}); !errors.Is(err, ErrReplay) {
		t.Errorf("b, not forgotten: %v, want ErrReplay", err)
	}
}
