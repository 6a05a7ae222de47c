package auth0

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestReadExport(t *testing.T) {
	for _, tc := range []struct {
		path string
		want Tenant
	}{
		{"testdata/tenant.yaml", Tenant{
			ResourceServers: []ResourceServer{
				{Name: "Dataloy", Identifier: "https://dataloy", TokenLifetime: 3600, SigningAlg: "RS256",
					Scopes: []Scope{{"read:voyages", "Read voyages"}, {"write:voyages", "Write voyages"}}},
				{Name: "Dataloy dev", Identifier: "https://dataloy.dev", TokenLifetime: 86400, SigningAlg: "RS256", Scopes: []Scope{}},
			},
			Clients: []Client{
				{Name: "Shipping Partner", AppType: "non_interactive", GrantTypes: []string{"client_credentials"},
					ClientMetadata: map[string]any{"tier": "gold", "partner_region": "eu-west"}},
				{Name: "Dataloy Web", AppType: "spa", GrantTypes: []string{"authorization_code", "implicit", "refresh_token"}},
			},
			ClientGrants: []ClientGrant{{ClientID: "Shipping Partner", Audience: "https://dataloy", Scope: []string{"read:voyages"}}},
		}},
		{"testdata/directory", Tenant{
			ResourceServers: []ResourceServer{
				{Name: "Dataloy", Identifier: "https://dataloy", TokenLifetime: 3600, SigningAlg: "RS256",
					Scopes: []Scope{{"read:voyages", "Read voyages"}, {"write:voyages", "Write voyages"}}},
				{Name: "Legacy HS256", Identifier: "https://legacy.dataloy", TokenLifetime: 86400, SigningAlg: "HS256", Scopes: []Scope{}},
			},
			Clients: []Client{
				{Name: "Dataloy Mobile", AppType: "native", GrantTypes: []string{"authorization_code", "refresh_token"}},
				{Name: "Shipping Partner", ClientID: "G99j845dM4MtckQlKt8E6oAbCdEfGhIj", AppType: "non_interactive", GrantTypes: []string{"client_credentials"},
					ClientMetadata: map[string]any{"tier": "gold", "partner_region": "eu-west", "1st_contact": "ops@partner.example"}},
			},
			ClientGrants: []ClientGrant{
				{ClientID: "Shipping Partner", Audience: "https://dataloy", Scope: []string{"read:voyages", "write:voyages"}},
				{ClientID: "Shipping Partner", Audience: "https://legacy.dataloy", Scope: []string{}},
			},
		}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got, err := ReadExport(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if !sameTenant(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func sameTenant(a, b Tenant) bool {
	return slices.EqualFunc(a.ResourceServers, b.ResourceServers, func(x, y ResourceServer) bool {
		return x.Name == y.Name && x.Identifier == y.Identifier && x.TokenLifetime == y.TokenLifetime &&
			x.SigningAlg == y.SigningAlg && x.IsSystem == y.IsSystem && slices.Equal(x.Scopes, y.Scopes)
	}) && slices.EqualFunc(a.Clients, b.Clients, func(x, y Client) bool {
		return x.Name == y.Name && x.ClientID == y.ClientID && x.ClientSecret == y.ClientSecret &&
			x.AppType == y.AppType && slices.Equal(x.GrantTypes, y.GrantTypes) && x.Global == y.Global &&
			reflect.DeepEqual(x.ClientMetadata, y.ClientMetadata)
	}) && slices.EqualFunc(a.ClientGrants, b.ClientGrants, func(x, y ClientGrant) bool {
		return x.ClientID == y.ClientID && x.Audience == y.Audience && slices.Equal(x.Scope, y.Scope)
	})
}

func TestReadExportRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := write("big.yaml", "clients: []\n# "+strings.Repeat("x", MaxYAMLBytes))
	for _, tc := range []struct {
		name, path, want string
	}{
		{"not YAML", write("bad.yaml", "clients: [unclosed\n"), "not a Deploy CLI YAML export"},
		{"wrong type", write("type.yaml", "clients: {name: x}\n"), "not a Deploy CLI YAML export"},
		{"a value in the YAML error", write("value.yaml", "clients:\n  - client_secret: ok\n    grant_types: s3cr3t-value\n"), "(value not shown)"},
		{"too large", big, "larger than"},
		{"empty directory", filepath.Join(dir, "empty"), "not a Deploy CLI directory export"},
		{"bad JSON file", filepath.Dir(filepath.Dir(write("d1/clients/a.json", `{"name": "a", "client_secret": "s3cr3t-value"`))), "invalid JSON"},
		{"JSON of the wrong type", filepath.Dir(filepath.Dir(write("d2/clients/a.json", `{"client_secret": 12345678901}`))), `field "client_secret" must be`},
		{"two JSON values", filepath.Dir(filepath.Dir(write("d3/clients/a.json", `{} {}`))), "more than one JSON value"},
		{"oversized JSON file", filepath.Dir(filepath.Dir(write("d4/clients/a.json", `{"name":"`+strings.Repeat("a", MaxJSONFileBytes)+`"}`))), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "empty directory" {
				if err := os.Mkdir(tc.path, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			_, err := ReadExport(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "12345678901") {
				t.Errorf("error quotes a value: %v", err)
			}
		})
	}
}

// A few lines of YAML whose aliases expand to 10^12 nodes are refused
// before they are expanded.
func TestReadYAMLRefusesAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("clients: *l12\n")
	_, err := ReadYAML(strings.NewReader(b.String()))
	if err == nil || !strings.Contains(err.Error(), "aliases are expanded") {
		t.Fatalf("error = %v, want the alias bomb refused", err)
	}
}
