package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// nextLink is the target of a Link header's rel="next" (RFC 8288), or "".
var nextLink = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// followPages GETs path and every next page its Link headers name,
// checking each page's length, and returns the IDs listed, in order.
func followPages(t *testing.T, h *harness, path string, limit int) []string {
	t.Helper()
	var ids []string
	for pages := 0; path != ""; pages++ {
		if pages > 1000 {
			t.Fatalf("more than 1000 pages: the Link headers loop")
		}
		var page []map[string]any
		a := h.json("GET", path, nil, 200, &page)
		if page == nil || len(page) > limit {
			t.Fatalf("GET %s: %d rows (nil %v), want a JSON array of at most %d", path, len(page), page == nil, limit)
		}
		for _, row := range page {
			id, _ := row["id"].(string)
			if id == "" {
				id, _ = row["client_id"].(string)
			}
			ids = append(ids, id)
		}
		path = ""
		if link := a.header.Get("Link"); link != "" {
			m := nextLink.FindStringSubmatch(link)
			if m == nil {
				t.Fatalf("Link %q: not one rel=next link", link)
			}
			path = m[1]
		}
	}
	return ids
}

func TestListsPageThroughEveryRowOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	want := map[string][]string{}
	for i := range 23 {
		if i%4 == 0 { // some share a creation time: ties break by ID
			h.now = h.now.Add(time.Second)
		}
		var c clientWithSecret
		h.json("POST", "/admin/v1/clients", fmt.Sprintf(`{"name":"partner %d"}`, i), 201, &c)
		var api apiView
		h.json("POST", "/admin/v1/apis", fmt.Sprintf(`{"name":"api %d","audience":"https://api%d","scopes":["read"]}`, i, i), 201, &api)
		var g grantView
		h.json("POST", "/admin/v1/grants", `{"client_id":"`+c.ClientID+`","audience":"https://api`+fmt.Sprint(i)+`","scopes":["read"]}`, 201, &g)
		want["clients"] = append(want["clients"], c.ClientID)
		want["apis"] = append(want["apis"], api.ID)
		want["grants"] = append(want["grants"], g.ID)
	}
	for _, list := range []string{"clients", "apis", "grants"} {
		for _, limit := range []int{1, 5, 24, 1000} {
			t.Run(fmt.Sprintf("%s/limit=%d", list, limit), func(t *testing.T) {
				got := followPages(t, h, fmt.Sprintf("/admin/v1/%s?limit=%d", list, limit), limit)
				seen := map[string]int{}
				for _, id := range got {
					seen[id]++
				}
				for _, id := range want[list] {
					if seen[id] != 1 {
						t.Errorf("%s listed %d times over pages of %d", id, seen[id], limit)
					}
				}
				// Plus the harness's own admin client, API and grant.
				if len(got) != len(want[list])+1 {
					t.Errorf("%d rows listed, want %d", len(got), len(want[list])+1)
				}
			})
		}
	}
	t.Run("DefaultLimit", func(t *testing.T) {
		var page []clientView
		a := h.json("GET", "/admin/v1/clients", nil, 200, &page)
		if len(page) != 24 || a.header.Get("Link") != "" {
			t.Errorf("default page: %d clients, Link %q; want all 24, none", len(page), a.header.Get("Link"))
		}
		for _, c := range page {
			if len(c.Secrets) != 1 {
				t.Errorf("client %s lists %d secrets, want its 1", c.ClientID, len(c.Secrets))
			}
		}
	})
	t.Run("LinkKeepsTheQuery", func(t *testing.T) {
		a := h.json("GET", "/admin/v1/grants?limit=2&audience=https%3A%2F%2Fapi3", nil, 200, nil)
		if link := a.header.Get("Link"); link != "" {
			t.Errorf("one grant on that audience, yet Link %q", link)
		}
		a = h.json("GET", "/admin/v1/clients?q=partner&limit=2", nil, 200, nil)
		m := nextLink.FindStringSubmatch(a.header.Get("Link"))
		if m == nil {
			t.Fatalf("Link %q", a.header.Get("Link"))
		}
		next, err := url.Parse(m[1])
		if err != nil || next.Path != "/admin/v1/clients" || next.Query().Get("q") != "partner" ||
			next.Query().Get("limit") != "2" || next.Query().Get("cursor") == "" {
			t.Errorf("next page %q, %v: want the same path, q and limit and a cursor", m[1], err)
		}
	})
}

