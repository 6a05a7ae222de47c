package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storetest"
)

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func openTest(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(testContext(t), path)
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

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) mint.Store {
		return openTest(t, filepath.Join(t.TempDir(), "mint.db"))
	})
}

// appliedMigrations counts the rows goose keeps for applied migrations.
func appliedMigrations(t *testing.T, s *Store) (rows, maxVersion int64) {
	t.Helper()
	err := s.read.QueryRowContext(testContext(t),
		`SELECT count(*), max(version_id) FROM goose_db_version WHERE is_applied AND version_id > 0`,
	).Scan(&rows, &maxVersion)
	if err != nil {
		t.Fatalf("reading goose_db_version: %v", err)
	}
	return rows, maxVersion
}

func TestReopenKeepsDataAndMigrations(t *testing.T) {
	ctx := testContext(t)
	path := filepath.Join(t.TempDir(), "mint.db")
	embedded, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil || len(embedded) == 0 {
		t.Fatalf("embedded migrations: %v, %d files", err, len(embedded))
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	api := mint.API{ID: "api_1", Name: "One", Audience: "https://one.example.com",
		Scopes: []string{"read"}, CreatedAt: time.UnixMilli(1_700_000_000_000).UTC()}
	if err := s.CreateAPI(ctx, api); err != nil {
		t.Fatalf("CreateAPI: %v", err)
	}
	rows, version := appliedMigrations(t, s)
	if rows != int64(len(embedded)) {
		t.Fatalf("after the first Open, %d migrations applied, want %d", rows, len(embedded))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	for i := range 2 {
		s := openTest(t, path)
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

func TestFileIsPrivate(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "mint.db")
	s := openTest(t, path)
	// Write something so that the WAL exists too.
	_, err := s.UpdateSigningKeys(ctx, addIfNoActive(mint.SigningKey{ID: "key_1", Algorithm: mint.AlgRS256,
		PrivateKey: []byte("not really PKCS #8"), State: mint.KeyActive, CreatedAt: time.Now()}))
	if err != nil {
		t.Fatalf("UpdateSigningKeys: %v", err)
	}
	for _, name := range []string{"mint.db", "mint.db-wal", "mint.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) && name != "mint.db" {
			continue
		}
		if err != nil {
			t.Fatalf("stat: %v", err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v, want no access for group and others", name, perm)
		}
	}
}

func TestConcurrentWritersNeverBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mint.db")
	// Two stores on one file stand for two processes; each has many
	// goroutines writing at once.
	stores := []*Store{openTest(t, path), openTest(t, path)}
	ctx := testContext(t)
	if err := stores[0].CreateAPI(ctx, mint.API{ID: "api_0", Audience: "https://0.example.com"}); err != nil {
		t.Fatalf("CreateAPI: %v", err)
	}
	const writers = 50
	errs := make(chan error, writers)
	start := make(chan struct{})
	for i := range writers {
		s := stores[i%len(stores)]
		go func() {
			<-start
			errs <- writeSome(ctx, s, i)
		}()
	}
	close(start)
	for range writers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	api, err := stores[1].GetAPI(ctx, "api_0")
	if err != nil {
		t.Fatalf("GetAPI: %v", err)
	}
	if len(api.Scopes) != writers {
		t.Errorf("api_0 has %d scopes, want one per writer: %d", len(api.Scopes), writers)
	}
	grants, _, err := stores[0].ListGrantsPage(ctx, mint.GrantQuery{Page: mint.Page{Limit: mint.MaxPageLimit}})
	if err != nil || len(grants) != writers {
		t.Errorf("ListGrantsPage = %d grants, %v; want %d", len(grants), err, writers)
	}
}

// writeSome does the writes of one busy admin: a client, an API, a grant
// between them, a secret rotation and an update of a shared API.
func writeSome(ctx context.Context, s *Store, i int) error {
	now := time.Now()
	client := mint.Client{ID: fmt.Sprintf("client_%d", i), CreatedAt: now}
	secret := mint.Secret{ID: fmt.Sprintf("secret_%d_a", i), Digest: []byte{byte(i)}, CreatedAt: now}
	api := mint.API{ID: fmt.Sprintf("api_%d", i+1), Audience: fmt.Sprintf("https://%d.example.com", i+1), CreatedAt: now}
	steps := []func() error{
		func() error { return s.CreateClient(ctx, client, secret) },
		func() error { return s.CreateAPI(ctx, api) },
		func() error {
			return s.CreateGrant(ctx, mint.Grant{ID: fmt.Sprintf("grant_%d", i), ClientID: client.ID, Audience: api.Audience})
		},
		func() error {
			next := mint.Secret{ID: fmt.Sprintf("secret_%d_b", i), ClientID: client.ID, Digest: []byte{byte(i)}, CreatedAt: now}
			return s.RotateSecret(ctx, next, now.Add(time.Hour))
		},
		func() error {
			_, err := s.UpdateAPI(ctx, "api_0", func(a mint.API) (mint.API, error) {
				a.Scopes = append(a.Scopes, fmt.Sprintf("scope:%d", i))
				return a, nil
			})
			return err
		},
		func() error {
			_, err := s.UpdateSigningKeys(ctx, addIfNoActive(mint.SigningKey{ID: fmt.Sprintf("key_%d", i),
				Algorithm: mint.AlgRS256, PrivateKey: []byte{1}, State: mint.KeyActive, CreatedAt: now}))
			return err
		},
	}
	for n, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("writer %d, step %d: %w", i, n, err)
		}
	}
	return nil
}

// addIfNoActive adds key unless its algorithm has an active key already.
func addIfNoActive(key mint.SigningKey) func([]mint.SigningKey) ([]mint.SigningKey, error) {
	return func(keys []mint.SigningKey) ([]mint.SigningKey, error) {
		for _, k := range keys {
			if k.Algorithm == key.Algorithm && k.State == mint.KeyActive {
				return keys, nil
			}
		}
		return append(keys, key), nil
	}
}

func TestOpenNeedsAFile(t *testing.T) {
	for _, path := range []string{"", ":memory:"} {
		if s, err := Open(testContext(t), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

// A panicking update function (recovered further up, as net/http does) must
// not leave the single writer connection inside an open transaction.
func TestPanickingUpdateDoesNotWedgeWrites(t *testing.T) {
	ctx := testContext(t)
	s := openTest(t, filepath.Join(t.TempDir(), "mint.db"))
	if err := s.CreateAPI(ctx, mint.API{ID: "api_1", Audience: "https://1.example.com"}); err != nil {
		t.Fatalf("CreateAPI: %v", err)
	}
	func() {
		defer func() { _ = recover() }()
		s.UpdateAPI(ctx, "api_1", func(a mint.API) (mint.API, error) { panic("boom") })
	}()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.CreateAPI(ctx, mint.API{ID: "api_2", Audience: "https://2.example.com"}); err != nil {
		t.Fatalf("CreateAPI after a panicking update: %v", err)
	}
}

// TestConcurrentFirstOpensMigrateOnce: replicas (here goroutines, each
// with its own connections, as separate processes would have) opening one
// new file at the same moment must not race to create the tables.
func TestConcurrentFirstOpensMigrateOnce(t *testing.T) {
	for round := range 5 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("race-%d.db", round))
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for range 6 {
			wg.Go(func() {
				s, err := Open(context.Background(), path)
				if err == nil {
					err = s.Close()
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: concurrent Open: %v", round, err)
			}
		}
	}
}
