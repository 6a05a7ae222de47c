package gateway

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzCanonicalPath: a path canonicalPath accepts is a fixed point (its
// canonical escaping reads back the same), and has none of the forms
// servers disagree about.
func FuzzCanonicalPath(f *testing.F) {
	for _, s := range []string{"/", "/a/b/", "/a%20b", "/%2e%2e/x", "/a;b", `/a\b`, "/caf%C3%A9", "/%c0%ae", "//a", "/a./b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := canonicalPath(raw)
		if err != nil {
			return
		}
		again, err := canonicalPath((&url.URL{Path: p}).EscapedPath())
		if err != nil || again != p {
			t.Fatalf("%q -> %q, whose escaping reads back as %q, %v", raw, p, again, err)
		}
		for _, s := range strings.Split(p[1:], "/") {
			if s == "." || s == ".." || strings.ContainsAny(s, "\\;%\x00") {
				t.Fatalf("%q -> %q has segment %q", raw, p, s)
			}
		}
	})
}
