package apply

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/testdb"
)

var t0 = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// planFile plans the file's contents against the store.
func planFile(t *testing.T, ctx context.Context, s mint.Store, src string, prune bool) *Plan {
	t.Helper()
	cfg, err := LoadBytes("f.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	state, err := ReadState(ctx, s)
	if err != nil {
		t.Fatalf("ReadState: %v", err)
	}
	p, err := MakePlan(cfg, state, prune)
	if err != nil {
		t.Fatalf("MakePlan: %v", err)
	}
	return p
}

func applyPlan(t *testing.T, ctx context.Context, s mint.Store, p *Plan) []NewSecret {
	t.Helper()
	secrets, err := Apply(ctx, s.(mint.Applier), p, Options{Actor: "test", Source: "local", Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return secrets
}

// steps lists a plan's steps as "+ kind name" and its fields as
// "field: from → to".
func steps(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, opMarks[s.Op]+" "+s.Kind+" "+s.Name)
		if s.Op == mint.OpUpdate {
			for _, f := range s.Fields {
				out = append(out, "  "+f.Field+": "+f.From+" → "+f.To)
			}
		}
	}
	return out
}

func wantSteps(t *testing.T, p *Plan, want ...string) {
	t.Helper()
	got := steps(p)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func readExample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApply(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Run("CreateThenNothing", func(t *testing.T) { testCreateThenNothing(t, testdb.Open(t, backend)) })
			t.Run("FieldLevelUpdate", func(t *testing.T) { testFieldUpdate(t, testdb.Open(t, backend)) })
			t.Run("Prune", func(t *testing.T) { testPrune(t, testdb.Open(t, backend)) })
			t.Run("RacingAdminChange", func(t *testing.T) { testRace(t, testdb.Open(t, backend)) })
			t.Run("AdminAPI", func(t *testing.T) { testAdminAPI(t, testdb.Open(t, backend)) })
		})
	}
}

func testCreateThenNothing(t *testing.T, s mint.Store) {
	ctx := ctxOf(t)
	src := readExample(t)
	p := planFile(t, ctx, s, src, false)
	if c, u, d := p.Counts(); c != 6 || u != 0 || d != 0 {
		t.Fatalf("plan counts %d/%d/%d, want 6 creates", c, u, d)
	}
	secrets := applyPlan(t, ctx, s, p)
	if len(secrets) != 2 {
		t.Fatalf("%d new secrets, want 2", len(secrets))
	}
	for _, ns := range secrets {
		stored, err := s.ListSecrets(ctx, ns.ClientID)
		if err != nil || len(stored) != 1 || !secret.Match(ns.Secret, stored[0].Digest) {
			t.Fatalf("client %s: stored secrets %v (%v) do not match the one handed out", ns.ClientID, len(stored), err)
		}
	}
	api, err := s.GetAPIByAudience(ctx, "https://ledger.example.com")
	if err != nil || api.SigningAlg != mint.AlgES256 || api.AuditIssuance != "sample:10" || !api.TokenReuse || api.TokenLifetime != mint.DefaultTokenLifetime {
		t.Fatalf("ledger API = %+v (%v), not as the file says", api, err)
	}
	// Idempotent: the same file again plans nothing.
	wantSteps(t, planFile(t, ctx, s, src, false))
	wantSteps(t, planFile(t, ctx, s, src, true))

	records, err := s.(mint.AuditStore).ListAudit(ctx, mint.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range records {
		kinds = append(kinds, r.Kind)
		for _, ns := range secrets {
			if strings.Contains(string(r.Details), ns.Secret) {
				t.Fatalf("audit record %s holds a secret", r.Kind)
			}
		}
		if !strings.Contains(string(r.Details), `"via":"mint apply"`) || r.Actor != "test" {
			t.Fatalf("audit record %s: actor %q, details %s", r.Kind, r.Actor, r.Details)
		}
	}
	want := "admin.apis.create admin.apis.create admin.clients.create admin.clients.create admin.grants.create admin.grants.create"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("audit kinds = %v, want %s", kinds, want)
	}
}

