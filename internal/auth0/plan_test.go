package auth0

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

const goodSecret = "-mMElVOMzvht2SyQPfVh-WIaPCbOxRdWN5YngBxtBKybQmli-Tq8sVb3kLpW9xYzA1"

func TestMakePlan(t *testing.T) {
	tenant := Tenant{
		ResourceServers: []ResourceServer{
			{Name: "Auth0 Management API", Identifier: "https://t.eu.auth0.com/api/v2/", IsSystem: true},
			{Name: "Dataloy", Identifier: "https://dataloy", Scopes: []Scope{{Value: "read"}, {Value: "write"}}},
			{Name: "HS", Identifier: "https://hs", SigningAlg: "HS256"},
			{Name: "Dataloy again", Identifier: "https://dataloy"},
		},
		Clients: []Client{
			{ClientID: "m2m-by-type", ClientSecret: goodSecret, Name: "Partner A", AppType: "non_interactive"},
			{ClientID: "m2m-by-grant", ClientSecret: goodSecret, Name: "Partner B", AppType: "regular_web", GrantTypes: []string{"authorization_code", "client_credentials"}},
			{ClientID: "spa", ClientSecret: goodSecret, Name: "Web", AppType: "spa"},
			{ClientID: "native", Name: "Mobile", AppType: "native"},
			{ClientID: "regular", Name: "Site", AppType: "regular_web", GrantTypes: []string{"authorization_code"}},
			{ClientID: "all", Name: "All Applications", Global: true},
			{Name: "No id", AppType: "non_interactive"},
			{ClientID: "redacted", ClientSecret: "##SECRET##", Name: "Partner C", AppType: "non_interactive"},
			{ClientID: "stars", ClientSecret: "********", Name: "Partner D", AppType: "non_interactive"},
			{ClientID: "not-shown", ClientSecret: "_VALUE_NOT_SHOWN_" + goodSecret[:20], Name: "Partner E", AppType: "non_interactive"},
			{ClientID: "m2m-by-type", ClientSecret: goodSecret, Name: "Partner A twice", AppType: "non_interactive"},
		},
		ClientGrants: []ClientGrant{
			{ClientID: "m2m-by-type", Audience: "https://dataloy", Scope: []string{"read"}},
			{ClientID: "Partner B", Audience: "https://dataloy"}, // by name, as the Deploy CLI writes it
			{ClientID: "m2m-by-type", Audience: "https://t.eu.auth0.com/api/v2/", Scope: []string{"read:clients"}},
			{ClientID: "spa", Audience: "https://dataloy"},
			{ClientID: "m2m-by-type", Audience: "https://dataloy", Scope: []string{"write"}},
		},
	}
	p := MakePlan(tenant, "https://t.eu.auth0.com/api/v2/")
	if len(p.APIs) != 1 || p.APIs[0].Audience != "https://dataloy" || p.APIs[0].TokenLifetime != 86400 ||
		p.APIs[0].SigningAlg != "RS256" || !slices.Equal(p.APIs[0].Scopes, []string{"read", "write"}) {
		t.Errorf("APIs = %+v", p.APIs)
	}
	var ids []string
	for _, c := range p.Clients {
		ids = append(ids, c.ClientID)
	}
	if !slices.Equal(ids, []string{"m2m-by-type", "m2m-by-grant", "redacted", "stars", "not-shown"}) {
		t.Errorf("clients = %v", ids)
	}
	a, b := p.Clients[0], p.Clients[1]
	if a.Secret != goodSecret || a.SecretMissing || len(a.Grants) != 1 || !slices.Equal(a.Grants[0].Scopes, []string{"read"}) {
		t.Errorf("Partner A = %+v", a)
	}
	if len(b.Grants) != 1 || b.Grants[0].Scopes == nil || len(b.Grants[0].Scopes) != 0 {
		t.Errorf("Partner B's grants = %+v, want one, with no scope", b.Grants)
	}
	for _, c := range p.Clients[2:] {
		if !c.SecretMissing || c.Secret != "" {
			t.Errorf("%s: secret missing = %v, want a redacted secret seen as missing", c.ClientID, c.SecretMissing)
		}
	}
	var skipped []string
	for _, s := range p.Skipped {
		skipped = append(skipped, s.String())
	}
	all := strings.Join(skipped, "\n")
	for _, want := range []string{
		"API https://t.eu.auth0.com/api/v2/: the Auth0 Management API",
		"API https://hs: signing_alg HS256",
		"API https://dataloy: a second API",
		`application Web: not machine-to-machine (app_type "spa")`,
		`application Mobile: not machine-to-machine (app_type "native")`,
		`application Site: not machine-to-machine (app_type "regular_web")`,
		"application All Applications: the tenant's global client",
		"application No id: no client_id",
		"application Partner A twice: a second application with the same client_id",
		"grant m2m-by-type → https://t.eu.auth0.com/api/v2/: its API is not moved",
		"grant spa → https://dataloy: its application is not moved",
		"grant m2m-by-type → https://dataloy: a second grant",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("skipped lacks %q:\n%s", want, all)
		}
	}
	if len(p.Skipped) != 12 {
		t.Errorf("%d skipped, want 12:\n%s", len(p.Skipped), all)
	}
}

