package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The end-to-end tests build the real binary and drive `mint serve` over
// loopback HTTP, as a new user following the README would.

var mintBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mint-e2e")
	if err != nil {
		panic(err)
	}
	mintBin = filepath.Join(dir, "mint")
	build := exec.Command("go", "build", "-o", mintBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build mint:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	adminID     = "e2e-admin"
	adminSecret = "e2e-admin-secret-0123456789abcdefghij"
)

// mintProcess is a running `mint serve`.
type mintProcess struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	stderr bytes.Buffer
	exited chan struct{} // closed when the process has exited
	err    error         // its exit error, once exited is closed
}

func startMint(t *testing.T, env []string, args ...string) *mintProcess {
	t.Helper()
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)
	cmd := exec.Command(mintBin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = t.TempDir()
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &mintProcess{cmd: cmd, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go p.readLog(pipe, addr)
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.stop(t) })
	select {
	case a := <-addr:
		p.url = "http://" + a
	case <-p.exited:
		t.Fatalf("mint serve exited early: %v\n%s", p.err, p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("mint serve did not start\n%s", p.log())
	}
	return p
}

func (p *mintProcess) readLog(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.stderr.WriteString(line + "\n")
		p.mu.Unlock()
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "mint serving" {
			addr <- rec.Addr
		}
	}
}

func (p *mintProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func (p *mintProcess) stop(t *testing.T) {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Errorf("mint serve ignored SIGTERM")
	}
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
	admin := getToken(t, m.url+"/oauth/token", map[string]string{
		"client_id": adminID, "client_secret": adminSecret, "audience": "urn:mint:admin"}).AccessToken

	for _, aud := range []string{"https://dataloy", "https://dataloy.dev"} {
		resp := call(t, "POST", m.url+"/admin/v1/apis", admin, map[string]any{
			"name": "Dataloy " + aud, "audience": aud, "scopes": []string{"read:cargo", "write:cargo"}}, nil)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create API %s: status %d", aud, resp.StatusCode)
		}
	}
	var client struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	call(t, "POST", m.url+"/admin/v1/clients", admin, map[string]any{"name": "cargo partner"}, &client)
	resp := call(t, "POST", m.url+"/admin/v1/grants", admin, map[string]any{
		"client_id": client.ClientID, "audience": "https://dataloy", "scopes": []string{"read:cargo"}}, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create grant: status %d", resp.StatusCode)
	}

	for _, path := range []string{"/oauth/token", "/api/getToken", "/users/token"} {
		t.Run("seed 003 body at "+path, func(t *testing.T) {
			ans := getToken(t, m.url+path, map[string]string{
				"client_id": client.ClientID, "client_secret": client.ClientSecret, "audience": "https://dataloy"})
			if ans.TokenType != "Bearer" || ans.ExpiresIn != 86400 || ans.Scope != "read:cargo" {
				t.Errorf("answer = %+v", ans)
			}
			c := verify(t, m.url, ans.AccessToken)
			if c["aud"] != "https://dataloy" || c["sub"] != client.ClientID+"@clients" ||
				c["azp"] != client.ClientID || c["gty"] != "client-credentials" {
				t.Errorf("claims = %v", c)
			}
		})
	}
	t.Run("seed 002 body without audience", func(t *testing.T) {
		ans := getToken(t, m.url+"/oauth/token", map[string]string{
			"client_id": client.ClientID, "client_secret": client.ClientSecret})
		if c := verify(t, m.url, ans.AccessToken); c["aud"] != "https://dataloy" {
			t.Errorf("aud = %v, want the client's only API", c["aud"])
		}
	})
	t.Run("dev audience without a grant is refused", func(t *testing.T) {
		var e map[string]string
		resp := call(t, "POST", m.url+"/oauth/token", "", map[string]string{"client_id": client.ClientID,
			"client_secret": client.ClientSecret, "audience": "https://dataloy.dev", "grant_type": "client_credentials"}, &e)
		if resp.StatusCode != http.StatusBadRequest || e["error"] != "invalid_target" {
			t.Errorf("status %d, body %v; want 400 invalid_target", resp.StatusCode, e)
		}
	})
	t.Run("GET on the token endpoint", func(t *testing.T) {
		var e map[string]string
		resp := call(t, "GET", m.url+"/oauth/token?client_id=x", "", nil, &e)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" || e["error"] == "" {
			t.Errorf("status %d, Allow %q, body %v", resp.StatusCode, resp.Header.Get("Allow"), e)
		}
	})
	if log := m.log(); strings.Contains(log, client.ClientSecret) || strings.Contains(log, adminSecret) || strings.Contains(log, admin) {
		t.Errorf("the log holds a secret or a token:\n%s", log)
	}
}

func TestNewDatabasePrintsAdminCredentialsOnce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "mint.db")
	first := startMint(t, nil, "--db", db)
	first.stop(t)
	out := first.log()
	id, sec := exported(out, "MINT_CLIENT_ID"), exported(out, "MINT_CLIENT_SECRET")
	if id == "" || !strings.HasPrefix(sec, "mint_") {
		t.Fatalf("first start should print admin credentials; stderr:\n%s", out)
	}
	second := startMint(t, nil, "--db", db)
	if strings.Contains(second.log(), "MINT_CLIENT_SECRET") {
		t.Fatalf("second start printed credentials again")
	}
	getToken(t, second.url+"/oauth/token", map[string]string{"client_id": id, "client_secret": sec, "audience": "urn:mint:admin"})
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
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
		if m.err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", m.err, m.log())
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
	getToken(t, first.url+"/oauth/token", map[string]string{
		"client_id": adminID, "client_secret": adminSecret, "audience": "urn:mint:admin"})
	first.stop(t)

	second := startMint(t, env, "--db", db)
	admin := getToken(t, second.url+"/oauth/token", map[string]string{
		"client_id": adminID, "client_secret": adminSecret, "audience": "urn:mint:admin"}).AccessToken
	var client struct {
		Secrets []struct {
			LastUsedAt string `json:"last_used_at"`
		} `json:"secrets"`
	}
	call(t, "GET", second.url+"/admin/v1/clients/"+adminID, admin, nil, &client)
	if len(client.Secrets) != 1 || client.Secrets[0].LastUsedAt == "" {
		t.Fatalf("secrets = %+v, want the first run's use recorded", client.Secrets)
	}
}
