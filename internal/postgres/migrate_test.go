package postgres

import (
	"bytes"
	"database/sql"
	"io/fs"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/mintauth/mint/internal/mint"
)

// migrator returns a goose provider on a database/sql pool of dsn.
func migrator(t *testing.T, dsn string) *goose.Provider {
	t.Helper()
	db := stdlibDB(t, dsn)
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A schema written by the first migration keeps its keys through 00002,
// which then goes back down to 00001 and up again.
func TestMigration2KeepsKeys(t *testing.T) {
	ctx := testContext(t)
	_, dsn := freshSchema(t)
	m := migrator(t, dsn)
	if _, err := m.UpTo(ctx, 1); err != nil {
		t.Fatalf("migrate to 00001: %v", err)
	}
	t5 := time.UnixMilli(5).UTC()
	db := stdlibDB(t, dsn)
	_, err := db.ExecContext(ctx, `INSERT INTO signing_keys (id, algorithm, private_key, state, created_at)
		VALUES ('key_b', 'RS256', '\x00ff01', 'retired', $1), ('key_a', 'RS256', '\x02', 'active', $1)`, t5)
	if err != nil {
		t.Fatalf("insert keys: %v", err)
	}

	s := openTest(t, dsn) // migrates to the latest
	want := []mint.SigningKey{
		{ID: "key_b", Algorithm: "RS256", PrivateKey: []byte{0, 0xff, 1}, State: mint.KeyRetired, CreatedAt: t5},
		{ID: "key_a", Algorithm: "RS256", PrivateKey: []byte{2}, State: mint.KeyActive, CreatedAt: t5},
	}
	checkRawKeys(t, db, want)
	next := mint.SigningKey{ID: "key_c", Algorithm: "RS256", PrivateKey: []byte{3}, State: mint.KeyNext,
		CreatedAt: t5.Add(time.Millisecond), ActivateAt: t5.Add(time.Minute)}
	_, err = s.UpdateSigningKeys(ctx, func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
		return append(keys, next), nil
	})
	if err != nil {
		t.Fatalf("UpdateSigningKeys: %v", err)
	}
	if _, err := m.DownTo(ctx, 1); err != nil {
		t.Fatalf("migrate down to 00001: %v", err)
	}
	checkRawKeys(t, db, want) // key_c, in state next, cannot go back
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}
	checkRawKeys(t, db, want)
}

func stdlibDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	return db
}

func checkRawKeys(t *testing.T, db *sql.DB, want []mint.SigningKey) {
	t.Helper()
	rows, err := db.QueryContext(testContext(t),
		`SELECT id, algorithm, private_key, state, created_at FROM signing_keys ORDER BY created_at, seq`)
	if err != nil {
		t.Fatalf("list keys: %v", err)
	}
	defer rows.Close()
	var got []mint.SigningKey
	for rows.Next() {
		var k mint.SigningKey
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &k.State, &k.CreatedAt); err != nil {
			t.Fatal(err)
		}
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
