package postgres

import "time"

// Times are written as timestamptz truncated to the millisecond, as the
// SQLite store keeps them, and read back in UTC.

func millis(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

// nullMillis writes the zero time as NULL, for "never" columns.
func nullMillis(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = millis(t)
	return &t
}

func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// Scopes are text arrays, in order. pgx writes a nil slice as NULL, which
// the NOT NULL columns refuse, so nil becomes the empty array.
func scopesArg(scopes []string) []string {
	if scopes == nil {
		return []string{}
	}
	return scopes
}

// bytesArg writes nil as the empty bytea for the same reason.
func bytesArg(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
