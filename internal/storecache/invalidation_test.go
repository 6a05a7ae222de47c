package storecache_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storecache"
)

// A change to one client, made on another replica (PostgreSQL) or in the
// process (SQLite), invalidates that client's answers only: the next
// client's reads stay hits, and the changed client's are seen.
func TestChangeInvalidatesOnlyItsClient(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			b := openBackend(t, name)
			writer := b.Raw
			if b.Replica != nil {
				writer = b.Replica(t)
			}
			c := newCache(t, b.Raw, storecache.Options{Changes: b.Changes})
			seed(t, writer, "c1")
			seed(t, writer, "bystander")
			ctx := t.Context()
			heardAll(t, c, writer)
			changes := []struct {
				name   string
				change func() error
				seen   func() bool
			}{
				{"ClientUpdated", func() error {
					_, err := writer.UpdateClient(ctx, "c1", func(cl mint.Client) (mint.Client, error) {
						cl.Name = "renamed"
						return cl, nil
					})
					return err
				}, func() bool {
					cl, err := c.GetClient(ctx, "c1")
					return err == nil && cl.Name == "renamed"
				}},
				{"SecretRotated", func() error {
					return writer.RotateSecret(ctx, mint.Secret{ID: "sec_c1_2", ClientID: "c1", Digest: []byte("new"), CreatedAt: t0}, t0)
				}, func() bool {
					secrets, err := c.ListSecrets(ctx, "c1")
					return err == nil && len(secrets) == 2
				}},
				{"SecretDeleted", func() error { return writer.DeleteSecret(ctx, "c1", "sec_c1") }, func() bool {
					secrets, err := c.ListSecrets(ctx, "c1")
					return err == nil && len(secrets) == 1
				}},
				{"GrantDeletedWithClient", func() error { return writer.DeleteClient(ctx, "c1") }, func() bool {
					_, err := c.FindGrant(ctx, "c1", audience)
					return errors.Is(err, mint.ErrNotFound)
				}},
				{"ClientCreated", func() error {
					return writer.CreateClient(ctx, mint.Client{ID: "c1", Name: "again", CreatedAt: t0.Add(time.Hour), UpdatedAt: t0.Add(time.Hour)},
						mint.Secret{ID: "sec_c1_3", Digest: []byte("d3"), CreatedAt: t0.Add(time.Hour)})
				}, func() bool {
					cl, err := c.GetClient(ctx, "c1")
					return err == nil && cl.Name == "again"
				}},
				{"GrantCreated", func() error {
					return writer.CreateGrant(ctx, mint.Grant{ID: "grant_c1_2", ClientID: "c1", Audience: audience,
						Scopes: []string{"write"}, CreatedAt: t0, UpdatedAt: t0})
				}, func() bool {
					g, err := c.FindGrant(ctx, "c1", audience)
					return err == nil && g.Scopes[0] == "write"
				}},
			}
			for _, ch := range changes {
				t.Run(ch.name, func(t *testing.T) {
					warm(t, c, "bystander")
					for _, read := range []func() error{
						func() error { _, err := c.GetClient(ctx, "c1"); return err },
						func() error { _, err := c.ListSecrets(ctx, "c1"); return err },
						func() error { _, err := c.FindGrant(ctx, "c1", audience); return err },
					} {
						if err := read(); err != nil && !errors.Is(err, mint.ErrNotFound) {
							t.Fatal(err)
						}
					}
					if err := ch.change(); err != nil {
						t.Fatalf("change: %v", err)
					}
					waitFor(t, bound, "the change to be seen", ch.seen)
					before := c.Stats()
					if err := tokenPathReads(ctx, c, "bystander"); err != nil {
						t.Fatal(err)
					}
					if after := c.Stats(); after.Misses != before.Misses || after.Bypassed != before.Bypassed {
						t.Errorf("a change to c1 made the bystander's reads miss: %d misses, %d bypassed",
							after.Misses-before.Misses, after.Bypassed-before.Bypassed)
					}
				})
			}
		})
	}
}

