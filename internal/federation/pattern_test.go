package federation

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, value string
		want           bool
	}{
		{"repo:acme/deploy:ref:refs/heads/main", "repo:acme/deploy:ref:refs/heads/main", true},
		{"repo:acme/deploy:ref:refs/heads/main", "repo:acme/deploy:ref:refs/heads/main2", false},
		{"repo:acme/*:ref:refs/heads/main", "repo:acme/deploy:ref:refs/heads/main", true},
		{"repo:acme/*:ref:refs/heads/main", "repo:acme/:ref:refs/heads/main", true}, // empty run
		// '*' never crosses a separator: no deeper path, no other org.
		{"repo:acme/*:ref:refs/heads/main", "repo:acme/x/y:ref:refs/heads/main", false},
		{"repo:acme/*:ref:refs/heads/main", "repo:acme/x:ref:refs/heads/main:ref:refs/heads/main", false},
		{"repo:acme/*:ref:refs/heads/main", "repo:evil/acme/x:ref:refs/heads/main", false},
		{"repo:*/deploy:ref:refs/heads/main", "repo:acme/deploy:ref:refs/heads/main", true},
		{"repo:acme/*:ref:refs/heads/*", "repo:acme/deploy:ref:refs/heads/feature/x", false},
		{"repo:acme/*:ref:refs/heads/*", "repo:acme/deploy:ref:refs/heads/feature", true},
		{"repo:acme/*:environment:prod", "repo:acme/deploy:environment:prod", true},
		{"repo:acme/*:environment:prod", "repo:acme/deploy:environment:production", false},
		{"repo:acme/*:environment:prod*", "repo:acme/deploy:environment:production", true},
		{"acme/*/.github/workflows/deploy.yml@refs/heads/main", "acme/api/.github/workflows/deploy.yml@refs/heads/main", true},
		{"acme/*/.github/workflows/deploy.yml@refs/heads/main", "acme/api/.github/workflows/deploy.yml@refs/heads/mainx", false},
		{"system:serviceaccount:*:builder", "system:serviceaccount:ci:builder", true},
		{"system:serviceaccount:*:builder", "system:serviceaccount:ci:x:builder", false},
		{"v*-*", "v1-2", true},
		{"v*-*", "v1", false},
		{"*a*b", "xaybzab", true},
		{"*a*b", "xaybza", false},
		{"*", "", true},
		{"*", "anything", true},
		{"*", "a/b", false},
		{"*", ":", false},
		{"a:*", "a:", true},
		{"a:*", "a", false},
		{"a:*", "a/", false},        // separators must be the same ones
		{"ACME/*", "acme/x", false}, // case-sensitive
		{"caf\u00e9/*", "caf\u00e9/x", true},
		{"exact", "exact", true},
		{"exact", "Exact", false},
		{"exact", "", false},
	}
	for _, c := range cases {
		t.Run(c.pattern+"~"+c.value, func(t *testing.T) {
			if got := Match(c.pattern, c.value); got != c.want {
				t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.value, got, c.want)
			}
		})
	}
}

func TestValidPattern(t *testing.T) {
	cases := []struct {
		name, pattern string
		ok            bool
	}{
		{"exact", "repo:acme/deploy:ref:refs/heads/main", true},
		{"glob", "repo:acme/*:ref:refs/heads/main", true},
		{"empty", "", false},
		{"double star", "repo:acme/**", false},
		{"too many stars", strings.Repeat("*a", maxStars+1), false},
		{"too long", strings.Repeat("a", MaxPatternBytes+1), false},
		{"control character", "a\nb", false},
		{"not UTF-8", "a\xffb", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := ValidPattern(c.pattern); (err == nil) != c.ok {
				t.Errorf("ValidPattern(%q) = %v, want ok %v", c.pattern, err, c.ok)
			}
		})
	}
}

// FuzzMatch checks Match against a slow, obviously right definition: the
// pattern with each '*' turned into "any run of non-separators", decided
// by trying every split.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"repo:acme/*:ref:refs/heads/main", "repo:acme/deploy:ref:refs/heads/main"},
		{"*a*b", "xaybzab"}, {"a:*", "a/"}, {"*", ""}, {"v*-*", "v1-2"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, value string) {
		if len(pattern) > 24 || len(value) > 24 || ValidPattern(pattern) != nil {
			return
		}
		if got, want := Match(pattern, value), slowMatch(pattern, value); got != want {
			t.Fatalf("Match(%q, %q) = %v, want %v", pattern, value, got, want)
		}
	})
}

func slowMatch(p, v string) bool {
	if p == "" {
		return v == ""
	}
	if p[0] != '*' {
		return v != "" && p[0] == v[0] && slowMatch(p[1:], v[1:])
	}
	for i := 0; i <= len(v); i++ {
		if i > 0 && isSeparator(v[i-1]) {
			return false
		}
		if slowMatch(p[1:], v[i:]) {
			return true
		}
	}
	return false
}
