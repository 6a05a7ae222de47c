package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storetest"
)

// These tests need a PostgreSQL server. scripts/test starts the local one;
// MINT_TEST_POSTGRES names another. They fail, never skip, when it cannot
// be reached: a skipped backend would look like a passing one.
const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testDSN() string {
	if dsn := os.Getenv("MINT_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultTestDSN
}

// TestMain fails the package at once, with one clear message, when the
// server cannot be reached, rather than once per test after a timeout each.
func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	conn, err := pgx.Connect(ctx, testDSN())
	if err == nil {
		conn.Close(ctx)
	}
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot reach the test PostgreSQL at MINT_TEST_POSTGRES or %s: %v\n"+
			"scripts/test starts the local server; these tests do not skip.\n", defaultTestDSN, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// schemaSeq numbers the schemas this process creates.
var schemaSeq atomic.Int64

// freshSchema creates an empty schema, named for this process so that
// concurrent test runs cannot collide, drops it when the test ends, and
// returns a DSN whose search_path is that schema.
func freshSchema(t testing.TB) (schema, dsn string) {
	t.Helper()
	ctx := testContext(t)
	conn, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		t.Fatalf("cannot reach the test PostgreSQL at MINT_TEST_POSTGRES or %s: %v\n"+
			"(scripts/test starts the local server; these tests do not skip)", defaultTestDSN, err)
	}
	defer conn.Close(ctx)
	schema = fmt.Sprintf("mint_test_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testDSN())
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema, withSearchPath(t, testDSN(), schema)
}

// withSearchPath adds search_path to a URL or keyword/value DSN.
func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("MINT_TEST_POSTGRES is not a valid URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openTest(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(testContext(t), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// Every conformance test runs on a schema of its own.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) mint.Store {
		_, dsn := freshSchema(t)
		return openTest(t, dsn)
	})
}

// appliedMigrations counts the rows goose keeps for applied migrations.
func appliedMigrations(t *testing.T, s *Store) (rows, maxVersion int64) {
	t.Helper()
	err := s.pool.QueryRow(testContext(t),
		`SELECT count(*), coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied AND version_id > 0`,
	).Scan(&rows, &maxVersion)
	if err != nil {
		t.Fatalf("reading goose_db_version: %v", err)
	}
	return rows, maxVersion
}

func embeddedMigrations(t *testing.T) int64 {
	t.Helper()
	embedded, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil || len(embedded) == 0 {
		t.Fatalf("embedded migrations: %v, %d files", err, len(embedded))
	}
	return int64(len(embedded))
}

func TestReopenKeepsDataAndMigrations(t *testing.T) {
	ctx := testContext(t)
	_, dsn := freshSchema(t)
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	api := mint.API{ID: "api_1", Name: "One", Audience: "https://one.example.com",
		Scopes: []string{"read"}, CreatedAt: time.UnixMilli(1_700_000_000_000).UTC()}
	if err := s.CreateAPI(ctx, api); err != nil {
		t.Fatalf("CreateAPI: %v", err)
	}
	rows, version := appliedMigrations(t, s)
	if want := embeddedMigrations(t); rows != want {
		t.Fatalf("after the first Open, %d migrations applied, want %d", rows, want)
	}
	s.Close()

	for i := range 2 {
		s := openTest(t, dsn)
		got, err := s.GetAPI(ctx, api.ID)
		if err != nil {
			t.Fatalf("reopen %d: GetAPI: %v", i, err)
		}
		if got.Audience != api.Audience || !got.CreatedAt.Equal(api.CreatedAt) {
			t.Errorf("reopen %d: GetAPI = %+v, want %+v", i, got, api)
		}
		r, v := appliedMigrations(t, s)
		if r != rows || v != version {
			t.Errorf("reopen %d: goose_db_version has %d rows up to %d, want %d up to %d (re-applied?)",
				i, r, v, rows, version)
		}
	}
}

