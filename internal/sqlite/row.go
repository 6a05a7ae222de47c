package sqlite

import (
	"errors"
	"fmt"

	"database/sql"

	"github.com/mintauth/mint/internal/mint"
)

// one reads a single row with scan. No row is ErrNotFound naming what
// (e.g. `api "x"`); any other failure is a storage error naming op and what.
func one[T any](row *sql.Row, scan func(rowScanner) (T, error), op, what string) (T, error) {
	v, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, fmt.Errorf("%s: %w", what, mint.ErrNotFound)
	}
	if err != nil {
		var zero T
		return zero, failed("sqlite: %s %s: %w", op, what, err)
	}
	return v, nil
}
