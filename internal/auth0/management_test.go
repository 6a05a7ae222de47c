package auth0

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "mgmt-token-never-shown-0123456789"

// fakeManagement plays the Management API v2 over loopback: paginated
// lists with totals, and the answers a test sets up before the lists.
type fakeManagement struct {
	*httptest.Server
	mu        sync.Mutex
	resources map[string][]any // path → items
	before    map[string][]func(w http.ResponseWriter) bool
	requests  []string
}

func newFakeManagement(t *testing.T) *fakeManagement {
	f := &fakeManagement{resources: map[string][]any{}, before: map[string][]func(http.ResponseWriter) bool{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeManagement) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.URL.RequestURI())
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"statusCode":401,"error":"Unauthorized","message":"Invalid token"}`)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/v2/")
	if hooks := f.before[path]; len(hooks) > 0 {
		f.before[path] = hooks[1:]
		if hooks[0](w) {
			return
		}
	}
	items, ok := f.resources[path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per == 0 || r.URL.Query().Get("include_totals") != "true" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	start := min(page*per, len(items))
	end := min(start+per, len(items))
	json.NewEncoder(w).Encode(map[string]any{"start": start, "limit": per, "length": end - start, "total": len(items),
		strings.ReplaceAll(path, "-", "_"): items[start:end]})
}

func (f *fakeManagement) client() *Management {
	return &Management{BaseURL: f.URL, Token: testToken, Sleep: func(context.Context, time.Duration) error { return nil }}
}

func manyClients(n int) []any {
	var items []any
	for i := range n {
		items = append(items, Client{ClientID: fmt.Sprintf("client-%03d", i), ClientSecret: goodSecret,
			Name: fmt.Sprintf("Partner %d", i), AppType: "non_interactive"})
	}
	return items
}

func TestManagementReadsEveryPage(t *testing.T) {
	f := newFakeManagement(t)
	f.resources["resource-servers"] = []any{ResourceServer{Name: "Dataloy", Identifier: "https://dataloy"}}
	f.resources["clients"] = manyClients(230)
	f.resources["client-grants"] = []any{}
	got, err := f.client().Tenant(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Clients) != 230 || got.Clients[229].ClientID != "client-229" || got.Clients[100].ClientSecret != goodSecret {
		t.Fatalf("read %d clients, want the 230 in order with their secrets", len(got.Clients))
	}
	var clientPages int
	for _, r := range f.requests {
		if strings.HasPrefix(r, "/api/v2/clients?") {
			clientPages++
			if !strings.Contains(r, "client_secret") {
				t.Errorf("%s does not ask for client_secret", r)
			}
		}
	}
	if clientPages != 3 {
		t.Errorf("%d pages of clients read, want 3 (100, 100, 30)", clientPages)
	}
}

func TestManagementWaitsForRateLimitReset(t *testing.T) {
	f := newFakeManagement(t)
	f.resources["resource-servers"] = []any{}
	f.resources["clients"] = manyClients(3)
	f.resources["client-grants"] = []any{}
	now := time.Unix(1_800_000_000, 0)
	f.before["clients"] = []func(http.ResponseWriter) bool{func(w http.ResponseWriter) bool {
		w.Header().Set("X-RateLimit-Limit", "2")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+7, 10))
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached"}`)
		return true
	}}
	m := f.client()
	var waited []time.Duration
	m.Now = func() time.Time { return now }
	m.Sleep = func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }
	got, err := m.Tenant(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Clients) != 3 {
		t.Errorf("read %d clients after the 429, want 3", len(got.Clients))
	}
	if len(waited) != 1 || waited[0] != 7*time.Second {
		t.Errorf("waited %v, want once until X-RateLimit-Reset, 7s", waited)
	}
}

func TestManagementRefuses(t *testing.T) {
	rateLimited := func(reset string) func(http.ResponseWriter) bool {
		return func(w http.ResponseWriter) bool {
			w.Header().Set("X-RateLimit-Reset", reset)
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
	}
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name   string
		setup  func(f *fakeManagement, m *Management)
		want   string
		before []func(http.ResponseWriter) bool
	}{
		{name: "wrong token", setup: func(f *fakeManagement, m *Management) { m.Token = "wrong-token-also-never-shown" },
			want: `HTTP 401: "Invalid token" (is AUTH0_MGMT_TOKEN`},
		{name: "oversized answer", setup: func(f *fakeManagement, m *Management) { m.MaxBody = 1000 },
			want: "answer larger than 1000 bytes"},
		{name: "reset too far", setup: func(f *fakeManagement, m *Management) {
			f.before["clients"] = []func(http.ResponseWriter) bool{rateLimited(strconv.FormatInt(now.Unix()+3600, 10))}
		}, want: "longer than the 1m0s this command waits"},
		{name: "reset not a number", setup: func(f *fakeManagement, m *Management) {
			f.before["clients"] = []func(http.ResponseWriter) bool{rateLimited("soon")}
		}, want: "not epoch seconds"},
		{name: "rate limited for ever", setup: func(f *fakeManagement, m *Management) {
			for range 10 {
				f.before["clients"] = append(f.before["clients"], rateLimited(strconv.FormatInt(now.Unix()+1, 10)))
			}
		}, want: "still rate limited after 5 tries"},
		{name: "pages end before the total", setup: func(f *fakeManagement, m *Management) {
			f.before["clients"] = []func(http.ResponseWriter) bool{func(w http.ResponseWriter) bool {
				fmt.Fprint(w, `{"start":0,"limit":100,"length":0,"total":1500,"clients":[]}`)
				return true
			}}
		}, want: "the pages end after 0 of the 1500"},
		{name: "more entries than bounded", setup: func(f *fakeManagement, m *Management) {
			page := `{"total":1000000000,"clients":[` + strings.Repeat(`{},`, 40_000) + `{}]}`
			for range 4 {
				f.before["clients"] = append(f.before["clients"], func(w http.ResponseWriter) bool {
					fmt.Fprint(w, page)
					return true
				})
			}
		}, want: "more than 100000 entries"},
		{name: "no list in the answer", setup: func(f *fakeManagement, m *Management) {
			f.before["clients"] = []func(http.ResponseWriter) bool{func(w http.ResponseWriter) bool {
				fmt.Fprint(w, `{"total": 5}`)
				return true
			}}
		}, want: `the answer has no "clients"`},
		{name: "redirect", setup: func(f *fakeManagement, m *Management) {
			f.before["clients"] = []func(http.ResponseWriter) bool{func(w http.ResponseWriter) bool {
				w.Header().Set("Location", "http://127.0.0.1:1/steal")
				w.WriteHeader(http.StatusFound)
				return true
			}}
		}, want: "redirect, not followed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeManagement(t)
			f.resources["resource-servers"] = []any{}
			f.resources["clients"] = manyClients(30)
			f.resources["client-grants"] = []any{}
			m := f.client()
			m.Now = func() time.Time { return now }
			tc.setup(f, m)
			_, err := m.Tenant(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "never-shown") || strings.Contains(err.Error(), goodSecret) {
				t.Errorf("error shows a token or secret: %v", err)
			}
		})
	}
}

func TestManagementURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"dataloy.eu.auth0.com", "https://dataloy.eu.auth0.com"},
		{"https://dataloy.eu.auth0.com/", "https://dataloy.eu.auth0.com"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://dataloy.eu.auth0.com", ""},
		{"https://user:pw@dataloy.eu.auth0.com", ""},
		{"https://dataloy.eu.auth0.com/api/v2", ""},
		{"ftp://dataloy.eu.auth0.com", ""},
		{"", ""},
	} {
		got, err := ManagementURL(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("ManagementURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
