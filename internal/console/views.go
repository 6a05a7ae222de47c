package console

import "time"

// These are the admin API's resources as it writes them (docs/admin.md).

type apiView struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Audience      string   `json:"audience"`
	Scopes        []string `json:"scopes"`
	TokenLifetime int64    `json:"token_lifetime"`
	SigningAlg    string   `json:"signing_alg"`
	Policy        string   `json:"policy"`
	// TokenBinding: "" (any), "dpop" or "mtls" (docs/sender-constrained.md).
	TokenBinding string    `json:"token_binding"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

type secretView struct {
	ID         string     `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

type clientView struct {
	ClientID     string `json:"client_id"`
	Name         string `json:"name"`
	ClientSecret string `json:"client_secret"`
	// Metadata and Policy feed the issuance policies (docs/policies.md).
	Metadata map[string]string `json:"metadata"`
	Policy   string            `json:"policy"`
	// TokenBinding: "" (any), "dpop" or "mtls" (docs/sender-constrained.md).
	TokenBinding string `json:"token_binding"`
	// The client's RFC 8705 §2 registration, at most one (see TLSAuth).
	TLSSubjectDN  string       `json:"tls_client_auth_subject_dn"`
	TLSSANDNS     string       `json:"tls_client_auth_san_dns"`
	TLSSANURI     string       `json:"tls_client_auth_san_uri"`
	TLSSANIP      string       `json:"tls_client_auth_san_ip"`
	TLSSANEmail   string       `json:"tls_client_auth_san_email"`
	SelfSignedTLS bool         `json:"self_signed_tls_client_auth"`
	Secrets       []secretView `json:"secrets"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

// LastUsed is the latest use of any of the client's secrets; nil if none
// was ever used.
func (c clientView) LastUsed() *time.Time {
	var last *time.Time
	for _, s := range c.Secrets {
		if s.LastUsedAt != nil && (last == nil || s.LastUsedAt.After(*last)) {
			last = s.LastUsedAt
		}
	}
	return last
}

type grantView struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"client_id"`
	Audience  string    `json:"audience"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type keyView struct {
	KID        string     `json:"kid"`
	Algorithm  string     `json:"algorithm"`
	State      string     `json:"state"`
	CreatedAt  time.Time  `json:"created_at"`
	ActivateAt *time.Time `json:"activate_at"`
	RetiredAt  *time.Time `json:"retired_at"`
	RemoveAt   *time.Time `json:"remove_at"`
}
