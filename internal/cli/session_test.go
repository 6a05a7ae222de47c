package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// session is a user's environment: a home for the CLI's config and cache,
// and the variables of their shell.
type session struct {
	h   *harness
	env map[string]string
}

func newSession(h *harness, t *testing.T, vars ...string) *session {
	home := t.TempDir()
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(home, "config"),
		"XDG_CACHE_HOME":  filepath.Join(home, "cache"),
	}
	for i := 0; i+1 < len(vars); i += 2 {
		env[vars[i]] = vars[i+1]
	}
	return &session{h: h, env: env}
}

func (s *session) run(args ...string) result { return s.h.runEnv(s.env, args...) }

// runIn runs the CLI with stdin as its standard input.
func (s *session) runIn(stdin string, args ...string) result {
	var stdout, stderr bytes.Buffer
	env := func(k string) string { return s.env[k] }
	code := Main(context.Background(), args, env, strings.NewReader(stdin), &stdout, &stderr, Extensions{})
	r := result{args: args, code: code, stdout: stdout.String(), stderr: stderr.String()}
	s.h.mu.Lock()
	s.h.runs = append(s.h.runs, r)
	s.h.mu.Unlock()
	return r
}

// cacheFiles are the token cache's files.
func (s *session) cacheFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.env["XDG_CACHE_HOME"], "mint", "admin-token-*.json"))
	return files
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o, want %04o", path, got, want)
	}
}

// TestTokenCache: the admin token is asked for once and reused by later
// commands, from a private file; a shared file is not trusted, a token the
// server revoked is replaced at once, and another secret never finds the
// token of the right one.
func TestTokenCache(t *testing.T) {
	h := newHarness(t)
	s := newSession(h, t, "MINT_SERVER", h.url, "MINT_CLIENT_ID", h.admin.id, "MINT_CLIENT_SECRET", h.admin.secret)
	calls := func(f func()) int64 {
		before := h.tokenRequests.Load()
		f()
		return h.tokenRequests.Load() - before
	}

	if n := calls(func() {
		s.run("apis", "list").wantCode(t, exitOK)
		s.run("clients", "list").wantCode(t, exitOK)
		s.run("grants", "list", "--json").wantCode(t, exitOK)
	}); n != 1 {
		t.Fatalf("three commands asked for %d tokens, want 1", n)
	}
	files := s.cacheFiles(t)
	if len(files) != 1 {
		t.Fatalf("cache files: %q, want one", files)
	}
	wantMode(t, files[0], 0o600)
	wantMode(t, filepath.Dir(files[0]), 0o700)
	if data, _ := os.ReadFile(files[0]); strings.Contains(string(data), h.admin.secret) || strings.Contains(files[0], h.admin.id) {
		t.Error("the cache file or its name holds the client's id or secret")
	}

	t.Run("a wrong secret does not use the cached token", func(t *testing.T) {
		wrong := newSession(h, t)
		wrong.env = map[string]string{}
		for k, v := range s.env {
			wrong.env[k] = v
		}
		wrong.env["MINT_CLIENT_SECRET"] = "not-the-secret"
		r := wrong.run("apis", "list")
		r.wantCode(t, exitAuth)
	})

	t.Run("a file others can read is not used", func(t *testing.T) {
		if err := os.Chmod(files[0], 0o644); err != nil {
			t.Fatal(err)
		}
		if n := calls(func() { s.run("apis", "list").wantCode(t, exitOK) }); n != 1 {
			t.Errorf("with the cache file readable by others, %d token requests, want 1", n)
		}
		if err := os.Chmod(files[0], 0o600); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a directory others can write to is not used", func(t *testing.T) {
		dir := filepath.Dir(files[0])
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if n := calls(func() { s.run("apis", "list").wantCode(t, exitOK) }); n != 1 {
			t.Errorf("with the cache directory writable by others, %d token requests, want 1", n)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a revoked cached token is replaced once", func(t *testing.T) {
		s.run("apis", "list").wantCode(t, exitOK)
		tok, ok := newTokenCache(func(k string) string { return s.env[k] },
			&options{server: h.url, clientID: h.admin.id, clientSecret: h.admin.secret}).get(time.Now())
		if !ok {
			t.Fatal("no cached token")
		}
		revoke(t, h.url, tok)
		var r result
		if n := calls(func() { r = s.run("clients", "list") }); n != 1 {
			t.Errorf("after revocation, %d token requests, want 1", n)
		}
		r.wantCode(t, exitOK)
		if n := calls(func() { s.run("clients", "list").wantCode(t, exitOK) }); n != 0 {
			t.Errorf("the new token was not cached: %d token requests", n)
		}
	})

	t.Run("MINT_TOKEN_CACHE=off", func(t *testing.T) {
		s.env["MINT_TOKEN_CACHE"] = "off"
		defer delete(s.env, "MINT_TOKEN_CACHE")
		if n := calls(func() { s.run("apis", "list").wantCode(t, exitOK) }); n != 1 {
			t.Errorf("with the cache off, %d token requests, want 1", n)
		}
	})
}

// revoke revokes an admin token with DELETE /admin/v1/token.
func revoke(t *testing.T, server, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, server+"/admin/v1/token", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("DELETE /admin/v1/token: %s", resp.Status)
	}
}

