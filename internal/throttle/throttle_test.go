package throttle

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newThrottle(c *clock) *Throttle {
	return New(Config{PairLimit: 10, SourceLimit: 50, Window: time.Minute, Now: c.now})
}

// failUntilThrottled counts failures for id from src until Check refuses,
// and returns how many were allowed.
func failUntilThrottled(t *testing.T, th *Throttle, id, src string) int {
	t.Helper()
	for n := 0; n < 1000; n++ {
		if th.Check(id, src) > 0 {
			return n
		}
		th.Failed(id, src)
	}
	t.Fatal("never throttled")
	return 0
}

func TestPairLimit(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := newThrottle(c)
	if n := failUntilThrottled(t, th, "c1", "192.0.2.1:1234"); n != 10 {
		t.Fatalf("allowed %d failures, want 10", n)
	}
	wait := th.Check("c1", "192.0.2.1:9999") // another port is the same source
	if wait < 5*time.Second || wait > 6*time.Second {
		t.Fatalf("wait %v, want 6s (one failure's drain at 10/min)", wait)
	}
	if th.Check("c2", "192.0.2.1:1") != 0 {
		t.Fatal("another client_id from the same source is throttled after 10 failures")
	}
	if th.Check("c1", "198.51.100.7:1") != 0 {
		t.Fatal("the client is locked out from another address")
	}
	c.add(wait)
	if th.Check("c1", "192.0.2.1:1") != 0 {
		t.Fatal("still throttled after the wait it was given")
	}
	th.Failed("c1", "192.0.2.1:1")
	if th.Check("c1", "192.0.2.1:1") == 0 {
		t.Fatal("a failure after the wait is not throttled again")
	}
}

func TestSourceLimit(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := newThrottle(c)
	allowed := 0
	for i := 0; i < 100 && th.Check(fmt.Sprint("c", i), "192.0.2.1:1") == 0; i++ {
		th.Failed(fmt.Sprint("c", i), "192.0.2.1:1")
		allowed++
	}
	if allowed != 50 {
		t.Fatalf("allowed %d failures over many client_ids, want 50", allowed)
	}
	if th.Check("fresh", "192.0.2.1:1") == 0 {
		t.Fatal("a new client_id from a throttled source is not throttled")
	}
	if th.Check("fresh", "192.0.2.2:1") != 0 {
		t.Fatal("another source is throttled")
	}
}

func TestSuccessResetsPairNotSource(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := newThrottle(c)
	for range 9 {
		th.Failed("c1", "192.0.2.1:1")
	}
	th.Succeeded("c1", "192.0.2.1:1")
	if n := failUntilThrottled(t, th, "c1", "192.0.2.1:1"); n != 10 {
		t.Fatalf("after a success, %d failures allowed, want 10", n)
	}
	// 19 failures from the source so far; a success of another client
	// there does not reset them.
	th.Succeeded("c2", "192.0.2.1:1")
	allowed := 0
	for i := 0; th.Check(fmt.Sprint("x", i), "192.0.2.1:1") == 0; i++ {
		th.Failed(fmt.Sprint("x", i), "192.0.2.1:1")
		allowed++
	}
	if allowed != 31 {
		t.Fatalf("source allowed %d more, want 31", allowed)
	}
}

func TestIPv6CountsBySlash64(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := newThrottle(c)
	for i := range 10 {
		th.Failed("c1", fmt.Sprintf("[2001:db8:1:2::%x]:443", i))
	}
	if th.Check("c1", "[2001:db8:1:2:ffff::1]:1") == 0 {
		t.Fatal("addresses of one /64 are counted apart")
	}
	if th.Check("c1", "[2001:db8:1:3::1]:1") != 0 {
		t.Fatal("another /64 is throttled")
	}
	for in, want := range map[string]string{
		"192.0.2.1:80": "192.0.2.1", "192.0.2.1": "192.0.2.1", "[::ffff:192.0.2.1]:1": "192.0.2.1",
		"2001:db8::1": "2001:db8::/64", "@": "@", "": "",
	} {
		if got := Source(in); got != want {
			t.Errorf("Source(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBoundedEntries(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := New(Config{MaxEntries: 1000, Now: c.now})
	for i := range 20000 {
		th.Failed("c", fmt.Sprintf("10.0.%d.%d:1", i/256, i%256))
	}
	// Each shard holds at most MaxEntries/shardCount+1 buckets.
	if n := th.Len(); n > 1000+2*shardCount {
		t.Fatalf("%d buckets held, bound 1000", n)
	}
	th.Failed("c", "192.0.2.1:1")
	if th.Len() == 0 {
		t.Fatal("nothing kept")
	}
	if held := th.held.Load(); held != int64(th.Len()) {
		t.Fatalf("held = %d after evictions, %d buckets", held, th.Len())
	}
}

// TestHeldCountsBuckets: Check and Succeeded skip all work while held is
// 0, so it must count exactly the buckets there are.
func TestHeldCountsBuckets(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := newThrottle(c)
	check := func(when string) {
		t.Helper()
		if held, n := th.held.Load(), th.Len(); held != int64(n) {
			t.Fatalf("%s: held = %d, %d buckets", when, held, n)
		}
	}
	check("new")
	th.Failed("c1", "192.0.2.1:1") // a source bucket and a pair bucket
	th.Failed("c1", "192.0.2.1:2") // the same two
	check("after failures")
	th.Succeeded("c1", "192.0.2.1:1") // drops the pair's
	th.Succeeded("c1", "192.0.2.1:1") // nothing left to drop
	check("after successes")
	if th.Len() != 1 || th.Check("c9", "192.0.2.1:1") != 0 {
		t.Fatalf("%d buckets; want the source's alone, not yet full", th.Len())
	}
}

func TestLongClientIDsAreClipped(t *testing.T) {
	th := New(Config{})
	long := string(make([]byte, 1<<16))
	th.Failed(long, "192.0.2.1:1")
	for i := range th.shards {
		s := &th.shards[i]
		for k := range s.buckets {
			if len(k.clientID) > maxClientID {
				t.Fatalf("kept a %d-byte client_id", len(k.clientID))
			}
		}
	}
}

// TestFastPathReturnsOnceFailuresDrain: a source that failed once and
// never came back must not keep every later request off the fast path.
func TestFastPathReturnsOnceFailuresDrain(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	th := newThrottle(c)
	th.Failed("c1", "192.0.2.1:1")
	th.Failed("c2", "192.0.2.2:1")
	if th.Check("c9", "198.51.100.1:1") != 0 || th.held.Load() != 4 {
		t.Fatalf("held = %d after two failures, want their 4 buckets", th.held.Load())
	}
	c.add(time.Minute) // one Window: both have drained
	th.Check("c9", "198.51.100.1:1")
	if held, n := th.held.Load(), th.Len(); held != 0 || n != 0 {
		t.Fatalf("a Window after the last failure: held = %d, %d buckets; want none", held, n)
	}
	th.Failed("c1", "192.0.2.1:1")
	if th.held.Load() != 2 {
		t.Fatalf("held = %d after a new failure, want 2", th.held.Load())
	}
}
