package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMain lets this test binary act as the mint command line, for the
// shell completion test.
func TestMain(m *testing.M) {
	if os.Getenv("MINT_CLI_TEST_AS_MINT") == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr, Extensions{}))
	}
	os.Exit(m.Run())
}

// completions are the values `mint __complete args...` offers.
func completions(r result) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if line == "" || strings.HasPrefix(line, ":") {
			continue
		}
		value, _, _ := strings.Cut(line, "\t")
		out = append(out, value)
	}
	return out
}

// TestDynamicCompletion: the audiences and client ids a command takes are
// completed from the server, with the configured credentials; without a
// server or credentials completion offers nothing and says nothing.
func TestDynamicCompletion(t *testing.T) {
	h := newHarness(t)
	h.run("apis", "create", "--name", "Cargo", "--audience", "https://cargo").wantCode(t, exitOK)
	client := h.newClient(t, "robot")
	var grant grantView
	h.mustJSON(t, &grant, "grants", "create", "--client", client.id, "--audience", "https://cargo")

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"grants create --audience", []string{"grants", "create", "--audience", ""}, []string{"https://cargo", "urn:mint:admin"}},
		{"token --audience", []string{"token", "--audience", "https://c"}, []string{"https://cargo", "urn:mint:admin"}},
		{"grants create --client", []string{"grants", "create", "--client", ""}, []string{client.id, h.admin.id}},
		{"audit list --client", []string{"audit", "list", "--client", ""}, []string{client.id}},
		{"clients get ID", []string{"clients", "get", ""}, []string{client.id, h.admin.id}},
		{"grants delete ID", []string{"grants", "delete", ""}, []string{grant.ID}},
		{"subcommands", []string{"clients", ""}, []string{"create", "rotate-secret"}},
		{"flags", []string{"grants", "create", "--"}, []string{"--client", "--audience"}},
		{"keys rotate --algorithm", []string{"keys", "rotate", "--algorithm", ""}, []string{"RS256", "EdDSA"}},
		{"apis update --signing-alg", []string{"apis", "update", "x", "--signing-alg", ""}, []string{"ES256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.run(append([]string{"__complete"}, tt.args...)...)
			r.wantCode(t, exitOK)
			got := completions(r)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("completions %q lack %q", got, w)
				}
			}
		})
	}
	t.Run("the one argument is given", func(t *testing.T) {
		if got := completions(h.run("__complete", "clients", "get", client.id, "")); len(got) != 0 {
			t.Errorf("completions after the argument: %q", got)
		}
	})
	for name, env := range map[string]map[string]string{
		"server down":    {"MINT_SERVER": closedURL(t), "MINT_CLIENT_ID": h.admin.id, "MINT_CLIENT_SECRET": h.admin.secret},
		"no credentials": {"MINT_SERVER": h.url},
		"wrong secret":   {"MINT_SERVER": h.url, "MINT_CLIENT_ID": h.admin.id, "MINT_CLIENT_SECRET": "wrong"},
	} {
		t.Run("silent when "+name, func(t *testing.T) {
			r := h.runEnv(env, "__complete", "grants", "create", "--audience", "")
			r.wantCode(t, exitOK)
			if got := completions(r); len(got) != 0 {
				t.Errorf("completions %q, want none", got)
			}
			if strings.Contains(r.stderr, "mint:") {
				t.Errorf("stderr: %q", r.stderr)
			}
		})
	}
}

// TestBashCompletion loads `mint completion bash` into a real bash, as a
// user's shell does, and presses Tab after --audience.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash here")
	}
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		t.Skip("bash-completion is not installed (apt-get install bash-completion)")
	}
	h := newHarness(t)
	h.run("apis", "create", "--name", "Cargo", "--audience", "https://cargo").wantCode(t, exitOK)

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "mint"), []byte("#!/bin/sh\nexec "+shellQuote(self)+" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := `
source ` + bashCompletion + `
source <(mint completion bash)
compopt() { :; } # the builtin works only while the shell itself completes
COMP_LINE='mint grants create --audience '
COMP_POINT=${#COMP_LINE}
COMP_WORDS=(mint grants create --audience '')
COMP_CWORD=4
COMP_TYPE=9 # Tab
__start_mint
printf '%s\n' "${COMPREPLY[@]}"
`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"MINT_CLI_TEST_AS_MINT=1", "MINT_SERVER="+h.url, "MINT_CLIENT_ID="+h.admin.id, "MINT_CLIENT_SECRET="+h.admin.secret,
		"MINT_TOKEN_CACHE=off", "MINT_CONFIG="+filepath.Join(t.TempDir(), "none.json"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); !slices.Contains(got, "https://cargo") {
		t.Errorf("Tab after --audience offered %q, want https://cargo", got)
	}
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
