package dpop

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzNormalizeURLNoConfusion: two URLs that normalize alike are one
// resource to a server: the same scheme, host (without case), port (the
// default one spelled or not) and the same decoded path. A proof for one
// must never pass for another that a router serves apart.
func FuzzNormalizeURLNoConfusion(f *testing.F) {
	for _, s := range [][2]string{
		{"https://api.example/v1", "HTTPS://API.EXAMPLE:443/v1"},
		{"https://api.example/%7e", "https://api.example/~"},
		{"https://api.example/a%2fb", "https://api.example/a/b"},
		{"https://api.example/a%2Fb", "https://api.example/a%2fb"},
		{"http://a:80/", "http://a"},
		{"https://a:/x", "https://a/x"},
		{"https://[::1]:443/x", "https://[::1]/x"},
		{"https://a/x?y", "https://a/x#z"},
		{"https://a%2eb/x", "https://a.b/x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na, errA := NormalizeURL(a)
		nb, errB := NormalizeURL(b)
		if errA != nil || errB != nil || na != nb {
			return
		}
		ua, ub := parseForCompare(t, a), parseForCompare(t, b)
		if ua == nil || ub == nil {
			t.Fatalf("%q and %q normalize to %q but do not both parse", a, b, na)
		}
		if !strings.EqualFold(ua.Scheme, ub.Scheme) || !strings.EqualFold(ua.Hostname(), ub.Hostname()) ||
			port(ua) != port(ub) || ua.Path != ub.Path {
			t.Fatalf("%q and %q normalize alike (%q) but name different resources: %#v %#v", a, b, na, ua, ub)
		}
	})
}

func parseForCompare(t *testing.T, s string) *url.URL {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}
