package storecache_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storecache"
)

const (
	audience = "https://cargo.example.com"
	// bound is issue 4's: a change made anywhere is seen within a second.
	bound = time.Second
)

var t0 = time.UnixMilli(1_700_000_000_000).UTC()

// seed stores an API and a client with one secret and a grant on it.
func seed(t testing.TB, s mint.Store, clientID string) {
	t.Helper()
	ctx := context.Background()
	err := s.CreateAPI(ctx, mint.API{ID: "api_cargo", Name: "cargo", Audience: audience,
		Scopes: []string{"read", "write"}, TokenLifetime: time.Hour, CreatedAt: t0, UpdatedAt: t0})
	if err != nil && !errors.Is(err, mint.ErrConflict) {
		t.Fatalf("CreateAPI: %v", err)
	}
	err = s.CreateClient(ctx, mint.Client{ID: clientID, Name: clientID, CreatedAt: t0, UpdatedAt: t0},
		mint.Secret{ID: "sec_" + clientID, Digest: []byte("digest-of-" + clientID), CreatedAt: t0})
	if err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	err = s.CreateGrant(ctx, mint.Grant{ID: "grant_" + clientID, ClientID: clientID, Audience: audience,
		Scopes: []string{"read"}, CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatalf("CreateGrant: %v", err)
	}
}

// tokenPathReads makes the reads of one token request for clientID.
func tokenPathReads(ctx context.Context, s mint.Store, clientID string) error {
	if _, err := s.ListSecrets(ctx, clientID); err != nil {
		return err
	}
	if _, err := s.GetClient(ctx, clientID); err != nil {
		return err
	}
	if _, err := s.ListGrants(ctx, clientID); err != nil {
		return err
	}
	if _, err := s.FindGrant(ctx, clientID, audience); err != nil {
		return err
	}
	_, err := s.GetAPIByAudience(ctx, audience)
	return err
}

// warm reads clientID through c until every read is a hit.
func warm(t *testing.T, c *storecache.Store, clientID string) {
	t.Helper()
	waitFor(t, 5*time.Second, "the cache to listen", func() bool { return c.Stats().Watching })
	for range 2 {
		if err := tokenPathReads(t.Context(), c, clientID); err != nil {
			t.Fatalf("token path reads of %s: %v", clientID, err)
		}
	}
	before := c.Stats()
	if err := tokenPathReads(t.Context(), c, clientID); err != nil {
		t.Fatal(err)
	}
	if after := c.Stats(); after.Hits-before.Hits != 5 || after.Loads != before.Loads {
		t.Fatalf("warm reads: %d hits, %d loads; want 5 hits, no load", after.Hits-before.Hits, after.Loads-before.Loads)
	}
}

// waitFor polls ok every millisecond until it holds, failing after limit;
// it returns how long that took.
func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > limit {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// A change written through another store on the database — the admin API's,
// or for PostgreSQL another replica's — reaches a warm cache within the
// bound: a deleted client, a rotated secret, a changed grant and API.
func TestChangesElsewhereAreSeen(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			b := openBackend(t, name)
			writer := b.Raw
			if b.Replica != nil {
				writer = b.Replica(t)
			}
			c := newCache(t, b.Raw, storecache.Options{Changes: b.Changes})
			seed(t, writer, "c1")
			seed(t, writer, "c2")
			ctx := t.Context()
			changes := []struct {
				name   string
				change func() error
				seen   func() bool
			}{
				{"SecretRotated", func() error {
					return writer.RotateSecret(ctx, mint.Secret{ID: "sec_c1_2", ClientID: "c1", Digest: []byte("new"), CreatedAt: t0}, t0)
				}, func() bool {
					secrets, err := c.ListSecrets(ctx, "c1")
					return err == nil && len(secrets) == 2 && !secrets[0].Live(t0.Add(time.Second))
				}},
				{"GrantChanged", func() error {
					_, err := writer.UpdateGrant(ctx, "grant_c1", func(g mint.Grant) (mint.Grant, error) {
						g.Scopes = []string{"read", "write"}
						return g, nil
					})
					return err
				}, func() bool {
					g, err := c.FindGrant(ctx, "c1", audience)
					return err == nil && len(g.Scopes) == 2
				}},
				{"APIChanged", func() error {
					_, err := writer.UpdateAPI(ctx, "api_cargo", func(a mint.API) (mint.API, error) {
						a.TokenLifetime = time.Minute
						return a, nil
					})
					return err
				}, func() bool {
					a, err := c.GetAPIByAudience(ctx, audience)
					return err == nil && a.TokenLifetime == time.Minute
				}},
				{"ClientDeleted", func() error { return writer.DeleteClient(ctx, "c2") }, func() bool {
					_, err := c.ListSecrets(ctx, "c2")
					return errors.Is(err, mint.ErrNotFound)
				}},
			}
			for _, ch := range changes {
				t.Run(ch.name, func(t *testing.T) {
					warm(t, c, "c1")
					warm(t, c, "c2")
					if err := ch.change(); err != nil {
						t.Fatalf("change: %v", err)
					}
					d := waitFor(t, bound, "the change to be seen", ch.seen)
					t.Logf("seen %v after the write returned", d)
				})
			}
		})
	}
}

