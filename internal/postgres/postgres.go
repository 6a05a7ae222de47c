// Package postgres is mint's storage backend for PostgreSQL: a mint.Store
// that several mint replicas share, through the pure-Go driver pgx
// (github.com/jackc/pgx/v5), so mint still builds with CGO_ENABLED=0.
//
// Everything replicas must agree on lives in the database: signing keys,
// APIs, clients, secrets and grants. The Store keeps no cache; every call is
// a query. Replicas that cache (package storecache) learn of every change
// through WatchChanges, which LISTENs for the notifications migration
// 00003's triggers send.
//
// # Connection string
//
// Open takes a postgres:// or postgresql:// URL, or a libpq keyword/value
// string, as pgx parses them. Besides libpq's parameters it understands:
//
//   - search_path=NAME (or options=-c%20search_path=NAME): the schema mint's
//     tables live in. It must exist; Open creates tables in it but not the
//     schema itself. One database can hold several mint stores, one per
//     schema; the tests use a fresh schema per test this way.
//   - pool_max_conns, pool_min_conns, pool_max_conn_lifetime,
//     pool_max_conn_idle_time, pool_health_check_period: the connection
//     pool, as package pgxpool reads them. Without pool_max_conns a Store
//     opens at most max(8, 2×GOMAXPROCS) connections.
//   - connect_timeout=SECONDS: how long one connection attempt may take;
//     10 seconds when not given.
//   - default_query_exec_mode=exec: needed behind a PgBouncer in
//     transaction mode, which cannot keep prepared statements.
//
// # Failover
//
// Several servers may be named, for a primary and its standbys:
// "host=db1,db2 port=5432,5432 target_session_attrs=read-write" or
// postgres://db1:5432,db2:5432/mint?target_session_attrs=read-write.
// Every new connection tries them in order and keeps the first that
// takes writes, so once a standby is promoted mint follows it without a
// restart: connections to a server that went away fail, are dropped from
// the pool (an idle one is pinged before use), and new ones find the new
// primary; a connection whose server turned out read-only or is shutting
// down is closed at its first error (see dropOnPgError). Meanwhile requests that
// need the database answer 503 (unavailable.go). Without
// target_session_attrs=read-write a standby listed first would be used
// and every write refused.
//
// # Migrations
//
// The schema lives in migrations/ and is embedded in the binary; Open
// applies the migrations the schema has not seen yet, with goose, while it
// holds a session-level advisory lock whose key is derived from the schema
// name. Replicas starting at once therefore migrate one after the other
// (the others wait, then find nothing to do), and stores in different
// schemas do not wait for each other. Open waits at most five minutes for
// the lock and the migrations.
//
// Update functions run inside a transaction that holds the row lock
// (SELECT … FOR UPDATE) and a pooled connection, so they must not call the
// Store themselves.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"github.com/mintauth/mint/internal/audit"
	"io/fs"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/usebatch"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

var _ mint.Store = (*Store)(nil)

// Store is a mint.Store in one PostgreSQL schema. It is safe for concurrent
// use, by goroutines and by other processes sharing the schema.
type Store struct {
	pool *pgxpool.Pool
	uses usebatch.Lazy // see UseAssertion

	blockClients audit.BlockClientCache // see audit_block.go

	closeOnce sync.Once
}

const (
	// defaultConnectTimeout bounds one connection attempt when the DSN
	// does not: a replica whose database is unreachable should fail its
	// requests, not hang them.
	defaultConnectTimeout = 10 * time.Second
	// migrateTimeout bounds waiting for the migration lock and migrating.
	migrateTimeout = 5 * time.Minute
)

