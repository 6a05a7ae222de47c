package storecache_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/postgres"
	"github.com/mintauth/mint/internal/sqlite"
	"github.com/mintauth/mint/internal/storecache"
)

// The tests run on both backends. PostgreSQL is the server
// MINT_TEST_POSTGRES names, else the one scripts/test starts; the tests
// fail, never skip, without it.
var backends = []string{"sqlite", "postgres"}

const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// appName marks this process's PostgreSQL connections, so that a test can
// end its own listening connection and nobody else's.
var appName = fmt.Sprintf("storecache_test_%d", os.Getpid())

// backend is a database opened twice: Raw is what the admin API (or
// another replica) writes through, Changes what the cache hears from.
type backend struct {
	Raw     mint.Store
	Changes storecache.Notifier
	// Replica opens the same database again, as a second replica would;
	// SQLite has none (one process serves a file).
	Replica func(t testing.TB) mint.Store
}

func openBackend(t testing.TB, name string) backend {
	t.Helper()
	switch name {
	case "sqlite":
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "mint.db"))
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return backend{Raw: s, Changes: s}
	case "postgres":
		dsn := freshSchema(t)
		open := func(t testing.TB) mint.Store {
			s, err := postgres.Open(context.Background(), dsn)
			if err != nil {
				t.Fatalf("postgres.Open: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		s := open(t).(*postgres.Store)
		return backend{Raw: s, Changes: s, Replica: open}
	}
	t.Fatalf("no backend %q", name)
	return backend{}
}

func testDSN() string {
	if dsn := os.Getenv("MINT_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultTestDSN
}

var schemaSeq atomic.Int64

// lastDSN is the DSN freshSchema returned last (tests do not run in
// parallel).
var lastDSN string

// freshSchema creates a schema dropped when the test ends and returns a DSN
// on it.
func freshSchema(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		t.Fatalf("cannot reach the test PostgreSQL at MINT_TEST_POSTGRES or %s: %v\n"+
			"(scripts/test starts the local server; these tests do not skip)", defaultTestDSN, err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("storecache_test_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testDSN())
		if err == nil {
			defer conn.Close(ctx)
			_, err = conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
		}
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	dsn := testDSN()
	defer func() { lastDSN = dsn }()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		dsn += " search_path=" + schema + " application_name=" + appName
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("MINT_TEST_POSTGRES is not a valid URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", appName)
	u.RawQuery = q.Encode()
	dsn = u.String()
	return dsn
}

// endListening ends, from the server side, every connection of this test
// process that is waiting in LISTEN, as a restart or a network failure
// would.
func endListening(t *testing.T) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query LIKE 'LISTEN%'`, appName).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// counting is the real store, with its reads counted: it observes what
// the cache asks of the store. gate, when not nil, holds GetClient until
// it is closed.
type counting struct {
	mint.Store
	getClient, listSecrets atomic.Int64
	gate                   chan struct{}
}

func (c *counting) GetClient(ctx context.Context, id string) (mint.Client, error) {
	c.getClient.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	return c.Store.GetClient(ctx, id)
}

func (c *counting) ListSecrets(ctx context.Context, clientID string) ([]mint.Secret, error) {
	c.listSecrets.Add(1)
	return c.Store.ListSecrets(ctx, clientID)
}

// The cache closes the store it wraps; the backend's own cleanup closes it
// again, which both backends allow.
func newCache(t testing.TB, store mint.Store, opts storecache.Options) *storecache.Store {
	t.Helper()
	c := storecache.New(store, opts)
	t.Cleanup(func() { c.Close() })
	return c
}
