package bearer

import (
	"net/http"

	"github.com/mintauth/mint/oauth"
)

// ProtectedResourcePath is where RFC 9728 §3 puts a resource's metadata.
const ProtectedResourcePath = "/.well-known/oauth-protected-resource"

// ResourceMetadata is the protected resource metadata of RFC 9728 §2: what
// a client needs to know to call the API, found without documentation.
type ResourceMetadata struct {
	// Resource is the resource identifier: the API's audience when it is
	// an https URL.
	Resource string `json:"resource"`
	// AuthorizationServers are the issuers whose tokens the API accepts.
	AuthorizationServers []string `json:"authorization_servers,omitempty"`
	ScopesSupported      []string `json:"scopes_supported,omitempty"`
	// BearerMethodsSupported is ["header"]: mint reads tokens from the
	// Authorization header only.
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	// DPoPSigningAlgs are the algorithms a DPoP proof may use, and
	// DPoPBoundRequired whether bearer tokens are refused (RFC 9728 §2).
	DPoPSigningAlgs   []string `json:"dpop_signing_alg_values_supported"`
	DPoPBoundRequired bool     `json:"dpop_bound_access_tokens_required"`
	// TLSCertificateBound says the API supports certificate-bound tokens
	// (RFC 8705, cnf.x5t#S256): it sees the caller's TLS client
	// certificate, on its own connection or from a trusted proxy, and
	// checks the token against it. RFC 9728 §2 makes it a statement of
	// support, not a requirement, and absent means false; it is written
	// either way, as dpop_bound_access_tokens_required is.
	TLSCertificateBound bool `json:"tls_client_certificate_bound_access_tokens"`
}

// NewResourceMetadata fills in what mint's middleware supports for an API
// named resource that trusts the issuers given.
func NewResourceMetadata(resource string, issuers []string, dpopRequired bool) ResourceMetadata {
	return ResourceMetadata{Resource: resource, AuthorizationServers: issuers,
		BearerMethodsSupported: []string{"header"}, DPoPSigningAlgs: dpopAlgList(), DPoPBoundRequired: dpopRequired}
}

// WithCertificateBound returns m saying whether the API supports
// certificate-bound tokens: true when it serves TLS asking for client
// certificates or believes a TLS proxy's client-certificate header.
func (m ResourceMetadata) WithCertificateBound(supported bool) ResourceMetadata {
	m.TLSCertificateBound = supported
	return m
}

// ServeHTTP serves m as JSON, cacheable for five minutes (RFC 9728 §3.2).
func (m ResourceMetadata) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		oauth.WriteError(w, oauth.ErrMethodNotAllowed.Describe("the resource metadata is read with GET"))
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	oauth.WriteJSONCached(w, http.StatusOK, m)
}
