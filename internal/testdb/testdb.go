// Package testdb gives tests a fresh mint.Store on each backend, so that
// protocol tests run on SQLite and PostgreSQL alike: a temporary SQLite
// file, or a new PostgreSQL schema dropped when the test ends.
//
// PostgreSQL is the server MINT_TEST_POSTGRES names, else the local one
// scripts/test starts. When it cannot be reached the test fails, never
// skips: a skipped backend would look like a passing one.
package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/postgres"
	"github.com/mintauth/mint/internal/sqlite"
)

// Backends names every backend, for a table of subtests.
var Backends = []string{"sqlite", "postgres"}

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func postgresDSN() string {
	if dsn := os.Getenv("MINT_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultPostgres
}

// Open returns a store on a new, empty database of the backend, closed
// when the test ends.
func Open(tb testing.TB, backend string) mint.Store {
	tb.Helper()
	return OpenDSN(tb, backend, New(tb, backend))
}

// New creates a new, empty database of the backend and returns what
// OpenDSN takes to open it: replicas of one mint open it twice.
func New(tb testing.TB, backend string) string {
	tb.Helper()
	switch backend {
	case "sqlite":
		return filepath.Join(tb.TempDir(), "mint.db")
	case "postgres":
		return freshSchema(tb)
	}
	tb.Fatalf("testdb: unknown backend %q", backend)
	return ""
}

// OpenDSN opens a database New made; the store is closed when the test ends.
func OpenDSN(tb testing.TB, backend, dsn string) mint.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var (
		store mint.Store
		err   error
	)
	if backend == "postgres" {
		store, err = postgres.Open(ctx, dsn)
	} else {
		store, err = sqlite.Open(ctx, dsn)
	}
	if err != nil {
		tb.Fatalf("testdb: open %s: %v", backend, err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

var schemaSeq atomic.Int64

// freshSchema creates a schema named for this process and returns a DSN
// whose search_path is that schema; it is dropped when the test ends.
func freshSchema(tb testing.TB) string {
	tb.Helper()
	schema := fmt.Sprintf("mint_testdb_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if err := exec(postgresDSN(), `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("testdb: cannot create a schema on the test PostgreSQL at MINT_TEST_POSTGRES or %s: %v\n"+
			"(scripts/test starts the local server; these tests do not skip)", defaultPostgres, err)
	}
	tb.Cleanup(func() {
		if err := exec(postgresDSN(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("testdb: drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(tb, postgresDSN(), schema)
}

func exec(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withSearchPath adds search_path to a URL or keyword/value DSN.
func withSearchPath(tb testing.TB, dsn, schema string) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("testdb: MINT_TEST_POSTGRES is not a valid URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// LockUsedAssertions keeps used_assertions from being written until
// release is called (or the test ends), as a database that is down for
// writes would: SQLite's write lock held by another connection (longer
// than the batcher waits, shorter than busy_timeout), or PostgreSQL's
// EXCLUSIVE lock on the table, which lets reads through.
func LockUsedAssertions(t *testing.T, backend, dsn string) (release func()) {
	t.Helper()
	ctx := context.Background()
	var once sync.Once
	switch backend {
	case "sqlite":
		db, err := sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		release = func() {
			once.Do(func() {
				conn.ExecContext(ctx, "ROLLBACK")
				conn.Close()
				db.Close()
			})
		}
	case "postgres":
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE used_assertions IN EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		release = func() {
			once.Do(func() {
				tx.Rollback(ctx)
				conn.Close(ctx)
			})
		}
	}
	t.Cleanup(release)
	return release
}
