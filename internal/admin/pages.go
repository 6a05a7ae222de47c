package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// maxFilter bounds a list's search and filter parameters (?q=, ?client_id=,
// ?audience=): longer than any name, ID or audience the API accepts.
const maxFilter = 500

// readPage reads ?limit= (1…1000, default 100) and ?cursor= (opaque, from
// a previous answer's Link header).
func readPage(r *http.Request) (mint.Page, error) {
	query := r.URL.Query()
	page := mint.Page{Limit: mint.DefaultPageLimit}
	if text, ok := query["limit"]; ok {
		n, err := strconv.Atoi(text[0])
		if err != nil || n < 1 || n > mint.MaxPageLimit || len(text) > 1 {
			return mint.Page{}, invalid("limit", "limit must be one integer from 1 to %d", mint.MaxPageLimit)
		}
		page.Limit = n
	}
	if text, ok := query["cursor"]; ok {
		c, err := mint.ParseCursor(text[0])
		if err != nil || len(text) > 1 {
			return mint.Page{}, invalid("cursor", "cursor must be one copied from a Link header of this API")
		}
		page.After = c
	}
	return page, nil
}

// readFilter reads an optional filter parameter: text of at most maxFilter
// characters, no control characters (a store could not compare a NUL).
func readFilter(r *http.Request, name string) (string, error) {
	text := r.URL.Query()[name]
	switch {
	case len(text) == 0:
		return "", nil
	case len(text) > 1:
		return "", invalid(name, "%s must be given once", name)
	case utf8.RuneCountInString(text[0]) > maxFilter || !utf8.ValidString(text[0]) ||
		hasRune(text[0], unicode.IsControl):
		return "", invalid(name, "%s must be text of at most %d characters", name, maxFilter)
	}
	return text[0], nil
}

// writePage answers a page of a list: the JSON array of the page, as the
// lists always answered, and, when the list goes on, the next page's URL
// in a Link header (RFC 8288): the same query with the cursor moved. A
// search's page may be short, even empty, with a next page still.
func writePage[T any](w http.ResponseWriter, r *http.Request, views []T, next mint.Cursor) {
	if !next.IsZero() {
		query := r.URL.Query()
		query.Set("cursor", next.String())
		u := url.URL{Path: r.URL.Path, RawQuery: query.Encode()}
		w.Header().Set("Link", "<"+u.String()+`>; rel="next"`)
	}
	oauth.WriteJSON(w, http.StatusOK, views)
}
