package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storetest"
)

// BenchmarkUseAssertion compares, in one run, recording a jti the way
// UseAssertion did before uses were grouped (one INSERT and one commit,
// synced, per use: oneByOne) with the grouped write.
func BenchmarkUseAssertion(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "mint.db"))
	b.Run("one-by-one", func(b *testing.B) { storetest.BenchUseAssertion(b, oneByOne{s}) })
	b.Run("grouped", func(b *testing.B) { storetest.BenchUseAssertion(b, s) })
}

// oneByOne is the Store with UseAssertion as it was before package
// usebatch: one autocommit INSERT per use on the writer connection.
type oneByOne struct{ *Store }

func (s oneByOne) UseAssertion(ctx context.Context, clientID, id string, expiresAt time.Time) error {
	conflict := fmt.Errorf("assertion %q of client %q used already: %w", id, clientID, mint.ErrConflict)
	err := execOne(ctx, s.write, conflict,
		`INSERT INTO used_assertions (client_id, id, expires_at) VALUES (?, ?, ?)
		 ON CONFLICT (client_id, id) DO NOTHING`,
		clientID, id, millis(expiresAt))
	if err != nil && err != conflict {
		return failed("sqlite: use assertion %q of client %q: %w", id, clientID, err)
	}
	return err
}

// TestUseAssertionQueueFull: while another connection holds the file's
// write lock, uses wait; past MaxQueue the next is refused at once with
// mint.ErrUnavailable (a 503 at the token endpoint), not queued, not
// accepted. Once the lock is released the waiting ones are recorded.
func TestUseAssertionQueueFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mint.db")
	s := openTest(t, path)
	b := s.uses.Batcher(s.useAssertions, 0)
	b.MaxQueue = 3
	ctx := testContext(t)
	other, err := sql.Open("sqlite", dsn(path, writePragmas, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	soon := time.Now().Add(time.Minute)
	errs := make(chan error, 3)
	for i := range 3 {
		go func() { errs <- s.UseAssertion(ctx, "dpop:k", fmt.Sprint("waiting-", i), soon) }()
	}
	for deadline := time.Now().Add(time.Minute); b.Waiting() < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("%d uses waiting after a minute, want 3", b.Waiting())
		}
		time.Sleep(time.Millisecond)
	}
	err = s.UseAssertion(ctx, "dpop:k", "one too many", soon)
	if !errors.Is(err, mint.ErrUnavailable) || errors.Is(err, mint.ErrConflict) {
		t.Fatalf("UseAssertion with the queue full: error = %v, want mint.ErrUnavailable", err)
	}
	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		// Recorded, unless the lock outlived busy_timeout or Wait on a
		// very slow machine: then unavailable, never a replay.
		if err := <-errs; err != nil && !errors.Is(err, mint.ErrUnavailable) {
			t.Errorf("a waiting use: %v, want nil or mint.ErrUnavailable", err)
		}
	}
	if err := s.UseAssertion(ctx, "dpop:k", "one too many", soon); err != nil {
		t.Fatalf("the refused use, once there is room: %v, want it recorded", err)
	}
}
