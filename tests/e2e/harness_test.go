// Package e2e_test drives a real mint (server.New on a SQLite file, served
// over loopback HTTP), the example cargo API and the gateway with the Go SDK,
// as a partner and an API owner following the README would. Nothing is
// faked: tokens come from mint's token endpoint, APIs, clients and grants
// from its admin API, keys from its JWKS. The wrappers around the handlers
// only count what passes through them.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/client"
	"github.com/mintauth/mint/examples/cargo-api/cargo"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
)

const (
	adminID     = "e2e-admin"
	adminSecret = "e2e-admin-secret-0123456789abcdefghij"

	prodAudience = "https://dataloy"
	devAudience  = "https://dataloy.dev"
)

// mintServer is a real mint on 127.0.0.1.
type mintServer struct {
	URL        string // the issuer, and where mint listens
	srv        *server.Server
	tokenPaths []string
	tokenPosts atomic.Int64 // POSTs to a token path, admin token included
	adminToken string
}

// startMint runs server.New behind an httptest server whose URL is the
// issuer, on cfg.DB or else a fresh SQLite file. cfg's Issuer and bootstrap
// client are filled in.
func startMint(t *testing.T, cfg server.Config) *mintServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DB == "" {
		cfg.DB = filepath.Join(t.TempDir(), "mint.db")
	}
	cfg.Issuer = "http://" + ln.Addr().String()
	cfg.BootstrapClientID, cfg.BootstrapClientSecret = adminID, adminSecret
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		ln.Close()
		t.Fatalf("server.New: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	m := &mintServer{URL: cfg.Issuer, srv: srv, tokenPaths: cfg.TokenPaths}
	if len(m.tokenPaths) == 0 {
		m.tokenPaths = []string{server.DefaultTokenPath}
	}
	hs := httptest.NewUnstartedServer(m.countTokenRequests(srv.Handler()))
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(hs.Close)
	m.adminToken = m.token(t, client.Config{ClientID: adminID, ClientSecret: adminSecret, Audience: mint.AdminAudience})
	return m
}

// countTokenRequests observes mint: it counts, and changes nothing.
func (m *mintServer) countTokenRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && slices.Contains(m.tokenPaths, r.URL.Path) {
			m.tokenPosts.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// TokenRequests is how many token requests mint has received.
func (m *mintServer) TokenRequests() int64 { return m.tokenPosts.Load() }

// token gets a token for cfg through the SDK; TokenURL defaults to mint's.
func (m *mintServer) token(t *testing.T, cfg client.Config) string {
	t.Helper()
	if cfg.TokenURL == "" {
		cfg.TokenURL = m.URL + server.DefaultTokenPath
	}
	tok, err := cfg.TokenSource(context.Background()).Token()
	if err != nil {
		t.Fatalf("token for %s: %v", cfg.ClientID, err)
	}
	return tok.AccessToken
}

// admin sends one admin API request and decodes the answer into out.
func (m *mintServer) admin(t *testing.T, method, path string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, m.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+m.adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s %s: %v in %s", method, path, err, raw)
	}
}

// createAPI registers an API with a token lifetime in seconds.
func (m *mintServer) createAPI(t *testing.T, name, audience string, lifetime int, scopes ...string) {
	t.Helper()
	var out map[string]any
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{
		"name": name, "audience": audience, "scopes": scopes, "token_lifetime": lifetime,
	}, &out)
}

// grant lets a client get tokens for an audience with some scopes.
type grant struct {
	audience string
	scopes   []string
}

// createClient makes a client with grants and returns an SDK config for
// it with mint's token URL and no audience.
func (m *mintServer) createClient(t *testing.T, name string, grants ...grant) client.Config {
	t.Helper()
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": name}, &c)
	for _, g := range grants {
		var out map[string]any
		m.admin(t, "POST", "/admin/v1/grants", map[string]any{
			"client_id": c.ClientID, "audience": g.audience, "scopes": g.scopes,
		}, &out)
	}
	return client.Config{TokenURL: m.URL + server.DefaultTokenPath, ClientID: c.ClientID, ClientSecret: c.ClientSecret}
}

// dataloy is seed 003's setup: the API in production and dev, and a
// partner that may read cargo in production. Its config names the
// production audience.
func dataloy(t *testing.T, m *mintServer, lifetime int) client.Config {
	t.Helper()
	m.createAPI(t, "Dataloy", prodAudience, lifetime, "read:cargo", "write:cargo")
	m.createAPI(t, "Dataloy (dev)", devAudience, lifetime, "read:cargo")
	cfg := m.createClient(t, "cargo partner", grant{prodAudience, []string{"read:cargo"}})
	cfg.Audience = prodAudience
	return cfg
}

// cargoAPI is the example API, in process, checking tokens against mint's
// JWKS.
type cargoAPI struct {
	URL     string
	refused atomic.Int64 // 401 answers
}

// startCargoAPI runs the example API for audience. A zero leeway means the
// default; a nil now, the real clock.
func startCargoAPI(t *testing.T, m *mintServer, audience string, leeway time.Duration, now func() time.Time) *cargoAPI {
	t.Helper()
	keys, err := bearer.NewJWKS(context.Background(), bearer.JWKSConfig{Issuer: m.URL})
	if err != nil {
		t.Fatal(err)
	}
	h := cargo.Handler(cargo.Config{Issuer: m.URL, Audience: audience, Keys: keys, Leeway: leeway, Now: now})
	a := &cargoAPI{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status == http.StatusUnauthorized {
			a.refused.Add(1)
		}
	}))
	t.Cleanup(hs.Close)
	a.URL = hs.URL
	return a
}

// seedQuery is seed 003's example call, escaped as the seed shows it.
const seedQuery = "/ws/rest/Cargo?filter=subCargos.freight%28GTE%292500000"

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// getRows GETs url with hc and decodes a 200 answer's JSON list.
func getRows(t *testing.T, hc *http.Client, url string) []map[string]any {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, raw)
	}
	var rows []map[string]any
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, raw)
	}
	return rows
}
