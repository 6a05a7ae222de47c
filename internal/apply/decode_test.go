package apply

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// problemsOf loads src as the file f.yaml and returns its problems.
func problemsOf(t *testing.T, src string) Problems {
	t.Helper()
	_, err := LoadBytes("f.yaml", []byte(src))
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v is not Problems", err)
	}
	return ps
}

const okAPI = `version: 1
apis:
  - audience: https://a.example.com
    name: A
    scopes: [read]
`

func TestLoadRefusesWithFileLineAndField(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		field     string
		msg       string
	}{
		{"UnknownTopLevel", "version: 1\nfederated_credentials: []\n", 2, "federated_credentials", `unknown field "federated_credentials"`},
		{"UnknownAPIField", okAPI + "    token_lifetme: 60\n", 6, "apis[0].token_lifetme", "unknown field"},
		{"UnknownClientField", "version: 1\nclients:\n  - id: c\n    name: C\n    secret: hunter2hunter2\n", 5, "clients[0].secret", "unknown field"},
		{"FieldTwice", okAPI + "    name: B\n", 6, "apis[0].name", "given twice"},
		{"LifetimeNotANumber", okAPI + "    token_lifetime: soon\n", 6, "apis[0].token_lifetime", "must be a whole number"},
		{"LifetimeTooShort", okAPI + "    token_lifetime: 10\n", 6, "apis[0].token_lifetime", "token_lifetime must be 60 to"},
		{"NameNotText", "version: 1\nclients:\n  - id: c\n    name: 123\n", 4, "clients[0].name", "quote it"},
		{"ScopesNotAList", "version: 1\napis:\n  - audience: a\n    name: A\n    scopes: read\n", 5, "apis[0].scopes", "must be a list of strings"},
		{"ScopeTwice", "version: 1\napis:\n  - audience: a\n    name: A\n    scopes: [r, r]\n", 5, "apis[0].scopes", "listed twice"},
		{"BadAlg", okAPI + "    signing_alg: HS256\n", 6, "apis[0].signing_alg", "signing_alg must be one of"},
		{"BadAuditIssuance", okAPI + "    audit_issuance: sometimes\n", 6, "apis[0].audit_issuance", ""},
		{"AdminAudienceCase", "version: 1\napis:\n  - audience: URN:MINT:ADMIN\n    name: A\n    scopes: []\n", 3, "apis[0].audience", "built-in admin API"},
		{"APITwice", okAPI + "  - audience: https://a.example.com\n    name: A2\n    scopes: []\n", 6, "apis[1].audience", "declared twice (first at f.yaml:3)"},
		{"NegativeQuota", "version: 1\nclients:\n  - id: c\n    name: C\n    tokens_per_hour: -5\n", 5, "clients[0].tokens_per_hour", "tokens_per_hour must be null"},
		{"ClientIDSpace", "version: 1\nclients:\n  - id: a b\n    name: C\n", 3, "clients[0].id", "only letters, digits"},
		{"ClientIDSlash", "version: 1\nclients:\n  - id: ../etc\n    name: C\n", 3, "clients[0].id", "only letters, digits"},
		{"ClientIDDots", "version: 1\nclients:\n  - id: ..\n    name: C\n", 3, "clients[0].id", "only dots"},
		{"ClientTwice", "version: 1\nclients:\n  - id: c\n    name: C\n  - id: c\n    name: D\n", 5, "clients[1].id", "declared twice"},
		{"NoName", "version: 1\nclients:\n  - id: c\n", 3, "clients[0].name", "name is required"},
		{"BadJWKS", "version: 1\nclients:\n  - id: c\n    name: C\n    jwks: {keys: [{kty: oct, k: AAAA}]}\n", 5, "clients[0].jwks", "jwks"},
		{"JWKSNotAMapping", "version: 1\nclients:\n  - id: c\n    name: C\n    jwks: keys\n", 5, "clients[0].jwks", "must be a mapping"},
		{"MetadataNumber", "version: 1\nclients:\n  - id: c\n    name: C\n    metadata:\n      tier: 1\n", 6, "clients[0].metadata.tier", "must be a string: quote it"},
		{"MetadataBoolean", "version: 1\nclients:\n  - id: c\n    name: C\n    metadata: {vip: true}\n", 5, "clients[0].metadata.vip", "must be a string"},
		{"MetadataList", "version: 1\nclients:\n  - id: c\n    name: C\n    metadata: {tier: [gold]}\n", 5, "clients[0].metadata.tier", "must be a string"},
		{"MetadataNested", "version: 1\nclients:\n  - id: c\n    name: C\n    metadata: {tier: {a: b}}\n", 5, "clients[0].metadata.tier", "must be a string"},
		{"MetadataBadKey", "version: 1\nclients:\n  - id: c\n    name: C\n    metadata: {\"ti er\": gold}\n", 5, "clients[0].metadata", "may hold only"},
		{"MetadataNotAMapping", "version: 1\nclients:\n  - id: c\n    name: C\n    metadata: tier=gold\n", 5, "clients[0].metadata", "must be a mapping"},
		{"PolicyDoesNotCompile", okAPI + "    policy: client.nmae == 'x'\n", 6, "apis[0].policy", "undefined field"},
		{"PolicyRegisteredClaim", okAPI + "    policy: 'claims({\"sub\": \"admin\"})'\n", 6, "apis[0].policy", "registered"},
		{"ClientPolicyWrongType", "version: 1\nclients:\n  - id: c\n    name: C\n    policy: client.id\n", 5, "clients[0].policy", "must give a bool or a map"},
		{"GrantTwice", "version: 1\ngrants:\n  - {client: c, audience: a, scopes: []}\n  - {client: c, audience: a, scopes: []}\n", 4, "grants[1]", "declared twice"},
		{"GrantNoClient", "version: 1\ngrants:\n  - {audience: a, scopes: []}\n", 3, "grants[0].client", "client is required"},
		{"Alias", "version: 1\napis:\n  - &x {audience: a, name: A, scopes: []}\n  - *x\n", 3, "", "aliases"},
		{"MergeKey", "version: 1\napis:\n  - audience: a\n    <<: {name: A}\n", 4, "", "merge keys"},
		{"TwoDocuments", okAPI + "---\nversion: 1\n", 6, "", "one YAML document"},
		{"Syntax", "version: 1\napis: [\n", 2, "", "not valid YAML"},
		{"NoVersion", "apis: []\n", 1, "version", "version is required"},
		{"WrongVersion", "version: 2\n", 1, "version", "version must be 1"},
		{"VersionText", "version: \"1\"\n", 1, "version", "must be a whole number"},
		{"Empty", "", 0, "", "the file is empty"},
		{"TopLevelList", "- a\n", 1, "", "must be a mapping"},
		{"APIsNotAList", "version: 1\napis: {audience: a}\n", 2, "apis", "must be a list"},
		{"FieldNameNotScalar", "version: 1\n[a]: b\n", 2, "", "plain word"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.src)
			if len(ps) == 0 {
				t.Fatalf("loaded without a problem, want one at line %d (%s)", tt.line, tt.msg)
			}
			p := ps[0]
			if p.File != "f.yaml" || p.Line != tt.line || p.Field != tt.field || !strings.Contains(p.Msg, tt.msg) {
				t.Fatalf("problem = %q, want f.yaml line %d field %q containing %q (all: %v)", p, tt.line, tt.field, tt.msg, ps)
			}
		})
	}
}