// TestLoginContexts: mint login stores a context in a private config file
// and later commands use it without any MINT_ variable; flags and the
// environment win over it, and its secret goes only to its own server.
func TestLoginContexts(t *testing.T) {
	h := newHarness(t)
	s := newSession(h, t)
	cfgFile := filepath.Join(s.env["XDG_CONFIG_HOME"], "mint", "config.json")

	s.run("apis", "list").wantCode(t, exitUsage) // no credentials anywhere yet

	r := s.runIn(h.admin.secret+"\n", "login", "--server", h.url, "--client-id", h.admin.id)
	r.wantCode(t, exitOK)
	r.wantStdout(t, "logged in to "+h.url)
	wantMode(t, cfgFile, 0o600)
	wantMode(t, filepath.Dir(cfgFile), 0o700)

	t.Run("a wrong secret is not stored", func(t *testing.T) {
		r := s.runIn("wrong\n", "login", "--server", h.url, "--client-id", h.admin.id, "--context", "bad")
		r.wantCode(t, exitAuth)
		if r := s.run("config", "get-contexts"); strings.Contains(r.stdout, "bad") {
			t.Errorf("a refused login was stored:\n%s", r.stdout)
		}
	})
	t.Run("no secret on stdin", func(t *testing.T) {
		s.runIn("", "login", "--server", h.url, "--client-id", h.admin.id).wantCode(t, exitUsage)
	})
	t.Run("the context is used", func(t *testing.T) {
		s.run("apis", "list").wantCode(t, exitOK)
	})
	t.Run("the environment wins over the context", func(t *testing.T) {
		s.env["MINT_CLIENT_SECRET"] = "wrong"
		defer delete(s.env, "MINT_CLIENT_SECRET")
		s.run("apis", "list").wantCode(t, exitAuth)
		t.Run("and flags over the environment", func(t *testing.T) {
			s.run("apis", "list", "--client-secret", h.admin.secret).wantCode(t, exitOK)
		})
	})
	t.Run("the secret stays with its server", func(t *testing.T) {
		other := htmlServer(t, 200)
		r := s.run("apis", "list", "--server", other)
		r.wantCode(t, exitUsage)
		r.wantStderr(t, "no credentials")
	})
	t.Run("contexts", func(t *testing.T) {
		s.runIn(h.admin.secret, "login", "--server", h.url+"/", "--client-id", h.admin.id, "--context", "second").wantCode(t, exitOK)
		r := s.run("config", "get-contexts")
		r.wantCode(t, exitOK)
		host := strings.TrimPrefix(h.url, "http://")
		r.wantStdout(t, "CURRENT", host)
		if current := currentContext(r.stdout); current != "second" {
			t.Errorf("current context %q, want second:\n%s", current, r.stdout)
		}
		s.run("config", "use-context", host).wantCode(t, exitOK)
		s.run("config", "current-context").wantStdout(t, host)
		s.run("config", "use-context", "nope").wantCode(t, exitUsage)
		s.run("apis", "list", "--context", "second").wantCode(t, exitOK)
		s.run("apis", "list", "--context", "nope").wantCode(t, exitUsage)
		s.env["MINT_CONTEXT"] = "nope"
		s.run("apis", "list").wantCode(t, exitUsage)
		delete(s.env, "MINT_CONTEXT")
	})
	t.Run("a config file others can read is refused", func(t *testing.T) {
		if err := os.Chmod(cfgFile, 0o644); err != nil {
			t.Fatal(err)
		}
		r := s.run("apis", "list")
		r.wantCode(t, exitUsage)
		r.wantStderr(t, "others can read it")
		if err := os.Chmod(cfgFile, 0o600); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("logout revokes the cached token and forgets the context", func(t *testing.T) {
		s.run("apis", "list").wantCode(t, exitOK)
		files := s.cacheFiles(t)
		tok, ok := newTokenCache(func(k string) string { return s.env[k] },
			&options{server: h.url, clientID: h.admin.id, clientSecret: h.admin.secret}).get(time.Now())
		if !ok || len(files) == 0 {
			t.Fatalf("no cached token (files %q)", files)
		}
		r := s.run("logout")
		r.wantCode(t, exitOK)
		r.wantStdout(t, "revoked")
		if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
			t.Errorf("the cache file is still there: %v", err)
		}
		req, _ := http.NewRequest(http.MethodGet, h.url+"/admin/v1/apis", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("the logged-out token still opens the admin API: %s", resp.Status)
		}
		var contexts []struct{ Name string }
		s.h.mustJSONEnv(t, s.env, &contexts, "config", "get-contexts")
		if len(contexts) != 1 || contexts[0].Name != "second" {
			t.Errorf("contexts after logout: %+v, want only second", contexts)
		}
		if r := s.run("config", "get-contexts"); currentContext(r.stdout) != "" {
			t.Errorf("a context is still current:\n%s", r.stdout)
		}
	})
}

// currentContext is the name get-contexts marks with *.
func currentContext(table string) string {
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "*" {
			return f[1]
		}
	}
	return ""
}

