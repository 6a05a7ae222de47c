package token

import (
	"slices"
	"strings"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// parseScope splits a scope parameter (RFC 6749 §3.3): scope tokens of
// NQCHAR separated by spaces. Repeated tokens are collapsed; runs of spaces
// are tolerated. An empty parameter asks for no particular scope: nil.
func parseScope(param string) ([]string, error) {
	if param == "" {
		return nil, nil
	}
	if strings.IndexByte(param, ' ') < 0 && validScopeToken(param) {
		// One scope, the usual narrowing: no split, no set of seen ones.
		return []string{param}, nil
	}
	return parseScopeList(param)
}

// parseScopeList is parseScope's general reading, of any parameter.
func parseScopeList(param string) ([]string, error) {
	var scopes []string
	seen := map[string]bool{}
	for tok := range strings.SplitSeq(param, " ") {
		if tok == "" || seen[tok] {
			continue
		}
		if !validScopeToken(tok) {
			return nil, oauth.ErrInvalidScope.WithField(paramScope).Describe(
				"scope %q is malformed: scopes are separated by spaces and use printable ASCII other than \" and \\", clip(tok))
		}
		seen[tok] = true
		scopes = append(scopes, tok)
	}
	return scopes, nil
}

// validScopeToken: 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(tok string) bool {
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// grantedScopes returns the scopes the token carries, in the API's order:
// those the grant allows and the API still defines, narrowed to the
// requested ones when the request names any.
//
// When the request names none and the grant allows every scope of the
// API, the usual case, it returns the API's own list (clipped, so that an
// append copies): callers only read it.
func grantedScopes(api mint.API, grant mint.Grant, requested []string) ([]string, error) {
	if requested == nil && len(api.Scopes) > 0 && allIn(api.Scopes, grant.Scopes) {
		return slices.Clip(api.Scopes), nil
	}
	if grantedInOrder(api, grant, requested) {
		return slices.Clip(requested), nil // what the narrowing below would build
	}
	allowed := make([]string, 0, len(api.Scopes)) // one allocation, not one per doubling
	for _, s := range api.Scopes {
		if slices.Contains(grant.Scopes, s) {
			allowed = append(allowed, s)
		}
	}
	if requested == nil {
		return allowed, nil
	}
	for _, s := range requested {
		if !slices.Contains(allowed, s) {
			return nil, oauth.ErrInvalidScope.WithField(paramScope).Describe(
				"scope %q is not granted to this client for this audience", clip(s))
		}
	}
	return slices.DeleteFunc(allowed, func(s string) bool { return !slices.Contains(requested, s) }), nil
}

// grantedInOrder reports whether requested (not nil, without duplicates,
// as parseScope gives it) names only scopes the grant allows and the API
// defines, in the API's order: then the token's scopes are requested
// itself, and a request naming one scope, the usual narrowing, costs no
// list of its own.
func grantedInOrder(api mint.API, grant mint.Grant, requested []string) bool {
	if requested == nil {
		return false
	}
	last := -1
	for _, s := range requested {
		i := slices.Index(api.Scopes, s)
		if i <= last || !slices.Contains(grant.Scopes, s) {
			return false
		}
		last = i
	}
	return true
}

// allIn reports whether every element of list is in set.
func allIn(list, set []string) bool {
	for _, s := range list {
		if !slices.Contains(set, s) {
			return false
		}
	}
	return true
}

// clip shortens a value echoed in an error description.
func clip(s string) string {
	const most = 64
	if len(s) <= most {
		return s
	}
	return s[:most] + "…"
}
