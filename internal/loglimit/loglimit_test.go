package loglimit

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

type reports struct {
	mu sync.Mutex
	m  map[string]int
}

func (r *reports) add(src string, n int) { r.mu.Lock(); r.m[src] += n; r.mu.Unlock() }
func (r *reports) get(src string) int    { r.mu.Lock(); defer r.mu.Unlock(); return r.m[src] }

// A source gets Burst lines a window, whatever its rate; the lines left
// out are reported once, at the window's end, and the next window starts
// afresh. Ports and the rest of an IPv6 /64 are the same source; another
// address is not.
func TestBurstPerSourceThenOneReport(t *testing.T) {
	r := &reports{m: map[string]int{}}
	const window = 200 * time.Millisecond
	l := New(3, window, 0, r.add)
	allowed := 0
	for i := range 1000 {
		if l.Allow(fmt.Sprintf("192.0.2.1:%d", 1000+i)) {
			allowed++
		}
	}
	if allowed != 3 {
		t.Fatalf("%d lines allowed of 1000; want 3", allowed)
	}
	if !l.Allow("192.0.2.2:1") {
		t.Fatal("another address shares the first one's budget")
	}
	for range 10 {
		l.Allow("[2001:db8::1]:1")
		l.Allow("[2001:db8::2]:1")
	}
	deadline := time.Now().Add(5 * time.Second)
	for (r.get("192.0.2.1") == 0 || r.get("2001:db8::/64") == 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := r.get("192.0.2.1"); n != 997 {
		t.Fatalf("reported %d lines left out; want 997", n)
	}
	if n := r.get("2001:db8::/64"); n != 17 {
		t.Fatalf("IPv6 /64 reported %d left out; want 17 (20 lines, 3 allowed)", n)
	}
	if !l.Allow("192.0.2.1:1") {
		t.Fatal("no line allowed in the next window")
	}
}

// Past MaxSources, new sources share one budget, reported as Others: the
// lines written stay bounded however many addresses an attacker has.
func TestManySourcesShareOneBudget(t *testing.T) {
	r := &reports{m: map[string]int{}}
	l := New(1, time.Hour, 10, r.add)
	allowed := 0
	for i := range 1000 {
		if l.Allow(fmt.Sprintf("198.51.100.%d:1", i%250)) || l.Allow(fmt.Sprintf("203.0.113.%d:1", i%250)) {
			allowed++
		}
	}
	if allowed > 11 {
		t.Fatalf("%d lines allowed from 500 addresses with 10 sources counted and a burst of 1; want at most 11", allowed)
	}
	if len(l.sources) > 10 {
		t.Fatalf("%d sources kept; want at most 10", len(l.sources))
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", 60_000) // 2 bytes each: the cut may fall inside one
	c := Clip(long)
	if len(c) > MaxField+32 || !utf8.ValidString(c) || !strings.HasSuffix(c, "(120000 bytes)") {
		t.Fatalf("Clip of 120,000 bytes: %d bytes, valid UTF-8 %v, ends %q", len(c), utf8.ValidString(c), c[len(c)-20:])
	}
	if Clip("short") != "short" {
		t.Fatal("a short field was changed")
	}
}
