package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// OpenReadOnly opens the existing database at path to read it, without
// creating, migrating or writing it: for the commands that look at a file
// a serving mint may hold (mint audit verify --db). Its connections are
// query_only, so a write through the Store fails. A file whose schema is
// older than this binary's is refused rather than migrated: a newer mint
// verifying the live file of an older one must not change its schema
// under it. The caller must Close the Store.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err) // opening would create it
	}
	if err := checkFileModes(abs); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	s := &Store{}
	for _, pool := range []**sql.DB{&s.write, &s.read} {
		if *pool, err = sql.Open("sqlite", dsn(abs, readPragmas, "")); err != nil {
			s.Close()
			return nil, failed("sqlite: open: %w", err)
		}
	}
	s.write.SetMaxOpenConns(1)
	if err := s.requireSchema(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// requireSchema refuses a database not migrated up to this binary's
// latest migration.
func (s *Store) requireSchema(ctx context.Context) error {
	want, err := latestMigration()
	if err != nil {
		return err
	}
	var have int64
	err = s.read.QueryRowContext(ctx,
		`SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&have)
	if err != nil {
		return failed("sqlite: open: is this a mint database? %w", err)
	}
	if have < want {
		return fmt.Errorf("sqlite: open: the database's schema is at version %d, this mint's at %d: "+
			"read it with the mint that serves it (this one would have to migrate it)", have, want)
	}
	return nil
}

// latestMigration is the version of the last embedded migration, from its
// file name (00004_limits.sql is 4).
func latestMigration() (int64, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, e := range entries {
		prefix, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("sqlite: migration %s: %w", e.Name(), err)
		}
		latest = max(latest, v)
	}
	return latest, nil
}
