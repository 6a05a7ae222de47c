package auth0

import (
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
