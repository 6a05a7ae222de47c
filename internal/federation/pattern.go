package federation

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The pattern language of a trust rule's claim conditions. A pattern is
// the exact value, except that each '*' matches any run of characters,
// the empty run included, within one segment: it never matches ':' or '/',
// the separators of the values partners match on (GitHub's sub
// "repo:ORG/REPO:ref:refs/heads/BRANCH", job_workflow_ref
// "ORG/REPO/.github/workflows/F.yml@refs/heads/BRANCH", Kubernetes'
// "system:serviceaccount:NS:NAME"). So "repo:acme/*:ref:refs/heads/main"
// matches every repository of acme on main, and can never match a repo of
// another organisation whose name happens to contain "acme/", nor a
// branch "main" of a path that goes deeper. There is no escape: a literal
// '*' cannot be matched, and no claim value partners use holds one.
// Matching is on bytes, case-sensitive; it costs at most
// len(pattern)·len(value) steps, both bounded.

// Bounds of a claim condition.
const (
	MaxPatternBytes = 512
	maxStars        = 8
)

// separators end a segment.
const separators = ":/"

func isSeparator(b byte) bool { return strings.IndexByte(separators, b) >= 0 }

// ValidPattern says why p is not a usable claim value, or nil.
func ValidPattern(p string) error {
	switch {
	case p == "":
		return errors.New("must not be empty")
	case len(p) > MaxPatternBytes:
		return fmt.Errorf("must be at most %d bytes", MaxPatternBytes)
	case !utf8.ValidString(p):
		return errors.New("must be UTF-8")
	case strings.Count(p, "*") > maxStars:
		return fmt.Errorf("must hold at most %d '*'", maxStars)
	case strings.Contains(p, "**"):
		return errors.New("'**' means nothing more than '*': write one")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return errors.New("must not hold control characters")
		}
	}
	return nil
}

// Match reports whether value matches pattern (see the language above).
func Match(pattern, value string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == value
	}
	for {
		pi := strings.IndexAny(pattern, separators)
		vi := strings.IndexAny(value, separators)
		if (pi < 0) != (vi < 0) {
			return false
		}
		if pi < 0 {
			return matchSegment(pattern, value)
		}
		if pattern[pi] != value[vi] || !matchSegment(pattern[:pi], value[:vi]) {
			return false
		}
		pattern, value = pattern[pi+1:], value[vi+1:]
	}
}

// matchSegment matches one segment, free of separators, where '*' matches
// any run: the classic two-pointer match, backtracking only to the last
// star.
func matchSegment(p, v string) bool {
	pi, vi := 0, 0
	star, mark := -1, 0
	for vi < len(v) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, vi
			pi++
		case pi < len(p) && p[pi] == v[vi]:
			pi++
			vi++
		case star >= 0:
			mark++
			pi, vi = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
