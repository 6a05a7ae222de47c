package apply

// The file format. Each type's yaml tags are the fields the decoder knows;
// docs/mint-config.schema.json describes the same fields (a test checks
// that both agree). Absent fields take the admin API's defaults, so a file
// declares the whole of each resource it names.

// Version is the one version of the format this mint reads.
const Version = 1

// Document is one file.
type Document struct {
	// Version must be 1.
	Version int      `yaml:"version"`
	APIs    []API    `yaml:"apis,omitempty"`
	Clients []Client `yaml:"clients,omitempty"`
	Grants  []Grant  `yaml:"grants,omitempty"`
	// Federated credentials will be a section of their own
	// (federated_credentials) once mint has them; until then the key is
	// refused as unknown.
}

// API is an API (a resource server), named by its audience.
type API struct {
	Audience string   `yaml:"audience"`
	Name     string   `yaml:"name"`
	Scopes   []string `yaml:"scopes"`
	// TokenLifetime in seconds; absent: 86400.
	TokenLifetime *int64 `yaml:"token_lifetime,omitempty"`
	// SigningAlg: RS256 (absent), PS256, ES256 or EdDSA.
	SigningAlg string `yaml:"signing_alg,omitempty"`
	// AuditIssuance: all (absent), sample:N or off.
	AuditIssuance string `yaml:"audit_issuance,omitempty"`
	TokenReuse    bool   `yaml:"token_reuse,omitempty"`
	// Policy is the API's issuance policy in CEL (docs/policies.md).
	Policy string `yaml:"policy,omitempty"`
}

// Client is a client, named by its ID. It has no secret field: see
// SecretSink.
type Client struct {
	ID            string `yaml:"id"`
	Name          string `yaml:"name"`
	IntrospectAll bool   `yaml:"introspect_all,omitempty"`
	// TokensPerHour and TokensPerDay: absent or null, the server's
	// default; 0, unlimited.
	TokensPerHour *int64 `yaml:"tokens_per_hour,omitempty"`
	TokensPerDay  *int64 `yaml:"tokens_per_day,omitempty"`
	// JWKS is the client's public JWK Set for private_key_jwt, as a YAML
	// mapping of the JSON object ({keys: [...]}); absent, none.
	JWKS map[string]any `yaml:"jwks,omitempty"`
	// Metadata are the string key/values policies read; Policy is the
	// client's own issuance policy (docs/policies.md).
	Metadata map[string]string `yaml:"metadata,omitempty"`
	Policy   string            `yaml:"policy,omitempty"`
}

// Grant lets a client get tokens for an API, with at most Scopes.
type Grant struct {
	Client   string   `yaml:"client"`
	Audience string   `yaml:"audience"`
	Scopes   []string `yaml:"scopes"`
}
