package postgres

import (
	"context"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

var _ mint.TokenCounter = (*Store)(nil)

// AddTokenCount adds n to a client's count of tokens in one window and
// returns the new count. The upsert locks the window's row, so additions
// from every replica are all counted.
func (s *Store) AddTokenCount(ctx context.Context, clientID, window string, start time.Time, n int) (int, error) {
	var total int
	err := s.pool.QueryRow(ctx,
		`INSERT INTO token_counts (client_id, period, start, count) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (client_id, period, start) DO UPDATE SET count = token_counts.count + excluded.count
		 RETURNING count`,
		clientID, window, millis(start), n).Scan(&total)
	if err != nil {
		return 0, failed("postgres: add token count of client %q: %w", clientID, err)
	}
	return total, nil
}

// PruneTokenCounts forgets the windows that started before t.
func (s *Store) PruneTokenCounts(ctx context.Context, t time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM token_counts WHERE start < $1`, millis(t)); err != nil {
		return failed("postgres: prune token counts: %w", err)
	}
	return nil
}
