package admin

import (
	"net/http"
	"net/url"
	"strconv"
)

// Paginated lists share these conventions: query parameters limit (the
// page size, default defaultPageSize, at most maxPageSize) and cursor (the
// opaque position after the page before, as the server wrote it), and the
// next page's URL in a Link header with rel="next", present only when
// there is a next page. The body stays the list itself.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
	// maxCursor bounds the cursor a request may carry: every cursor mint
	// writes is far shorter.
	maxCursor = 256
)

// pageLimit reads the limit parameter.
func pageLimit(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return defaultPageSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPageSize {
		return 0, invalid("limit", "limit must be from 1 to %d", maxPageSize)
	}
	return n, nil
}

// setNextLink points the Link header at the page after this one: the
// request's own URL with cursor set, without the parameters in drop (those
// the cursor takes the place of).
func setNextLink(w http.ResponseWriter, r *http.Request, cursor string, drop ...string) {
	q := r.URL.Query()
	for _, name := range drop {
		q.Del(name)
	}
	q.Set("cursor", cursor)
	next := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	w.Header().Set("Link", "<"+next.String()+`>; rel="next"`)
}
