package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/mintproc"
)

// The end-to-end tests build the real binary and drive `mint serve` over
// loopback HTTP, as a new user following the README would.

var mintBin string

func TestMain(m *testing.M) { mintproc.Main(m, &mintBin) }

const (
	adminID     = "e2e-admin"
	adminSecret = "e2e-admin-secret-0123456789abcdefghij"
)

// mintProcess is a running `mint serve`, stopped when the test ends.
type mintProcess struct{ *mintproc.Process }

func startMint(t *testing.T, env []string, args ...string) *mintProcess {
	t.Helper()
	p, err := mintproc.Start(mintBin, env, t.TempDir(), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(t) })
	return &mintProcess{p}
}

// call sends a JSON request and decodes the JSON answer.
func call(t *testing.T, method, url, bearer string, body, into any) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if into != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, into); err != nil {
			t.Fatalf("%s %s: status %d, body %q: %v", method, url, resp.StatusCode, raw, err)
		}
	}
	return resp
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
	Error       string `json:"error"`
}

func getToken(t *testing.T, url string, req map[string]string) tokenAnswer {
	t.Helper()
	req["grant_type"] = "client_credentials"
	var ans tokenAnswer
	resp := call(t, "POST", url, "", req, &ans)
	if resp.StatusCode != http.StatusOK || ans.AccessToken == "" {
		t.Fatalf("token request %v: status %d, answer %+v", req, resp.StatusCode, ans)
	}
	return ans
}

// verify checks a token against the JWKS the server publishes, as an API
// would, and returns its claims.
func verify(t *testing.T, baseURL, raw string) map[string]any {
	t.Helper()
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	call(t, "GET", baseURL+"/.well-known/oauth-authorization-server", "", nil, &meta)
	var set jose.JSONWebKeySet
	call(t, "GET", meta.JWKSURI, "", nil, &set)
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	if tok.Headers[0].ExtraHeaders["typ"] != "at+jwt" {
		t.Errorf("typ = %v, want at+jwt", tok.Headers[0].ExtraHeaders["typ"])
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in JWKS %v", tok.Headers[0].KeyID, set)
	}
	var claims map[string]any
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		t.Fatalf("signature does not verify against the JWKS: %v", err)
	}
	if claims["iss"] != meta.Issuer {
		t.Errorf("iss = %v, want the advertised issuer %v", claims["iss"], meta.Issuer)
	}
	return claims
}

func TestTourAsNewUser(t *testing.T) {
	m := startMint(t, []string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret},
		"--token-path", "/api/getToken", "--token-path", "/users/token")
	admin := getToken(t, m.URL+"/oauth/token", map[string]string{
		"client_id": adminID, "client_secret": adminSecret, "audience": "urn:mint:admin"}).AccessToken

	for _, aud := range []string{"https://dataloy", "https://dataloy.dev"} {
		resp := call(t, "POST", m.URL+"/admin/v1/apis", admin, map[string]any{
			"name": "Dataloy " + aud, "audience": aud, "scopes": []string{"read:cargo", "write:cargo"}}, nil)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create API %s: status %d", aud, resp.StatusCode)
		}
	}
	var client struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	call(t, "POST", m.URL+"/admin/v1/clients", admin, map[string]any{"name": "cargo partner"}, &client)
	resp := call(t, "POST", m.URL+"/admin/v1/grants", admin, map[string]any{
		"client_id": client.ClientID, "audience": "https://dataloy", "scopes": []string{"read:cargo"}}, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create grant: status %d", resp.StatusCode)
	}

	for _, path := range []string{"/oauth/token", "/api/getToken", "/users/token"} {
		t.Run("seed 003 body at "+path, func(t *testing.T) {
			ans := getToken(t, m.URL+path, map[string]string{
				"client_id": client.ClientID, "client_secret": client.ClientSecret, "audience": "https://dataloy"})
			if ans.TokenType != "Bearer" || ans.ExpiresIn != 86400 || ans.Scope != "read:cargo" {
				t.Errorf("answer = %+v", ans)
			}
			c := verify(t, m.URL, ans.AccessToken)
			if c["aud"] != "https://dataloy" || c["sub"] != client.ClientID+"@clients" ||
				c["azp"] != client.ClientID || c["gty"] != "client-credentials" {
				t.Errorf("claims = %v", c)
			}
		})
	}
	t.Run("seed 002 body without audience", func(t *testing.T) {
		ans := getToken(t, m.URL+"/oauth/token", map[string]string{
			"client_id": client.ClientID, "client_secret": client.ClientSecret})
		if c := verify(t, m.URL, ans.AccessToken); c["aud"] != "https://dataloy" {
			t.Errorf("aud = %v, want the client's only API", c["aud"])
		}
	})
	t.Run("dev audience without a grant is refused", func(t *testing.T) {
		var e map[string]string
		resp := call(t, "POST", m.URL+"/oauth/token", "", map[string]string{"client_id": client.ClientID,
			"client_secret": client.ClientSecret, "audience": "https://dataloy.dev", "grant_type": "client_credentials"}, &e)
		if resp.StatusCode != http.StatusBadRequest || e["error"] != "invalid_target" {
			t.Errorf("status %d, body %v; want 400 invalid_target", resp.StatusCode, e)
		}
	})
	t.Run("GET on the token endpoint", func(t *testing.T) {
		var e map[string]string
		resp := call(t, "GET", m.URL+"/oauth/token?client_id=x", "", nil, &e)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" || e["error"] == "" {
			t.Errorf("status %d, Allow %q, body %v", resp.StatusCode, resp.Header.Get("Allow"), e)
		}
	})
	if log := m.Log(); strings.Contains(log, client.ClientSecret) || strings.Contains(log, adminSecret) || strings.Contains(log, admin) {
		t.Errorf("the log holds a secret or a token:\n%s", log)
	}
}