// Without notifications, the TTL bounds how long a change goes unseen.
func TestTTLBoundsWithoutNotifier(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			b := openBackend(t, name)
			const ttl = 200 * time.Millisecond
			c := newCache(t, b.Raw, storecache.Options{TTL: ttl})
			seed(t, b.Raw, "c1")
			warm(t, c, "c1")
			start := time.Now()
			if err := b.Raw.DeleteClient(t.Context(), "c1"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.GetClient(t.Context(), "c1"); err != nil && time.Since(start) < ttl/2 {
				t.Fatalf("GetClient right after the delete: %v; want the cached client", err)
			}
			waitFor(t, bound, "the TTL to end", func() bool {
				_, err := c.GetClient(t.Context(), "c1")
				return errors.Is(err, mint.ErrNotFound)
			})
			if d := time.Since(start); d < ttl/2 {
				t.Errorf("delete seen after %v, before the TTL (%v) without notifications", d, ttl)
			}
		})
	}
}

// Many requests missing one entry at once make one read of the store.
func TestConcurrentMissesShareOneRead(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			b := openBackend(t, name)
			seed(t, b.Raw, "c1")
			store := &counting{Store: b.Raw, gate: make(chan struct{})}
			c := newCache(t, store, storecache.Options{Changes: b.Changes})
			waitFor(t, 5*time.Second, "the cache to listen", func() bool { return c.Stats().Watching })
			const readers = 50
			var wg sync.WaitGroup
			errs := make(chan error, readers)
			for range readers {
				wg.Go(func() {
					_, err := c.GetClient(t.Context(), "c1")
					errs <- err
				})
			}
			waitFor(t, 5*time.Second, "every reader to miss", func() bool { return c.Stats().Misses == readers })
			time.Sleep(20 * time.Millisecond) // from counting the miss to joining the read
			close(store.gate)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("GetClient: %v", err)
				}
			}
			if n := store.getClient.Load(); n != 1 {
				t.Errorf("%d concurrent misses made %d reads of the store; want 1", readers, n)
			}
		})
	}
}

// "Not found" is kept as answers are, so that an unknown client costs
// what a known one costs, but apart and bounded: requests naming random
// clients never push out a client's answer, and a client created
// elsewhere is seen within the bound.
func TestNotFoundIsKeptApartAndBounded(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			const max = 10
			b := openBackend(t, name)
			seed(t, b.Raw, "c1")
			store := &counting{Store: b.Raw}
			c := newCache(t, store, storecache.Options{Changes: b.Changes, MaxEntries: max})
			warm(t, c, "c1")
			for i := range 100 {
				if _, err := c.ListSecrets(t.Context(), fmt.Sprint("nobody", i%10)); !errors.Is(err, mint.ErrNotFound) {
					t.Fatalf("ListSecrets: %v; want ErrNotFound", err)
				}
			}
			if n := store.listSecrets.Load(); n != 1+10 {
				t.Errorf("100 reads of 10 missing clients made %d reads of the store; want 10 (and 1 for c1)", n-1)
			}
			for i := range 50 * max { // random names: only "not found" keys are pushed out
				c.ListSecrets(t.Context(), fmt.Sprint("random", i))
			}
			var secrets storecache.KindStats
			for _, k := range c.KindStats() {
				if k.Kind == "secrets" {
					secrets = k
				}
			}
			if secrets.Absent > max || secrets.Entries != 1 {
				t.Errorf("after %d random names: %d answers and %d not-found keys kept; want c1's one and at most %d", 50*max, secrets.Entries, secrets.Absent, max)
			}
			before := c.Stats()
			warm(t, c, "c1")
			if c.Stats().Loads != before.Loads {
				t.Error("c1's answers were pushed out by random names")
			}
			long := strings.Repeat("n", 60_000)
			c.GetAPIByAudience(t.Context(), long)
			c.GetAPIByAudience(t.Context(), long)
			for _, k := range c.KindStats() {
				if k.Kind == "apis_by_audience" && k.Absent != 0 {
					t.Errorf("a 60,000-byte audience kept as not found")
				}
			}
			c.ListSecrets(t.Context(), "c-new")
			seed(t, b.Raw, "c-new")
			waitFor(t, bound, "a client created elsewhere to be found", func() bool {
				_, err := c.ListSecrets(t.Context(), "c-new")
				return err == nil
			})
		})
	}
}

