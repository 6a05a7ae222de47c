package sqlite

import (
	"context"
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