// Open connects to the PostgreSQL database dsn names and brings the schema
// up to date. The caller must Close the Store.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN, password included.
		return nil, errors.New("postgres: open: cannot parse the connection string")
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = int32(max(8, 2*runtime.GOMAXPROCS(0)))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	cfg.ConnConfig.OnPgError = dropOnPgError(cfg.ConnConfig.OnPgError)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, failed("postgres: open: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx, cfg.ConnConfig); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// dropOnPgError wraps pgx's handler of server errors so that, besides
// fatal ones, an error saying the server is read-only (a standby, or a
// primary being demoted) or shutting down closes the connection: the pool
// then opens a new one, which looks for the server that takes writes,
// instead of handing this one out again.
func dropOnPgError(next pgconn.PgErrorHandler) pgconn.PgErrorHandler {
	return func(c *pgconn.PgConn, e *pgconn.PgError) bool {
		switch e.Code {
		case "25006", "57P01", "57P02", "57P03": // read-only transaction; admin shutdown, crash shutdown, cannot connect now
			return false
		}
		return next == nil || next(c, e)
	}
}

// migrate applies the embedded migrations the schema has not seen yet,
// while holding the schema's migration lock. goose needs database/sql, so
// it gets a pool of its own on the same configuration, closed when done.
func (s *Store) migrate(ctx context.Context, cfg *pgx.ConnConfig) error {
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	var schema *string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return failed("postgres: open: %w", err)
	}
	if schema == nil {
		return errors.New("postgres: open: no schema on the search_path exists; create it first")
	}
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return failed("postgres: migrations: %w", err)
	}
	db := stdlib.OpenDB(*cfg.Copy())
	defer db.Close()
	unlock, err := lockSchema(ctx, db)
	if err != nil {
		return failed("postgres: migrate schema %q: %w", *schema, err)
	}
	defer unlock()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return failed("postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return failed("postgres: migrate schema %q: %w", *schema, err)
	}
	return nil
}

// lockKey is the key of the current schema's migration lock, a
// session-level advisory lock.
const lockKey = `hashtextextended('mint migrations ' || current_schema(), 0)`

// lockSchema takes the current schema's migration lock on a connection of
// its own, waiting (in the server, bounded by ctx) while another process
// holds it. If a migrating process dies, its session ends and the lock goes
// with it.
//
// The lock is taken around all of goose's work rather than through goose's
// own SessionLocker: goose checks for pending migrations before taking that
// lock, creating its version table unlocked, and replicas racing to create
// it retry after a second; and goose's PostgreSQL locker polls one
// database-wide key every few seconds instead of waiting for it.
func lockSchema(ctx context.Context, db *sql.DB) (unlock func(), err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`); err != nil {
		conn.Close()
		return nil, fmt.Errorf("take the migration lock: %w", err)
	}
	return func() {
		// Closing the pool ends the session, which would release the lock
		// anyway; unlocking first hands it on without waiting for that.
		conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+lockKey+`)`)
		conn.Close()
	}, nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
		return failed("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned. It
// is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// inTx runs fn in one transaction, committing if fn returns nil, and
// appending the audit record mint.WithAudit put in ctx before it commits. An error
// from fn is returned unchanged, so that update functions' errors reach the
// caller as they were. If fn panics the transaction is rolled back before
// the panic goes on, so its connection and row locks are given back.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return failed("postgres: begin: %w", err)
	}
	// No-op after Commit; runs even if ctx is done, or the row locks would
	// stay until the connection is closed.
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	if err := appendChange(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return failed("postgres: commit: %w", err)
	}
	return nil
}

// SQLSTATE codes the Store maps to mint's errors.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// hasCode reports whether err is a PostgreSQL error with the SQLSTATE code.
func hasCode(err error, code string) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == code
}

// execOne runs a statement that must change exactly one row, returning
// notFound when it changed none.
func execOne(ctx context.Context, db interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, notFound error, query string, args ...any) error {
	tag, err := db.Exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound
	}
	return nil
}

// exists reports whether query, run in tx, returns a row.
func exists(ctx context.Context, tx pgx.Tx, query string, args ...any) (bool, error) {
	var one int
	err := tx.QueryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// list runs query and scans every row it returns.
func list[T any](ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, scan func(pgx.Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
}
