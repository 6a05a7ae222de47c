package federation

import "testing"

// TestCheckURLsHosts: only hosts an issuer can have (DNS names and IP
// addresses, with a sane port) pass; what url.Parse lets through besides
// is refused.
func TestCheckURLsHosts(t *testing.T) {
	for _, tc := range []struct {
		issuer string
		ok     bool
	}{
		{"https://token.actions.githubusercontent.com", true},
		{"https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123", true},
		{"https://192.0.2.10:8443", true},
		{"https://[2001:db8::1]:8443/realm", true},
		{"http://127.0.0.1:9000", true},
		{"http://[::1]:9000", true},
		{`https://"><script>alert(1)</script>`, false},
		{"https://exa mple.com", false},
		{"https://example.com:0", false},
		{"https://example.com:070", false},
		{"https://example.com:65536", false},
		{"https://exa%6dple.com", false},
		{"https://example.com\u200b", false},
		{"https://ex_ample.com", false},
	} {
		err := CheckURLs(tc.issuer, "", false)
		if (err == nil) != tc.ok {
			t.Errorf("CheckURLs(%q) = %v; want ok %v", tc.issuer, err, tc.ok)
		}
	}
}

// FuzzCheckURLsHosts: whatever passes names a host of DNS characters or
// an IP address.
func FuzzCheckURLsHosts(f *testing.F) {
	for _, s := range []string{"https://a.example", `https://"><x>`, "https://[::1]:1", "http://127.0.0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if CheckURLs(raw, "", true) != nil {
			return
		}
		for _, c := range []byte(raw) {
			if c == '"' || c == '<' || c == '>' || c == '\'' || c == ' ' || c < 0x20 || c >= 0x7f {
				t.Fatalf("CheckURLs accepted %q", raw)
			}
		}
	})
}
