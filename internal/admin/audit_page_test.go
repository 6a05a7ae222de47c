package admin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// appendRecords appends n records straight to the harness's store: token
// issuances by three clients, every fifth one an admin change.
func appendRecords(t *testing.T, h *harness, n int) {
	t.Helper()
	var batch []mint.AuditRecord
	for i := range n {
		kind, client := mint.AuditTokenIssued, fmt.Sprintf("c%d", i%3)
		if i%5 == 0 {
			kind = "admin.clients.update"
		}
		batch = append(batch, mint.AuditRecord{Time: h.now, Kind: kind, Actor: client, ClientID: client, Details: []byte(`{}`)})
	}
	if err := h.store.AppendAudit(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
}

var linkNext = regexp.MustCompile(`^<(/admin/v1/audit\?[^>]*)>; rel="next"$`)

// walk follows the Link headers from path and returns every seq listed,
// and the size of every page.
func walk(t *testing.T, h *harness, path string) (seqs []int64, pages []int) {
	t.Helper()
	for range 1000 {
		var page []audit.View
		a := h.json("GET", path, nil, 200, &page)
		pages = append(pages, len(page))
		for _, v := range page {
			seqs = append(seqs, v.Seq)
		}
		link := a.header.Get("Link")
		if link == "" {
			return seqs, pages
		}
		m := linkNext.FindStringSubmatch(link)
		if m == nil {
			t.Fatalf("GET %s: Link %q is not a rel=next to the audit list", path, link)
		}
		path = m[1]
	}
	t.Fatal("the Link headers did not end")
	return nil, nil
}

func TestAuditPagesFollowTheLink(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	appendRecords(t, h, 250)
	seqRange := func(from, to int64) []int64 {
		var s []int64
		for i := from; i <= to; i++ {
			s = append(s, i)
		}
		return s
	}
	everyFifth := func(reverse bool) []int64 {
		var s []int64
		for i := int64(1); i <= 250; i += 5 {
			s = append(s, i)
		}
		if reverse {
			slices.Reverse(s)
		}
		return s
	}
	newestFirst := seqRange(1, 250)
	slices.Reverse(newestFirst)
	for _, tc := range []struct {
		query string
		want  []int64
		pages []int
	}{
		{"", seqRange(1, 250), []int{100, 100, 50}},
		{"?limit=125", seqRange(1, 250), []int{125, 125}},
		{"?limit=1000", seqRange(1, 250), []int{250}},
		{"?order=newest&limit=100", newestFirst, []int{100, 100, 50}},
		{"?after_seq=200&limit=20", seqRange(201, 250), []int{20, 20, 10}},
		{"?order=newest&before_seq=51&limit=20", newestFirst[200:], []int{20, 20, 10}},
		{"?kind=admin.&limit=20", everyFifth(false), []int{20, 20, 10}},
		{"?kind=admin.clients.update&order=newest&limit=20", everyFifth(true), []int{20, 20, 10}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			seqs, pages := walk(t, h, "/admin/v1/audit"+tc.query)
			if !slices.Equal(seqs, tc.want) || !slices.Equal(pages, tc.pages) {
				t.Errorf("seqs %v… (%d), pages %v; want %v… (%d), pages %v", head(seqs), len(seqs), pages, head(tc.want), len(tc.want), tc.pages)
			}
		})
	}
}

func head(s []int64) []int64 { return s[:min(len(s), 5)] }

// TestAuditCursorIsStable: records appended between two pages come after
// the cursor, never in place of one already listed.
func TestAuditCursorIsStable(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	appendRecords(t, h, 10)
	a := h.json("GET", "/admin/v1/audit?limit=4", nil, 200, nil)
	appendRecords(t, h, 10)
	next := linkNext.FindStringSubmatch(a.header.Get("Link"))
	if next == nil {
		t.Fatalf("no next Link: %q", a.header.Get("Link"))
	}
	seqs, _ := walk(t, h, next[1])
	if len(seqs) != 16 || seqs[0] != 5 || seqs[15] != 20 {
		t.Errorf("after the first page: %v, want 5…20", seqs)
	}
}

func TestAuditPageRefusesBadLimitAndCursor(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	appendRecords(t, h, 3)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, query := range []string{
		"?limit=0", "?limit=1001", "?limit=-1", "?limit=x", "?limit=1e3",
		"?cursor=", "?cursor=%00", "?cursor=not-base64!", "?cursor=" + enc("a"), "?cursor=" + enc("a0"),
		"?cursor=" + enc("a-1"), "?cursor=" + enc("a+1"), "?cursor=" + enc("a01"), "?cursor=" + enc("x1"),
		"?cursor=" + enc("a99999999999999999999"), "?cursor=" + strings.Repeat("A", 300),
		"?cursor=" + enc("b2"), // a newest-first cursor on an oldest-first list
		"?order=newest&cursor=" + enc("a2"),
		"?cursor=" + enc("a1") + "&after_seq=1",
		"?cursor=" + enc("b2") + "&order=newest&before_seq=3",
	} {
		a := h.do(call{method: "GET", path: "/admin/v1/audit" + query, token: h.bearer})
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
			Field       string `json:"field"`
		}
		json.Unmarshal(a.body, &e)
		if a.status != 400 || e.Error != "invalid_request" || e.Description == "" || (e.Field != "limit" && e.Field != "cursor") {
			t.Errorf("GET /admin/v1/audit%s: %d %s, want 400 invalid_request on limit or cursor", query, a.status, a.body)
		}
	}
}

// FuzzAuditCursor: whatever a stranger sends as a cursor, the query is
// refused as invalid_request on cursor, or read as a positive seq bound in
// the listing's direction; a cursor mint wrote reads back as written.
func FuzzAuditCursor(f *testing.F) {
	for _, seed := range []string{"", "YTE", "YjEw", "YTk5OTk5OTk5OTk5OTk5OTk5OTk5", "YS0x", "%%%", "\x00", strings.Repeat("Y", 300)} {
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, cursor string, newest bool) {
		q := url.Values{"cursor": {cursor}}
		if newest {
			q.Set("order", "newest")
		}
		r := httptest.NewRequest("GET", "/admin/v1/audit?"+q.Encode(), nil)
		filter, err := parseAuditQuery(r)
		if err != nil {
			var oe *oauth.Error
			if !errors.As(err, &oe) || oe.Code != "invalid_request" || oe.Field != "cursor" {
				t.Fatalf("cursor %q: %v, want invalid_request on cursor", cursor, err)
			}
			return
		}
		bound := filter.AfterSeq
		if newest {
			bound = filter.BeforeSeq
		}
		if bound < 1 || (newest && filter.AfterSeq != 0) || (!newest && filter.BeforeSeq != 0) {
			t.Fatalf("cursor %q read as %+v", cursor, filter)
		}
		if again := auditCursor(filter, bound); again != cursor {
			t.Fatalf("cursor %q read as %d, which writes %q", cursor, bound, again)
		}
	})
}
