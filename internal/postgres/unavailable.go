package postgres

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mintauth/mint/internal/mint"
)

// failed is fmt.Errorf for the Store's own errors: when the cause says the
// server cannot be reached or cannot take writes now, the error also wraps
// mint.ErrUnavailable, so that callers answer 503 and not 500.
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
	if hasCode(e.error, "25006") {
		return "the PostgreSQL server mint reached is read-only (a standby; is target_session_attrs=read-write set?)"
	}
	return "the PostgreSQL server cannot be reached or cannot take writes now (down, restarting or failing over)"
}

// unavailable reports whether err means the server is down, restarting,
// unreachable or refusing connections, rather than a fault of the query.
func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"): // connection exception
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // shutting down, starting up
			return true
		case pgErr.Code == "53300", pgErr.Code == "25006": // too many connections; a read-only standby
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return pgconn.SafeToRetry(err)
}
