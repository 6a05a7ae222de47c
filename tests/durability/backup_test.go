package durability

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/sqlite"
	"github.com/mintauth/mint/internal/testdb"
)

// TestSQLiteBackupRestore: `mint backup` copies the database while mint
// serves it under admin writes; mint started on the copy (with the key
// file the backup wrote beside it) issues a token to a client created
// before the backup, the copy passes its integrity check and its audit
// chain verifies offline.
func TestSQLiteBackupRestore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "mint.db")
	// No MINT_MASTER_KEY: a new SQLite database gets its key file, mint.db.key.
	p := startMintEnv(t, []string{"MINT_MASTER_KEY="}, db)
	bearer := adminToken(t, p.URL)
	const aud = "https://backup.test"
	c := newClientWithGrant(t, p.URL, bearer, aud)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	writes := 0
	wg.Go(func() {
		for ctx.Err() == nil {
			if a, err := send(ctx, "POST", p.URL+"/admin/v1/clients", bearer, map[string]string{"name": "load"}); err == nil && a.status == 201 {
				writes++
			}
		}
	})
	time.Sleep(200 * time.Millisecond)
	copyPath := filepath.Join(dir, "backup.db")
	out, err := runMint(t, nil, "backup", "--db", db, "--out", copyPath)
	time.Sleep(100 * time.Millisecond)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("mint backup: %v\n%s", err, out)
	}
	p.Stop(t)
	t.Logf("backup taken during %d admin writes: %s", writes, out)
	if err := sqlite.IntegrityCheck(context.Background(), copyPath); err != nil {
		t.Errorf("backup: integrity_check: %v", err)
	}
	if fi, err := os.Stat(copyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode: %v %v, want 0600", fi.Mode(), err)
	}
	if out, err := runMint(t, nil, "audit", "verify", "--db", copyPath); err != nil {
		t.Errorf("mint audit verify --db on the backup: %v\n%s", err, out)
	}

	// Restore: serve the copy. Its key file came with it; no MINT_MASTER_KEY.
	restored := startMintEnv(t, []string{"MINT_MASTER_KEY="}, copyPath)
	if a, err := tokenRequest(context.Background(), restored.URL, c.id, c.secret, aud); err != nil || a.status != 200 {
		t.Fatalf("token from the restored backup: %v %d %s", err, a.status, a.body)
	}
	restored.Stop(t)
}

// TestPostgresDumpRestore: the documented PostgreSQL way — pg_dump of
// mint's schema, pg_restore into a new database — gives a database mint
// serves, issuing a token to a client created before the dump.
func TestPostgresDumpRestore(t *testing.T) {
	t.Parallel()
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Skip("pg_dump is not installed")
	}
	dsn := testdb.New(t, "postgres")
	p := startMint(t, dsn)
	const aud = "https://dump.test"
	c := newClientWithGrant(t, p.URL, adminToken(t, p.URL), aud)
	p.Stop(t)

	schema := searchPath(t, dsn)
	dump := filepath.Join(t.TempDir(), "mint.dump")
	base := "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	if dsnBase := os.Getenv("MINT_TEST_POSTGRES"); dsnBase != "" {
		base = dsnBase
	}
	if out, err := exec.Command(pgDump, "--format=custom", "--schema="+schema, "--file="+dump, "--dbname="+base).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	restoreDB := fmt.Sprintf("mint_restore_%d", time.Now().UnixNano())
	admin(t, base, "CREATE DATABASE "+restoreDB)
	t.Cleanup(func() { admin(t, base, "DROP DATABASE IF EXISTS "+restoreDB+" WITH (FORCE)") })
	restoreURL := strings.Replace(base, "/test?", "/"+restoreDB+"?", 1)
	if out, err := exec.Command("pg_restore", "--no-owner", "--dbname="+restoreURL, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	restored := startMint(t, restoreURL+"&search_path="+schema)
	if a, err := tokenRequest(context.Background(), restored.URL, c.id, c.secret, aud); err != nil || a.status != 200 {
		t.Fatalf("token from the restored dump: %v %d %s", err, a.status, a.body)
	}
	if out, err := runMint(t, nil, "audit", "verify", "--db", restoreURL+"&search_path="+schema); err != nil {
		t.Errorf("mint audit verify --db on the restored dump: %v\n%s", err, out)
	}
	restored.Stop(t)
}

func searchPath(t *testing.T, dsn string) string {
	t.Helper()
	_, q, _ := strings.Cut(dsn, "search_path=")
	schema, _, _ := strings.Cut(q, "&")
	if schema == "" {
		t.Fatalf("no search_path in %s", dsn)
	}
	return schema
}

func admin(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