func TestLoadReportsSeveralProblemsAtOnce(t *testing.T) {
	src := "version: 1\nclients:\n  - id: a b\n    name: C\n  - id: ok\n    name: \"\"\n  - id: ok2\n    name: D\n    tokens_per_day: -1\n"
	ps := problemsOf(t, src)
	if len(ps) != 3 {
		t.Fatalf("problems = %v, want 3 (id, name, tokens_per_day)", ps)
	}
	got := []string{ps[0].Field, ps[1].Field, ps[2].Field}
	want := []string{"clients[0].id", "clients[1].name", "clients[2].tokens_per_day"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("fields = %v, want %v", got, want)
	}
}

func TestLoadBoundsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nclients:\n")
	for range 100 {
		b.WriteString("  - id: \"a b\"\n    name: C\n")
	}
	if ps := problemsOf(t, b.String()); len(ps) != maxErrors {
		t.Fatalf("%d problems reported, want at most %d", len(ps), maxErrors)
	}
}

func TestLoadExample(t *testing.T) {
	cfg, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(cfg.APIs) != 2 || len(cfg.Clients) != 2 || len(cfg.Grants) != 2 {
		t.Fatalf("loaded %d APIs, %d clients, %d grants; want 2, 2, 2", len(cfg.APIs), len(cfg.Clients), len(cfg.Grants))
	}
	if v := cfg.Clients[0].V.TokensPerHour; v == nil || *v != 1000 {
		t.Fatalf("tokens_per_hour = %v, want 1000", v)
	}
	if v := cfg.Clients[1].V.TokensPerDay; v == nil || *v != 0 {
		t.Fatalf("tokens_per_day = %v, want 0 (unlimited), not null", v)
	}
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "10-apis.yaml", okAPI)
	write(t, dir, "20-clients.yml", "version: 1\nclients:\n  - id: c\n    name: C\ngrants:\n  - {client: c, audience: https://a.example.com, scopes: [read]}\n")
	write(t, dir, ".hidden.yaml", "not: [valid")
	write(t, dir, "README.md", "not yaml")
	cfg, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(dir): %v", err)
	}
	if len(cfg.APIs) != 1 || len(cfg.Clients) != 1 || len(cfg.Grants) != 1 {
		t.Fatalf("loaded %d APIs, %d clients, %d grants from the directory; want 1 each", len(cfg.APIs), len(cfg.Clients), len(cfg.Grants))
	}
	// A resource repeated across files names both places.
	write(t, dir, "30-again.yaml", okAPI)
	_, err = Load(dir)
	var ps Problems
	if !errors.As(err, &ps) || !strings.Contains(ps[0].String(), "30-again.yaml:3:") || !strings.Contains(ps[0].Msg, "10-apis.yaml:3") {
		t.Fatalf("Load(dir) with an API in two files: %v, want the second file's line naming the first", err)
	}
	if _, err := Load(t.TempDir()); err == nil {
		t.Fatal("Load of a directory without YAML files succeeded")
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRefusesKeyTwiceInJWKS(t *testing.T) {
	ps := problemsOf(t, "version: 1\nclients:\n  - id: c\n    name: C\n    jwks:\n      keys: []\n      keys: []\n")
	if len(ps) == 0 || ps[0].Field != "clients[0].jwks" || !strings.Contains(ps[0].Msg, "already defined") {
		t.Fatalf("problems = %v, want clients[0].jwks with a key given twice", ps)
	}
}
