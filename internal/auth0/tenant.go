package auth0

// The shapes below are those of the Management API v2 (GET
// /api/v2/resource-servers, /api/v2/clients, /api/v2/client-grants), which
// the Deploy CLI also writes, in YAML or one JSON file per resource. Only
// the fields the move needs are read; the many others are ignored.

// Tenant is what is read of an Auth0 tenant.
type Tenant struct {
	ResourceServers []ResourceServer `json:"resourceServers" yaml:"resourceServers"`
	Clients         []Client         `json:"clients" yaml:"clients"`
	ClientGrants    []ClientGrant    `json:"clientGrants" yaml:"clientGrants"`
}

// ResourceServer is an Auth0 API.
type ResourceServer struct {
	Name       string  `json:"name" yaml:"name"`
	Identifier string  `json:"identifier" yaml:"identifier"`
	Scopes     []Scope `json:"scopes" yaml:"scopes"`
	// TokenLifetime is in seconds; 0 means Auth0's default, 86400.
	TokenLifetime int64  `json:"token_lifetime" yaml:"token_lifetime"`
	SigningAlg    string `json:"signing_alg" yaml:"signing_alg"`
	// IsSystem marks the Management API itself.
	IsSystem bool `json:"is_system" yaml:"is_system"`
}

// Scope is one permission of a resource server.
type Scope struct {
	Value       string `json:"value" yaml:"value"`
	Description string `json:"description" yaml:"description"`
}

// Client is an Auth0 application. A Deploy CLI export has no client_id
// unless made with --export_ids, and never a usable client_secret.
type Client struct {
	ClientID     string   `json:"client_id" yaml:"client_id"`
	ClientSecret string   `json:"client_secret" yaml:"client_secret"`
	Name         string   `json:"name" yaml:"name"`
	AppType      string   `json:"app_type" yaml:"app_type"`
	GrantTypes   []string `json:"grant_types" yaml:"grant_types"`
	// Global marks the tenant's "All Applications" pseudo-client.
	Global bool `json:"global" yaml:"global"`
	// ClientMetadata is an object of string values in Auth0's
	// documentation; read as anything, so that a tenant holding otherwise
	// loses only the entries mint cannot keep (see planMetadata).
	ClientMetadata any `json:"client_metadata" yaml:"client_metadata"`
}

// ClientGrant lets a client take tokens for an audience. In a Deploy CLI
// export, ClientID holds the client's name instead of its ID.
type ClientGrant struct {
	ClientID string   `json:"client_id" yaml:"client_id"`
	Audience string   `json:"audience" yaml:"audience"`
	Scope    []string `json:"scope" yaml:"scope"`
}