func testFieldUpdate(t *testing.T, s mint.Store) {
	ctx := ctxOf(t)
	src := readExample(t)
	applyPlan(t, ctx, s, planFile(t, ctx, s, src, false))
	edited := strings.Replace(src, "tokens_per_hour: 1000", "tokens_per_hour: 2000", 1)
	edited = strings.Replace(edited, "    scopes: [invoices:read, invoices:write]\n  - client", "    scopes: [invoices:read]\n  - client", 1)
	edited = strings.Replace(edited, "name: Ledger\n", "name: General ledger\n", 1)
	p := planFile(t, ctx, s, edited, false)
	wantSteps(t, p,
		"~ api https://ledger.example.com", `  name: "Ledger" → "General ledger"`,
		"~ client billing-worker", "  tokens_per_hour: 1000 → 2000",
		"~ grant billing-worker → https://billing.example.com", "  scopes: [invoices:read, invoices:write] → [invoices:read]")
	applyPlan(t, ctx, s, p)
	wantSteps(t, planFile(t, ctx, s, edited, false))
	c, err := s.GetClient(ctx, "billing-worker")
	if err != nil || c.TokensPerHour == nil || *c.TokensPerHour != 2000 || c.Name != "Billing worker" {
		t.Fatalf("client after the update = %+v (%v)", c, err)
	}
	// Removing the quota from the file puts it back to the server's default.
	p = planFile(t, ctx, s, strings.Replace(edited, "    tokens_per_hour: 2000\n", "", 1), false)
	wantSteps(t, p, "~ client billing-worker", "  tokens_per_hour: 2000 → null")
}