// Replicas starting at once on a new schema all open it; the advisory lock
// makes them migrate one after the other, so each migration runs once.
func TestRacingOpensMigrateOnce(t *testing.T) {
	_, dsn := freshSchema(t)
	const replicas = 4
	stores := make([]*Store, replicas)
	errs := make([]error, replicas)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(testContext(t), dsn)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	if rows, _ := appliedMigrations(t, stores[0]); rows != embeddedMigrations(t) {
		t.Errorf("after %d racing Opens, goose_db_version has %d applied rows, want %d",
			replicas, rows, embeddedMigrations(t))
	}
	ctx := testContext(t)
	if err := stores[1].CreateAPI(ctx, mint.API{ID: "api_1", Audience: "https://1.example.com"}); err != nil {
		t.Fatalf("CreateAPI: %v", err)
	}
	if _, err := stores[replicas-1].GetAPI(ctx, "api_1"); err != nil {
		t.Errorf("another store on the schema: GetAPI: %v", err)
	}
}

// The migration lock belongs to a schema: a session holding one schema's
// lock holds back Open on that schema only.
func TestMigrationLockIsPerSchema(t *testing.T) {
	ctx := testContext(t)
	locked, lockedDSN := freshSchema(t)
	_, freeDSN := freshSchema(t)
	conn, err := pgx.Connect(ctx, withSearchPath(t, testDSN(), locked))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`); err != nil {
		t.Fatalf("lock %s: %v", locked, err)
	}

	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := Open(octx, freeDSN)
	if err != nil {
		t.Fatalf("Open while another schema is locked: %v", err)
	}
	s.Close()

	bctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if s, err := Open(bctx, lockedDSN); err == nil {
		s.Close()
		t.Fatalf("Open succeeded while another session held the schema's migration lock")
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(`+lockKey+`)`); err != nil {
		t.Fatal(err)
	}
	openTest(t, lockedDSN)
}

func TestOpenNeedsAnExistingSchema(t *testing.T) {
	dsn := withSearchPath(t, testDSN(), fmt.Sprintf("mint_test_%d_missing", os.Getpid()))
	s, err := Open(testContext(t), dsn)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on a search_path naming no existing schema")
	}
	if !strings.Contains(err.Error(), "schema") {
		t.Errorf("Open error = %v, want one that names the missing schema as the cause", err)
	}
}

// pgx's own parse errors quote the connection string; Open's must not, for
// it may hold a password.
func TestOpenErrorHidesThePassword(t *testing.T) {
	_, err := Open(testContext(t), "postgres://mint:hunter2-secret@127.0.0.1:5432/test?sslmode=bogus")
	if err == nil {
		t.Fatal("Open succeeded with sslmode=bogus")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Open error shows the password: %v", err)
	}
}

// The search_path can also come through libpq's options parameter.
func TestSearchPathInOptions(t *testing.T) {
	schema, _ := freshSchema(t)
	dsn := testDSN() + " options='-c search_path=" + schema + "'"
	if u, err := url.Parse(testDSN()); err == nil && u.Scheme != "" {
		q := u.Query()
		q.Set("options", "-c search_path="+schema)
		// pgx reads "+" as itself, not as a space: spell spaces %20.
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		dsn = u.String()
	}
	s := openTest(t, dsn)
	var got string
	if err := s.pool.QueryRow(testContext(t), `SELECT current_schema()`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != schema {
		t.Errorf("current_schema() = %q, want %q", got, schema)
	}
}

// A panicking update function (recovered further up, as net/http does) must
// give back its connection and row lock.
func TestPanickingUpdateReleasesTheRow(t *testing.T) {
	ctx := testContext(t)
	_, dsn := freshSchema(t)
	s := openTest(t, dsn)
	if err := s.CreateAPI(ctx, mint.API{ID: "api_1", Audience: "https://1.example.com"}); err != nil {
		t.Fatalf("CreateAPI: %v", err)
	}
	for range int(s.pool.Config().MaxConns) + 1 { // more than the pool holds
		func() {
			defer func() { _ = recover() }()
			s.UpdateAPI(ctx, "api_1", func(a mint.API) (mint.API, error) { panic("boom") })
		}()
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := s.UpdateAPI(ctx, "api_1", func(a mint.API) (mint.API, error) {
		a.Name = "after the panics"
		return a, nil
	})
	if err != nil {
		t.Fatalf("UpdateAPI after panicking updates: %v", err)
	}
}
