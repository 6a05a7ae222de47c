package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const applyRulesFile = applyFile + `  - client: deployer
    audience: https://billing.example.com
    scopes: [invoices:read]
`

// TestApplyTrustRules: mint apply declares a client's trust rules, the
// running server serves them, a rule an admin adds is left alone without
// --prune, and the export declares them all.
func TestApplyTrustRules(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "mint.yaml")
	src := strings.Replace(applyRulesFile, "clients:\n", `clients:
  - id: deployer
    name: Deployer
    token_binding: dpop
    federated_credentials:
      - issuer: https://token.actions.githubusercontent.com
        subject: repo:acme/deploy:ref:refs/heads/main
        audience: https://mint.partner.example
        claims: {repository_owner: acme}
`, 1)
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runDB(t, "apply", "-f", file, "--db", h.db)
	r.wantCode(t, exitOK)
	r.wantStdout(t, `+ federated credential deployer ← https://token.actions.githubusercontent.com sub "repo:acme/deploy:ref:refs/heads/main"`,
		"Applied: 6 created, 0 updated, 0 deleted.")
	h.secrets = append(h.secrets, shownSecret.FindAllString(r.stderr, -1)...)
	list := h.run("federated", "list", "deployer")
	list.wantCode(t, exitOK)
	list.wantStdout(t, "https://token.actions.githubusercontent.com", "repo:acme/deploy:ref:refs/heads/main")

	h.run("federated", "add", "deployer", "--jwks-uri", "https://keys.partner.example/jwks.json").wantCode(t, exitOK)
	runDB(t, "diff", "-f", file, "--db", h.db).wantCode(t, exitOK)

	out := runDB(t, "export", "--db", h.db)
	out.wantCode(t, exitOK)
	out.wantStdout(t, "token_binding: dpop", "federated_credentials:", "repository_owner: acme",
		"- jwks_uri: https://keys.partner.example/jwks.json")
	exported := filepath.Join(dir, "export.yaml")
	if err := os.WriteFile(exported, []byte(out.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runDB(t, "diff", "-f", exported, "--db", h.db, "--prune")
	r.wantCode(t, exitOK)
	r.wantStdout(t, "No changes")
	if err := os.WriteFile(exported, []byte(strings.Replace(out.stdout, "      - jwks_uri: https://keys.partner.example/jwks.json\n", "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runDB(t, "diff", "-f", exported, "--db", h.db, "--prune")
	r.wantCode(t, exitDrift)
	r.wantStdout(t, "- federated credential deployer ← its keys at https://keys.partner.example/jwks.json", "Plan: 0 to create, 0 to update, 1 to delete.")

	// A rule the admin API refuses is refused before anything changes.
	bad := strings.Replace(src, "audience: https://mint.partner.example", "audience: https://billing.example.com", 1)
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runDB(t, "apply", "-f", file, "--db", h.db)
	if r.code == exitOK || !strings.Contains(r.stderr, "clients[0].federated_credentials[0].audience: audience must not be an API's audience") {
		t.Fatalf("apply of a rule on an API's audience: exit %d\n%s", r.code, r.stderr)
	}
}
