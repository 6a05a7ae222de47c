package cli

import (
	"strings"
	"testing"
)

// TestExitCodes checks each exit code against a real server, and what is
// printed with it.
func TestExitCodes(t *testing.T) {
	h := newHarness(t)
	plain := h.newClient(t, "no admin grant")
	h.run("apis", "create", "--name", "Taken", "--audience", "https://taken").wantCode(t, exitOK)
	admin := map[string]string{"MINT_SERVER": h.url, "MINT_CLIENT_ID": h.admin.id, "MINT_CLIENT_SECRET": h.admin.secret}
	with := func(key, value string) map[string]string {
		env := map[string]string{}
		for k, v := range admin {
			env[k] = v
		}
		env[key] = value
		return env
	}
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		want      int
		stderr    []string
		stdout    string // a substring; "" means stdout must be empty
		anyStdout bool
	}{
		{name: "help", args: []string{"help"}, want: exitOK, anyStdout: true},
		{name: "help flag", args: []string{"--help"}, want: exitOK, stdout: "mint gateway"},
		{name: "group help", args: []string{"clients", "-h"}, want: exitOK, stdout: "mint clients rotate-secret ID"},
		{name: "command help", args: []string{"clients", "get", "-h"}, want: exitOK, stdout: "usage: mint clients get ID"},
		{name: "usage/no command", want: exitUsage, stderr: []string{"mint: no command given", "usage: mint <command>"}},
		{name: "usage/unknown command", args: []string{"frob"}, want: exitUsage, stderr: []string{`mint: unknown command "frob"`}},
		{name: "usage/unknown subcommand", args: []string{"clients", "frob"}, want: exitUsage, stderr: []string{`unknown command "clients frob"`}},
		{name: "usage/no subcommand", args: []string{"grants"}, want: exitUsage, stderr: []string{"mint grants create"}},
		{name: "usage/missing ID", args: []string{"clients", "get"}, want: exitUsage, stderr: []string{"want 1 argument, got 0", "usage: mint clients get ID"}},
		{name: "usage/extra argument", args: []string{"apis", "list", "x"}, want: exitUsage, stderr: []string{`unexpected argument "x"`}},
		{name: "usage/unknown flag", args: []string{"apis", "list", "--frob"}, want: exitUsage, stderr: []string{"flag provided but not defined: -frob"}},
		{name: "usage/missing flag", args: []string{"apis", "create", "--name", "x"}, want: exitUsage, stderr: []string{"--name and --audience are required"}},
		{name: "usage/bad number", args: []string{"apis", "create", "--name", "x", "--audience", "y", "--token-lifetime", "soon"}, want: exitUsage, stderr: []string{"-token-lifetime"}},
		{name: "usage/nothing to update", args: []string{"grants", "update", "grt_x"}, want: exitUsage, stderr: []string{"nothing to change"}},
		{name: "usage/no credentials", env: map[string]string{"MINT_SERVER": h.url}, args: []string{"clients", "list"}, want: exitUsage, stderr: []string{"no credentials"}},
		{name: "usage/bad server URL", args: []string{"clients", "list", "--server", "localhost:8080"}, want: exitUsage, stderr: []string{"bad server URL"}},
		{name: "refused/not found", args: []string{"clients", "get", "nope"}, want: exitRefused, stderr: []string{"mint: not_found: "}},
		{name: "refused/not found as JSON", args: []string{"apis", "get", "nope", "--json"}, want: exitRefused, stderr: []string{"mint: not_found: "}, stdout: `"error": "not_found"`},
		{name: "refused/delete missing", args: []string{"grants", "delete", "grt_nope"}, want: exitRefused, stderr: []string{"mint: not_found"}},
		{name: "refused/conflict", args: []string{"apis", "create", "--name", "x", "--audience", "https://taken"}, want: exitRefused, stderr: []string{"mint: conflict: "}},
		{name: "refused/invalid", args: []string{"apis", "create", "--name", "x", "--audience", "y", "--scope", `a"b`}, want: exitRefused, stderr: []string{"mint: invalid_request: "}},
		{name: "refused/grant for unknown client", args: []string{"grants", "create", "--client-id", "nope", "--audience", "https://taken"}, want: exitRefused, stderr: []string{"mint: invalid_request"}},
		{name: "refused/token for API not granted", env: with("MINT_CLIENT_ID", plain.id), args: []string{"token", "--audience", "https://taken"}, want: exitRefused, stderr: []string{"mint: "}},
		{name: "unreachable/admin", env: with("MINT_SERVER", closedURL(t)), args: []string{"clients", "list"}, want: exitUnreachable, stderr: []string{"mint: cannot reach the server"}},
		{name: "unreachable/token", args: []string{"token", "--server", closedURL(t)}, want: exitUnreachable, stderr: []string{"cannot reach the server"}},
		{name: "unreachable/token URL", args: []string{"token", "--token-url", closedURL(t) + "/oauth/token"}, want: exitUnreachable, stderr: []string{"cannot reach the server"}},
		{name: "not mint/HTML error page", env: with("MINT_SERVER", htmlServer(t, 502)), args: []string{"apis", "list"}, want: exitUnreachable, stderr: []string{"unexpected answer", "502 Bad Gateway"}},
		{name: "not mint/HTML success", env: with("MINT_SERVER", htmlServer(t, 200)), args: []string{"token", "--json"}, want: exitUnreachable, stderr: []string{"unexpected answer"}},
		{name: "auth/wrong secret", env: with("MINT_CLIENT_SECRET", strings.Repeat("x", 40)), args: []string{"clients", "list"}, want: exitAuth, stderr: []string{"mint: invalid_client"}},
		{name: "auth/unknown client", env: with("MINT_CLIENT_ID", "nobody"), args: []string{"apis", "list", "--json"}, want: exitAuth, stderr: []string{"mint: invalid_client"}, stdout: `"error": "invalid_client"`},
		{name: "auth/wrong secret for token", env: with("MINT_CLIENT_SECRET", "wrong"), args: []string{"token"}, want: exitAuth, stderr: []string{"mint: invalid_client"}},
		{name: "auth/client without admin grant", env: with("MINT_CLIENT_ID", plain.id), args: []string{"clients", "list"}, want: exitAuth, stderr: []string{"cannot get a token for mint's admin API"}},
		{name: "auth/credential flags", env: map[string]string{"MINT_SERVER": h.url}, args: []string{"apis", "list", "--client-id", h.admin.id, "--client-secret", "wrong"}, want: exitAuth},
		{name: "credential flags", env: map[string]string{"MINT_SERVER": h.url}, args: []string{"apis", "list", "--client-id", h.admin.id, "--client-secret", h.admin.secret}, want: exitOK, stdout: "urn:mint:admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if env == nil {
				env = admin
			}
			if env["MINT_CLIENT_ID"] == plain.id {
				env["MINT_CLIENT_SECRET"] = plain.secret
			}
			r := h.runEnv(env, tt.args...)
			r.wantCode(t, tt.want)
			r.wantStderr(t, tt.stderr...)
			switch {
			case tt.anyStdout:
			case tt.stdout == "" && r.stdout != "":
				t.Errorf("stdout = %q, want nothing", r.stdout)
			case !strings.Contains(r.stdout, tt.stdout):
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, r.stdout)
			}
			if tt.want == exitOK && r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
		})
	}
}
