package apply

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

// TestApplyPolicies: policies and metadata are created, shown field by
// field in a plan when they change, applied, exported and planned again as
// no change, on both backends.
func TestApplyPolicies(t *testing.T) {
	src, err := os.ReadFile("testdata/policies.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := ctxOf(t)
			s := testdb.Open(t, backend)
			applyPlan(t, ctx, s, planFile(t, ctx, s, string(src), false))
			wantSteps(t, planFile(t, ctx, s, string(src), false))

			c, err := s.GetClient(ctx, "partner-acme")
			if err != nil {
				t.Fatal(err)
			}
			if c.Metadata["tier"] != "gold" || c.Metadata["partner_id"] != "4711" || len(c.Metadata) != 2 {
				t.Errorf("applied metadata %v", c.Metadata)
			}

			changed := `version: 1
apis:
  - audience: https://orders.example.com
    name: Orders
    scopes: [orders:read, orders:write]
clients:
  - id: partner-acme
    name: ACME
    metadata: {tier: silver}
  - id: partner-globex
    name: Globex
    metadata: {tier: silver}
    policy: 'true'
`
			p := planFile(t, ctx, s, changed, false)
			wantSteps(t, p,
				"~ api https://orders.example.com",
				`  policy: "request.granted.exists(s, s == \"orders:write\") && client.metadata.?tier.orValue(\"\") != \"gold\"\n  ? deny(\"orders:write is for gold partners\")\n  : claims({\"tier\": client.metadata.?tier.orValue(\"standard\")})\n" → ""`,
				"~ client partner-acme",
				`  metadata: {partner_id: "4711", tier: "gold"} → {tier: "silver"}`,
				"~ client partner-globex",
				`  policy: "!cidr(\"10.0.0.0/8\").containsIP(request.source) ? deny(\"Globex calls from its VPN only\") : allow()" → "true"`)
			applyPlan(t, ctx, s, p)
			api, err := s.GetAPIByAudience(ctx, "https://orders.example.com")
			if err != nil || api.Policy != "" {
				t.Errorf("policy after removal %q, %v", api.Policy, err)
			}

			state, err := ReadState(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			exported, err := Export(state)
			if err != nil {
				t.Fatal(err)
			}
			wantSteps(t, planFile(t, ctx, s, string(exported), false))
			records, err := s.(mint.AuditStore).ListAudit(ctx, mint.AuditFilter{Kind: "admin.clients.", ClientID: "partner-acme"})
			if err != nil || len(records) < 2 {
				t.Fatalf("audit records %d, %v", len(records), err)
			}
		})
	}
}

// TestAdminAPITakesNoPolicy: as the admin API refuses it, a file may not
// give the built-in admin API a policy.
func TestAdminAPITakesNoPolicy(t *testing.T) {
	ctx := ctxOf(t)
	s := testdb.Open(t, "sqlite")
	admin := mint.API{ID: "api_admin", Name: "mint admin", Audience: mint.AdminAudience, Scopes: mint.AdminScopes,
		CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateAPI(ctx, admin); err != nil {
		t.Fatal(err)
	}
	state, err := ReadState(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	// A binding would lock every admin out too: the admin API takes
	// bearer tokens only.
	for _, field := range []string{"policy: 'false'", "token_binding: dpop"} {
		cfg, err := LoadBytes("f.yaml", []byte("version: 1\napis:\n  - audience: "+mint.AdminAudience+"\n    name: mint admin\n    scopes: ["+
			strings.Join(mint.AdminScopes, ", ")+"]\n    "+field+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = MakePlan(cfg, state, false)
		var ps Problems
		name, _, _ := strings.Cut(field, ":")
		if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Field != "apis[0]."+name || ps[0].Line != 6 {
			t.Fatalf("%s: MakePlan = %v, want one problem at apis[0].%s, line 6", field, err, name)
		}
	}
}
