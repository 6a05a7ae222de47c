package sqlite

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/mintauth/mint/internal/mint"
)

// failed is fmt.Errorf for the Store's own errors: when the cause says the
// file cannot be written now — a read-only or full disk, an I/O error, a
// lock held past busy_timeout — the error also wraps mint.ErrUnavailable,
// so that callers answer 503 and not 500. SQLite rolls the transaction
// back; the file stays as it was before it.
func failed(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if unavailable(err) {
		return unavailableError{err}
	}
	return err
}

// unavailableError is err that is also mint.ErrUnavailable.
type unavailableError struct{ error }

func (e unavailableError) Unwrap() []error { return []error{e.error, mint.ErrUnavailable} }

func unavailable(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}
