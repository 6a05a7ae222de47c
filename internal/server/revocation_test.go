package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
)

// TestBootstrapRecreatedAfterDeleteKeepsOldTokensDead is issue 13's
// attack on one SQLite file: the bootstrap admin client deletes itself
// (with revoke_tokens), and mint restarts with the same
// MINT_BOOTSTRAP_CLIENT_ID and a new secret, which creates the client
// again. The old admin token must stay refused — by the admin API and by
// introspection — while a token of the new client works at once, in the
// very second the client came back. Restarting once more with the new
// secret changes nothing.
func TestBootstrapRecreatedAfterDeleteKeepsOldTokensDead(t *testing.T) {
	db := filepath.Join(t.TempDir(), "mint.db")
	const id = "ops-admin"
	first := newServer(t, server.Config{DB: db, BootstrapClientID: id, BootstrapClientSecret: adminSecret})
	ts := httptest.NewServer(first.Handler())
	old := adminToken(t, ts.URL, id, adminSecret)
	if got := adminCall(t, ts.URL, "GET", "/admin/v1/clients", old); got != http.StatusOK {
		t.Fatalf("old token before the delete: %d", got)
	}
	if got := adminCall(t, ts.URL, "DELETE", "/admin/v1/clients/"+id+"?revoke_tokens=true", old); got != http.StatusNoContent {
		t.Fatalf("delete of the bootstrap client: %d", got)
	}
	ts.Close()
	first.Close()

	const newSecret = adminSecret + "-after-the-leak"
	for restart := range 2 {
		srv := newServer(t, server.Config{DB: db, BootstrapClientID: id, BootstrapClientSecret: newSecret})
		ts := httptest.NewServer(srv.Handler())
		fresh := adminToken(t, ts.URL, id, newSecret)
		if got := adminCall(t, ts.URL, "GET", "/admin/v1/clients", fresh); got != http.StatusOK {
			t.Errorf("restart %d: the new client's first token: %d, want 200", restart, got)
		}
		for _, m := range []string{"GET", "POST"} {
			if got := adminCall(t, ts.URL, m, "/admin/v1/clients", old); got != http.StatusUnauthorized {
				t.Errorf("restart %d: %s with the deleted client's token: %d, want 401", restart, m, got)
			}
		}
		if active := introspect(t, ts.URL, id, newSecret, old); active {
			t.Errorf("restart %d: introspection calls the deleted client's token active", restart)
		}
		if !introspect(t, ts.URL, id, newSecret, fresh) {
			t.Errorf("restart %d: introspection calls the new client's token inactive", restart)
		}
		ts.Close()
		srv.Close()
	}
}

func adminToken(t *testing.T, base, id, sec string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"client_id": id, "client_secret": sec,
		"audience": mint.AdminAudience, "grant_type": "client_credentials"})
	resp, err := http.Post(base+"/oauth/token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("token for %s: status %d, %v", id, resp.StatusCode, err)
	}
	return out.AccessToken
}

func adminCall(t *testing.T, base, method, path, token string) int {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, bytes.NewReader([]byte(`{"name":"probe"}`)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func introspect(t *testing.T, base, id, sec, token string) bool {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"client_id": id, "client_secret": sec, "token": token})
	resp, err := http.Post(base+"/oauth/introspect", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Active bool `json:"active"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("introspect: status %d, %v", resp.StatusCode, err)
	}
	return out.Active
}

// TestBootstrapSecretChangeRevokesEarlierTokens: an operator replaces
// MINT_BOOTSTRAP_CLIENT_SECRET because the old one leaked. The admin tokens
// fetched with the old secret must die with it, at the admin API and at
// introspection, while a restart that keeps the secret revokes nothing.
func TestBootstrapSecretChangeRevokesEarlierTokens(t *testing.T) {
	db := filepath.Join(t.TempDir(), "mint.db")
	const id = "ops-admin"
	first := newServer(t, server.Config{DB: db, BootstrapClientID: id, BootstrapClientSecret: adminSecret})
	ts := httptest.NewServer(first.Handler())
	leaked := adminToken(t, ts.URL, id, adminSecret)
	ts.Close()
	first.Close()

	const newSecret = adminSecret + "-after-the-leak"
	var kept string
	for restart := range 2 {
		srv := newServer(t, server.Config{DB: db, BootstrapClientID: id, BootstrapClientSecret: newSecret})
		ts := httptest.NewServer(srv.Handler())
		if got := adminCall(t, ts.URL, "GET", "/admin/v1/clients", leaked); got != http.StatusUnauthorized {
			t.Errorf("restart %d: token of the replaced secret: %d, want 401", restart, got)
		}
		if introspect(t, ts.URL, id, newSecret, leaked) {
			t.Errorf("restart %d: introspection calls the replaced secret's token active", restart)
		}
		if kept != "" { // fetched before this restart, with the same secret
			if got := adminCall(t, ts.URL, "GET", "/admin/v1/clients", kept); got != http.StatusOK {
				t.Errorf("restart %d with an unchanged secret revoked a token: %d", restart, got)
			}
		}
		kept = adminToken(t, ts.URL, id, newSecret)
		if got := adminCall(t, ts.URL, "GET", "/admin/v1/clients", kept); got != http.StatusOK {
			t.Errorf("restart %d: the new secret's first token: %d, want 200", restart, got)
		}
		ts.Close()
		srv.Close()
	}
}
