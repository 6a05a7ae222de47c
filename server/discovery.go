package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/mintauth/mint"
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
		GrantTypesSupported:       []string{"client_credentials"},
		ResponseTypesSupported:    []string{},
		TokenEndpointAuthMethods:  []string{"client_secret_basic", "client_secret_post"},
		ScopesSupported:           slices.Compact(scopes),
		SigningAlgValuesSupported: mint.SigningAlgorithms,
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	oauth.WriteJSONCached(w, http.StatusOK, m)
	return nil
}