func TestNewDatabasePrintsAdminCredentialsOnce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "mint.db")
	first := startMint(t, nil, "--db", db)
	first.Stop(t)
	out := first.Log()
	id, sec := exported(out, "MINT_CLIENT_ID"), exported(out, "MINT_CLIENT_SECRET")
	if id == "" || !strings.HasPrefix(sec, "mint_") {
		t.Fatalf("first start should print admin credentials; stderr:\n%s", out)
	}
	second := startMint(t, nil, "--db", db)
	if strings.Contains(second.Log(), "MINT_CLIENT_SECRET") {
		t.Fatalf("second start printed credentials again")
	}
	getToken(t, second.URL+"/oauth/token", map[string]string{"client_id": id, "client_secret": sec, "audience": "urn:mint:admin"})
}

// TestBannerShowsConsoleAndRecovery: the first start names the console's
// address, and the way back in that it prints works: the admin client gets
// the new secret, and the old secret and the admin tokens fetched with it
// stop working.
func TestBannerShowsConsoleAndRecovery(t *testing.T) {
	db := filepath.Join(t.TempDir(), "mint.db")
	first := startMint(t, nil, "--db", db)
	out := first.Log()
	id, oldSecret := exported(out, "MINT_CLIENT_ID"), exported(out, "MINT_CLIENT_SECRET")
	if !strings.Contains(out, "Admin console: "+first.URL+"/console/ ") {
		t.Errorf("the banner does not name the console at %s/console/:\n%s", first.URL, out)
	}
	recovery := "MINT_BOOTSTRAP_CLIENT_ID=" + id + " MINT_BOOTSTRAP_CLIENT_SECRET='<new secret>' mint serve"
	if !strings.Contains(out, recovery) {
		t.Fatalf("the banner does not say how to recover with %q:\n%s", recovery, out)
	}
	oldToken := getToken(t, first.URL+"/oauth/token", map[string]string{
		"client_id": id, "client_secret": oldSecret, "audience": "urn:mint:admin"}).AccessToken
	first.Stop(t)

	const newSecret = "recovered-admin-secret-0123456789abcdef"
	second := startMint(t, []string{"MINT_BOOTSTRAP_CLIENT_ID=" + id, "MINT_BOOTSTRAP_CLIENT_SECRET=" + newSecret}, "--db", db)
	newToken := getToken(t, second.URL+"/oauth/token", map[string]string{
		"client_id": id, "client_secret": newSecret, "audience": "urn:mint:admin"}).AccessToken
	if resp := call(t, "GET", second.URL+"/admin/v1/apis", newToken, nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("the recovered secret's admin token: status %d", resp.StatusCode)
	}
	var e map[string]string
	if resp := call(t, "POST", second.URL+"/oauth/token", "", map[string]string{"client_id": id, "client_secret": oldSecret,
		"audience": "urn:mint:admin", "grant_type": "client_credentials"}, &e); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the lost secret after recovery: status %d %v, want 401", resp.StatusCode, e)
	}
	if resp := call(t, "GET", second.URL+"/admin/v1/apis", oldToken, nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an admin token of the lost secret after recovery: status %d, want 401", resp.StatusCode)
	}
}

func exported(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "export "+name+"="); ok {
			return v
		}
	}
	return ""
}

func TestSIGTERMShutsDownCleanly(t *testing.T) {
	m := startMint(t, nil)
	m.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.Exited:
		if m.Err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", m.Err, m.Log())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("mint serve did not stop after SIGTERM")
	}
}

// TestSecretLastUseSurvivesShutdown: secret uses are batched in memory; a
// graceful shutdown must write them before the database closes.
func TestSecretLastUseSurvivesShutdown(t *testing.T) {
	db := filepath.Join(t.TempDir(), "mint.db")
	env := []string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret}
	first := startMint(t, env, "--db", db)
	getToken(t, first.URL+"/oauth/token", map[string]string{
		"client_id": adminID, "client_secret": adminSecret, "audience": "urn:mint:admin"})
	first.Stop(t)

	second := startMint(t, env, "--db", db)
	admin := getToken(t, second.URL+"/oauth/token", map[string]string{
		"client_id": adminID, "client_secret": adminSecret, "audience": "urn:mint:admin"}).AccessToken
	var client struct {
		Secrets []struct {
			LastUsedAt string `json:"last_used_at"`
		} `json:"secrets"`
	}
	call(t, "GET", second.URL+"/admin/v1/clients/"+adminID, admin, nil, &client)
	if len(client.Secrets) != 1 || client.Secrets[0].LastUsedAt == "" {
		t.Fatalf("secrets = %+v, want the first run's use recorded", client.Secrets)
	}
}
