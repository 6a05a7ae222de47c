package auth0

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/policy"
)

// Plan is what `mint import auth0` creates in mint, and what it leaves
// out and why.
type Plan struct {
	APIs    []PlannedAPI
	Clients []PlannedClient
	Skipped []Skipped
}

// PlannedAPI is a resource server as a mint API.
type PlannedAPI struct {
	Name, Audience string
	Scopes         []string
	// TokenLifetime is in seconds.
	TokenLifetime int64
	SigningAlg    string
}

// PlannedClient is a machine-to-machine application as a mint client with
// the same ID and secret. Secret is empty when the source had none usable
// (a Deploy CLI export): then SecretMissing is set.
type PlannedClient struct {
	ClientID, Name, Secret string
	SecretMissing          bool
	Grants                 []PlannedGrant
	// Metadata are the entries of the application's client_metadata that
	// mint's limits accept; nil: none.
	Metadata map[string]string
}

// PlannedGrant is a client grant: an audience and its scopes.
type PlannedGrant struct {
	Audience string
	Scopes   []string
}

// Skipped is something of the tenant not moved to mint.
type Skipped struct {
	Kind   string // "API", "application", "grant" or "metadata"
	Name   string // its name, identifier, "client → audience" or "client_id: key"
	Reason string
}

// String quotes the name when it holds anything but printable characters:
// it comes from the tenant, and must not drive the operator's terminal.
func (s Skipped) String() string {
	name := s.Name
	if strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		name = strconv.Quote(name)
	}
	return fmt.Sprintf("%s %s: %s", s.Kind, name, s.Reason)
}

// defaultLifetime is Auth0's default token lifetime, used when a resource
// server gives none.
const defaultLifetime = 86400

// MakePlan maps t to mint. managementAudience, when known, is the tenant's
// own Management API (https://TENANT/api/v2/), which is not moved.
func MakePlan(t Tenant, managementAudience string) Plan {
	var p Plan
	audiences := map[string]bool{}
	for _, rs := range t.ResourceServers {
		api, why := planAPI(rs, managementAudience)
		if why == "" && audiences[api.Audience] {
			why = "a second API with the same identifier"
		}
		if why != "" {
			p.Skipped = append(p.Skipped, Skipped{"API", rs.Identifier, why})
			continue
		}
		audiences[api.Audience] = true
		p.APIs = append(p.APIs, api)
	}
	byKey := map[string]int{} // client_id, and name for export grants → index in p.Clients
	var skipped []Skipped
	for _, c := range t.Clients {
		pc, why := planClient(c)
		if _, taken := byKey[pc.ClientID]; why == "" && taken {
			why = "a second application with the same client_id"
		}
		if why != "" {
			p.Skipped = append(p.Skipped, Skipped{"application", c.Name, why})
			continue
		}
		pc.Metadata, skipped = planMetadata(pc.ClientID, c.ClientMetadata)
		p.Skipped = append(p.Skipped, skipped...)
		byKey[pc.ClientID] = len(p.Clients)
		if _, taken := byKey[c.Name]; !taken && c.Name != "" {
			byKey[c.Name] = len(p.Clients)
		}
		p.Clients = append(p.Clients, pc)
	}
	for _, g := range t.ClientGrants {
		name := g.ClientID + " → " + g.Audience
		i, ok := byKey[g.ClientID]
		switch {
		case !ok:
			p.Skipped = append(p.Skipped, Skipped{"grant", name, "its application is not moved"})
		case !audiences[g.Audience]:
			p.Skipped = append(p.Skipped, Skipped{"grant", name, "its API is not moved"})
		case slices.ContainsFunc(p.Clients[i].Grants, func(pg PlannedGrant) bool { return pg.Audience == g.Audience }):
			p.Skipped = append(p.Skipped, Skipped{"grant", name, "a second grant for the same application and API"})
		default:
			p.Clients[i].Grants = append(p.Clients[i].Grants, PlannedGrant{g.Audience, nonNil(g.Scope)})
		}
	}
	return p
}

