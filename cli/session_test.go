package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
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

	t.Run("a directory others can enter is not used", func(t *testing.T) {
		dir := filepath.Dir(files[0])
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if n := calls(func() { s.run("apis", "list").wantCode(t, exitOK) }); n != 1 {
			t.Errorf("with the cache directory open to others, %d token requests, want 1", n)
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
