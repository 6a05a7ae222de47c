package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mintauth/mint/internal/postgres"
	"github.com/mintauth/mint/internal/sqlite"
)

// backupCmd runs `mint backup --db PATH --out FILE`: a consistent copy of
// a SQLite database, safe while mint serves it (VACUUM INTO), and of its
// master key file when there is one (PATH.key to FILE.key), so that
// `mint serve --db FILE` starts on the copy. PostgreSQL is backed up with
// pg_dump; see docs/durability.md.
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, run := backupCommand(stdout, stderr)
	return parseAndRun(ctx, args, stderr, fs, run)
}

// backupCommand defines `mint backup`'s flags and returns what runs it.
func backupCommand(stdout, stderr io.Writer) (*flag.FlagSet, commandRun) {
	fs := flag.NewFlagSet("mint backup", flag.ContinueOnError)
	db := fs.String("db", "", "the SQLite database file to copy (sqlite:PATH too)")
	out := fs.String("out", "", "the `FILE` to write; it must not exist")
	return fs, func(ctx context.Context, nargs int) int { return backup(ctx, *db, *out, nargs, stdout, stderr) }
}

func backup(ctx context.Context, db, out string, nargs int, stdout, stderr io.Writer) int {
	if db == "" || out == "" || nargs > 0 {
		fmt.Fprintln(stderr, "mint backup: --db and --out are required")
		return 2
	}
	if postgres.IsDSN(db) {
		fmt.Fprintln(stderr, "mint backup: back up PostgreSQL with pg_dump (see docs/durability.md)")
		return 2
	}
	path := strings.TrimPrefix(db, "sqlite:")
	if err := sqlite.Backup(ctx, path, out); err != nil {
		fmt.Fprintln(stderr, "mint backup:", err)
		return 1
	}
	if err := copyKeyFile(path+".key", out+".key"); err != nil {
		fmt.Fprintln(stderr, "mint backup: the database was copied, but not its master key:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", path, out)
	return 0
}

// copyKeyFile copies the master key file, if the database has one, with
// mode 0600; it refuses to overwrite.
func copyKeyFile(from, to string) error {
	key, err := os.ReadFile(from)
	if errors.Is(err, os.ErrNotExist) {
		return nil // the key comes from MINT_MASTER_KEY or --master-key-file
	}
	if err != nil {
		return err
	}
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
