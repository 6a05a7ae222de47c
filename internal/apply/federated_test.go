package apply

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

func readFederated(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/federated.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	ghaRule = "gha-deployer ← https://token.actions.githubusercontent.com sub \"repo:acme/deploy:ref:refs/heads/main\""
	k8sRule = "gha-deployer ← https://kubernetes.default.svc sub \"system:serviceaccount:deploy:runner\""
	keyRule = "signer ← its keys at https://signer.example.com/.well-known/jwks.json"
)

func TestApplyFederated(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Run("CreateThenNothing", func(t *testing.T) { testRulesCreate(t, testdb.Open(t, backend)) })
			t.Run("ChangedRuleIsAnotherRule", func(t *testing.T) { testRulesChange(t, testdb.Open(t, backend)) })
			t.Run("PrunedClientLosesRulesFirst", func(t *testing.T) { testRulesPruneClient(t, testdb.Open(t, backend)) })
			t.Run("AdminRuleMakesPlanStale", func(t *testing.T) { testRulesRace(t, testdb.Open(t, backend)) })
			t.Run("TokenBinding", func(t *testing.T) { testTokenBinding(t, testdb.Open(t, backend)) })
		})
	}
}

func rulesOfClient(t *testing.T, s mint.Store, clientID string) []mint.FederatedCredential {
	t.Helper()
	rules, err := s.(mint.FederatedStore).ListFederatedCredentials(ctxOf(t), clientID)
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

func testRulesCreate(t *testing.T, s mint.Store) {
	ctx := ctxOf(t)
	src := readFederated(t)
	p := planFile(t, ctx, s, src, false)
	wantSteps(t, p, "+ api https://deploy.example.com", "+ client gha-deployer", "+ federated credential "+ghaRule,
		"+ federated credential "+k8sRule, "+ client signer", "+ federated credential "+keyRule,
		"+ grant gha-deployer → https://deploy.example.com")
	applyPlan(t, ctx, s, p)

	rules := rulesOfClient(t, s, "gha-deployer")
	if len(rules) != 2 {
		t.Fatalf("gha-deployer has %d rules, want 2", len(rules))
	}
	gha, k8s := rules[0], rules[1]
	if gha.Issuer != "https://token.actions.githubusercontent.com" || gha.MaxAge != 15*time.Minute ||
		gha.Claims["repository"] != "acme/deploy" || len(gha.Claims) != 2 || gha.Audience != "https://mint.example.com" {
		t.Fatalf("GitHub rule stored as %+v", gha)
	}
	if k8s.MaxAge != time.Hour || k8s.JWKSURI != "https://k8s.example.com/openid/v1/jwks" || k8s.Claims != nil {
		t.Fatalf("Kubernetes rule stored as %+v, want the default max_age of an hour", k8s)
	}
	// The admin API's key location: the client's id as issuer and subject.
	key := rulesOfClient(t, s, "signer")
	if len(key) != 1 || key[0].Issuer != "signer" || key[0].Subject != "signer" || key[0].MaxAge != 10*time.Minute {
		t.Fatalf("signer's key location stored as %+v", key)
	}
	// The token path finds the rule.
	found, err := s.(mint.FederatedStore).FindFederatedCredentials(ctx, gha.Issuer, gha.Subject)
	if err != nil || len(found) != 1 || found[0].ClientID != "gha-deployer" {
		t.Fatalf("FindFederatedCredentials = %v (%v)", found, err)
	}

	// Idempotent, with and without --prune.
	wantSteps(t, planFile(t, ctx, s, src, false))
	wantSteps(t, planFile(t, ctx, s, src, true))

	records, err := s.(mint.AuditStore).ListAudit(ctx, mint.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range records {
		if r.Kind != "admin.clients.federated-credentials.create" {
			continue
		}
		n++
		if !strings.HasPrefix(r.Subject, "fed_") || r.ClientID == "" || !strings.Contains(string(r.Details), `"via":"mint apply"`) {
			t.Fatalf("rule audit record %+v", r)
		}
	}
	if n != 3 {
		t.Fatalf("%d audit records of rules created, want 3", n)
	}

	// The export declares the same rules: applied, it changes nothing.
	state, err := ReadState(ctx, s)
	must(t, err)
	out, err := Export(state)
	must(t, err)
	wantSteps(t, planFile(t, ctx, s, string(out), true))
	if !strings.Contains(string(out), "federated_credentials:\n      - jwks_uri: https://signer.example.com/.well-known/jwks.json") {
		t.Fatalf("the export shows the key location otherwise:\n%s", out)
	}
}

func testRulesChange(t *testing.T, s mint.Store) {
	ctx := ctxOf(t)
	src := readFederated(t)
	applyPlan(t, ctx, s, planFile(t, ctx, s, src, false))
	old := rulesOfClient(t, s, "gha-deployer")[0]
	edited := strings.Replace(src, "max_age: 900", "max_age: 600", 1)

	// Without --prune the edited rule is added and the old one stays.
	wantSteps(t, planFile(t, ctx, s, edited, false), "+ federated credential "+ghaRule)
	// With it, the old one goes first.
	p := planFile(t, ctx, s, edited, true)
	wantSteps(t, p, "- federated credential "+ghaRule, "+ federated credential "+ghaRule)
	applyPlan(t, ctx, s, p)
	rules := rulesOfClient(t, s, "gha-deployer")
	if len(rules) != 2 || rules[0].ID == old.ID && rules[1].ID == old.ID {
		t.Fatalf("rules after the change: %+v", rules)
	}
	for _, r := range rules {
		if r.ID == old.ID {
			t.Fatalf("the old rule %s stayed", old.ID)
		}
	}
	wantSteps(t, planFile(t, ctx, s, edited, true))

	// Dropping the list: kept without --prune, deleted with it.
	cut := edited[:strings.Index(edited, "    federated_credentials:\n      - issuer: https://token")] +
		edited[strings.Index(edited, "  - id: signer"):]
	wantSteps(t, planFile(t, ctx, s, cut, false))
	p = planFile(t, ctx, s, cut, true)
	if c, u, d := p.Counts(); c != 0 || u != 0 || d != 2 {
		t.Fatalf("plan %v, want the two rules deleted", steps(p))
	}
}

func testRulesPruneClient(t *testing.T, s mint.Store) {
	ctx := ctxOf(t)
	src := readFederated(t)
	applyPlan(t, ctx, s, planFile(t, ctx, s, src, false))
	cut := src[:strings.Index(src, "  - id: signer")] + "\n" + src[strings.Index(src, "grants:"):]
	p := planFile(t, ctx, s, cut, true)
	wantSteps(t, p, "- federated credential "+keyRule, "- client signer")
	applyPlan(t, ctx, s, p)
	if _, err := s.GetClient(ctx, "signer"); !errors.Is(err, mint.ErrNotFound) {
		t.Fatalf("pruned client: %v", err)
	}
}

func testRulesRace(t *testing.T, s mint.Store) {
	ctx := ctxOf(t)
	src := readFederated(t)
	applyPlan(t, ctx, s, planFile(t, ctx, s, src, false))
	p := planFile(t, ctx, s, strings.Replace(src, "name: Deploy\n", "name: Deploys\n", 1), false)
	// Another admin adds a rule after the plan was made.
	fs := s.(mint.FederatedStore)
	extra := mint.FederatedCredential{ID: "fed_admin", ClientID: "signer", Issuer: "https://idp.example.com",
		Subject: "svc", Audience: "https://mint.example.com", MaxAge: time.Hour, CreatedAt: t0}
	must(t, fs.CreateFederatedCredential(ctx, extra))
	if _, err := Apply(ctx, s.(mint.Applier), p, Options{Actor: "test"}); !errors.Is(err, mint.ErrStateChanged) {
		t.Fatalf("Apply after an admin's rule: %v, want ErrStateChanged", err)
	}
	api, err := s.GetAPIByAudience(ctx, "https://deploy.example.com")
	if err != nil || api.Name != "Deploy" {
		t.Fatalf("API after a refused plan = %q (%v)", api.Name, err)
	}
}

func testTokenBinding(t *testing.T, s mint.Store) {
	ctx := ctxOf(t)
	src := readFederated(t)
	applyPlan(t, ctx, s, planFile(t, ctx, s, src, false))
	api, err := s.GetAPIByAudience(ctx, "https://deploy.example.com")
	must(t, err)
	c, err := s.GetClient(ctx, "gha-deployer")
	must(t, err)
	if api.TokenBinding != mint.BindingDPoP || c.TokenBinding != mint.BindingDPoP {
		t.Fatalf("token bindings stored: API %q, client %q; want dpop", api.TokenBinding, c.TokenBinding)
	}
	edited := strings.Replace(src, "    token_binding: dpop\n    federated", "    token_binding: mtls\n    federated", 1)
	edited = strings.Replace(edited, "    scopes: [deploy]\n    token_binding: dpop\n", "    scopes: [deploy]\n", 1)
	p := planFile(t, ctx, s, edited, false)
	wantSteps(t, p, "~ api https://deploy.example.com", `  token_binding: "dpop" → ""`,
		"~ client gha-deployer", `  token_binding: "dpop" → "mtls"`)
	applyPlan(t, ctx, s, p)
	c, err = s.GetClient(ctx, "gha-deployer")
	must(t, err)
	if c.TokenBinding != mint.BindingMTLS {
		t.Fatalf("client token binding = %q, want mtls", c.TokenBinding)
	}
	wantSteps(t, planFile(t, ctx, s, edited, true))
}

// TestFederatedProblems: a rule the admin API refuses is refused before
// anything changes, at its line, with the field at fault.
func TestFederatedProblems(t *testing.T) {
	const head = "version: 1\nclients:\n  - id: c\n    name: C\n    federated_credentials:\n"
	rule := func(fields string) string { return head + "      - " + fields + "\n" }
	const ok = "issuer: https://idp.example.com, subject: svc, audience: https://mint.example.com"
	for _, tt := range []struct {
		name, src, want string
	}{
		{"PlainHTTPIssuer", rule("{issuer: http://idp.example.com, subject: svc, audience: a}"),
			"f.yaml:6:10: clients[0].federated_credentials[0].issuer: issuer must use https"},
		{"SubjectIsIssuer", rule("{issuer: https://idp.example.com, subject: https://idp.example.com, audience: a}"),
			"clients[0].federated_credentials[0].subject: subject must differ from issuer"},
		{"RegisteredClaim", rule("{" + ok + ", claims: {aud: x}}"), "clients[0].federated_credentials[0].claims: claims must not set \"aud\""},
		{"ClaimNotText", rule("{" + ok + ", claims: {run: 1}}"), "clients[0].federated_credentials[0].claims.run: must be a string"},
		{"MaxAgeZero", rule("{" + ok + ", max_age: 0}"), "clients[0].federated_credentials[0].max_age: max_age must be 1 to 86400 seconds"},
		{"MaxAgeTooLong", rule("{" + ok + ", max_age: 86401}"), "max_age must be 1 to 86400 seconds"},
		{"NoAudience", rule("{issuer: https://idp.example.com, subject: svc}"),
			"clients[0].federated_credentials[0].audience: audience is required in a file"},
		{"ControlInSubject", rule(`{issuer: https://idp.example.com, subject: "a\nb", audience: a}`), "subject must not contain control characters"},
		{"UnknownField", rule("{" + ok + ", subjet: x}"), `clients[0].federated_credentials[0].subjet: unknown field "subjet"`},
		{"Twice", head + "      - {" + ok + "}\n      - {" + ok + "}\n",
			"f.yaml:7:9: clients[0].federated_credentials[1]: the same federated credential is declared twice (first as federated_credentials[0])"},
		{"TwiceByDefault", head + "      - {" + ok + "}\n      - {" + ok + ", max_age: 3600}\n", "declared twice"},
		{"TooMany", head + strings.Repeat("      - {"+ok+"}\n", 21), "a client holds at most 20 federated credentials; 21 are declared"},
		{"JWKSURIHTTP", rule("{jwks_uri: http://keys.example.com/jwks}"), "clients[0].federated_credentials[0].jwks_uri: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("f.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load: %v, want a problem with %q", err, tt.want)
			}
		})
	}
}

