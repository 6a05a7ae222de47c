package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/server"
)

// importSecret is a valid secret to import; no output may show it.
const importSecret = "imported-secret-0123456789abcdefghijklmnop"

const importAudience = "https://orders.example"

// importDB is a fresh SQLite database holding one API with two scopes.
func importDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "mint.db")
	s, err := server.OpenStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	err = s.CreateAPI(t.Context(), mint.API{ID: "api_1", Name: "Orders", Audience: importAudience,
		Scopes: []string{"read", "write"}, TokenLifetime: time.Hour, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func importLineFor(id string) string {
	return fmt.Sprintf(`{"client_id":%q,"name":"Partner %s","secret":%q,"grants":[{"audience":%q,"scopes":["read"]}]}`,
		id, id, importSecret+id, importAudience)
}

// runImport runs `mint import clients` on db with the lines as its file.
func runImport(t *testing.T, db string, lines []string, flags ...string) (code int, stdout, stderr string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "clients.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	args := append([]string{"import", "clients", "--db", db, file}, flags...)
	code = Main(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut,
		Extensions{OpenStore: server.OpenStore})
	if strings.Contains(out.String()+errOut.String(), importSecret) {
		t.Errorf("output shows a secret:\n%s%s", out.String(), errOut.String())
	}
	return code, out.String(), errOut.String()
}

func storedClients(t *testing.T, db string) []mint.Client {
	t.Helper()
	s, err := server.OpenStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	clients, err := mint.EveryClient(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	return clients
}

func TestImportClients(t *testing.T) {
	db := importDB(t)
	var lines []string
	for i := range 7 {
		lines = append(lines, importLineFor(fmt.Sprintf("partner-%d", i)))
	}
	lines = append(lines[:3], append([]string{""}, lines[3:]...)...) // a blank line is skipped
	code, stdout, stderr := runImport(t, db, lines, "--batch", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "imported 7 clients and 7 grants in 3 batches") {
		t.Errorf("stdout = %q", stdout)
	}
	s, err := server.OpenStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	secrets, err := s.ListSecrets(t.Context(), "partner-4")
	if err != nil || len(secrets) != 1 || !secret.Match(importSecret+"partner-4", secrets[0].Digest) {
		t.Fatalf("partner-4's secrets = %v, %v; want one matching the imported secret", len(secrets), err)
	}
	g, err := s.FindGrant(t.Context(), "partner-4", importAudience)
	if err != nil || len(g.Scopes) != 1 || g.Scopes[0] != "read" {
		t.Fatalf("partner-4's grant = %+v, %v", g, err)
	}
	records, err := s.(mint.AuditStore).ListAudit(t.Context(), mint.AuditFilter{Kind: "admin.clients.import"})
	if err != nil || len(records) != 3 {
		t.Fatalf("audit records of the import = %d, %v; want one per batch, 3", len(records), err)
	}
	if bytes.Contains(records[0].Details, []byte(importSecret)) {
		t.Errorf("audit record shows a secret: %s", records[0].Details)
	}
}

// Every line is checked before any is written: a bad line anywhere writes
// nothing, and the error names the line but never the secret.
func TestImportClientsRefusesBadLines(t *testing.T) {
	good := importLineFor("good-1")
	for _, tc := range []struct {
		name, line, want string
	}{
		{"NotJSON", `{"client_id":`, "not valid JSON"},
		{"UnknownField", `{"client_id":"a","name":"A","secret":"` + importSecret + `","admin":true}`, `unknown field "admin"`},
		{"IDWithColon", `{"client_id":"a:b","name":"A","secret":"` + importSecret + `"}`, "client_id may hold only"},
		{"IDTooLong", `{"client_id":"` + strings.Repeat("a", 257) + `","name":"A","secret":"` + importSecret + `"}`, "client_id must be 1 to 256"},
		{"NoName", `{"client_id":"a","secret":"` + importSecret + `"}`, "name is required"},
		{"ShortSecret", `{"client_id":"a","name":"A","secret":"short"}`, "secret must be 32 to"},
		{"SecretWithSpace", `{"client_id":"a","name":"A","secret":"` + importSecret + ` x"}`, "printable ASCII"},
		{"SecretNotString", `{"client_id":"a","name":"A","secret":12}`, "secret must be a string"},
		{"UnknownAudience", `{"client_id":"a","name":"A","secret":"` + importSecret + `","grants":[{"audience":"https://nope"}]}`, `no API has the audience "https://nope"`},
		{"ScopeNotOfAPI", `{"client_id":"a","name":"A","secret":"` + importSecret + `","grants":[{"audience":"` + importAudience + `","scopes":["admin"]}]}`, `scope "admin" is not a scope`},
		{"MetadataBadKey", `{"client_id":"a","name":"A","secret":"` + importSecret + `","metadata":{"1st":"x"}}`, `must start with an ASCII letter`},
		{"MetadataNotText", `{"client_id":"a","name":"A","secret":"` + importSecret + `","metadata":{"tier":1}}`, `metadata`},
		{"AudienceTwice", `{"client_id":"a","name":"A","secret":"` + importSecret + `","grants":[{"audience":"` + importAudience + `"},{"audience":"` + importAudience + `"}]}`, "two grants"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := importDB(t)
			code, _, stderr := runImport(t, db, []string{good, tc.line, importLineFor("good-2")}, "--batch", "1")
			if code == 0 {
				t.Fatal("exit 0 for a bad line")
			}
			if !strings.Contains(stderr, "line 2:") || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "nothing was written") {
				t.Errorf("stderr = %q, want line 2, %q and nothing was written", stderr, tc.want)
			}
			if n := len(storedClients(t, db)); n != 0 {
				t.Errorf("%d clients stored", n)
			}
		})
	}
}

// A store error mid-file (an id taken) keeps the batches before it and
// says which --skip resumes after them.
func TestImportClientsTakenIDMidFile(t *testing.T) {
	db := importDB(t)
	code, _, stderr := runImport(t, db, []string{importLineFor("taken")})
	if code != 0 {
		t.Fatal(stderr)
	}
	lines := []string{importLineFor("a"), importLineFor("b"), importLineFor("c"), importLineFor("taken"), importLineFor("d")}
	code, _, stderr = runImport(t, db, lines, "--batch", "2")
	if code == 0 {
		t.Fatal("exit 0 with a taken client id")
	}
	if !strings.Contains(stderr, `client "taken"`) || strings.Count(stderr, "--skip 2") != 1 {
		t.Errorf("stderr = %q, want the taken id and --skip 2, once", stderr)
	}
	if n := len(storedClients(t, db)); n != 3 { // taken, a, b
		t.Errorf("%d clients stored, want 3 (the first batch and the earlier import)", n)
	}
	code, stdout, stderr := runImport(t, db, append(lines[:3:3], importLineFor("e")), "--skip", "2")
	if code != 0 || !strings.Contains(stdout, "imported 2 clients") {
		t.Errorf("resuming with --skip 2: exit %d, %s%s", code, stdout, stderr)
	}
}

func TestImportClientsDryRunWritesNothing(t *testing.T) {
	db := importDB(t)
	code, stdout, stderr := runImport(t, db, []string{importLineFor("a"), importLineFor("b")}, "--dry-run")
	if code != 0 || !strings.Contains(stdout, "2 clients to import") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if n := len(storedClients(t, db)); n != 0 {
		t.Errorf("%d clients stored by --dry-run", n)
	}
}

// FuzzParseImportLine: whatever a line holds, parsing does not panic, and
// an error never quotes the secret.
func FuzzParseImportLine(f *testing.F) {
	f.Add([]byte(importLineFor("x")))
	f.Add([]byte(`{"client_id":"a","name":"A","secret":"` + importSecret + `","grants":[{"audience":"x","scopes":[1]}]}`))
	f.Add([]byte(`{"secret":"` + importSecret + `","SECRET":"` + importSecret + `"}`))
	apis := map[string]mint.API{importAudience: {Audience: importAudience, Scopes: []string{"read"}}}
	f.Fuzz(func(t *testing.T, line []byte) {
		l, err := parseImportLine(line, apis)
		if err != nil && len(l.Secret) == 0 {
			// The secret a line holds, if the line decodes.
			var probe importLine
			_ = jsonUnmarshalLoose(line, &probe)
			if len(probe.Secret) >= 8 && strings.Contains(err.Error(), probe.Secret) {
				t.Fatalf("error %q quotes the secret", err)
			}
		}
	})
}

func jsonUnmarshalLoose(b []byte, v any) error { return json.Unmarshal(b, v) }

// No --db, or a SQLite file that does not exist, is refused: it would
// import into a new empty database rather than the one mint serves.
func TestImportClientsNeedsAnExistingDB(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.db")
	for _, args := range [][]string{
		{"import", "clients", "x.jsonl"},
		{"import", "clients", "--db", missing, "x.jsonl"},
	} {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut,
			Extensions{OpenStore: server.OpenStore})
		if code == 0 {
			t.Errorf("%q: exit 0", args)
		}
		if _, err := os.Stat(missing); err == nil {
			t.Fatalf("%q created %s", args, missing)
		}
	}
}
