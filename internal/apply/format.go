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
	// TokenBinding: "" (absent), "dpop" or "mtls"
	// (docs/sender-constrained.md).
	TokenBinding string `yaml:"token_binding,omitempty"`
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
	// The client's RFC 8705 §2 registration, in the admin API's fields
	// (docs/sender-constrained.md): at most one; absent, none.
	// SelfSignedTLS takes the certificates whose keys are in JWKS.
	TLSSubjectDN  string `yaml:"tls_client_auth_subject_dn,omitempty"`
	TLSSANDNS     string `yaml:"tls_client_auth_san_dns,omitempty"`
	TLSSANURI     string `yaml:"tls_client_auth_san_uri,omitempty"`
	TLSSANIP      string `yaml:"tls_client_auth_san_ip,omitempty"`
	TLSSANEmail   string `yaml:"tls_client_auth_san_email,omitempty"`
	SelfSignedTLS bool   `yaml:"self_signed_tls_client_auth,omitempty"`
	// Metadata are the string key/values policies read; Policy is the
	// client's own issuance policy (docs/policies.md).
	Metadata map[string]string `yaml:"metadata,omitempty"`
	Policy   string            `yaml:"policy,omitempty"`
	// TokenBinding: "" (absent), "dpop" or "mtls".
	TokenBinding string `yaml:"token_binding,omitempty"`
	// FederatedCredentials are the client's trust rules
	// (docs/federation.md), each named by its content: a file declares
	// what rules exist, never edits one.
	FederatedCredentials []FederatedCredential `yaml:"federated_credentials,omitempty"`
}

// FederatedCredential is a trust rule of a client, in the admin API's
// fields. A jwks_uri alone is where the client's own private_key_jwt keys
// are. Unlike the admin API, audience is required (a file cannot know the
// server's issuer URL the admin API defaults it to).
type FederatedCredential struct {
	Issuer   string            `yaml:"issuer,omitempty"`
	Subject  string            `yaml:"subject,omitempty"`
	Audience string            `yaml:"audience,omitempty"`
	Claims   map[string]string `yaml:"claims,omitempty"`
	// MaxAge in seconds; absent: 3600.
	MaxAge  *int64 `yaml:"max_age,omitempty"`
	JWKSURI string `yaml:"jwks_uri,omitempty"`
}

// Grant lets a client get tokens for an API, with at most Scopes.
type Grant struct {
	Client   string   `yaml:"client"`
	Audience string   `yaml:"audience"`
	Scopes   []string `yaml:"scopes"`
}
