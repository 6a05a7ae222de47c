package sqlite

import (
	"bytes"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/mintauth/mint/internal/mint"
)

// migrator returns a goose provider on the file's write connection.
func migrator(t *testing.T, db *sql.DB) *goose.Provider {
	t.Helper()
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A file written by the first schema keeps its keys, in order, through the
// signing_keys rebuild of 00002, and goes back down to 00001 intact.
func TestMigration2KeepsKeys(t *testing.T) {
	ctx := testContext(t)
	path := filepath.Join(t.TempDir(), "mint.db")
	if err := createFile(path); err != nil { // 0600, or Open would refuse it
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path, writePragmas, "immediate"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := migrator(t, db).UpTo(ctx, 1); err != nil {
		t.Fatalf("migrate to 00001: %v", err)
	}
	// Two keys created at the same millisecond: only rowid orders them.
	_, err = db.ExecContext(ctx, `INSERT INTO signing_keys (id, algorithm, private_key, state, created_at)
		VALUES ('key_b', 'RS256', x'00ff01', 'retired', 5), ('key_a', 'RS256', x'02', 'active', 5)`)
	if err != nil {
		t.Fatalf("insert keys: %v", err)
	}

	s := openTest(t, path) // migrates to the latest
	want := []mint.SigningKey{
		{ID: "key_b", Algorithm: "RS256", PrivateKey: []byte{0, 0xff, 1}, State: mint.KeyRetired, CreatedAt: fromMillis(5)},
		{ID: "key_a", Algorithm: "RS256", PrivateKey: []byte{2}, State: mint.KeyActive, CreatedAt: fromMillis(5)},
	}
	checkRawKeys(t, s, want)

	next := mint.SigningKey{ID: "key_c", Algorithm: "RS256", PrivateKey: []byte{3}, State: mint.KeyNext,
		CreatedAt: fromMillis(6), ActivateAt: fromMillis(60)}
	_, err = s.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
		return append(keys, next), nil
	})
	if err != nil {
		t.Fatalf("UpdateSigningKeys: %v", err)
	}
	if _, err := migrator(t, s.write).DownTo(ctx, 1); err != nil {
		t.Fatalf("migrate down to 00001: %v", err)
	}
	checkRawKeys(t, s, want) // key_c, in state next, cannot go back
	if _, err := migrator(t, s.write).Up(ctx); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}
	checkRawKeys(t, s, want)
}

func checkRawKeys(t *testing.T, s *Store, want []mint.SigningKey) {
	t.Helper()
	rows, err := s.write.QueryContext(testContext(t),
		`SELECT id, algorithm, private_key, state, created_at FROM signing_keys ORDER BY created_at, rowid`)
	if err != nil {
		t.Fatalf("list keys: %v", err)
	}
	defer rows.Close()
	var got []mint.SigningKey
	for rows.Next() {
		var (
			k     mint.SigningKey
			state string
			ms    int64
		)
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &state, &ms); err != nil {
			t.Fatal(err)
		}
		k.State, k.CreatedAt = mint.KeyState(state), fromMillis(ms)
		got = append(got, k)
	}
	if len(got) != len(want) {
		t.Fatalf("signing_keys has %d rows, want %d", len(got), len(want))
	}
	for i, k := range got {
		w := want[i]
		if k.ID != w.ID || k.Algorithm != w.Algorithm || k.State != w.State ||
			!bytes.Equal(k.PrivateKey, w.PrivateKey) || !k.CreatedAt.Equal(w.CreatedAt) {
			t.Errorf("key #%d = %s %s %s %v, want %s %s %s %v", i,
				k.ID, k.Algorithm, k.State, k.CreatedAt, w.ID, w.Algorithm, w.State, w.CreatedAt)
		}
	}
}