func planAPI(rs ResourceServer, managementAudience string) (PlannedAPI, string) {
	switch {
	case rs.IsSystem || managementAudience != "" && rs.Identifier == managementAudience ||
		rs.Name == "Auth0 Management API":
		return PlannedAPI{}, "the Auth0 Management API stays with Auth0"
	case rs.Identifier == "":
		return PlannedAPI{}, "no identifier"
	}
	alg := rs.SigningAlg
	switch alg {
	case "", mint.AlgRS256:
		alg = mint.AlgRS256
	case mint.AlgPS256:
	default:
		return PlannedAPI{}, fmt.Sprintf("signing_alg %s: mint signs with RS256, PS256 or ES256, and an API checking %s tokens would refuse mint's", alg, alg)
	}
	api := PlannedAPI{Name: rs.Name, Audience: rs.Identifier, TokenLifetime: rs.TokenLifetime, SigningAlg: alg, Scopes: []string{}}
	if api.Name == "" {
		api.Name = rs.Identifier
	}
	if api.TokenLifetime == 0 {
		api.TokenLifetime = defaultLifetime
	}
	for _, s := range rs.Scopes {
		api.Scopes = append(api.Scopes, s.Value)
	}
	return api, ""
}

func planClient(c Client) (PlannedClient, string) {
	switch {
	case c.Global:
		return PlannedClient{}, "the tenant's global client, not an application"
	case !IsMachineToMachine(c):
		return PlannedClient{}, fmt.Sprintf("not machine-to-machine (app_type %q): stays with Auth0", c.AppType)
	case c.ClientID == "":
		return PlannedClient{}, "no client_id in the export: export with --export_ids, or read the tenant with --domain"
	}
	pc := PlannedClient{ClientID: c.ClientID, Name: c.Name, Secret: c.ClientSecret}
	if pc.Name == "" {
		pc.Name = c.ClientID
	}
	if !usableSecret(c.ClientSecret) {
		pc.Secret, pc.SecretMissing = "", true
	}
	return pc, ""
}

// planMetadata keeps the entries of an application's client_metadata that
// mint's limits on a client's metadata (policy.CheckMetadata) accept, and
// skips the others, each with its reason, so that one entry mint cannot
// keep never stops the move. Keys are taken in sorted order, so that which
// entries pass the bound on their number does not depend on the tenant's
// order.
func planMetadata(clientID string, raw any) (map[string]string, []Skipped) {
	if raw == nil {
		return nil, nil
	}
	entries, ok := raw.(map[string]any)
	if !ok {
		return nil, []Skipped{{"metadata", clientID, "client_metadata is not an object of strings"}}
	}
	var kept map[string]string
	var skipped []Skipped
	for _, k := range slices.Sorted(maps.Keys(entries)) {
		skip := func(why string) { skipped = append(skipped, Skipped{"metadata", clientID + ": " + k, why}) }
		v, isText := entries[k].(string)
		if !isText {
			skip("the value is not a string")
			continue
		}
		if err := policy.CheckMetadata(map[string]string{k: v}); err != nil {
			skip(strings.TrimPrefix(err.Error(), policy.ErrMetadata.Error()+": "))
			continue
		}
		if len(kept) == policy.MaxMetadataKeys {
			skip(fmt.Sprintf("mint keeps at most %d entries of a client's metadata", policy.MaxMetadataKeys))
			continue
		}
		if kept == nil {
			kept = map[string]string{}
		}
		kept[k] = v
	}
	return kept, skipped
}

// IsMachineToMachine: app_type non_interactive, or the client credentials
// grant allowed.
func IsMachineToMachine(c Client) bool {
	return c.AppType == "non_interactive" || slices.Contains(c.GrantTypes, "client_credentials")
}

// usableSecret is false for an absent secret, one a tool redacted
// ("##…##" keyword placeholders, Auth0's "_VALUE_NOT_SHOWN_", "****",
// "[REDACTED]"…) and one mint
// would refuse to import.
func usableSecret(s string) bool {
	upper := strings.ToUpper(s)
	redacted := strings.HasPrefix(s, "##") || strings.Trim(s, "*") == "" ||
		strings.Contains(upper, "REDACTED") || strings.Contains(upper, "VALUE_NOT_SHOWN")
	return !redacted && mint.CheckImportedSecret(s) == nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
