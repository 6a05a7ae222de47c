package sqlite

import (
	"context"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

var _ mint.TokenCounter = (*Store)(nil)

// AddTokenCount adds n to a client's count of tokens in one window and
// returns the new count: one upsert on the single writer connection, so
// concurrent additions are all counted.
func (s *Store) AddTokenCount(ctx context.Context, clientID, window string, start time.Time, n int) (int, error) {
	var total int
	err := s.write.QueryRowContext(ctx,
		`INSERT INTO token_counts (client_id, period, start, count) VALUES (?, ?, ?, ?)
		 ON CONFLICT (client_id, period, start) DO UPDATE SET count = count + excluded.count
		 RETURNING count`,
		clientID, window, millis(start), n).Scan(&total)
	if err != nil {
		return 0, failed("sqlite: add token count of client %q: %w", clientID, err)
	}
	return total, nil
}

// PruneTokenCounts forgets the windows that started before t.
func (s *Store) PruneTokenCounts(ctx context.Context, t time.Time) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM token_counts WHERE start < ?`, millis(t)); err != nil {
		return failed("sqlite: prune token counts: %w", err)
	}
	return nil
}
