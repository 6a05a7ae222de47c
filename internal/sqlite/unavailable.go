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

// UnavailableReason says why, in words fit for an admin's answer (the
// admin API shows it; the token endpoint does not).
func (e unavailableError) UnavailableReason() string {
	var se *sqlite.Error
	if !errors.As(e.error, &se) {
		return "the database cannot take changes now"
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return "the database's disk is full"
	case sqlite3.SQLITE_READONLY:
		return "the database file is read-only"
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return "the database is locked by another writer"
	case sqlite3.SQLITE_IOERR:
		return "the database's disk reports an I/O error"
	}
	return "the database file cannot be opened"
}

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
