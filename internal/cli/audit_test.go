package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
)

// TestAuditCommands: list as a table, as JSON lines and appended to a
// file, with filters; --follow sees a record made while it polls; verify
// says the chain is whole.
func TestAuditCommands(t *testing.T) {
	h := newHarness(t)
	robot := h.newClient(t, "robot")
	h.run("apis", "create", "--name", "Cargo", "--audience", "https://cargo", "--audit-issuance", "sample:2").wantCode(t, exitOK)

	r := h.run("audit", "list")
	r.wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "SEQ") || !strings.Contains(r.stdout, "admin.clients.create") || !strings.Contains(r.stdout, "admin.apis.create") {
		t.Errorf("audit list table:\n%s", r.stdout)
	}
	r = h.run("audit", "list", "--client-id", robot.id, "--json")
	r.wantCode(t, exitOK)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var v audit.View
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &v) != nil || v.Kind != "admin.clients.create" || v.ClientID != robot.id {
		t.Errorf("audit list --client-id --json: %q", r.stdout)
	}
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	for range 2 {
		h.run("audit", "list", "--kind", "admin.", "--since", "1h", "--out", out).wantCode(t, exitOK)
	}
	data, err := os.ReadFile(out)
	if err != nil || strings.Count(string(data), "\n") != 4 {
		t.Errorf("--out appended %q, %v; want 2 records twice", data, err)
	}
	h.run("audit", "list", "--since", "yesterday").wantCode(t, exitUsage)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	followed := make(chan string, 1)
	go func() {
		var stdout, stderr strings.Builder
		env := map[string]string{"MINT_SERVER": h.url, "MINT_CLIENT_ID": h.admin.id, "MINT_CLIENT_SECRET": h.admin.secret}
		Run(ctx, []string{"audit", "list", "--follow", "--interval", "20ms", "--json", "--kind", "admin.clients.update"},
			func(k string) string { return env[k] }, &stdout, &stderr)
		followed <- stdout.String()
	}()
	time.Sleep(100 * time.Millisecond)
	h.run("clients", "update", robot.id, "--name", "robot 2").wantCode(t, exitOK)
	time.Sleep(300 * time.Millisecond)
	cancel()
	if got := <-followed; strings.Count(got, "admin.clients.update") != 1 {
		t.Errorf("--follow printed %q, want the update made while following", got)
	}

	r = h.run("audit", "verify")
	r.wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "ok: the chain is whole") {
		t.Errorf("audit verify:\n%s", r.stdout)
	}
}