// A PostgreSQL statement that touches more than 100 clients sends one
// notification without keys, which empties the kinds read from the table,
// and an UPDATE that only records a secret's use sends none.
func TestPostgresBulkChangeFlushesKind(t *testing.T) {
	b := openBackend(t, "postgres")
	writer := b.Replica(t)
	c := newCache(t, b.Raw, storecache.Options{Changes: b.Changes})
	ctx := t.Context()
	for i := range 101 {
		seed(t, writer, fmt.Sprint("bulk", i))
	}
	warm(t, c, "bulk0")
	heardAll(t, c, writer)
	conn := rawConn(t)
	before := c.Stats()
	if _, err := conn.Exec(ctx, `UPDATE clients SET name = name || '!' WHERE id LIKE 'bulk%'`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bound, "the bulk change to be seen", func() bool {
		cl, err := c.GetClient(ctx, "bulk0")
		return err == nil && cl.Name == "bulk0!"
	})
	if after := c.Stats(); after.Invalidated != before.Invalidated {
		t.Errorf("bulk update invalidated %d keys one by one; want one flush", after.Invalidated-before.Invalidated)
	}
	if _, err := conn.Exec(ctx, `UPDATE secrets SET last_used_at = now()`); err != nil {
		t.Fatal(err)
	}
	before = c.Stats()
	if _, err := conn.Exec(ctx, `TRUNCATE grants`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bound, "TRUNCATE to be seen", func() bool {
		_, err := c.FindGrant(ctx, "bulk0", audience)
		return errors.Is(err, mint.ErrNotFound)
	})
	// The last_used_at update came first: had it notified, it would have
	// been heard before TRUNCATE was.
	if after := c.Stats(); after.Invalidated != before.Invalidated {
		t.Errorf("recording use invalidated %d keys", after.Invalidated-before.Invalidated)
	}

	// A writer whose search_path does not name the schema (an operator's
	// psql) writes, and is heard, all the same.
	other, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background())
	schema := pgx.Identifier{schemaOf(t, lastDSN), "clients"}.Sanitize()
	if _, err := other.Exec(ctx, `UPDATE `+schema+` SET name = 'by hand' WHERE id = 'bulk1'`); err != nil {
		t.Fatalf("update from another search_path: %v", err)
	}
	waitFor(t, bound, "the change by hand to be seen", func() bool {
		cl, err := c.GetClient(ctx, "bulk1")
		return err == nil && cl.Name == "by hand"
	})
}

// schemaOf returns the search_path of a URL DSN.
func schemaOf(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Query().Get("search_path") == "" {
		t.Fatalf("no search_path in the test DSN")
	}
	return u.Query().Get("search_path")
}

