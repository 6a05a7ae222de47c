package main_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSeedSnippets runs the code of the four seed pages (testdata/seeds,
// copied verbatim from ../shared/seeds) against a real mint, changing only
// the host and the credentials, as the seed pages' readers would. The
// interpreters are the real ones: ./scripts/test installs what is missing.
func TestSeedSnippets(t *testing.T) {
	m := startMint(t, []string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret},
		"--token-path", "/api/getToken", "--token-path", "/users/token")
	admin := getToken(t, m.URL+"/oauth/token", map[string]string{
		"client_id": adminID, "client_secret": adminSecret, "audience": "urn:mint:admin"}).AccessToken
	python := os.Getenv("MINT_TEST_PYTHON")
	if python == "" {
		python = "python3"
	}
	cases := []struct {
		file, interpreter, audience string
		// placeholders maps the seed's stand-ins for host and credentials
		// to their values; "{base}", "{id}" and "{secret}" are filled in.
		placeholders map[string]string
	}{
		{"000-curl.sh", "bash", "https://api.eu.tocc.tech", map[string]string{
			"https://auth.eu.tocc.tech": "{base}", "CLIENT-ID": "{id}", "CLIENT-SECRET": "{secret}"}},
		{"001-curl.sh", "bash", "https://linkervision.example", map[string]string{
			"https://SERVER_URL": "{base}", "AUDIENCE": "https://linkervision.example", "CLIENT_ID": "{id}", "CLIENT_SECRET": "{secret}"}},
		{"001-python.py", python, "https://linkervision.example", map[string]string{
			"https://SERVER_URL": "{base}", "AUDIENCE": "https://linkervision.example", "CLIENT_ID": "{id}", "CLIENT_SECRET": "{secret}"}},
		{"002-curl.sh", "bash", "https://partner.example", map[string]string{
			"https://<<api_base_path>>": "{base}", "<<client_id>>": "{id}", "<<client_secret>>": "{secret}"}},
		{"002-php.php", "php", "https://partner.example", map[string]string{
			"https://<<api_base_path>>": "{base}", "<<client_id>>": "{id}", "<<client_secret>>": "{secret}"}},
		{"003-curl.sh", "bash", "https://dataloy", map[string]string{
			"https://TOKEN_URL": "{base}/oauth/token", "G99j845dM4MtckQlKt8E6o......": "{id}",
			"-mMElVOMzvht2SyQPfVh-WIaPCbOxRdWN5YngBxtBKybQmli-....": "{secret}"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			id, secret := newPartner(t, m.URL, admin, tc.audience)
			script := fillSnippet(t, tc.file, tc.placeholders, map[string]string{"{base}": m.URL, "{id}": id, "{secret}": secret})
			out := runSnippet(t, tc.interpreter, script)
			token := lastToken(out)
			if token == "" {
				t.Fatalf("%s printed no access token:\n%s", tc.file, out)
			}
			if c := verify(t, m.URL, token); c["aud"] != tc.audience || c["azp"] != id {
				t.Errorf("claims = %v, want aud %s for client %s", c, tc.audience, id)
			}
		})
	}
}

// newPartner registers an API with the audience (once) and a client with a
// single grant on it, so that seed 002's audience-less request is valid.
func newPartner(t *testing.T, base, admin, audience string) (id, secret string) {
	t.Helper()
	call(t, "POST", base+"/admin/v1/apis", admin, map[string]any{"name": audience, "audience": audience}, nil)
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if resp := call(t, "POST", base+"/admin/v1/clients", admin, map[string]any{"name": "partner"}, &c); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create client: status %d", resp.StatusCode)
	}
	if resp := call(t, "POST", base+"/admin/v1/grants", admin, map[string]any{"client_id": c.ID, "audience": audience}, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create grant: status %d", resp.StatusCode)
	}
	return c.ID, c.Secret
}

func fillSnippet(t *testing.T, file string, placeholders, values map[string]string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "seeds", file))
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	for from, to := range placeholders {
		for k, v := range values {
			to = strings.ReplaceAll(to, k, v)
		}
		if !strings.Contains(text, from) {
			t.Fatalf("%s has no %q to replace", file, from)
		}
		text = strings.ReplaceAll(text, from, to)
	}
	out := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(out, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

func runSnippet(t *testing.T, interpreter, script string) string {
	t.Helper()
	if _, err := exec.LookPath(interpreter); err != nil {
		t.Fatalf("%s is not installed: run ./scripts/test, which installs it", interpreter)
	}
	cmd := exec.Command(interpreter, script)
	cmd.WaitDelay = 5 * time.Second
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s %s hung", interpreter, script)
	}
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", interpreter, filepath.Base(script), err, out)
	}
	return string(out)
}

// lastToken finds the access token in what a snippet printed: a JSON token
// answer, or a bare JWT on a line of its own.
func lastToken(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		var ans tokenAnswer
		if json.Unmarshal([]byte(line), &ans) == nil && ans.AccessToken != "" {
			return ans.AccessToken
		}
		if strings.Count(line, ".") == 2 && strings.HasPrefix(line, "eyJ") {
			return line
		}
	}
	var ans tokenAnswer
	if json.Unmarshal([]byte(out), &ans) == nil {
		return ans.AccessToken
	}
	return ""
}