// TestFederatedAudienceOfAnAPI: a rule whose audience is one of this
// server's APIs, in the files or (without --prune) the store, is refused:
// it would accept mint's own access tokens.
func TestFederatedAudienceOfAnAPI(t *testing.T) {
	src := "version: 1\napis:\n  - {audience: https://api.example.com, name: A}\nclients:\n  - id: c\n    name: C\n" +
		"    federated_credentials:\n      - {issuer: https://idp.example.com, subject: s, audience: %s}\n"
	stored := State{APIs: []mint.API{{ID: "api_1", Audience: "https://stored.example.com"}}}
	for _, tt := range []struct {
		aud   string
		prune bool
		bad   bool
	}{
		{"https://api.example.com", false, true},
		{"https://stored.example.com", false, true},
		{"https://stored.example.com", true, false}, // pruned with the plan
		{mint.AdminAudience, true, true},
		{"https://mint.example.com", false, false},
	} {
		cfg, err := LoadBytes("f.yaml", []byte(strings.Replace(src, "%s", tt.aud, 1)))
		must(t, err)
		_, err = MakePlan(cfg, stored, tt.prune)
		if got := err != nil && strings.Contains(err.Error(), "f.yaml:8:55: clients[0].federated_credentials[0].audience: audience must not be an API's audience"); got != tt.bad {
			t.Errorf("audience %s, prune %v: MakePlan error %v, want refused: %v", tt.aud, tt.prune, err, tt.bad)
		}
	}
}

