package console_test

import (
	"context"
	"database/sql"
	"fmt"
	"html"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/console"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/sqlite"
)

var (
	clientRow = regexp.MustCompile(`<th scope="row"><a href="/console/clients/([^"]+)">`)
	apiRow    = regexp.MustCompile(`<th scope="row"><a href="/console/apis/([^"]+)">`)
)

// pageLink is the href of the pager link with that id, "" if none.
func pageLink(body, id string) string {
	m := regexp.MustCompile(`<a href="([^"]+)" id="` + id + `"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// addClients stores n clients named prefix+i through the store, a few a
// millisecond so that ties break by ID, and returns their IDs.
func addClients(t *testing.T, m *testMint, prefix string, n int) []string {
	t.Helper()
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Millisecond)
	ids := make([]string, n)
	for i := range ids {
		created := at.Add(time.Duration(i/3) * time.Millisecond)
		c := mint.Client{ID: mint.NewClientID(), Name: fmt.Sprint(prefix, i), CreatedAt: created, UpdatedAt: created}
		s := mint.Secret{ID: "sec_" + c.ID, ClientID: c.ID, Digest: []byte{1}, CreatedAt: created}
		if err := m.srv.Store().CreateClient(ctx, c, s); err != nil {
			t.Fatal(err)
		}
		ids[i] = c.ID
	}
	return ids
}

// followNext reads path and every page its Next link leads to, returning
// the row IDs of each page and the pages' bodies.
func followNext(t *testing.T, u *user, path string, row *regexp.Regexp) (ids [][]string, bodies []string) {
	t.Helper()
	for path != "" {
		if len(bodies) > 500 {
			t.Fatalf("the Next links loop")
		}
		p := u.get(path)
		if p.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, p.StatusCode, p.Body)
		}
		var page []string
		for _, m := range row.FindAllStringSubmatch(p.Body, -1) {
			page = append(page, m[1])
		}
		if len(page) > console.PageSize {
			t.Fatalf("GET %s: %d rows, more than a page of %d", path, len(page), console.PageSize)
		}
		ids, bodies = append(ids, page), append(bodies, p.Body)
		path = pageLink(p.Body, "page-next")
	}
	return ids, bodies
}

// TestClientsPagesShowEveryClientOnce: at a few thousand clients, the
// Clients page shows one page at a time, and Next goes through every
// client exactly once; Previous and First come back to the pages seen.
func TestClientsPagesShowEveryClientOnce(t *testing.T) {
	m := startMint(t)
	want := addClients(t, m, "partner ", 2100)
	u := newUser(t, m)
	u.mustSignIn()
	pages, bodies := followNext(t, u, "/console/clients", clientRow)
	seen := map[string]int{}
	for _, page := range pages {
		for _, id := range page {
			seen[id]++
		}
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Fatalf("client %s shown %d times over %d pages", id, seen[id], len(pages))
		}
	}
	if len(seen) != len(want)+1 { // and the bootstrap admin client
		t.Errorf("%d clients shown, want %d", len(seen), len(want)+1)
	}
	if len(pages) != (len(want)+1+console.PageSize-1)/console.PageSize {
		t.Errorf("%d pages for %d clients", len(pages), len(want)+1)
	}
	if pageLink(bodies[0], "page-previous") != "" || pageLink(bodies[0], "page-first") != "" {
		t.Errorf("the first page links back")
	}
	// Previous from the third page shows the second; First the first.
	prev := u.get(pageLink(bodies[2], "page-previous"))
	if got := clientRow.FindAllStringSubmatch(prev.Body, -1); len(got) == 0 || got[0][1] != pages[1][0] {
		t.Errorf("Previous from page 3 does not show page 2")
	}
	if pageLink(prev.Body, "page-next") != pageLink(bodies[1], "page-next") {
		t.Errorf("page 2 reached by Previous has another Next: %q, want %q", pageLink(prev.Body, "page-next"), pageLink(bodies[1], "page-next"))
	}
	first := u.get(pageLink(bodies[5], "page-first"))
	if got := clientRow.FindAllStringSubmatch(first.Body, -1); len(got) == 0 || got[0][1] != pages[0][0] {
		t.Errorf("First does not show the first page")
	}
}

// TestClientsSearch: the search finds clients by the start of their name
// (any case) or id, page by page, and keeps the search on Next.
func TestClientsSearch(t *testing.T) {
	m := startMint(t)
	acme := addClients(t, m, "Acme depot ", 120)
	others := addClients(t, m, "other ", 30)
	u := newUser(t, m)
	u.mustSignIn()
	pages, _ := followNext(t, u, "/console/clients?q=acme+DEPOT", clientRow)
	var got []string
	for _, p := range pages {
		got = append(got, p...)
	}
	if len(got) != len(acme) {
		t.Errorf("search found %d clients over %d pages, want the %d Acme ones", len(got), len(pages), len(acme))
	}
	seen := map[string]bool{}
	for _, id := range got {
		seen[id] = true
	}
	for _, id := range acme {
		if !seen[id] {
			t.Fatalf("search missed %s", id)
		}
	}
	byID, _ := followNext(t, u, "/console/clients?q="+others[7], clientRow)
	if len(byID) != 1 || len(byID[0]) != 1 || byID[0][0] != others[7] {
		t.Errorf("search by id: %q, want only %s", byID, others[7])
	}
	none := u.get("/console/clients?q=nobody")
	if !strings.Contains(none.Body, "No client's name or id starts with “nobody”") {
		t.Errorf("a search with no match does not say so")
	}
}

// TestListPagesRefuseTamperedCursor: a cursor edited in the address bar is
// refused as the admin API refuses it (400), never a 500.
func TestListPagesRefuseTamperedCursor(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	u.mustSignIn()
	for _, path := range []string{"/console/clients?cursor=bogus", "/console/apis?cursor=%00", "/console/clients?q=%00",
		"/console/clients?back=" + strings.Repeat("x,", 5000)} {
		p := u.get(path)
		if p.StatusCode >= 500 {
			t.Errorf("GET %s: %d", path, p.StatusCode)
		}
	}
	if p := u.get("/console/clients?cursor=bogus"); p.StatusCode != http.StatusBadRequest {
		t.Errorf("tampered cursor: %d, want 400", p.StatusCode)
	}
}

// TestAPIsPages: the APIs page too shows a page at a time.
func TestAPIsPages(t *testing.T) {
	m := startMint(t)
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Millisecond)
	for i := range 120 {
		api := mint.API{ID: fmt.Sprint("api_", i), Name: fmt.Sprint("API ", i), Audience: fmt.Sprint("https://api", i),
			TokenLifetime: time.Hour, CreatedAt: at, UpdatedAt: at}
		if err := m.srv.Store().CreateAPI(ctx, api); err != nil {
			t.Fatal(err)
		}
	}
	u := newUser(t, m)
	u.mustSignIn()
	pages, _ := followNext(t, u, "/console/apis", apiRow)
	seen := map[string]int{}
	for _, p := range pages {
		for _, id := range p {
			seen[id]++
		}
	}
	if len(pages) != 3 || len(seen) != 121 {
		t.Errorf("%d pages, %d APIs; want 3 pages of the 121 APIs", len(pages), len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("API %s shown %d times", id, n)
		}
	}
}

// BenchmarkClientsPage renders the Clients page at 100,000 clients (issue
// 16's target: < 200 ms), the first page, one far in, and a search:
// go test -run '^$' -bench ClientsPage -benchtime 20x ./internal/console/
func BenchmarkClientsPage(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "mint.db")
	fillClients(b, path, n)
	m := startMintOn(b, path)
	u := newUser(b, m)
	u.mustSignIn()
	far := u.get("/console/clients")
	for range 20 {
		far = u.get(pageLink(far.Body, "page-next"))
	}
	for name, path := range map[string]string{
		"first":       "/console/clients",
		"page-21":     pageLink(far.Body, "page-previous"),
		"search":      "/console/clients?q=partner+99999",
		"search-none": "/console/clients?q=nobody",
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if p := u.get(path); p.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: %d", path, p.StatusCode)
				}
			}
		})
	}
}

// fillClients makes a store at path holding n clients "partner i", three a
// millisecond, each with a secret, inserted in bulk: through the store
// they would take minutes.
func fillClients(b *testing.B, path string, n int) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{
		`WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < ? - 1)
		 INSERT INTO clients (id, name, created_at, updated_at)
		 SELECT lower(hex(randomblob(12))), 'partner ' || i, 1765000000000 + i / 3, 1765000000000 FROM k`,
		`INSERT INTO secrets (id, client_id, digest, created_at) SELECT 'sec_' || id, id, x'00', created_at FROM clients`,
		`ANALYZE`,
	} {
		if _, err := db.ExecContext(ctx, stmt, n); err != nil {
			b.Fatal(err)
		}
	}
}
