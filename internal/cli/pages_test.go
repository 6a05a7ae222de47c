package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// pagedServer is an admin API stand-in on loopback that lists n clients
// in pages, each naming the next in a Link header, and counts the pages
// asked. link, when set, replaces the Link of the first page.
type pagedServer struct {
	*httptest.Server
	n     int
	link  string
	mu    sync.Mutex
	pages int
}

func newPagedServer(t *testing.T, n int, link string) *pagedServer {
	s := &pagedServer{n: n, link: link}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *pagedServer) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/oauth/token" {
		fmt.Fprint(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
		return
	}
	if r.URL.Path != "/admin/v1/clients" || r.Header.Get("Authorization") != "Bearer t" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":"not_found"}`)
		return
	}
	s.mu.Lock()
	s.pages++
	first := s.pages == 1
	s.mu.Unlock()
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	end := min(start+limit, s.n)
	page := []map[string]any{}
	for i := start; i < end; i++ {
		page = append(page, map[string]any{"client_id": fmt.Sprintf("c%05d", i), "name": "n", "secrets": []any{}})
	}
	switch {
	case first && s.link != "":
		w.Header().Set("Link", s.link)
	case end < s.n:
		q := r.URL.Query()
		q.Set("cursor", strconv.Itoa(end))
		w.Header().Set("Link", `<`+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
	}
	json.NewEncoder(w).Encode(page)
}

func (s *pagedServer) run(args ...string) result {
	h := &harness{url: s.URL}
	return h.runEnv(map[string]string{"MINT_SERVER": s.URL, "MINT_CLIENT_ID": "admin", "MINT_CLIENT_SECRET": "x",
		"MINT_TOKEN_CACHE": "off"}, args...)
}

// TestListFollowsEveryPage: a list of a few thousand rows comes out whole,
// each row once, in the server's order, from pages of at most 1000.
func TestListFollowsEveryPage(t *testing.T) {
	s := newPagedServer(t, 2500, "")
	r := s.run("clients", "list", "--json")
	r.wantCode(t, exitOK)
	var got []clientView
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not one JSON array: %v", err)
	}
	if len(got) != 2500 || s.pages != 3 {
		t.Fatalf("%d clients from %d pages, want 2500 from 3", len(got), s.pages)
	}
	for i, c := range got {
		if c.ClientID != fmt.Sprintf("c%05d", i) {
			t.Fatalf("row %d is %s", i, c.ClientID)
		}
	}

	s.pages = 0
	r = s.run("clients", "list")
	r.wantCode(t, exitOK)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 2501 || !strings.HasPrefix(lines[0], "CLIENT ID") || strings.Count(r.stdout, "CLIENT ID") != 1 ||
		!strings.HasPrefix(lines[2500], "c02499") {
		t.Errorf("table: %d lines, header %q, last %q; want one header and 2500 rows", len(lines), lines[0], lines[len(lines)-1])
	}
}

func TestListLimitStopsEarly(t *testing.T) {
	for _, tc := range []struct {
		limit       string
		rows, pages int
	}{{"1", 1, 1}, {"999", 999, 1}, {"1000", 1000, 1}, {"1500", 1500, 2}, {"9999", 2500, 3}} {
		s := newPagedServer(t, 2500, "")
		r := s.run("clients", "list", "--json", "--limit", tc.limit)
		r.wantCode(t, exitOK)
		var got []json.RawMessage
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != tc.rows || s.pages != tc.pages {
			t.Errorf("--limit %s: %d rows from %d pages (%v), want %d from %d", tc.limit, len(got), s.pages, err, tc.rows, tc.pages)
		}
	}
	s := newPagedServer(t, 0, "")
	if r := s.run("clients", "list", "--json"); r.stdout != "[]\n" {
		t.Errorf("empty list with --json: %q, want []", r.stdout)
	}
	if r := s.run("clients", "list", "--limit", "-1"); r.code == exitOK {
		t.Errorf("--limit -1 accepted")
	}
}

// TestListRefusesForeignNextPage: a server (or whoever tampers with its
// answers) cannot make the CLI send its admin token to another origin, nor
// loop on one page.
func TestListRefusesForeignNextPage(t *testing.T) {
	var stolen sync.Mutex
	var tokens []string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Lock()
		tokens = append(tokens, r.Header.Get("Authorization"))
		stolen.Unlock()
		fmt.Fprint(w, `[]`)
	}))
	t.Cleanup(evil.Close)
	for _, link := range []string{
		`<` + evil.URL + `/admin/v1/clients?cursor=1>; rel="next"`,
		`<//` + strings.TrimPrefix(evil.URL, "http://") + `/admin/v1/clients>; rel="next"`,
		`</oauth/token?cursor=1>; rel="next"`,
		`</admin/v1/clients?limit=1000>; rel="next"`, // the page itself
	} {
		s := newPagedServer(t, 10, link)
		r := s.run("clients", "list", "--json")
		if r.code == exitOK {
			t.Errorf("Link %s followed: %s", link, r.stdout)
		}
	}
	if len(tokens) != 0 {
		t.Errorf("another origin got %d requests: %q", len(tokens), tokens)
	}
}

func TestLinkNext(t *testing.T) {
	for header, want := range map[string]string{
		``:                                       "",
		`</a?x=1>; rel="next"`:                   "/a?x=1",
		`</a>; rel=next`:                         "/a",
		`</p>; rel="prev", </n>; rel="next"`:     "/n",
		`</n>; rel="next last"`:                  "/n",
		`</n>; title="x"; REL="Next"`:            "/n",
		`</p>; rel="prev"`:                       "",
		`garbage`:                                "",
		`>< ; rel="next"`:                        "",
		`</a,b>; rel="next"`:                     "/a,b",
		`</nextish>; rel="nextpage"`:             "",
		`</a>; rel="prev"; foo="rel=next", </b>`: "",
	} {
		if got := linkNext(header); got != want {
			t.Errorf("linkNext(%q) = %q, want %q", header, got, want)
		}
	}
}
