package admin

import "github.com/mintauth/mint/internal/mint"

// The admin API's own checks, exported for `mint import clients`
// (package cli), which creates clients and grants without the admin API and
// must refuse what the admin API refuses. Each returns an *oauth.Error whose
// description names the field and never quotes a secret.

// DecodeStrict decodes body, one JSON object, into req as the admin API
// decodes a request body (unknown fields, names in another case and names
// given twice are refused), then runs req.Validate.
func DecodeStrict(body []byte, req interface{ Validate() error }) error {
	if err := unmarshal(body, req); err != nil {
		return err
	}
	return req.Validate()
}

// ValidName checks a client's (or an API's) name.
func ValidName(name string) error { return validName(name) }

// ValidAudience checks a grant's audience.
func ValidAudience(audience string) error { return validAudience(audience) }

// AllowedScopes checks that a grant asks only for scopes its API defines.
func AllowedScopes(api mint.API, scopes []string) error { return allowedScopes(api, scopes) }

// CheckNewAPI checks an API as POST /admin/v1/apis would, for `mint import
// auth0`, which creates the APIs of an Auth0 tenant.
func CheckNewAPI(name, audience string, scopes []string, tokenLifetime int64, signingAlg string) error {
	req := createAPIRequest{Name: name, Audience: audience, Scopes: scopes, TokenLifetime: &tokenLifetime, SigningAlg: signingAlg}
	return req.Validate()
}
