package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/tokenstate"
	"github.com/mintauth/mint/oauth"
)

// metadata is the authorization server metadata of RFC 8414 §2, served at
// both well-known paths: libraries that only know OpenID Connect discovery
// look for openid-configuration.
type metadata struct {
	Issuer                    string   `json:"issuer"`
	TokenEndpoint             string   `json:"token_endpoint"`
	JWKSURI                   string   `json:"jwks_uri"`
	GrantTypesSupported       []string `json:"grant_types_supported"`
	ResponseTypesSupported    []string `json:"response_types_supported"`
	TokenEndpointAuthMethods  []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported           []string `json:"scopes_supported,omitempty"`
	SigningAlgValuesSupported []string `json:"access_token_signing_alg_values_supported"`
	// RFC 7523 §2.2 client assertions, and RFC 7662 and RFC 7009 endpoints
	// (RFC 8414 §2), which authenticate clients as the token endpoint does.
	TokenEndpointAuthSigningAlgs []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	IntrospectionEndpoint        string   `json:"introspection_endpoint"`
	IntrospectionAuthMethods     []string `json:"introspection_endpoint_auth_methods_supported"`
	IntrospectionAuthSigningAlgs []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	RevocationEndpoint           string   `json:"revocation_endpoint"`
	RevocationAuthMethods        []string `json:"revocation_endpoint_auth_methods_supported"`
	RevocationAuthSigningAlgs    []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
	// RFC 9449 §5.1: the algorithms a DPoP proof may use.
	DPoPSigningAlgs []string `json:"dpop_signing_alg_values_supported"`
	// RFC 8705 §3.3: tokens are bound to the TLS client certificate
	// (HTTPConfig.TLSClientCerts).
	CertBoundTokens bool `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	// RFC 8705 §5: where a client authenticating with its certificate
	// sends its requests: the mTLS listener's endpoints, or the same ones
	// when there is none (docs/sender-constrained.md).
	MTLSAliases map[string]string `json:"mtls_endpoint_aliases,omitempty"`
}

// endpointURL joins the issuer and a path; Auth0-style issuers end in "/".
func endpointURL(issuer, path string) string {
	return strings.TrimSuffix(issuer, "/") + path
}

func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) error {
	apis, err := s.store.ListAPIs(r.Context())
	if err != nil {
		return oauth.ErrUnavailable.WithCause(err)
	}
	var scopes []string
	for _, api := range apis {
		scopes = append(scopes, api.Scopes...)
	}
	slices.Sort(scopes)
	m := metadata{
		Issuer:                    s.cfg.Issuer,
		TokenEndpoint:             endpointURL(s.cfg.Issuer, s.cfg.TokenPaths[0]),
		JWKSURI:                   endpointURL(s.cfg.Issuer, jwksPath),
		GrantTypesSupported:       []string{"client_credentials", clientauth.BearerGrantType},
		ResponseTypesSupported:    []string{},
		TokenEndpointAuthMethods:  clientauth.Methods,
		ScopesSupported:           slices.Compact(scopes),
		SigningAlgValuesSupported: mint.SigningAlgorithms,
	}
	m.TokenEndpointAuthSigningAlgs = assertionAlgs()
	m.IntrospectionEndpoint = endpointURL(s.cfg.Issuer, tokenstate.IntrospectionPath)
	m.IntrospectionAuthMethods, m.IntrospectionAuthSigningAlgs = clientauth.Methods, assertionAlgs()
	m.RevocationEndpoint = endpointURL(s.cfg.Issuer, tokenstate.RevocationPath)
	m.RevocationAuthMethods, m.RevocationAuthSigningAlgs = clientauth.Methods, assertionAlgs()
	m.DPoPSigningAlgs = dpopAlgs()
	m.CertBoundTokens = s.seesClientCerts()
	if m.CertBoundTokens {
		withTLS := append(slices.Clip(clientauth.Methods), clientauth.TLSMethods...)
		m.TokenEndpointAuthMethods, m.IntrospectionAuthMethods, m.RevocationAuthMethods = withTLS, withTLS, withTLS
		base := s.mtlsBase()
		m.MTLSAliases = map[string]string{
			"token_endpoint":         endpointURL(base, s.cfg.TokenPaths[0]),
			"introspection_endpoint": endpointURL(base, tokenstate.IntrospectionPath),
			"revocation_endpoint":    endpointURL(base, tokenstate.RevocationPath),
		}
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	oauth.WriteJSONCached(w, http.StatusOK, m)
	return nil
}

// dpopAlgs names the algorithms a DPoP proof may use.
func dpopAlgs() []string {
	algs := make([]string, len(dpop.Algorithms))
	for i, a := range dpop.Algorithms {
		algs[i] = string(a)
	}
	return algs
}

// assertionAlgs names the algorithms a client assertion may use.
func assertionAlgs() []string {
	algs := make([]string, len(clientauth.AssertionAlgorithms))
	for i, a := range clientauth.AssertionAlgorithms {
		algs[i] = string(a)
	}
	return algs
}