// rawConn opens a connection on the last schema freshSchema made, as
// another process would write to it.
func rawConn(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, lastDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// readThenWait is the store with GetClient holding its answer, once read,
// until gate is closed: a read that raced a change. It holds only once
// armed, so that the test can first make sure every earlier change was
// heard.
type readThenWait struct {
	mint.Store
	armed atomic.Bool
	read  chan struct{} // closed once GetClient has read
	once  sync.Once
	gate  chan struct{}
}

func (s *readThenWait) GetClient(ctx context.Context, id string) (mint.Client, error) {
	c, err := s.Store.GetClient(ctx, id)
	if !s.armed.Load() {
		return c, err
	}
	s.once.Do(func() { close(s.read) })
	<-s.gate
	return c, err
}

// A read that got its answer before a change and returns after the change
// was heard cannot keep that answer: the next read sees the change.
func TestReadRacingChangeKeepsNothingStale(t *testing.T) {
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			b := openBackend(t, name)
			writer := b.Raw
			if b.Replica != nil {
				writer = b.Replica(t)
			}
			store := &readThenWait{Store: b.Raw, read: make(chan struct{}), gate: make(chan struct{})}
			c := newCache(t, store, storecache.Options{Changes: b.Changes})
			seed(t, writer, "c1")
			waitFor(t, 5*time.Second, "the cache to listen", func() bool { return c.Stats().Watching })
			// The seed's own notifications, heard late, would count as the
			// change below being heard.
			heardAll(t, c, writer)
			store.armed.Store(true)
			ctx := t.Context()
			done := make(chan mint.Client)
			go func() {
				cl, _ := c.GetClient(ctx, "c1")
				done <- cl
			}()
			<-store.read
			before := c.Stats().Invalidated
			_, err := writer.UpdateClient(ctx, "c1", func(cl mint.Client) (mint.Client, error) {
				cl.Name = "changed"
				return cl, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, bound, "the change to be heard", func() bool { return c.Stats().Invalidated > before })
			close(store.gate)
			if cl := <-done; cl.Name != "c1" {
				t.Fatalf("the racing read got %q; the test wants it to have read before the change", cl.Name)
			}
			// Another notification of the change may have been the one
			// counted above, the client's own still on its way: wait for
			// it. A stale answer kept after it was heard stays for the
			// entry's whole life (minutes), far beyond this wait.
			waitFor(t, bound, "the change to reach the cache", func() bool {
				cl, err := c.GetClient(ctx, "c1")
				return err == nil && cl.Name == "changed"
			})
		})
	}
}

// A grant deleted through the cache itself (the admin API of this
// replica), which names the grant by ID alone, drops its client's grants
// only: the cache reads the grant first to know whose it is.
func TestOwnGrantDeletionKeepsOthers(t *testing.T) {
	b := openBackend(t, "postgres")
	c := newCache(t, b.Raw, storecache.Options{Changes: b.Changes})
	seed(t, b.Raw, "c1")
	seed(t, b.Raw, "bystander")
	// The seeds' own notifications (the API's among them) must be heard
	// before warming: arriving late, they would count as the deletion's.
	heardAll(t, c, b.Raw)
	warm(t, c, "c1")
	warm(t, c, "bystander")
	ctx := t.Context()
	if err := c.Fresh().DeleteGrant(ctx, "grant_c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindGrant(ctx, "c1", audience); !errors.Is(err, mint.ErrNotFound) {
		t.Fatalf("FindGrant after DeleteGrant: %v; want ErrNotFound at once", err)
	}
	heardAll(t, c, b.Raw) // the deletion's notification among them
	before := c.Stats()
	if err := tokenPathReads(ctx, c, "bystander"); err != nil {
		t.Fatal(err)
	}
	if after := c.Stats(); after.Misses != before.Misses {
		t.Errorf("deleting c1's grant made the bystander's reads miss %d times", after.Misses-before.Misses)
	}
}

// heardAll waits until c has heard every change writer made so far:
// notifications arrive in commit order, so once a last change to a marker
// client is seen, every earlier one has been.
func heardAll(t *testing.T, c *storecache.Store, writer mint.Store) {
	t.Helper()
	ctx := t.Context()
	marker := fmt.Sprint("marker-", time.Now().UnixNano())
	err := writer.CreateClient(ctx, mint.Client{ID: marker, Name: marker, CreatedAt: t0, UpdatedAt: t0},
		mint.Secret{ID: "sec_" + marker, Digest: []byte("d"), CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the cache to listen", func() bool { return c.Stats().Watching })
	if _, err := c.GetClient(ctx, marker); err != nil && !errors.Is(err, mint.ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := writer.UpdateClient(ctx, marker, func(cl mint.Client) (mint.Client, error) {
		cl.Name = "heard"
		return cl, nil
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the marker's change to be heard", func() bool {
		cl, err := c.GetClient(ctx, marker)
		return err == nil && cl.Name == "heard"
	})
}
