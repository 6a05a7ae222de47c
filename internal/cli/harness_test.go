package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
)

// harness is a real mint server on loopback, backed by a temporary SQLite
// file, and the CLI pointed at it.
type harness struct {
	t     *testing.T
	url   string
	admin creds
	db    string // the server's SQLite file

	mu   sync.Mutex
	runs []result
	// secrets are every client secret seen, the bootstrap one included.
	secrets []string
	// tokenRequests counts the requests to the token endpoint.
	tokenRequests atomic.Int64
}

type creds struct{ id, secret string }

// result is one run of the CLI.
type result struct {
	args           []string
	code           int
	stdout, stderr string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	admin := creds{id: mint.NewClientID(), secret: "bootstrap-" + mint.NewClientID()}
	db := filepath.Join(t.TempDir(), "mint.db")
	srv, err := server.New(context.Background(), server.Config{
		DB:                    db,
		Issuer:                issuer,
		BootstrapClientID:     admin.id,
		BootstrapClientSecret: admin.secret,
		Log:                   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	h := &harness{t: t, url: issuer, admin: admin, db: db, secrets: []string{admin.secret}}
	handler := srv.Handler()
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			h.tokenRequests.Add(1)
		}
		handler.ServeHTTP(w, r)
	})
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
		h.checkSecretsNotLeaked()
	})
	return h
}

// run runs the CLI as the bootstrap admin client.
func (h *harness) run(args ...string) result {
	return h.runAs(h.admin, args...)
}

// runAs runs the CLI with c's credentials in the environment.
func (h *harness) runAs(c creds, args ...string) result {
	env := map[string]string{"MINT_SERVER": h.url, "MINT_CLIENT_ID": c.id, "MINT_CLIENT_SECRET": c.secret}
	return h.runEnv(env, args...)
}

func (h *harness) runEnv(env map[string]string, args ...string) result {
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr)
	r := result{args: args, code: code, stdout: stdout.String(), stderr: stderr.String()}
	h.mu.Lock()
	h.runs = append(h.runs, r)
	h.mu.Unlock()
	return r
}

// mustJSON runs the CLI with --json, wants success and decodes stdout.
func (h *harness) mustJSON(t *testing.T, out any, args ...string) {
	t.Helper()
	r := h.run(append(args, "--json")...)
	r.wantCode(t, exitOK)
	if err := json.Unmarshal([]byte(r.stdout), out); err != nil {
		t.Fatalf("mint %s: stdout is not JSON: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
}

// newClient creates a client and returns its credentials.
func (h *harness) newClient(t *testing.T, name string) creds {
	t.Helper()
	var c clientView
	h.mustJSON(t, &c, "clients", "create", "--name", name)
	h.remember(c.ClientSecret)
	return creds{id: c.ClientID, secret: c.ClientSecret}
}

func (h *harness) remember(secret string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secrets = append(h.secrets, secret)
}

func (r result) wantCode(t *testing.T, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("mint %s: exit code %d, want %d\nstdout: %s\nstderr: %s",
			strings.Join(r.args, " "), r.code, want, r.stdout, r.stderr)
	}
}

func (r result) wantStdout(t *testing.T, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("mint %s: stdout lacks %q:\n%s", strings.Join(r.args, " "), s, r.stdout)
		}
	}
}

func (r result) wantStderr(t *testing.T, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("mint %s: stderr lacks %q:\n%s", strings.Join(r.args, " "), s, r.stderr)
		}
	}
}

// showsSecret reports whether r is a command whose stdout may show a new
// client secret: clients create and clients rotate-secret.
func (r result) showsSecret() bool {
	return len(r.args) >= 2 && r.args[0] == "clients" &&
		(r.args[1] == "create" || r.args[1] == "rotate-secret")
}

// checkSecretsNotLeaked fails the test if any client secret appeared on
// stderr, or on stdout outside clients create and rotate-secret.
func (h *harness) checkSecretsNotLeaked() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.runs {
		for _, s := range h.secrets {
			if s == "" {
				continue
			}
			if strings.Contains(r.stderr, s) || (!r.showsSecret() && strings.Contains(r.stdout, s)) {
				h.t.Errorf("mint %s: a client secret leaked into the output", strings.Join(r.args, " "))
			}
		}
	}
}

// closedURL is a loopback URL on which nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// htmlServer answers everything with a proxy's HTML error page.
func htmlServer(t *testing.T, status int) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// jwtPayload decodes the claims of a compact JWS without checking it.
func jwtPayload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 || slices.Contains(parts, "") {
		t.Fatalf("%q is not a compact JWS", token)
	}
	raw, err := base64URL(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return claims
}

func base64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(s)
}
