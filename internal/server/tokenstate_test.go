package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
)

// TestTokenStateEndpoints: discovery advertises introspection, revocation
// and private_key_jwt, and the server answers at the advertised URLs.
func TestTokenStateEndpoints(t *testing.T) {
	srv := newServer(t, server.Config{Issuer: "https://auth.example.com/", BootstrapClientID: "ops", BootstrapClientSecret: adminSecret})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	var m map[string]any
	getJSON(t, ts.URL+"/.well-known/oauth-authorization-server", http.StatusOK, &m)
	if m["introspection_endpoint"] != "https://auth.example.com/oauth/introspect" ||
		m["revocation_endpoint"] != "https://auth.example.com/oauth/revoke" {
		t.Errorf("endpoints: %v", m)
	}
	for _, k := range []string{"token_endpoint_auth_methods_supported", "introspection_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported"} {
		if !strings.Contains(toJSON(m[k]), "private_key_jwt") {
			t.Errorf("%s = %v", k, m[k])
		}
	}
	for _, k := range []string{"token_endpoint_auth_signing_alg_values_supported", "introspection_endpoint_auth_signing_alg_values_supported"} {
		if s := toJSON(m[k]); !strings.Contains(s, "ES256") || strings.Contains(s, "HS256") || strings.Contains(s, "none") {
			t.Errorf("%s = %v", k, m[k])
		}
	}

	form := func(pairs ...string) url.Values {
		v := url.Values{"client_id": {"ops"}, "client_secret": {adminSecret}}
		for i := 0; i+1 < len(pairs); i += 2 {
			v.Set(pairs[i], pairs[i+1])
		}
		return v
	}
	post := func(path string, v url.Values) (int, string) {
		resp, err := http.PostForm(ts.URL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := post("/oauth/token", form("grant_type", "client_credentials", "audience", mint.AdminAudience))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &tok) != nil {
		t.Fatalf("token: %d %s", status, body)
	}
	if status, body = post("/oauth/introspect", form("token", tok.AccessToken)); status != 200 || !strings.Contains(body, `"active":true`) {
		t.Fatalf("introspect: %d %s", status, body)
	}
	if status, body = post("/oauth/revoke", form("token", tok.AccessToken)); status != 200 || body != "" {
		t.Fatalf("revoke: %d %q", status, body)
	}
	if status, body = post("/oauth/introspect", form("token", tok.AccessToken)); status != 200 || body != "{\"active\":false}\n" {
		t.Fatalf("introspect after revoke: %d %s", status, body)
	}
	resp, err := http.Get(ts.URL + "/oauth/introspect")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET introspect: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
