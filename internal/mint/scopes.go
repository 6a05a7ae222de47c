package mint

import "slices"

// UnionScopes returns the scopes of a followed by those of b it lacks, in
// that order; a is not changed.
func UnionScopes(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// HasAllScopes reports whether have holds every scope of want.
func HasAllScopes(have, want []string) bool {
	return !slices.ContainsFunc(want, func(s string) bool { return !slices.Contains(have, s) })
}