func testPrune(t *testing.T, s mint.Store) {
	ctx := ctxOf(t)
	src := readExample(t)
	applyPlan(t, ctx, s, planFile(t, ctx, s, src, false))
	if err := s.CreateAPI(ctx, mint.API{ID: "api_admin", Name: "admin", Audience: mint.AdminAudience, Scopes: mint.AdminScopes, TokenLifetime: time.Hour, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	// Without the ledger's API, client and grant.
	cut := src[:strings.Index(src, "  - audience: https://ledger")] + "\nclients:\n" +
		src[strings.Index(src, "  - id: billing-worker"):strings.Index(src, "  - id: ledger-auditor")] + "\ngrants:\n" +
		src[strings.Index(src, "  - client: billing-worker"):strings.Index(src, "  - client: ledger-auditor")]
	wantSteps(t, planFile(t, ctx, s, cut, false))
	p := planFile(t, ctx, s, cut, true)
	wantSteps(t, p, "- grant ledger-auditor → https://ledger.example.com", "- client ledger-auditor", "- api https://ledger.example.com")
	applyPlan(t, ctx, s, p)
	if _, err := s.GetAPIByAudience(ctx, mint.AdminAudience); err != nil {
		t.Fatalf("the built-in admin API was pruned: %v", err)
	}
	if _, err := s.GetClient(ctx, "ledger-auditor"); !errors.Is(err, mint.ErrNotFound) {
		t.Fatalf("pruned client: GetClient error %v, want ErrNotFound", err)
	}
	wantSteps(t, planFile(t, ctx, s, cut, true))

	// An admin client (as mint serve makes on a new database) that the
	// files forget: pruning it would lock every admin out.
	if err := s.CreateClient(ctx, mint.Client{ID: "admin-client", Name: "admin", CreatedAt: t0, UpdatedAt: t0},
		mint.Secret{ID: "sec_admin", ClientID: "admin-client", Digest: make([]byte, 32), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateGrant(ctx, mint.Grant{ID: "grant_admin", ClientID: "admin-client", Audience: mint.AdminAudience,
		Scopes: mint.AdminScopes, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadBytes("f.yaml", []byte(cut))
	if err != nil {
		t.Fatal(err)
	}
	state, err := ReadState(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MakePlan(cfg, state, true); err == nil || !strings.Contains(err.Error(), "all access to the admin API") {
		t.Fatalf("a prune deleting every admin grant: error %v, want a refusal naming the admin API", err)
	}
	if _, err := MakePlan(cfg, state, false); err != nil {
		t.Fatalf("without --prune the same files plan: %v", err)
	}
}

func testRace(t *testing.T, s mint.Store) {
	ctx := ctxOf(t)
	src := readExample(t)
	applyPlan(t, ctx, s, planFile(t, ctx, s, src, false))
	p := planFile(t, ctx, s, strings.Replace(src, "tokens_per_hour: 1000", "tokens_per_hour: 5", 1), false)
	// Another admin changes the client between plan and apply.
	_, err := s.UpdateClient(ctx, "billing-worker", func(c mint.Client) (mint.Client, error) {
		c.Name, c.UpdatedAt = "renamed by an admin", t0.Add(time.Minute)
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Apply(ctx, s.(mint.Applier), p, Options{Now: func() time.Time { return t0 }})
	if !errors.Is(err, mint.ErrStateChanged) {
		t.Fatalf("Apply after a racing change: %v, want ErrStateChanged", err)
	}
	c, _ := s.GetClient(ctx, "billing-worker")
	if c.Name != "renamed by an admin" || *c.TokensPerHour != 1000 {
		t.Fatalf("client = %q with %d tokens/hour: the refused plan changed it or lost the admin's change", c.Name, *c.TokensPerHour)
	}
}

func testAdminAPI(t *testing.T, s mint.Store) {
	ctx := ctxOf(t)
	admin := "version: 1\napis:\n  - audience: urn:mint:admin\n    name: mint admin API\n    scopes: [" + strings.Join(mint.AdminScopes, ", ") + "]\n"
	cfg, err := LoadBytes("f.yaml", []byte(admin))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MakePlan(cfg, State{}, false); err == nil || !strings.Contains(err.Error(), "f.yaml:3:5: apis[0].audience: the built-in admin API is made by mint serve") {
		t.Fatalf("planning the admin API where there is none: %v", err)
	}
	reversed := make([]string, len(mint.AdminScopes))
	for i, sc := range mint.AdminScopes {
		reversed[len(reversed)-1-i] = sc
	}
	if err := s.CreateAPI(ctx, mint.API{ID: "api_admin", Name: "mint admin API", Audience: mint.AdminAudience, Scopes: reversed,
		TokenLifetime: mint.DefaultTokenLifetime, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	wantSteps(t, planFile(t, ctx, s, admin, false)) // the same scopes in another order: no change
	cfg, _ = LoadBytes("f.yaml", []byte(strings.Replace(admin, "audit:read", "audit:write", 1)))
	state, _ := ReadState(ctx, s)
	if _, err := MakePlan(cfg, state, false); err == nil || !strings.Contains(err.Error(), "apis[0].scopes: the scopes of the built-in admin API cannot change") {
		t.Fatalf("planning other admin scopes: %v", err)
	}
}

func TestPlanReferences(t *testing.T) {
	state := State{
		APIs:    []mint.API{{ID: "api_1", Audience: "https://stored.example.com", Scopes: []string{"read"}}},
		Clients: []mint.Client{{ID: "stored-client"}},
	}
	tests := []struct {
		name, grants string
		prune        bool
		want         string // "" for no problem
	}{
		{"StoredClientAndAPI", "{client: stored-client, audience: https://stored.example.com, scopes: [read]}", false, ""},
		{"StoredClientPruned", "{client: stored-client, audience: https://a.example.com, scopes: [read]}", true,
			`f.yaml:9:6: grants[0].client: no client has the id "stored-client" in the files (--prune`},
		{"StoredAPIPruned", "{client: c, audience: https://stored.example.com, scopes: [read]}", true,
			`grants[0].audience: no API has the audience "https://stored.example.com" in the files`},
		{"NoSuchClient", "{client: ghost, audience: https://a.example.com, scopes: []}", false,
			`grants[0].client: no client has the id "ghost" in the files or the store`},
		{"NoSuchAPI", "{client: c, audience: https://ghost.example.com, scopes: []}", false,
			`grants[0].audience: no API has the audience "https://ghost.example.com"`},
		{"ScopeNotOfTheAPI", "{client: c, audience: https://a.example.com, scopes: [write]}", false,
			`grants[0].scopes: scope "write" is not a scope of the API https://a.example.com`},
		{"ScopeOfTheStoredAPI", "{client: c, audience: https://stored.example.com, scopes: [write]}", false,
			`grants[0].scopes: scope "write" is not a scope`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := okAPI + "clients:\n  - {id: c, name: C}\ngrants:\n  - " + tt.grants + "\n"
			cfg, err := LoadBytes("f.yaml", []byte(src))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			_, err = MakePlan(cfg, state, tt.prune)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("MakePlan: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("MakePlan: %v, want a problem containing %q", err, tt.want)
			}
		})
	}
}
