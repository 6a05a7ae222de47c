package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
)

// runDB runs the CLI with the mint binary's OpenStore, as apply, diff and
// export need.
func runDB(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr,
		Extensions{OpenStore: server.OpenStore})
	return result{args: args, code: code, stdout: stdout.String(), stderr: stderr.String()}
}

const applyFile = `version: 1
apis:
  - audience: https://billing.example.com
    name: Billing
    scopes: [invoices:read]
clients:
  - id: billing-worker
    name: Billing worker
grants:
  - client: billing-worker
    audience: https://billing.example.com
    scopes: [invoices:read]
`

// tokenWorks asks the running server for a token with the credentials.
func tokenWorks(t *testing.T, h *harness, id, secret string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "audience": {"https://billing.example.com"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

var shownSecret = regexp.MustCompile(`client_id=(\S+) client_secret=(\S+) \(shown once\)`)

func TestApplyDiffExport(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "mint.yaml")
	if err := os.WriteFile(file, []byte(applyFile), 0o600); err != nil {
		t.Fatal(err)
	}

	r := runDB(t, "diff", "-f", file, "--db", h.db)
	r.wantCode(t, exitDrift)
	r.wantStdout(t, "+ api https://billing.example.com", "+ client billing-worker", "Plan: 3 to create, 0 to update, 0 to delete.")

	r = runDB(t, "apply", "-f", file, "--db", h.db, "--dry-run")
	r.wantCode(t, exitOK)
	r.wantStdout(t, "Nothing applied (--dry-run).")
	runDB(t, "diff", "-f", file, "--db", h.db).wantCode(t, exitDrift)

	r = runDB(t, "apply", "-f", file, "--db", h.db)
	r.wantCode(t, exitOK)
	r.wantStdout(t, "Applied: 3 created, 0 updated, 0 deleted.")
	m := shownSecret.FindStringSubmatch(r.stderr)
	if m == nil || m[1] != "billing-worker" {
		t.Fatalf("apply's stderr does not show the new secret once:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout, m[2]) {
		t.Fatal("the new secret is on stdout, which CI logs keep")
	}
	if !tokenWorks(t, h, "billing-worker", m[2]) {
		t.Fatal("the secret apply printed does not get a token from the running server")
	}

	r = runDB(t, "diff", "-f", file, "--db", h.db)
	r.wantCode(t, exitOK)
	r.wantStdout(t, "No changes")
	runDB(t, "apply", "-f", file, "--db", h.db).wantStdout(t, "No changes")

	// The export, bootstrap admin client and admin API included, applies
	// as no change even with --prune, and holds no secret.
	exported := filepath.Join(dir, "export.yaml")
	runDB(t, "export", "--db", h.db, "--out", exported).wantCode(t, exitOK)
	data, _ := os.ReadFile(exported)
	if strings.Contains(string(data), m[2]) || strings.Contains(string(data), h.admin.secret) {
		t.Fatal("the export holds a secret")
	}
	r = runDB(t, "diff", "-f", exported, "--db", h.db, "--prune")
	r.wantCode(t, exitOK)
	r.wantStdout(t, "No changes")
	if out := runDB(t, "export", "--db", h.db); out.stdout != string(data) {
		t.Fatalf("export to stdout differs from --out:\n%s", out.stdout)
	}
}

func TestApplySecretDestinations(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "mint.yaml")
	write := func(content string) {
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(applyFile)

	secrets := filepath.Join(dir, "secrets")
	if err := os.Mkdir(secrets, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runDB(t, "apply", "-f", file, "--db", h.db, "--secrets-dir", secrets)
	r.wantCode(t, exitUsage)
	r.wantStderr(t, "make it private")
	os.Chmod(secrets, 0o700)
	r = runDB(t, "apply", "-f", file, "--db", h.db, "--secrets-dir", secrets)
	r.wantCode(t, exitOK)
	name := filepath.Join(secrets, "billing-worker.secret")
	info, err := os.Stat(name)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v, mode %v; want 0600", err, info)
	}
	plain, _ := os.ReadFile(name)
	if !tokenWorks(t, h, "billing-worker", strings.TrimSpace(string(plain))) {
		t.Fatal("the secret written to --secrets-dir does not get a token")
	}
	if strings.Contains(r.stderr+r.stdout, strings.TrimSpace(string(plain))) {
		t.Fatal("with --secrets-dir the secret was printed too")
	}

	// --secret-command gets the secret on stdin and the client in
	// MINT_CLIENT_ID; a failing command leaves the database unchanged.
	out := filepath.Join(dir, "vault")
	os.Mkdir(out, 0o700)
	write(strings.Replace(applyFile, "clients:\n", "clients:\n  - id: second\n    name: Second\n", 1))
	r = runDB(t, "apply", "-f", file, "--db", h.db, "--secret-command", "exit 3")
	r.wantCode(t, exitRefused)
	r.wantStderr(t, "nothing applied", "--secret-command for client second")
	runDB(t, "diff", "-f", file, "--db", h.db).wantCode(t, exitDrift)
	r = runDB(t, "apply", "-f", file, "--db", h.db, "--secret-command", `cat > "`+out+`/$MINT_CLIENT_ID"`)
	r.wantCode(t, exitOK)
	plain, _ = os.ReadFile(filepath.Join(out, "second"))
	if len(plain) == 0 || !tokenWorksFor(t, h, "second", string(plain)) {
		t.Fatalf("the secret piped to --secret-command (%d bytes) is not the client's", len(plain))
	}
}

// tokenWorksFor checks a secret by asking for a token of an API the
// client has no grant for: a wrong secret is invalid_client (401), a right
// one is refused for the audience (not 401).
func tokenWorksFor(t *testing.T, h *harness, id, secret string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "audience": {"https://billing.example.com"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode != http.StatusUnauthorized
}

func TestApplyRefusesBadFiles(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "mint.yaml")
	os.WriteFile(file, []byte(strings.Replace(applyFile, "    name: Billing\n", "    name: Billing\n    token_lifetme: 60\n", 1)), 0o600)
	r := runDB(t, "apply", "-f", file, "--db", h.db)
	r.wantCode(t, exitRefused)
	r.wantStderr(t, file+":5:5: apis[0].token_lifetme: unknown field", "apply: nothing changed")

	os.WriteFile(file, []byte(strings.Replace(applyFile, "  - client: billing-worker", "  - client: ghost", 1)), 0o600)
	r = runDB(t, "diff", "-f", file, "--db", h.db)
	r.wantCode(t, exitRefused)
	r.wantStderr(t, `grants[0].client: no client has the id "ghost"`)

	runDB(t, "apply", "-f", file).wantCode(t, exitUsage)
	runDB(t, "apply", "--db", h.db).wantCode(t, exitUsage)
	r = runDB(t, "export", "--db", filepath.Join(dir, "missing.db"))
	r.wantCode(t, exitRefused)
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Fatal("export created a database where none was")
	}
}

// racingStore is a store on which another admin changes the API right after
// apply has read the state it plans from.
type racingStore struct {
	mint.Store
	raced bool
}

func (s *racingStore) ListGrantsPage(ctx context.Context, q mint.GrantQuery) ([]mint.Grant, mint.Cursor, error) {
	grants, next, err := s.Store.ListGrantsPage(ctx, q)
	if !s.raced {
		s.raced = true
		api, _ := s.Store.GetAPIByAudience(ctx, "https://billing.example.com")
		_, err = s.Store.UpdateAPI(ctx, api.ID, func(a mint.API) (mint.API, error) {
			a.Name, a.UpdatedAt = "renamed by another admin", time.Now()
			return a, nil
		})
	}
	return grants, next, err
}

func (s *racingStore) ApplyPlan(ctx context.Context, expected string, changes []mint.Change) error {
	return s.Store.(mint.Applier).ApplyPlan(ctx, expected, changes)
}

func TestApplyRacingAdminChange(t *testing.T) {
	h := newHarness(t)
	file := filepath.Join(t.TempDir(), "mint.yaml")
	os.WriteFile(file, []byte(applyFile), 0o600)
	runDB(t, "apply", "-f", file, "--db", h.db).wantCode(t, exitOK)
	os.WriteFile(file, []byte(strings.Replace(applyFile, "name: Billing\n", "name: Billing v2\n", 1)), 0o600)

	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"apply", "-f", file, "--db", h.db}, func(string) string { return "" },
		strings.NewReader(""), &stdout, &stderr, Extensions{OpenStore: func(ctx context.Context, db string) (mint.Store, error) {
			s, err := server.OpenStore(ctx, db)
			return &racingStore{Store: s}, err
		}})
	r := result{args: []string{"apply"}, code: code, stdout: stdout.String(), stderr: stderr.String()}
	r.wantCode(t, exitRefused)
	r.wantStderr(t, "the database changed since the plan was made", "nothing applied; plan again")
	r = runDB(t, "diff", "-f", file, "--db", h.db)
	r.wantCode(t, exitDrift)
	r.wantStdout(t, `name: "renamed by another admin" → "Billing v2"`)
}
