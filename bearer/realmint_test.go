package bearer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/server"
)

// realMint is a mint server on loopback, backed by a temporary SQLite file,
// with one API (testAudience) and one client granted "read:cargo" on it.
type realMint struct {
	url              string
	clientID, secret string
}

func newRealMint(t *testing.T) *realMint {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	m := &realMint{url: "http://" + ts.Listener.Addr().String(), clientID: "cargo-client", secret: "cargo-secret-0123456789abcdefghijkl"}
	srv, err := server.New(context.Background(), server.Config{
		DB: filepath.Join(t.TempDir(), "mint.db"), Issuer: m.url,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, now := t.Context(), time.Now().UTC()
	store := srv.Store()
	if err := store.CreateAPI(ctx, mint.API{ID: mint.NewID("api"), Name: "cargo", Audience: testAudience,
		Scopes: []string{"read:cargo", "write:cargo"}, TokenLifetime: time.Hour, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateClient(ctx, mint.Client{ID: m.clientID, Name: "cargo", CreatedAt: now, UpdatedAt: now},
		mint.Secret{ID: mint.NewID("sec"), ClientID: m.clientID, Digest: secret.Digest(m.secret), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateGrant(ctx, mint.Grant{ID: mint.NewID("grant"), ClientID: m.clientID, Audience: testAudience,
		Scopes: []string{"read:cargo"}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return m
}

// token gets an access token from mint's token endpoint over HTTP.
func (m *realMint) token(t *testing.T) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"client_id": m.clientID, "client_secret": m.secret,
		"audience": testAudience, "grant_type": "client_credentials"})
	resp, err := http.Post(m.url+"/oauth/token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("token endpoint: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// TestRealMintAndAuth0TenantOverHTTP runs the cut-over end to end on
// loopback: an API behind the middleware trusts a real mint server and an
// Auth0-shaped tenant, each found by discovery; tokens of both pass, and a
// token made with the tenant's key but naming mint is refused.
func TestRealMintAndAuth0TenantOverHTTP(t *testing.T) {
	mintSrv := newRealMint(t)
	auth0Key := newKey(t, jose.RS256)
	tn := newTenant(t, auth0Key)
	mintKeys, err := bearer.NewJWKS(t.Context(), bearer.JWKSConfig{Issuer: mintSrv.url})
	if err != nil {
		t.Fatal(err)
	}
	auth0Keys, err := bearer.NewJWKS(t.Context(), bearer.JWKSConfig{Issuer: tn.issuer()})
	if err != nil {
		t.Fatal(err)
	}
	v := &bearer.Verifier{Audiences: []string{testAudience}, Issuers: []bearer.TrustedIssuer{
		{Issuer: mintSrv.url, Keys: mintKeys},
		{Issuer: tn.issuer(), Keys: auth0Keys, Algorithms: []jose.SignatureAlgorithm{jose.RS256}, Types: []string{"JWT"}},
	}}
	api := httptest.NewServer(bearer.Middleware(v)(bearer.RequireScopes("read:cargo")(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			c, _ := bearer.FromContext(r.Context())
			io.WriteString(w, c.Issuer+" "+c.ClientID)
		}))))
	t.Cleanup(api.Close)

	mintToken := mintSrv.token(t)
	now := time.Now()
	forged := signWith(t, jose.RS256, jose.JSONWebKey{Key: auth0Key.priv, KeyID: auth0Key.kid}, "at+jwt", map[string]any{
		"iss": mintSrv.url, "aud": testAudience, "client_id": "cargo-client", "scope": "read:cargo",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	tests := []struct {
		name, token string
		status      int
		body        string
	}{
		{"mint", mintToken, http.StatusOK, mintSrv.url + " cargo-client"},
		{"auth0", signAuth0(t, auth0Key, tn.claims(now, nil)), http.StatusOK, tn.issuer() + " P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH"},
		{"auth0 without the scope", signAuth0(t, auth0Key, tn.claims(now, map[string]any{"scope": "write:cargo"})), http.StatusForbidden, "Token scope insufficient."},
		{"auth0 key naming mint", forged, http.StatusUnauthorized, "Token signature invalid."},
		{"mint token damaged", strings.Replace(mintToken, ".", ".x", 1), http.StatusUnauthorized, "Token malformed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, api.URL+"/ws/rest/Cargo", nil)
			req.Header.Set("Authorization", "Bearer "+tt.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.body) {
				t.Errorf("%d %s, want %d with %q", resp.StatusCode, body, tt.status, tt.body)
			}
		})
	}
}
