package sqlite

import (
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

// TestOpenReadOnlyNeverWrites: OpenReadOnly reads a database but creates
// no file, refuses writes, and never migrates an older schema (a newer
// mint looking at an older mint's live file must not change it).
func TestOpenReadOnlyNeverWrites(t *testing.T) {
	ctx := testContext(t)

	t.Run("NoFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "absent.db")
		if s, err := OpenReadOnly(ctx, path); err == nil {
			s.Close()
			t.Fatal("opened a file that does not exist")
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("OpenReadOnly created %s: %v", path, err)
		}
	})

	t.Run("ReadsAndRefusesWrites", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "mint.db")
		rw := openTest(t, path)
		if err := rw.CreateAPI(ctx, mint.API{ID: "api_1", Audience: "https://1.example.com"}); err != nil {
			t.Fatal(err)
		}
		ro, err := OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if apis, err := ro.ListAPIs(ctx); err != nil || len(apis) != 1 {
			t.Fatalf("ListAPIs: %v %v", apis, err)
		}
		if err := ro.CreateAPI(ctx, mint.API{ID: "api_2", Audience: "https://2.example.com"}); err == nil {
			t.Fatal("a write through a read-only store succeeded")
		}
	})

	t.Run("OlderSchemaIsRefusedNotMigrated", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "mint.db")
		if err := createFile(path); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", dsn(path, writePragmas, "immediate"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := migrator(t, db).UpTo(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if s, err := OpenReadOnly(ctx, path); err == nil {
			s.Close()
			t.Fatal("opened a database whose schema is older than this mint's")
		}
		var version int64
		if err := db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version); err != nil || version != 1 {
			t.Fatalf("schema version after OpenReadOnly: %d %v, want 1 (untouched)", version, err)
		}
	})
}
