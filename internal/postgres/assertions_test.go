package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storetest"
)

// BenchmarkUseAssertion compares, in one run, recording a jti the way
// UseAssertion did before uses were grouped (one INSERT, its own
// transaction, per use: oneByOne) with the grouped write.
func BenchmarkUseAssertion(b *testing.B) {
	_, dsn := freshSchema(b)
	s := openTest(b, dsn)
	b.Run("one-by-one", func(b *testing.B) { storetest.BenchUseAssertion(b, oneByOne{s}) })
	b.Run("grouped", func(b *testing.B) { storetest.BenchUseAssertion(b, s) })
}

// oneByOne is the Store with UseAssertion as it was before package
// usebatch.
type oneByOne struct{ *Store }

func (s oneByOne) UseAssertion(ctx context.Context, clientID, id string, expiresAt time.Time) error {
	conflict := fmt.Errorf("assertion %q of client %q used already: %w", id, clientID, mint.ErrConflict)
	err := execOne(ctx, s.pool, conflict,
		`INSERT INTO used_assertions (client_id, id, expires_at) VALUES ($1, $2, $3)
		 ON CONFLICT (client_id, id) DO NOTHING`,
		clientID, id, millis(expiresAt))
	if err != nil && err != conflict {
		return failed("postgres: use assertion %q of client %q: %w", id, clientID, err)
	}
	return err
}