// mustJSONEnv runs the CLI with env and --json, wants success and decodes
// stdout.
func (h *harness) mustJSONEnv(t *testing.T, env map[string]string, out any, args ...string) {
	t.Helper()
	r := h.runEnv(env, append(args, "--json")...)
	r.wantCode(t, exitOK)
	if err := json.Unmarshal([]byte(r.stdout), out); err != nil {
		t.Fatalf("mint %s: stdout is not JSON: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
}

// TestContextCompletion: --context and use-context complete the config
// file's contexts.
func TestContextCompletion(t *testing.T) {
	h := newHarness(t)
	s := newSession(h, t)
	s.runIn(h.admin.secret, "login", "--server", h.url, "--client-id", h.admin.id, "--context", "prod").wantCode(t, exitOK)
	for _, args := range [][]string{{"__complete", "apis", "list", "--context", ""}, {"__complete", "config", "use-context", ""}} {
		if got := completions(s.run(args...)); !slices.Contains(got, "prod") {
			t.Errorf("mint %q: completions %q lack prod", args, got)
		}
	}
}

// TestTokenCacheNewScope: a scope added to the admin grant after the cached
// token was issued is not in that token (docs/admin.md); the CLI takes a
// new one rather than failing until the cached one expires.
func TestTokenCacheNewScope(t *testing.T) {
	h := newHarness(t)
	ops := h.newClient(t, "operator")
	var grant grantView
	h.mustJSON(t, &grant, "grants", "create", "--client", ops.id, "--audience", "urn:mint:admin", "--scope", "apis:read")
	s := newSession(h, t, "MINT_SERVER", h.url, "MINT_CLIENT_ID", ops.id, "MINT_CLIENT_SECRET", ops.secret)
	s.run("apis", "list").wantCode(t, exitOK)
	s.run("clients", "list").wantCode(t, exitAuth) // no clients:read: a new token would not have it either
	h.run("grants", "update", grant.ID, "--scopes", "apis:read clients:read").wantCode(t, exitOK)
	before := h.tokenRequests.Load()
	s.run("clients", "list").wantCode(t, exitOK)
	if n := h.tokenRequests.Load() - before; n != 1 {
		t.Errorf("%d token requests after the grant grew, want 1", n)
	}
}
