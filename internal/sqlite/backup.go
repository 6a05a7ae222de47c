package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database at path to out with
// VACUUM INTO, while other processes (a serving mint) go on reading and
// writing it: the copy is the database as one read transaction saw it,
// every commit before it included, none after. out must not exist; it is
// created readable by its owner only, like the database. The copy is a
// plain database file (no -wal), compacted.
func Backup(ctx context.Context, path, out string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// Make the file first, 0600 and empty, so that the copy is never
	// readable by others; VACUUM INTO accepts an empty file.
	f, err := os.OpenFile(outAbs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	f.Close()
	db, err := sql.Open("sqlite", dsn(abs, readPragmas[:1], ""))
	if err != nil {
		os.Remove(outAbs)
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, outAbs); err != nil {
		os.Remove(outAbs)
		return failed("sqlite: backup to %s: %w", out, err)
	}
	return nil
}

// IntegrityCheck runs PRAGMA integrity_check on the database at path and
// returns nil when SQLite answers "ok".
func IntegrityCheck(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", dsn(abs, readPragmas, ""))
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("sqlite: integrity check: %w", err)
	}
	defer rows.Close()
	var problems []error
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			problems = append(problems, errors.New(line))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return errors.Join(problems...)
}
