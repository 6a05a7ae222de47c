package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/buildinfo"
)

// TestManners: the CLI behaves as kubectl's and gh's do: a version, help
// for every command on stdout with exit 0, --long flags in help, short
// errors with suggestions for typos, and errors that name what is missing.
func TestManners(t *testing.T) {
	h := newHarness(t)
	version := buildinfo.Read().String()
	tests := []struct {
		name    string
		args    []string
		code    int
		stdout  []string
		stderr  []string
		notOut  []string
		maxErrs int // most lines on stderr; 0: no limit
	}{
		{name: "--version", args: []string{"--version"}, stdout: []string{version}},
		{name: "version", args: []string{"version"}, stdout: []string{version}},
		{name: "help serve", args: []string{"help", "serve"}, stdout: []string{"mint serve: run the token server", "usage: mint serve"}, notOut: []string{"Administration"}},
		{name: "help of a group", args: []string{"help", "grants"}, stdout: []string{"mint grants create --client ID --audience AUD"}},
		{name: "root lists every command", args: []string{"help"}, stdout: []string{"mint bench", "mint backup", "mint audit", "mint login", "mint completion", "mint version"}},
		{name: "double-dash flags in help", args: []string{"verify", "--help"}, stdout: []string{"--audience audience", "--client-id ID", "--json"}, notOut: []string{" -audience", " -json"}},
		{name: "single-dash long flag still read", args: []string{"apis", "list", "-json"}, stdout: []string{`"audience": "urn:mint:admin"`}},
		{name: "typo of a command", args: []string{"clinets", "list"}, code: exitUsage, stderr: []string{`unknown command "clinets"`, "did you mean 'clients'?"}, maxErrs: 2},
		{name: "typo of a subcommand", args: []string{"clients", "lsit"}, code: exitUsage, stderr: []string{`unknown command "clients lsit"`, "did you mean 'list'?"}, maxErrs: 2},
		{name: "unknown help topic", args: []string{"help", "frob"}, code: exitUsage, stderr: []string{`unknown command "frob"`}, maxErrs: 2},
		{name: "the one missing flag named", args: []string{"apis", "create", "--name", "x"}, code: exitUsage, stderr: []string{"missing --audience"}, maxErrs: 3},
		{name: "completion bash", args: []string{"completion", "bash"}, stdout: []string{"__start_mint"}},
		{name: "completion zsh", args: []string{"completion", "zsh"}, stdout: []string{"#compdef mint"}},
		{name: "completion fish", args: []string{"completion", "fish"}, stdout: []string{"complete -c mint"}},
		{name: "completion powershell", args: []string{"completion", "powershell"}, stdout: []string{"Register-ArgumentCompleter"}},
		{name: "grants take --client", args: []string{"grants", "list", "--client", h.admin.id}, stdout: []string{"urn:mint:admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.run(tt.args...)
			r.wantCode(t, tt.code)
			r.wantStdout(t, tt.stdout...)
			r.wantStderr(t, tt.stderr...)
			for _, s := range tt.notOut {
				if strings.Contains(r.stdout, s) {
					t.Errorf("stdout has %q:\n%s", s, r.stdout)
				}
			}
			if n := strings.Count(r.stderr, "\n"); tt.maxErrs > 0 && n > tt.maxErrs {
				t.Errorf("%d lines on stderr, want at most %d:\n%s", n, tt.maxErrs, r.stderr)
			}
			if tt.code == exitOK && r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
		})
	}
	t.Run("version --json", func(t *testing.T) {
		r := h.run("version", "--json")
		r.wantCode(t, exitOK)
		var info buildinfo.Info
		if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || info != buildinfo.Read() {
			t.Errorf("version --json = %s (%v), want %+v", r.stdout, err, buildinfo.Read())
		}
	})
}

// TestVerifyNamesTheTokensAudience: a token refused for its audience is
// refused saying which audience it has, so that the wrong environment is
// seen at once.
func TestVerifyNamesTheTokensAudience(t *testing.T) {
	h := newHarness(t)
	for _, aud := range []string{"https://dataloy", "https://dataloy.dev"} {
		h.run("apis", "create", "--name", aud, "--audience", aud).wantCode(t, exitOK)
	}
	client := h.newClient(t, "cargo sync")
	h.run("grants", "create", "--client", client.id, "--audience", "https://dataloy").wantCode(t, exitOK)
	r := h.runAs(client, "token", "--audience", "https://dataloy")
	r.wantCode(t, exitOK)
	r = h.run("verify", "--audience", "https://dataloy.dev", strings.TrimSpace(r.stdout))
	r.wantCode(t, exitRefused)
	r.wantStderr(t, `audience invalid: the token is for "https://dataloy", not "https://dataloy.dev"`)
}