func TestListClientsSearch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var acme, acmeLabs, beta clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"Acme Corp"}`, 201, &acme)
	h.json("POST", "/admin/v1/clients", `{"name":"acme labs"}`, 201, &acmeLabs)
	h.json("POST", "/admin/v1/clients", `{"name":"Beta 100%"}`, 201, &beta)
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"acme", []string{acme.ClientID, acmeLabs.ClientID}},
		{"ACME%20L", []string{acmeLabs.ClientID}},
		{url.QueryEscape(beta.ClientID[:10]), []string{beta.ClientID}},
		{"Beta%20100%25", []string{beta.ClientID}},
		{"%25", nil},
		{"_", nil},
		{"", nil}, // q= empty: no filter; checked below
	} {
		got := followPages(t, h, "/admin/v1/clients?limit=1&q="+tc.q, 1)
		if tc.q == "" {
			if len(got) != 4 {
				t.Errorf("q empty: %d clients, want all 4", len(got))
			}
			continue
		}
		sort := func(s []string) string { c := append([]string(nil), s...); slices.Sort(c); return strings.Join(c, " ") }
		if sort(got) != sort(tc.want) {
			t.Errorf("q=%s: %q, want %q", tc.q, got, tc.want)
		}
	}
}

// TestListParamsRefused: bad page parameters are the caller's mistake, a
// 400 invalid_request naming the parameter, on every list, never a 500.
func TestListParamsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	valid := mint.CursorAt(h.now, "client_x").String()
	flipped := []byte(valid)
	if flipped[3] == 'A' { // tamper with one letter of the time
		flipped[3] = 'B'
	} else {
		flipped[3] = 'A'
	}
	for _, list := range []string{"clients", "apis", "grants"} {
		for _, tc := range []struct{ query, field string }{
			{"limit=0", "limit"},
			{"limit=-1", "limit"},
			{"limit=1001", "limit"},
			{"limit=abc", "limit"},
			{"limit=", "limit"},
			{"limit=1.5", "limit"},
			{"limit=99999999999999999999", "limit"},
			{"limit=1&limit=2", "limit"},
			{"cursor=", "cursor"},
			{"cursor=garbage!", "cursor"},
			{"cursor=" + string(flipped), "cursor"},
			{"cursor=" + valid + "A", "cursor"},
			{"cursor=" + strings.Repeat("A", 4000), "cursor"},
			{"cursor=" + url.QueryEscape(mint.CursorAt(h.now, "a\x00b").String()), "cursor"},
			{"cursor=" + valid + "&cursor=" + valid, "cursor"},
		} {
			path := "/admin/v1/" + list + "?" + tc.query
			a := h.do(call{method: "GET", path: path, token: h.bearer})
			checkInvalid(t, path, a, tc.field)
		}
	}
	for _, tc := range []struct{ path, field string }{
		{"/admin/v1/clients?q=a%00b", "q"},
		{"/admin/v1/clients?q=%ff", "q"},
		{"/admin/v1/clients?q=" + strings.Repeat("a", 501), "q"},
		{"/admin/v1/clients?q=a&q=b", "q"},
		{"/admin/v1/grants?client_id=a%00b", "client_id"},
		{"/admin/v1/grants?audience=%0a", "audience"},
	} {
		checkInvalid(t, tc.path, h.do(call{method: "GET", path: tc.path, token: h.bearer}), tc.field)
	}
	// A well-formed cursor positions the list, whoever made it up.
	h.json("GET", "/admin/v1/clients?cursor="+valid, nil, 200, nil)
}

func checkInvalid(t *testing.T, path string, a answer, field string) {
	t.Helper()
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if a.status != 400 || json.Unmarshal(a.body, &e) != nil || e.Error != "invalid_request" ||
		!strings.Contains(e.Description, field) {
		t.Errorf("GET %s: %d %s; want 400 invalid_request about %s", path, a.status, a.body, field)
	}
}

// TestListsNeedAuthentication: a stranger learns nothing from a list, with
// or without page parameters, not even whether they are well formed.
func TestListsNeedAuthentication(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, path := range []string{"/admin/v1/clients?limit=1", "/admin/v1/clients?cursor=bad", "/admin/v1/grants?limit=0"} {
		if a := h.do(call{method: "GET", path: path}); a.status != 401 || a.header.Get("Link") != "" {
			t.Errorf("GET %s without a token: %d, Link %q; want 401, none", path, a.status, a.header.Get("Link"))
		}
	}
}

// FuzzListQuery: whatever query string a caller sends to a list, reading
// it gives a page and filters a store takes (a limit in range, text without
// NUL or invalid UTF-8, which PostgreSQL would fail on with a 500), or a
// 400 invalid_request; never a panic. TestListParamsRefused runs the
// refusals through the real handlers and store.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{"limit=2", "cursor=" + mint.CursorAt(time.Now(), "x").String(), "q=acme&limit=1",
		"client_id=%00", "cursor=MTIz", "limit=1000&cursor=&q=", "q=%ff", "audience=a&audience=b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/admin/v1/grants", nil)
		r.URL.RawQuery = query
		q, err := grantQuery(r)
		if err == nil {
			_, err = readFilter(r, "q")
		}
		if err != nil {
			var e *oauth.Error
			if !errors.As(err, &e) || e.Status != 400 || e.Code != "invalid_request" || e.Description == "" {
				t.Fatalf("query %q: %v; want a 400 invalid_request", query, err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > mint.MaxPageLimit {
			t.Fatalf("query %q: limit %d accepted", query, q.Limit)
		}
		for _, text := range []string{q.ClientID, q.Audience, q.After.ID} {
			if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
				t.Fatalf("query %q: %q accepted", query, text)
			}
		}
	})
}
