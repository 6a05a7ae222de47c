package token

import (
	"errors"
	"slices"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

// narrowScopes is grantedScopes as it was before its shortcuts: the API's
// scopes the grant allows, narrowed to the requested ones, in the API's
// order; an error for a requested scope not among them.
func narrowScopes(api mint.API, grant mint.Grant, requested []string) ([]string, error) {
	var allowed []string
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
			return nil, errors.New("not granted")
		}
	}
	return slices.DeleteFunc(allowed, func(s string) bool { return !slices.Contains(requested, s) }), nil
}

// orderings returns every ordered selection without repeats from set
// (the empty one included).
func orderings(set []string) [][]string {
	out := [][]string{{}}
	for i, s := range set {
		rest := slices.Concat(set[:i:i], set[i+1:])
		for _, tail := range orderings(rest) {
			out = append(out, append([]string{s}, tail...))
		}
	}
	return out
}

// TestGrantedScopesNarrowing: for every API scope list, grant and request
// over four scopes (orders and subsets), grantedScopes gives the scopes,
// or the refusal, that narrowing the API's list gives.
func TestGrantedScopesNarrowing(t *testing.T) {
	universe := []string{"a", "b", "c", "d"}
	all := orderings(universe)
	for _, apiScopes := range all {
		for _, grantScopes := range all {
			if len(grantScopes) > 1 && !slices.IsSorted(grantScopes) {
				continue // a grant's order does not matter
			}
			api, grant := mint.API{Scopes: apiScopes}, mint.Grant{Scopes: grantScopes}
			for _, requested := range append(all, nil) {
				want, werr := narrowScopes(api, grant, requested)
				got, err := grantedScopes(api, grant, requested)
				if (err == nil) != (werr == nil) || !slices.Equal(got, want) {
					t.Fatalf("api %q grant %q requested %q: %q, %v; want %q, %v", apiScopes, grantScopes, requested, got, err, want, werr)
				}
			}
		}
	}
}

// FuzzParseScope: parseScope's one-scope fast path reads a parameter as
// the general reading (parseScopeList) does: the same scopes or the same
// refusal.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"", " ", "read:orders", "a b", "a  a", "\"", "a\\", "é", "\x7f", " a", "a "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, param string) {
		got, errGot := parseScope(param)
		want, errWant := parseScopeList(param)
		if !slices.Equal(got, want) || (errGot == nil) != (errWant == nil) ||
			errGot != nil && errGot.Error() != errWant.Error() {
			t.Fatalf("parseScope(%q) = %q, %v; parseScopeList: %q, %v", param, got, errGot, want, errWant)
		}
	})
}
