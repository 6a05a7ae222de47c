package apply

import (
	"bytes"
	"cmp"
	"encoding/json"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mintauth/mint/internal/mint"
)

// exportHeader opens an exported file.
const exportHeader = `# mint configuration (mint export). Apply with: mint apply -f FILE
# Secrets are never exported: a client keeps its secrets when this file is applied.
`

// Export writes state in the file format: APIs by audience, clients by ID,
// grants by client then audience, each field in the order of the format's
// types, so that the same state always gives the same bytes, and applying
// them to that state changes nothing. Secrets are not part of it.
func Export(state State) ([]byte, error) {
	doc := Document{Version: Version}
	for _, a := range sorted(state.APIs, func(a, b mint.API) int { return strings.Compare(a.Audience, b.Audience) }) {
		lifetime := int64(a.TokenLifetime / time.Second)
		doc.APIs = append(doc.APIs, API{Audience: a.Audience, Name: a.Name, Scopes: nonNil(a.Scopes),
			TokenLifetime: &lifetime, SigningAlg: a.Alg(), AuditIssuance: auditIssuance(a), TokenReuse: a.TokenReuse,
			Policy: a.Policy, TokenBinding: a.TokenBinding})
	}
	rules := rulesOf(state.Rules)
	for _, c := range sorted(state.Clients, func(a, b mint.Client) int { return strings.Compare(a.ID, b.ID) }) {
		v := Client{ID: c.ID, Name: c.Name, IntrospectAll: c.IntrospectAll,
			TokensPerHour: c.TokensPerHour, TokensPerDay: c.TokensPerDay, Metadata: metadataOf(c.Metadata), Policy: c.Policy,
			TokenBinding: c.TokenBinding, FederatedCredentials: exportRules(rules[c.ID])}
		setTLSAuth(&v, c.TLSAuth)
		if len(c.JWKS) > 0 {
			if err := json.Unmarshal(c.JWKS, &v.JWKS); err != nil {
				return nil, err
			}
		}
		doc.Clients = append(doc.Clients, v)
	}
	for _, g := range sorted(state.Grants, func(a, b mint.Grant) int {
		return cmp.Or(strings.Compare(a.ClientID, b.ClientID), strings.Compare(a.Audience, b.Audience))
	}) {
		doc.Grants = append(doc.Grants, Grant{Client: g.ClientID, Audience: g.Audience, Scopes: nonNil(g.Scopes)})
	}
	var buf bytes.Buffer
	buf.WriteString(exportHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
