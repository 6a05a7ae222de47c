package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// commandCase is one command run in table and in --json mode.
type commandCase struct {
	name       string
	args       []string
	table      []string // substrings of stdout in table mode
	json       []string // substrings of stdout with --json
	notWant    []string // substrings of stdout in neither mode
	showsNew   bool     // prints a new client secret
	isDeletion bool     // no answer: a line in table mode, nothing with --json
}

// TestEveryCommand runs each command against a real server, in table and
// in --json mode.
func TestEveryCommand(t *testing.T) {
	h := newHarness(t)
	for _, mode := range []string{"table", "json"} {
		t.Run(mode, func(t *testing.T) {
			for _, tc := range commandCases(t, h, mode) {
				t.Run(tc.name, func(t *testing.T) { checkCommand(t, h, mode, tc) })
			}
		})
	}
}

// commandCases creates an API, a client and a grant for mode, and returns
// the cases that exercise every command on them, deletions last.
func commandCases(t *testing.T, h *harness, mode string) []commandCase {
	var (
		api   apiView
		grant grantView
	)
	audA, audB := "https://a-"+mode, "https://b-"+mode
	h.mustJSON(t, &api, "apis", "create", "--name", "A", "--audience", audA, "--scopes", "x y")
	client := h.newClient(t, "C "+mode)
	h.mustJSON(t, &grant, "grants", "create", "--client-id", client.id, "--audience", audA, "--scope", "x")
	return []commandCase{
		{name: "apis create", args: []string{"apis", "create", "--name", "B", "--audience", audB, "--scopes", "p q"},
			table: []string{"audience        " + audB, "scopes          p q", "24h (86400s)"}, json: []string{`"audience": "` + audB + `"`, `"token_lifetime": 86400`}},
		{name: "apis list", args: []string{"apis", "list"},
			table: []string{"AUDIENCE", audA, audB, "urn:mint:admin"}, json: []string{`"audience": "` + audA + `"`, `"urn:mint:admin"`}},
		{name: "apis get", args: []string{"apis", "get", api.ID},
			table: []string{"id              " + api.ID, "x y"}, json: []string{`"id": "` + api.ID + `"`}},
		{name: "apis update", args: []string{"apis", "update", api.ID, "--name", "Renamed", "--scope", "x", "--scopes", "y z", "--token-lifetime", "7200"},
			table: []string{"Renamed", "x y z", "2h (7200s)"}, json: []string{`"name": "Renamed"`, `"token_lifetime": 7200`}},
		{name: "clients create", args: []string{"clients", "create", "--name", "fresh " + mode}, showsNew: true,
			table: []string{"client_id", "client_secret"}, json: []string{`"client_secret": "`}},
		{name: "clients list", args: []string{"clients", "list"},
			table: []string{"CLIENT ID", client.id, "C " + mode}, json: []string{`"client_id": "` + client.id + `"`}},
		{name: "clients list --search", args: []string{"clients", "list", "--search", "c " + mode, "--limit", "5"},
			table: []string{"CLIENT ID", client.id}, json: []string{`"client_id": "` + client.id + `"`}, notWant: []string{"fresh "}},
		{name: "clients get", args: []string{"clients", "get", client.id},
			table: []string{"client_id   " + client.id, "secrets:", "LAST USED"}, json: []string{`"secrets": [`},
			notWant: []string{"client_secret"}},
		{name: "clients update", args: []string{"clients", "update", client.id, "--name", "renamed " + mode},
			table: []string{"renamed " + mode}, json: []string{`"name": "renamed ` + mode + `"`}},
		{name: "clients rotate-secret", args: []string{"clients", "rotate-secret", client.id, "--old-secret-ttl", "60"}, showsNew: true,
			table: []string{"client_secret", client.id}, json: []string{`"client_secret": "`}},
		{name: "grants create", args: []string{"grants", "create", "--client-id", client.id, "--audience", audB, "--scope", "p"},
			table: []string{"audience    " + audB, "scopes      p"}, json: []string{`"audience": "` + audB + `"`}},
		{name: "grants list", args: []string{"grants", "list"},
			table: []string{"CLIENT ID", audA, audB, "urn:mint:admin"}, json: []string{`"audience": "` + audA + `"`}},
		{name: "grants list of one client", args: []string{"grants", "list", "--client-id", client.id},
			table: []string{audA, audB}, json: []string{`"client_id": "` + client.id + `"`}, notWant: []string{"urn:mint:admin"}},
		{name: "grants list --audience", args: []string{"grants", "list", "--audience", audB},
			table: []string{audB}, json: []string{`"audience": "` + audB + `"`}, notWant: []string{audA + " ", "urn:mint:admin"}},
		{name: "grants get", args: []string{"grants", "get", grant.ID},
			table: []string{"id          " + grant.ID}, json: []string{`"id": "` + grant.ID + `"`}},
		{name: "grants update", args: []string{"grants", "update", grant.ID, "--scopes", "x y"},
			table: []string{"scopes      x y"}, json: []string{`"scopes": [`, `"y"`}},
		{name: "grants delete", args: []string{"grants", "delete", grant.ID}, isDeletion: true,
			table: []string{"deleted grant " + grant.ID}},
		{name: "clients delete", args: []string{"clients", "delete", client.id}, isDeletion: true,
			table: []string{"deleted client " + client.id}},
		{name: "apis delete", args: []string{"apis", "delete", api.ID}, isDeletion: true,
			table: []string{"deleted API " + api.ID}},
	}
}

func checkCommand(t *testing.T, h *harness, mode string, tc commandCase) {
	args, want := tc.args, tc.table
	if mode == "json" {
		args, want = append(args, "--json"), tc.json
	}
	r := h.run(args...)
	r.wantCode(t, exitOK)
	r.wantStdout(t, want...)
	for _, s := range tc.notWant {
		if strings.Contains(r.stdout, s) {
			t.Errorf("stdout has %q:\n%s", s, r.stdout)
		}
	}
	if tc.showsNew {
		h.remember(newSecret(t, mode, r.stdout))
	}
	wantStderr := ""
	if tc.showsNew && mode == "table" {
		wantStderr = secretWarning + "\n"
	}
	if r.stderr != wantStderr {
		t.Errorf("stderr = %q, want %q", r.stderr, wantStderr)
	}
	switch {
	case mode == "json" && tc.isDeletion && r.stdout != "":
		t.Errorf("stdout = %q, want nothing", r.stdout)
	case mode == "json" && !tc.isDeletion && !json.Valid([]byte(r.stdout)):
		t.Errorf("stdout is not JSON:\n%s", r.stdout)
	}
}

// newSecret is the client secret that create or rotate-secret printed.
func newSecret(t *testing.T, mode, stdout string) string {
	t.Helper()
	if mode == "table" {
		return tableValue(stdout, "client_secret")
	}
	var c clientView
	if err := json.Unmarshal([]byte(stdout), &c); err != nil || c.ClientSecret == "" {
		t.Fatalf("no client_secret in %s (%v)", stdout, err)
	}
	return c.ClientSecret
}
