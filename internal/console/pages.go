package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// consolePageSize is how many rows a console list shows: a page renders
// in the same time at any number of clients.
const consolePageSize = 50

// maxBack bounds the pages "Previous" can go back through: the cursors of
// the pages before are carried in the page's own URL.
const maxBack = 20

// pager is a list page's place and its links: Next and Previous keep the
// search, First starts it again. The admin API's lists go forward only
// (a cursor after the last row shown), so the console carries the
// cursors of the pages it came through in ?back=, newest last, "-" for the
// first page, so that Previous needs no query of its own.
type pager struct {
	path   string // the console page, e.g. /console/clients
	Search string
	cursor string
	back   []string
	// Next, Previous and First are console URLs, "" when there is none.
	Next, Previous, First string
}

// readPager reads a console list's place from its query.
func readPager(r *http.Request, path string) *pager {
	q := r.URL.Query()
	p := &pager{path: path, Search: q.Get("q"), cursor: q.Get("cursor")}
	if back := q.Get("back"); back != "" {
		p.back = strings.Split(back, ",")
		if len(p.back) > maxBack {
			p.back = p.back[len(p.back)-maxBack:]
		}
	}
	return p
}

// adminQuery is the admin API's query for the page.
func (p *pager) adminQuery(withSearch bool) string {
	v := url.Values{"limit": {strconv.Itoa(consolePageSize)}}
	if p.cursor != "" {
		v.Set("cursor", p.cursor)
	}
	if withSearch && p.Search != "" {
		v.Set("q", p.Search)
	}
	return v.Encode()
}

// link is the console URL of the page at cursor with back behind it.
func (p *pager) link(cursor string, back []string) string {
	v := url.Values{}
	if p.Search != "" {
		v.Set("q", p.Search)
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if len(back) > 0 {
		v.Set("back", strings.Join(back, ","))
	}
	if len(v) == 0 {
		return p.path
	}
	return p.path + "?" + v.Encode()
}

// setLinks fills in Next (to the admin API's next cursor, "" at the end),
// Previous and First.
func (p *pager) setLinks(next string) {
	if next != "" {
		here := p.cursor
		if here == "" {
			here = "-"
		}
		back := append(append([]string(nil), p.back...), here)
		if len(back) > maxBack {
			back = back[len(back)-maxBack:]
		}
		p.Next = p.link(next, back)
	}
	if p.cursor == "" {
		return
	}
	p.First = p.link("", nil)
	if n := len(p.back); n > 0 {
		prev := p.back[n-1]
		if prev == "-" {
			prev = ""
		}
		p.Previous = p.link(prev, p.back[:n-1])
	}
}

// nextCursor is the cursor of a Link header's rel="next" target, "" when
// there is none. The admin API is mint's own, in process.
var nextLinkCursor = regexp.MustCompile(`<[^>]*[?&]cursor=([^&>]*)[^>]*>; rel="next"`)

func nextCursor(h http.Header) string {
	m := nextLinkCursor.FindStringSubmatch(h.Get("Link"))
	if m == nil {
		return ""
	}
	c, err := url.QueryUnescape(m[1])
	if err != nil {
		return ""
	}
	return c
}

// listPage reads one page of an admin list into out and sets the pager's
// links.
func (c *Console) listPage(ctx context.Context, r *http.Request, sess *session, p *pager, path string, withSearch bool, out any) error {
	h, err := c.backend.callWithHeader(ctx, r, "GET", path+"?"+p.adminQuery(withSearch), sess.Token, nil, out)
	if err != nil {
		return err
	}
	p.setLinks(nextCursor(h))
	return nil
}
