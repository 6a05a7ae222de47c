package console_test

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"go/format"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/console"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// snippetFiles maps a snippet id to its file extension and interpreter.
var snippetFiles = map[string]struct{ ext, run string }{
	"curl": {"sh", "bash"}, "python": {"py", "python3"}, "ruby": {"rb", "ruby"}, "php": {"php", "php"}, "go": {"go", ""},
}

// trickyAudience has what each language quotes differently: both quotes,
// a shell and PHP variable, Ruby interpolation, a backslash, non-ASCII.
const trickyAudience = `https://api.example/it's-"quoted"-$HOME-#{1+1}-\d-æ`

func TestSnippetsGolden(t *testing.T) {
	inputs := map[string][3]string{
		"plain":  {"https://auth.example.com/oauth/token", "G99j845dM4MtckQlKt8E6o", "https://dataloy"},
		"tricky": {`http://127.0.0.1:8080/oauth/token?x='"$`, `id"'$#{x}\`, trickyAudience},
	}
	for name, in := range inputs {
		got := console.Snippets(in[0], in[1], in[2])
		for id, f := range snippetFiles {
			t.Run(name+"/"+id, func(t *testing.T) {
				code := got[id]
				if strings.Contains(code, "mint_") || !strings.Contains(code, console.SecretPlaceholder) {
					t.Errorf("the snippet must hold the placeholder %s and no secret", console.SecretPlaceholder)
				}
				golden := filepath.Join("testdata", "snippets", name+"."+f.ext+".golden")
				if *update {
					os.MkdirAll(filepath.Dir(golden), 0o755)
					os.WriteFile(golden, []byte(code), 0o644)
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to write it)", err)
				}
				if code != string(want) {
					t.Errorf("snippet differs from %s:\n%s", golden, code)
				}
			})
		}
		if src, err := format.Source([]byte(got["go"])); err != nil || string(src) != got["go"] {
			t.Errorf("%s: the Go snippet is not gofmt'ed Go: %v", name, err)
		}
	}
}

// TestSnippetsRun runs each snippet with its real interpreter against a
// real mint, for an API whose audience needs quoting in every language,
// with the placeholder replaced by the client's secret, as a partner
// would. The token must be for that audience and that client.
// ./scripts/test installs the interpreters (curl, python3 with requests,
// php with curl, ruby).
func TestSnippetsRun(t *testing.T) {
	m := startMint(t)
	var api struct{ ID string }
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "tricky", "audience": trickyAudience}, &api)
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "partner"}, &c)
	if status := m.admin(t, "POST", "/admin/v1/grants", map[string]any{"client_id": c.ID, "audience": trickyAudience}, nil); status != http.StatusCreated {
		t.Fatalf("grant: %d", status)
	}
	codes := console.Snippets(m.URL+"/oauth/token", c.ID, trickyAudience)
	dir := t.TempDir()
	for id, f := range snippetFiles {
		if f.run == "" {
			continue // the Go snippet: see TestGoSnippetRuns
		}
		if python := os.Getenv("MINT_TEST_PYTHON"); id == "python" && python != "" {
			f.run = python // the one with requests, as ./scripts/test finds it
		}
		t.Run(id, func(t *testing.T) {
			if _, err := exec.LookPath(f.run); err != nil {
				t.Fatalf("%s is not installed: run ./scripts/test, which installs it", f.run)
			}
			file := filepath.Join(dir, "snippet."+f.ext)
			os.WriteFile(file, []byte(strings.ReplaceAll(codes[id], console.SecretPlaceholder, c.Secret)), 0o600)
			out := runFor(t, 60*time.Second, f.run, file)
			checkToken(t, out, c.ID)
		})
	}
}

// TestGoSnippetRuns builds and runs the Go snippet inside this module, so
// that it uses this package client.
func TestGoSnippetRuns(t *testing.T) {
	m := startMint(t)
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "tricky", "audience": trickyAudience}, nil)
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "partner"}, &c)
	m.admin(t, "POST", "/admin/v1/grants", map[string]any{"client_id": c.ID, "audience": trickyAudience}, nil)
	code := console.Snippets(m.URL+"/oauth/token", c.ID, trickyAudience)["go"]
	// A directory under testdata is in the module but outside ./...
	dir, err := os.MkdirTemp("testdata", "gosnippet-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	file := filepath.Join(dir, "main.go")
	os.WriteFile(file, []byte(strings.ReplaceAll(code, console.SecretPlaceholder, c.Secret)), 0o600)
	checkToken(t, runFor(t, 3*time.Minute, "go", "run", "./"+file), c.ID)
}

func runFor(t *testing.T, limit time.Duration, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.WaitDelay = 5 * time.Second
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s %v hung", name, args)
	}
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// checkToken finds the JWT a snippet printed and checks its audience and
// client (the signature is the server's business; its tests check it).
func checkToken(t *testing.T, out, clientID string) {
	t.Helper()
	var token string
	for _, f := range strings.FieldsFunc(out, func(r rune) bool { return r == ' ' || r == '\n' || r == '"' }) {
		if strings.HasPrefix(f, "eyJ") && strings.Count(f, ".") == 2 {
			token = f
		}
	}
	if token == "" {
		t.Fatalf("no token in the output:\n%s", out)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Aud      string `json:"aud"`
		ClientID string `json:"client_id"`
	}
	json.Unmarshal(payload, &claims)
	if claims.Aud != trickyAudience || claims.ClientID != clientID {
		t.Errorf("token for aud %q client %q, want %q and %q", claims.Aud, claims.ClientID, trickyAudience, clientID)
	}
}
