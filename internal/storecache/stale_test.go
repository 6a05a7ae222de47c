package storecache_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/postgres"
	"github.com/mintauth/mint/internal/storecache"
)

// tcpProxy forwards 127.0.0.1:port to PostgreSQL until stopped: stopping
// it cuts every connection and refuses new ones, as a database restart or
// a network partition does, for this process alone.
type tcpProxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{target: target, addr: "127.0.0.1:0", conns: map[net.Conn]bool{}}
	p.start(t)
	p.addr = p.ln.Addr().String()
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go p.accept(ln)
}

func (p *tcpProxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

// stop closes the listener and every connection through it.
func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// throughProxy returns dsn with its host replaced by a proxy to it.
func throughProxy(t *testing.T, dsn string) (*tcpProxy, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Fatalf("the stale tests need a URL DSN with a host: %v", err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.addr
	return p, u.String()
}

// clock is a test clock that moves only when told.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// With PostgreSQL unreachable, answers the cache held keep being given for
// StaleBound after the change feed was lost, and no longer; clients it did
// not hold fail as the store does; once the database is back the cache
// listens again and nothing stale remains.
func TestStaleBoundAnswersThroughOutage(t *testing.T) {
	b := openBackend(t, "postgres")
	writer := b.Replica(t)
	proxy, dsn := throughProxy(t, lastDSN)
	ctx := t.Context()
	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	clk.ns.Store(time.Now().UnixNano())
	const staleBound = 5 * time.Minute
	c := newCache(t, store, storecache.Options{Changes: store, StaleBound: staleBound, Now: clk.now})
	seed(t, writer, "c1")
	seed(t, writer, "c2")
	warm(t, c, "c1")
	if _, err := c.GetClient(ctx, "never"); !errors.Is(err, mint.ErrNotFound) {
		t.Fatalf("GetClient(never) = %v; want ErrNotFound", err)
	}

	proxy.stop()
	waitFor(t, 30*time.Second, "the cache to notice the outage", func() bool { return !c.Stats().Watching })
	lost := c.Stats().DegradedSince
	if lost.IsZero() {
		t.Fatal("Stats.DegradedSince is zero while not watching")
	}
	clk.advance(staleBound - time.Second)
	if err := tokenPathReads(ctx, c, "c1"); err != nil {
		t.Errorf("a held client's reads within the bound: %v; want answers from memory", err)
	}
	if _, err := c.GetClient(ctx, "never"); !errors.Is(err, mint.ErrNotFound) {
		t.Errorf("a held refusal within the bound: %v; want ErrNotFound from memory", err)
	}
	if _, err := c.GetClient(ctx, "c2"); err == nil || errors.Is(err, mint.ErrNotFound) {
		t.Errorf("a client not held, store unreachable: %v; want the store's failure", err)
	}
	if s := c.Stats(); s.Stale == 0 || !s.DegradedSince.Equal(lost) {
		t.Errorf("stats while degraded: %+v", s)
	}
	clk.advance(time.Second)
	if _, err := c.GetClient(ctx, "c1"); err == nil {
		t.Error("GetClient past the bound answered from memory; want the store's failure")
	}

	if err := writer.DeleteClient(ctx, "c1"); err != nil { // missed by the cache
		t.Fatal(err)
	}
	proxy.start(t)
	waitFor(t, 30*time.Second, "the cache to listen again", func() bool { return c.Stats().Watching })
	if s := c.Stats(); !s.DegradedSince.IsZero() {
		t.Errorf("DegradedSince = %v after listening again; want zero", s.DegradedSince)
	}
	if _, err := c.GetClient(ctx, "c1"); !errors.Is(err, mint.ErrNotFound) {
		t.Errorf("GetClient(c1) after the outage: %v; want ErrNotFound (deleted meanwhile)", err)
	}
	warm(t, c, "c2")
}

// With no StaleBound (the default), losing the feed stops answers from
// memory at once, as before.
func TestNoStaleBoundReadsThrough(t *testing.T) {
	b := openBackend(t, "postgres")
	proxy, dsn := throughProxy(t, lastDSN)
	ctx := t.Context()
	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	c := newCache(t, store, storecache.Options{Changes: store})
	seed(t, b.Raw, "c1")
	warm(t, c, "c1")
	proxy.stop()
	waitFor(t, 30*time.Second, "the cache to notice the outage", func() bool { return !c.Stats().Watching })
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.GetClient(rctx, "c1"); err == nil {
		t.Error("GetClient with the store unreachable and no StaleBound answered; want the store's failure")
	}
	if s := c.Stats(); s.Stale != 0 || s.Entries != 0 {
		t.Errorf("stats: %+v; want nothing kept, nothing stale", s)
	}
}