// Each kind holds at most MaxEntries entries.
func TestSizeIsBounded(t *testing.T) {
	b := openBackend(t, "sqlite")
	const max, clients = 10, 40
	c := newCache(t, b.Raw, storecache.Options{Changes: b.Changes, MaxEntries: max})
	for i := range clients {
		seed(t, b.Raw, fmt.Sprint("c", i))
	}
	waitFor(t, 5*time.Second, "the cache to listen", func() bool { return c.Stats().Watching })
	for i := range clients {
		if err := tokenPathReads(t.Context(), c, fmt.Sprint("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Five kinds read per client; GetAPIByAudience has one key.
	if n, most := c.Stats().Entries, 4*max+1; n > most {
		t.Errorf("%d entries after reading %d clients; want at most %d", n, clients, most)
	}
}

// Recording a secret's use, which every token request does, keeps the cache.
func TestRecordSecretUseKeepsCache(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			b := openBackend(t, name)
			c := newCache(t, b.Raw, storecache.Options{Changes: b.Changes})
			seed(t, b.Raw, "c1")
			heardAll(t, c, b.Raw) // the seed's notifications, heard late, would count below
			warm(t, c, "c1")
			before := c.Stats()
			err := c.RecordSecretUse(t.Context(), map[string]time.Time{"sec_c1": t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond) // a notification would be here by now
			if after := c.Stats(); after.Flushes != before.Flushes || after.Invalidated != before.Invalidated {
				t.Errorf("RecordSecretUse emptied the cache %d times, invalidated %d keys",
					after.Flushes-before.Flushes, after.Invalidated-before.Invalidated)
			}
			warm(t, c, "c1")
		})
	}
}

// Writes through the cache, or through Fresh as the admin API writes, are
// seen by the next read, with no wait; Fresh reads the store.
func TestOwnWritesAreSeenAtOnce(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			b := openBackend(t, name)
			c := newCache(t, b.Raw, storecache.Options{Changes: b.Changes})
			seed(t, b.Raw, "c1")
			seed(t, b.Raw, "c2")
			warm(t, c, "c1")
			warm(t, c, "c2")
			if err := c.Fresh().DeleteClient(t.Context(), "c1"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.GetClient(t.Context(), "c1"); !errors.Is(err, mint.ErrNotFound) {
				t.Errorf("GetClient after Fresh().DeleteClient: %v; want ErrNotFound", err)
			}
			if err := c.DeleteClient(t.Context(), "c2"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ListSecrets(t.Context(), "c2"); !errors.Is(err, mint.ErrNotFound) {
				t.Errorf("ListSecrets after DeleteClient: %v; want ErrNotFound", err)
			}
		})
	}
}

// Answers are shared, not copied: a hit allocates nothing, where the cache
// used to copy every slice it handed out.
func TestHitsDoNotAllocate(t *testing.T) {
	b := openBackend(t, "sqlite")
	c := newCache(t, b.Raw, storecache.Options{Changes: b.Changes})
	seed(t, b.Raw, "c1")
	warm(t, c, "c1")
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		max  float64
		read func() error
	}{
		{"GetClient", 0, func() error { _, err := c.GetClient(ctx, "c1"); return err }},
		{"ListSecrets", 0, func() error { _, err := c.ListSecrets(ctx, "c1"); return err }},
		{"GetAPIByAudience", 0, func() error { _, err := c.GetAPIByAudience(ctx, audience); return err }},
		{"FindGrant", 0, func() error { _, err := c.FindGrant(ctx, "c1", audience); return err }},
	} {
		var err error
		allocs := testing.AllocsPerRun(100, func() { err = tc.read() })
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if allocs > tc.max {
			t.Errorf("%s hit: %.0f allocations; want at most %.0f", tc.name, allocs, tc.max)
		}
	}
	g1, _ := c.FindGrant(ctx, "c1", audience)
	g2, _ := c.FindGrant(ctx, "c1", audience)
	if &g1.Scopes[0] != &g2.Scopes[0] {
		t.Error("two hits got different copies of a grant's scopes; want one shared slice")
	}
}

// When the PostgreSQL listening connection is lost, reads go through to the
// store until it is back, so a change made meanwhile is seen at once; the
// cache then listens again and keeps answers again.
func TestListenLostReadsThrough(t *testing.T) {
	b := openBackend(t, "postgres")
	writer := b.Replica(t)
	c := newCache(t, b.Raw, storecache.Options{Changes: b.Changes})
	seed(t, writer, "c1")
	warm(t, c, "c1")
	if n := endListening(t); n != 1 {
		t.Fatalf("ended %d listening connections; want 1", n)
	}
	waitFor(t, 5*time.Second, "the cache to notice", func() bool { return !c.Stats().Watching })
	if err := writer.DeleteClient(t.Context(), "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetClient(t.Context(), "c1"); !errors.Is(err, mint.ErrNotFound) && !c.Stats().Watching {
		t.Errorf("GetClient while not listening: %v; want ErrNotFound from the store", err)
	}
	seed(t, writer, "c2")
	heardAll(t, c, writer) // listening again, the seed's notifications heard
	warm(t, c, "c2")       // keeps answers again
	if s := c.Stats(); s.Bypassed == 0 {
		t.Errorf("no read went through while not listening: %+v", s)
	}
}
