package admin

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/tokenstate"
	"github.com/mintauth/mint/oauth"
)

// realm names mint in every WWW-Authenticate challenge (RFC 6750 §3).
const realm = "mint"

// authenticate verifies the request's bearer token (RFC 6750 §2.1) with
// a.Verifier and returns its claims.
func (a *API) authenticate(r *http.Request) (*bearer.Claims, error) {
	raw, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		// No credentials: a bare challenge without an error code (§3.1).
		return nil, oauth.ErrInvalidToken.
			Describe("an admin access token is required").
			WithHeader("WWW-Authenticate", challenge())
	}
	claims, err := a.Verifier.Verify(r.Context(), raw)
	if errors.Is(err, bearer.ErrKeysNotReady) {
		return nil, oauth.ErrUnavailable.WithCause(err)
	}
	if err != nil {
		desc := tokenProblem(err)
		return nil, oauth.ErrInvalidToken.Describe("%s", desc).WithCause(err).
			WithHeader("WWW-Authenticate", challenge(
				"error", oauth.ErrInvalidToken.Code, "error_description", desc))
	}
	if claims.Bound() {
		// The admin API checks no DPoP proof or certificate: a bound
		// token sent here as a bearer token may be a stolen one.
		const desc = "the admin API takes bearer tokens only; this token is bound to a key"
		return nil, oauth.ErrInvalidToken.Describe(desc).WithHeader("WWW-Authenticate", challenge(
			"error", oauth.ErrInvalidToken.Code, "error_description", desc))
	}
	if err := a.checkLive(r, claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// checkLive refuses an admin token that was revoked, or whose client was
// deleted or had its tokens revoked, though its signature still verifies.
// A live token keeps only the scopes its client's grant on the admin API
// holds now: a grant narrowed or removed since the token was issued takes
// its power away at once, not when the token expires. The store is read
// on every request (the admin API's store is not cached), so no change
// committed before a request starts is missed.
func (a *API) checkLive(r *http.Request, claims *bearer.Claims) error {
	live, err := tokenstate.Live(r.Context(), a.Store, claims)
	if err != nil {
		return oauth.As(err)
	}
	if !live {
		return refusedToken("the access token was revoked, or its client no longer exists")
	}
	grant, err := a.Store.FindGrant(r.Context(), claims.ClientID, mint.AdminAudience)
	if errors.Is(err, mint.ErrNotFound) {
		return refusedToken("the access token's client no longer holds a grant on the admin API")
	}
	if err != nil {
		return oauth.As(err)
	}
	claims.Scopes = slices.DeleteFunc(slices.Clone(claims.Scopes), func(s string) bool {
		return !slices.Contains(grant.Scopes, s)
	})
	return nil
}

// refusedToken is the 401 invalid_token of a token that verifies but may
// no longer be used.
func refusedToken(desc string) error {
	return oauth.ErrInvalidToken.Describe("%s", desc).WithHeader("WWW-Authenticate", challenge(
		"error", oauth.ErrInvalidToken.Code, "error_description", desc))
}

// requireScope checks that the token carries scope; "" needs none.
func requireScope(c *bearer.Claims, scope string) error {
	if scope == "" || c.HasScopes(scope) {
		return nil
	}
	desc := "the access token lacks the scope " + scope
	return oauth.ErrInsufficientScope.Describe("%s", desc).
		WithHeader("WWW-Authenticate", challenge(
			"error", oauth.ErrInsufficientScope.Code, "error_description", desc, "scope", scope))
}

// bearerToken returns the token of an "Authorization: Bearer" header. The
// scheme is case-insensitive (RFC 9110 §11.1); any other scheme counts as no
// token at all.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// tokenProblem says why a token was refused without echoing the token or
// the verifier's internals.
func tokenProblem(err error) string {
	switch {
	case errors.Is(err, bearer.ErrExpired):
		return "the access token expired"
	case errors.Is(err, bearer.ErrNotYetValid):
		return "the access token is not valid yet"
	case errors.Is(err, bearer.ErrAudience):
		return "the access token is not for the admin API"
	case errors.Is(err, bearer.ErrIssuer):
		return "the access token was not issued by this server"
	}
	return "the access token is malformed or its signature is invalid"
}

// challenge builds `Bearer realm="mint"` with the given attribute pairs.
// Values are mint's own words and scope names, which contain neither '"'
// nor '\' (RFC 6749 §3.3), so they need no escaping.
func challenge(attrs ...string) string {
	var b strings.Builder
	b.WriteString(`Bearer realm="` + realm + `"`)
	for i := 0; i+1 < len(attrs); i += 2 {
		b.WriteString(", " + attrs[i] + `="` + attrs[i+1] + `"`)
	}
	return b.String()
}
