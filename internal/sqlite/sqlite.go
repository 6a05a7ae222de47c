// Package sqlite is mint's default storage backend: a mint.Store kept in one
// SQLite file, through the pure-Go driver modernc.org/sqlite, so mint builds
// with CGO_ENABLED=0 and runs as a single binary with no database server.
//
// The schema lives in migrations/ and is embedded in the binary; Open applies
// the migrations the file has not seen yet, with goose.
//
// SQLite allows one writer at a time, so a Store keeps two pools: one
// connection for writes, whose transactions begin IMMEDIATE (they take the
// write lock up front and so never fail half-way with SQLITE_BUSY), and a
// read-only pool that reads the last committed state through WAL without
// waiting for the writer. Update functions run while their transaction holds
// the write connection, so they must not call the Store themselves.
//
// The file holds client-secret digests and private signing keys: Open
// creates it readable by its owner only, and refuses an existing file (or
// its -wal or -shm) that its group or others may read or write.
//
// Only SQLite ever opens the database file and its -wal and -shm: a
// descriptor mint opened and closed on it would drop the locks SQLite
// holds (see file.go), and an outside reader would then delete the WAL
// under a running mint.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"github.com/mintauth/mint/internal/audit"
	"io/fs"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/usebatch"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

var _ mint.Store = (*Store)(nil)

// Store is a mint.Store in one SQLite file. It is safe for concurrent use.
type Store struct {
	write *sql.DB // one connection; every transaction BEGIN IMMEDIATE
	read  *sql.DB // query_only connections

	changes changeFeed    // see WatchChanges
	uses    usebatch.Lazy // see UseAssertion

	blockClients audit.BlockClientCache // see audit_block.go

	closeOnce sync.Once
	closeErr  error
}

// Connection settings, as PRAGMAs run on every new connection.
//
//   - journal_mode=WAL: readers do not block the writer nor it them.
//   - synchronous=FULL: in WAL mode, NORMAL may lose the last commits on a
//     power loss or OS crash (the WAL is only synced at checkpoints). mint's
//     writes are rare admin changes — a rotated secret, a new signing key —
//     and losing one after it was acknowledged would be worse than the cost
//     of one fsync per commit, so every commit syncs the WAL.
//   - foreign_keys=ON: deletes cascade from APIs and clients to their
//     grants and secrets.
//   - busy_timeout: another process holding the lock (a backup, the sqlite3
//     shell) makes us wait instead of failing at once.
var (
	writePragmas = []string{
		"busy_timeout(10000)",
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"foreign_keys(ON)",
	}
	readPragmas = []string{
		"busy_timeout(10000)",
		"query_only(ON)",
	}
)

// Open opens the SQLite database at path, creating the file (mode 0600) if it
// does not exist, and brings its schema up to date. A file whose mode lets
// others in is refused (ErrFileMode). The caller must Close the
// Store.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" {
		return nil, errors.New("sqlite: open: a file path is required")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, failed("sqlite: open: %w", err)
	}
	if err := createFile(abs); err != nil {
		return nil, failed("sqlite: open: %w", err)
	}
	if err := checkFileModes(abs); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if err := checkWritable(abs); err != nil {
		return nil, failed("sqlite: open: %w", err)
	}

	s := &Store{}
	s.write, err = sql.Open("sqlite", dsn(abs, writePragmas, "immediate"))
	if err != nil {
		return nil, failed("sqlite: open: %w", err)
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)

	// Migrate before opening readers: journal_mode=WAL is set on the
	// writer's first connection, and readers must find the schema.
	unlock, err := lockForMigration(abs)
	if err != nil {
		s.write.Close()
		return nil, err
	}
	err = migrate(ctx, s.write)
	unlock()
	if err != nil {
		s.write.Close()
		return nil, err
	}

	s.read, err = sql.Open("sqlite", dsn(abs, readPragmas, ""))
	if err != nil {
		s.write.Close()
		return nil, failed("sqlite: open: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.read.SetMaxOpenConns(n)
	s.read.SetMaxIdleConns(n)
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// dsn builds a modernc.org/sqlite data source name for the file at abs.
func dsn(abs string, pragmas []string, txlock string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if txlock != "" {
		q.Set("_txlock", txlock)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), OmitHost: true, RawQuery: q.Encode()}
	return u.String()
}

// migrate applies the embedded migrations the database has not seen yet.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return failed("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return failed("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return failed("sqlite: migrate: %w", err)
	}
	return nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return failed("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes both pools. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.read != nil {
			errs = append(errs, s.read.Close())
		}
		errs = append(errs, s.write.Close())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = failed("sqlite: close: %w", err)
		}
	})
	return s.closeErr
}

// inTx runs fn in one write transaction, committing if fn returns nil, and
// appending the changes announced with changing to the change log and the
// audit record mint.WithAudit put in ctx before it commits. An
// error from fn is returned unchanged, so that update functions' errors reach
// the caller as they were. If fn panics the transaction is rolled back before
// the panic goes on, so the one writer connection is not left stuck in it.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return failed("sqlite: begin: %w", err)
	}
	defer tx.Rollback() // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := s.logPending(ctx, tx); err != nil {
		return err
	}
	if err := appendChange(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return failed("sqlite: commit: %w", err)
	}
	return nil
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY
// constraint failure.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// execOne runs a statement that must change exactly one row, returning
// notFound when it changed none.
func execOne(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, notFound error, query string, args ...any) error {
	res, err := db.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}