// TestFederatedBoundWithStored: without --prune, the rules a client keeps
// count towards its bound.
func TestFederatedBoundWithStored(t *testing.T) {
	var state State
	state.Clients = []mint.Client{{ID: "c"}}
	for i := range mint.MaxFederatedCredentials {
		state.Rules = append(state.Rules, mint.FederatedCredential{ID: "fed_" + string(rune('a'+i)), ClientID: "c",
			Issuer: "https://idp.example.com", Subject: "s" + string(rune('a'+i)), Audience: "x", MaxAge: time.Hour})
	}
	cfg, err := LoadBytes("f.yaml", []byte("version: 1\nclients:\n  - id: c\n    name: C\n    federated_credentials:\n"+
		"      - {issuer: https://idp.example.com, subject: new, audience: x}\n"))
	must(t, err)
	if _, err := MakePlan(cfg, state, false); err == nil || !strings.Contains(err.Error(), "would hold 21 federated credentials") {
		t.Fatalf("MakePlan without --prune: %v, want the bound", err)
	}
	p, err := MakePlan(cfg, state, true)
	must(t, err)
	if c, _, d := p.Counts(); c != 1 || d != mint.MaxFederatedCredentials {
		t.Fatalf("with --prune: %d creates, %d deletes", c, d)
	}
	// Deletes come before the create, so the bound holds in between.
	if p.Steps[len(p.Steps)-1].Op != mint.OpCreate {
		t.Fatalf("the create is not last: %v", steps(p))
	}
}
