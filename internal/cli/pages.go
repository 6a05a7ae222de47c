package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
)

// maxListPage is the admin API's largest page: a list asks for it unless
// --limit wants fewer rows.
const maxListPage = 1000

// pagedList is a `list` command: it follows the admin API's pages (each
// answer's Link rel="next") and prints each page as it comes, so that a
// list of any length runs in the memory of one page. --limit stops early.
// A table's columns align within each page; --json prints one JSON array.
func pagedList[T any](c *call, path func() (string, url.Values), render func(*tabwriter.Writer, []T)) runFunc {
	limit := c.fs.Int("limit", 0, "stop after `N` rows (default: all)")
	return func(ctx context.Context, _ []string) error {
		if *limit < 0 {
			return &usageError{msg: "--limit must be positive"}
		}
		api, err := c.admin(ctx)
		if err != nil {
			return err
		}
		p, q := path()
		q.Set("limit", strconv.Itoa(pageSize(*limit)))
		out := listOutput[T]{c: c, render: render}
		shown := 0
		for next := p + "?" + q.Encode(); next != ""; {
			body, header, err := api.doWithHeader(ctx, http.MethodGet, next, nil)
			if err != nil {
				return err
			}
			var page []json.RawMessage
			if err := json.Unmarshal(body, &page); err != nil {
				return &transportError{msg: fmt.Sprintf("unexpected answer from the server: %v", err)}
			}
			if *limit > 0 && shown+len(page) > *limit {
				page = page[:*limit-shown]
			}
			if err := out.page(page); err != nil {
				return err
			}
			if shown += len(page); *limit > 0 && shown == *limit {
				break
			}
			if next, err = nextPage(api.server, next, header.Get("Link")); err != nil {
				return err
			}
		}
		return out.end()
	}
}

func pageSize(limit int) int {
	if limit > 0 && limit < maxListPage {
		return limit
	}
	return maxListPage
}

// nextPage returns the path (under /admin/v1) of the page a Link header
// names rel="next", "" when it names none. It follows only a link to the
// same server's admin API, so that a server cannot send the CLI's bearer
// token elsewhere, and never the page it has just read.
func nextPage(server, current, link string) (string, error) {
	target := linkNext(link)
	if target == "" {
		return "", nil
	}
	base, err := url.Parse(server + "/admin/v1" + current)
	if err != nil {
		return "", &transportError{msg: fmt.Sprintf("bad server URL: %v", err)}
	}
	ref, err := url.Parse(target)
	if err != nil {
		return "", &transportError{msg: fmt.Sprintf("the server's next page %q is not a URL", target)}
	}
	u := base.ResolveReference(ref)
	rest, ok := strings.CutPrefix(u.EscapedPath(), "/admin/v1/")
	if u.Scheme != base.Scheme || u.Host != base.Host || !ok || u.User != nil {
		return "", &transportError{msg: fmt.Sprintf("the server's next page %q is not on its admin API", target)}
	}
	next := "/" + rest + "?" + u.RawQuery
	if next == current {
		return "", &transportError{msg: "the server's next page is the page it has just answered"}
	}
	return next, nil
}

// linkNext returns the target of the first link in a Link header (RFC 8288)
// whose rel holds "next", or "".
func linkNext(header string) string {
	for header != "" {
		start, end := strings.IndexByte(header, '<'), strings.IndexByte(header, '>')
		if start < 0 || end < start {
			return ""
		}
		target := header[start+1 : end]
		params, rest, _ := strings.Cut(header[end+1:], ",")
		header = rest
		for _, param := range strings.Split(params, ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
			if strings.EqualFold(name, "rel") && hasField(strings.Trim(value, `"`), "next") {
				return target
			}
		}
	}
	return ""
}

func hasField(list, want string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, want) {
			return true
		}
	}
	return false
}

// listOutput prints the pages of a list as they come: a table (its header
// once) or, with --json, the elements of one JSON array indented as the
// server's JSON always was.
type listOutput[T any] struct {
	c      *call
	render func(*tabwriter.Writer, []T)
	rows   int
	pages  int
}

func (o *listOutput[T]) page(page []json.RawMessage) error {
	defer func() { o.pages++; o.rows += len(page) }()
	if o.c.opts.json {
		return o.jsonPage(page)
	}
	items := make([]T, len(page))
	for i, raw := range page {
		if err := json.Unmarshal(raw, &items[i]); err != nil {
			return &transportError{msg: fmt.Sprintf("unexpected answer from the server: %v", err)}
		}
	}
	if o.pages > 0 && len(items) == 0 {
		return nil
	}
	var w io.Writer = o.c.stdout
	if o.pages > 0 {
		w = &skipLine{w: w} // the header was printed with the first page
	}
	tw := newTable(w)
	o.render(tw, items)
	return tw.Flush()
}

func (o *listOutput[T]) jsonPage(page []json.RawMessage) error {
	var buf bytes.Buffer
	for i, raw := range page {
		switch {
		case o.rows == 0 && i == 0:
			buf.WriteString("[\n  ")
		default:
			buf.WriteString(",\n  ")
		}
		if err := json.Indent(&buf, raw, "  ", "  "); err != nil {
			return &transportError{msg: fmt.Sprintf("the server's answer is not JSON: %v", err)}
		}
	}
	_, err := o.c.stdout.Write(buf.Bytes())
	return err
}

func (o *listOutput[T]) end() error {
	if !o.c.opts.json {
		if o.pages == 0 {
			return o.page(nil)
		}
		return nil
	}
	end := "\n]\n"
	if o.rows == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(o.c.stdout, end)
	return err
}

// skipLine drops what is written up to and including the first newline.
type skipLine struct {
	w       io.Writer
	skipped bool
}

func (s *skipLine) Write(p []byte) (int, error) {
	if s.skipped {
		return s.w.Write(p)
	}
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		return len(p), nil
	}
	s.skipped = true
	if _, err := s.w.Write(p[i+1:]); err != nil {
		return 0, err
	}
	return len(p), nil
}