func TestSkippedQuotesControlCharacters(t *testing.T) {
	s := Skipped{"application", "evil\x1b[2Jname", "not machine-to-machine"}.String()
	if strings.ContainsRune(s, 0x1b) {
		t.Errorf("String() = %q keeps an escape character", s)
	}
}

// TestPlanMetadata: the entries of client_metadata mint's limits accept
// are kept; every other is skipped with its reason, and never stops the
// move of its application.
func TestPlanMetadata(t *testing.T) {
	many := map[string]any{}
	for i := range 40 {
		many[fmt.Sprintf("k%02d", i)] = "v"
	}
	for _, tt := range []struct {
		name     string
		metadata any
		keep     map[string]string
		skipped  []string
	}{
		{"Absent", nil, nil, nil},
		{"Empty", map[string]any{}, nil, nil},
		{"Strings", map[string]any{"tier": "gold", "region": "eu"}, map[string]string{"tier": "gold", "region": "eu"}, nil},
		{"BadKeys", map[string]any{"tier": "gold", "1st": "x", "with space": "y", "": "z", strings.Repeat("k", 65): "w"},
			map[string]string{"tier": "gold"}, []string{
				`metadata m2m: : a key must have 1 to 64 characters`,
				`metadata m2m: 1st: key "1st" must start with an ASCII letter`,
				`metadata m2m: kkkk`,
				`metadata m2m: with space: key "with space" may hold only ASCII letters, digits and _.-`,
			}},
		{"BadValues", map[string]any{"long": strings.Repeat("é", 200), "ctl": "a\x1bb", "num": 3.0, "obj": map[string]any{}, "ok": ""},
			map[string]string{"ok": ""}, []string{
				`metadata m2m: ctl: the value of "ctl" holds a control character`,
				`metadata m2m: long: the value of "long" has 400 bytes, at most 256`,
				`metadata m2m: num: the value is not a string`,
				`metadata m2m: obj: the value is not a string`,
			}},
		{"NotAnObject", "tier=gold", nil, []string{"metadata m2m: client_metadata is not an object of strings"}},
		{"TooMany", many, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := MakePlan(Tenant{Clients: []Client{{ClientID: "m2m", ClientSecret: goodSecret, Name: "M", AppType: "non_interactive",
				ClientMetadata: tt.metadata}}}, "")
			if len(p.Clients) != 1 {
				t.Fatalf("the application was not moved: %v", p.Skipped)
			}
			var skipped []string
			for _, s := range p.Skipped {
				skipped = append(skipped, s.String())
			}
			if tt.name == "TooMany" {
				if len(p.Clients[0].Metadata) != 32 || len(skipped) != 8 || p.Clients[0].Metadata["k31"] != "v" ||
					!strings.Contains(skipped[0], "k32: mint keeps at most 32 entries") {
					t.Fatalf("kept %d, skipped %v", len(p.Clients[0].Metadata), skipped)
				}
				return
			}
			if !maps.Equal(p.Clients[0].Metadata, tt.keep) {
				t.Errorf("kept %v, want %v", p.Clients[0].Metadata, tt.keep)
			}
			if len(skipped) != len(tt.skipped) {
				t.Fatalf("skipped %q, want %q", skipped, tt.skipped)
			}
			for i := range skipped {
				if !strings.HasPrefix(skipped[i], tt.skipped[i]) {
					t.Errorf("skipped[%d] = %q, want %q", i, skipped[i], tt.skipped[i])
				}
			}
		})
	}
}
