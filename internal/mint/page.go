package mint

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Page sizes every paginated Store list keeps to, whatever the caller
// asks: a list answer costs at most MaxPageLimit rows.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
	// SearchScanLimit bounds the rows one search page reads, matching or
	// not, so that a rare match costs the same at any number of clients;
	// the search goes on from the next page's cursor.
	SearchScanLimit = 20_000
)

// Cursor is a position in a paginated list, which is ordered by creation
// time, then ID (byte order) to break ties: the pair is unique and never
// changes, so a page asked After a row starts right after it even if rows
// were inserted or deleted in between, the row itself included. The zero
// Cursor is before the first row.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// CursorAt is the cursor just after a row created at createdAt with id.
func CursorAt(createdAt time.Time, id string) Cursor {
	return Cursor{CreatedAt: createdAt, ID: id}
}

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c.ID == "" && c.CreatedAt.IsZero() }

// Page asks for up to Limit rows after a cursor.
type Page struct {
	After Cursor
	// Limit is clamped to 1…MaxPageLimit; 0 means DefaultPageLimit.
	Limit int
}

// Size is the number of rows the page holds at most.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

// ClientQuery asks for a page of clients, those whose name or ID starts
// with Search (ASCII letters compared case-insensitively) when it is not
// empty.
type ClientQuery struct {
	Page
	Search string
}

// GrantQuery asks for a page of grants, only a client's and/or only an
// audience's when they are not empty.
type GrantQuery struct {
	Page
	ClientID string
	Audience string
}

// LikePrefix is the SQL LIKE pattern matching the strings that start with
// prefix, with '\' as the escape character.
func LikePrefix(prefix string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(prefix) + "%"
}

// Bounds of a cursor's text: what a stranger sends is refused before it
// reaches a query.
const (
	maxCursorText = 512
	maxCursorID   = 256
	// lastCursorMilli is the end of year 9999, within both backends' range.
	lastCursorMilli = 253402300799999
)

// ErrBadCursor: a cursor's text is not one String returned.
var ErrBadCursor = errors.New("malformed cursor")

// String returns the cursor as an opaque token for URLs:
// base64url("<unix milliseconds>.<id>"). Callers must not read into it.
func (c Cursor) String() string {
	raw := strconv.FormatInt(c.CreatedAt.UnixMilli(), 10) + "." + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor reads a cursor String returned. Anything else, tampered or
// truncated, is ErrBadCursor: never a panic, and never a value a store
// could fail on (a time out of range, an ID that is not UTF-8 text).
func ParseCursor(s string) (Cursor, error) {
	if len(s) > maxCursorText {
		return Cursor{}, ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	ms, id, ok := strings.Cut(string(raw), ".")
	if !ok || id == "" || len(id) > maxCursorID || !utf8.ValidString(id) || strings.ContainsFunc(id, unicode.IsControl) {
		return Cursor{}, ErrBadCursor
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n < 0 || n > lastCursorMilli || ms != strconv.FormatInt(n, 10) {
		return Cursor{}, ErrBadCursor
	}
	c := Cursor{CreatedAt: time.UnixMilli(n).UTC(), ID: id}
	if c.String() != s { // one text per cursor: no unused bits set
		return Cursor{}, ErrBadCursor
	}
	return c, nil
}
