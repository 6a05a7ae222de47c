package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
)

// one reads a single row with scan. No row is ErrNotFound naming what
// (e.g. `api "x"`); any other failure is a storage error naming op and what.
func one[T any](row pgx.Row, scan func(pgx.Row) (T, error), op, what string) (T, error) {
	v, err := scan(row)
	if errors.Is(err, pgx.ErrNoRows) {
		var zero T
		return zero, fmt.Errorf("%s: %w", what, mint.ErrNotFound)
	}
	if err != nil {
		var zero T
		return zero, failed("postgres: %s %s: %w", op, what, err)
	}
	return v, nil
}
