package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/server"
)

const adminSecret = "bootstrap-secret-0123456789abcdefghijkl"

func newServer(t *testing.T, cfg server.Config) *server.Server {
	t.Helper()
	if cfg.DB == "" {
		cfg.DB = filepath.Join(t.TempDir(), "mint.db")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "http://mint.test"
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestBootstrapGeneratesAdminOnlyOnNewDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "mint.db")
	first := newServer(t, server.Config{DB: db})
	if first.Generated == nil || first.Generated.ClientID == "" || !strings.HasPrefix(first.Generated.ClientSecret, secret.Prefix) {
		t.Fatalf("new database: want generated admin credentials, got %+v", first.Generated)
	}
	first.Close()
	second := newServer(t, server.Config{DB: db})
	if second.Generated != nil {
		t.Fatalf("second start generated credentials again: %+v", second.Generated)
	}
	clients, _, err := second.Store().ListClientsPage(context.Background(), mint.ClientQuery{})
	if err != nil || len(clients) != 1 {
		t.Fatalf("clients = %v, %v; want exactly the generated admin", clients, err)
	}
}

func TestBootstrapClientIsIdempotentAndSecretReplaces(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "mint.db")
	cfg := server.Config{DB: db, BootstrapClientID: "ops-admin", BootstrapClientSecret: adminSecret}
	for range 3 {
		srv := newServer(t, cfg)
		if srv.Generated != nil {
			t.Fatal("configured bootstrap must not generate credentials")
		}
		srv.Close()
	}
	cfg.BootstrapClientSecret = adminSecret + "-rotated"
	srv := newServer(t, cfg)
	store := srv.Store()
	grants, err := store.ListGrants(ctx, "ops-admin")
	if err != nil || len(grants) != 1 || grants[0].Audience != mint.AdminAudience || len(grants[0].Scopes) != len(mint.AdminScopes) {
		t.Fatalf("grants = %+v, %v; want one admin grant with every admin scope", grants, err)
	}
	if got := tokenStatus(t, srv, "ops-admin", adminSecret); got != http.StatusUnauthorized {
		t.Errorf("replaced bootstrap secret: status %d, want 401", got)
	}
	if got := tokenStatus(t, srv, "ops-admin", cfg.BootstrapClientSecret); got != http.StatusOK {
		t.Errorf("current bootstrap secret: status %d, want 200", got)
	}
}

func TestBootstrapRefusesShortSecret(t *testing.T) {
	_, err := server.New(context.Background(), server.Config{
		DB: filepath.Join(t.TempDir(), "mint.db"), Issuer: "http://mint.test",
		BootstrapClientID: "ops", BootstrapClientSecret: "short",
	})
	if err == nil || !strings.Contains(err.Error(), "at least") {
		t.Fatalf("err = %v, want a clear refusal of the short secret", err)
	}
}

// A bootstrap client_id the token endpoint would refuse (longer than
// clientauth.MaxClientIDBytes) is refused at start, not at the first token.
func TestBootstrapRefusesLongClientID(t *testing.T) {
	_, err := server.New(context.Background(), server.Config{
		DB: filepath.Join(t.TempDir(), "mint.db"), Issuer: "http://mint.test",
		BootstrapClientID: strings.Repeat("o", 257), BootstrapClientSecret: adminSecret,
	})
	if err == nil || !strings.Contains(err.Error(), "at most 256 bytes") {
		t.Fatalf("err = %v, want a clear refusal of the long client_id", err)
	}
}

func TestConcurrentStartsShareOneKeyAndOneAdminAPI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "mint.db")
	var wg sync.WaitGroup
	kids := make([]string, 4)
	for i := range kids {
		wg.Go(func() {
			srv, err := server.New(context.Background(), server.Config{DB: db, Issuer: "http://mint.test",
				BootstrapClientID: "ops-admin", BootstrapClientSecret: adminSecret})
			if err != nil {
				t.Errorf("start %d: %v", i, err)
				return
			}
			kids[i] = srv.Keys().ActiveKeyID()
			srv.Close()
		})
	}
	wg.Wait()
	for _, k := range kids[1:] {
		if k != kids[0] {
			t.Fatalf("replicas sign with different keys: %v", kids)
		}
	}
	srv := newServer(t, server.Config{DB: db})
	apis, _ := srv.Store().ListAPIs(context.Background())
	if len(apis) != 1 {
		t.Fatalf("apis = %+v, want only the admin API", apis)
	}
}

func TestDiscoveryMetadata(t *testing.T) {
	srv := newServer(t, server.Config{Issuer: "https://auth.example.com/", TokenPaths: []string{"/oauth/token", "/api/getToken"}})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		t.Run(path, func(t *testing.T) {
			var m map[string]any
			getJSON(t, ts.URL+path, http.StatusOK, &m)
			want := map[string]any{
				"issuer":         "https://auth.example.com/",
				"token_endpoint": "https://auth.example.com/oauth/token",
				"jwks_uri":       "https://auth.example.com/.well-known/jwks.json",
			}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s = %v, want %v", k, m[k], v)
				}
			}
			if !strings.Contains(toJSON(m["grant_types_supported"]), "client_credentials") ||
				!strings.Contains(toJSON(m["token_endpoint_auth_methods_supported"]), "client_secret_basic") ||
				!strings.Contains(toJSON(m["scopes_supported"]), "clients:write") {
				t.Errorf("metadata lacks grant types, auth methods or scopes: %v", m)
			}
			if algs := toJSON(m["dpop_signing_alg_values_supported"]); !strings.Contains(algs, "ES256") ||
				strings.Contains(algs, "HS256") || strings.Contains(algs, "none") {
				t.Errorf("dpop_signing_alg_values_supported = %s", algs)
			}
		})
	}
}

func TestUnknownPathAnswersJSON404(t *testing.T) {
	ts := httptest.NewServer(newServer(t, server.Config{}).Handler())
	defer ts.Close()
	var e map[string]string
	getJSON(t, ts.URL+"/nope", http.StatusNotFound, &e)
	if e["error"] != "not_found" || e["error_description"] == "" {
		t.Fatalf("body = %v, want an RFC-shaped not_found", e)
	}
	var h map[string]string
	getJSON(t, ts.URL+"/healthz", http.StatusOK, &h)
	if h["status"] != "ok" {
		t.Fatalf("healthz = %v", h)
	}
}

func tokenStatus(t *testing.T, srv *server.Server, id, sec string) int {
	t.Helper()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	body, _ := json.Marshal(map[string]string{"client_id": id, "client_secret": sec,
		"audience": mint.AdminAudience, "grant_type": "client_credentials"})
	resp, err := http.Post(ts.URL+"/oauth/token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getJSON(t *testing.T, url string, status int, into any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d", url, resp.StatusCode, status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: Content-Type %q", url, ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatal(err)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestRootRedirectsToConsole: a browser opened on mint's address lands on
// the console's sign-in page; "/" under any other method, and every other
// unknown path, stays a JSON 404 for programs.
func TestRootRedirectsToConsole(t *testing.T) {
	ts := httptest.NewServer(newServer(t, server.Config{}).Handler())
	defer ts.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		method, path string
		status       int
		location     string
	}{
		{"GET", "/", http.StatusFound, "/console/"},
		{"HEAD", "/", http.StatusFound, "/console/"},
		{"GET", "/?from=bookmark", http.StatusFound, "/console/"},
		{"POST", "/", http.StatusNotFound, ""},
		{"DELETE", "/", http.StatusNotFound, ""},
		{"GET", "/index.html", http.StatusNotFound, ""},
		{"GET", "/console", http.StatusTemporaryRedirect, "/console/"},
	} {
		req, _ := http.NewRequest(tc.method, ts.URL+tc.path, nil)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
			t.Errorf("%s %s: %d Location %q, want %d %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Location"), tc.status, tc.location)
		}
		if tc.status == http.StatusNotFound && resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: Content-Type %q, want JSON", tc.method, tc.path, resp.Header.Get("Content-Type"))
		}
	}
	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "client_secret") {
		t.Errorf("following / ends at %s with %d, want the sign-in page:\n%.300s", resp.Request.URL, resp.StatusCode, page)
	}
}
