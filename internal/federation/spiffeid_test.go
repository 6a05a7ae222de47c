package federation

import (
	"strings"
	"testing"
)

// TestParseSPIFFEID: the one spelling of each ID parses; every other
// spelling an attacker could try is refused.
func TestParseSPIFFEID(t *testing.T) {
	long := "spiffe://" + strings.Repeat("a", 255)
	cases := []struct {
		in       string
		td, path string
		bad      bool
	}{
		{in: "spiffe://example.org", td: "example.org"},
		{in: "spiffe://example.org/ns/prod/sa/billing", td: "example.org", path: "/ns/prod/sa/billing"},
		{in: "spiffe://a-b_c.9/A.b-C_d/..x/x..", td: "a-b_c.9", path: "/A.b-C_d/..x/x.."},
		{in: long, td: strings.Repeat("a", 255)},
		{in: long + "a", bad: true},
		{in: "spiffe://example.org/" + strings.Repeat("a", 2048-len("spiffe://example.org/")), td: "example.org", path: "/" + strings.Repeat("a", 2048-len("spiffe://example.org/"))},
		{in: "spiffe://example.org/" + strings.Repeat("a", 2049-len("spiffe://example.org/")), bad: true},
		{in: "", bad: true},
		{in: "spiffe://", bad: true},
		{in: "spiffe:///path", bad: true},
		{in: "SPIFFE://example.org", bad: true},
		{in: "Spiffe://example.org", bad: true},
		{in: "spiffe:/example.org", bad: true},
		{in: "spiffe:example.org", bad: true},
		{in: "https://example.org/x", bad: true},
		{in: " spiffe://example.org/x", bad: true},
		{in: "spiffe://Example.org/x", bad: true},
		{in: "spiffe://example.org:8443/x", bad: true},
		{in: "spiffe://user@example.org/x", bad: true},
		{in: "spiffe://[::1]/x", bad: true},
		{in: "spiffe://example.org/", bad: true},
		{in: "spiffe://example.org//x", bad: true},
		{in: "spiffe://example.org/x/", bad: true},
		{in: "spiffe://example.org/.", bad: true},
		{in: "spiffe://example.org/..", bad: true},
		{in: "spiffe://example.org/x/./y", bad: true},
		{in: "spiffe://example.org/x/../y", bad: true},
		{in: "spiffe://example.org/%2e%2e/y", bad: true},
		{in: "spiffe://example.org/a%2Fb", bad: true},
		{in: "spiffe://exam%70le.org/x", bad: true},
		{in: "spiffe://example.org/x?y", bad: true},
		{in: "spiffe://example.org/x#y", bad: true},
		{in: "spiffe://example.org/x y", bad: true},
		{in: "spiffe://example.org/x\x00", bad: true},
		{in: "spiffe://example.org/caf\u00e9", bad: true},
		{in: "spiffe://ex\u0430mple.org/x", bad: true}, // Cyrillic a
		{in: "spiffe://example.org\\x", bad: true},
	}
	for _, c := range cases {
		id, err := ParseSPIFFEID(c.in)
		switch {
		case c.bad && err == nil:
			t.Errorf("ParseSPIFFEID(%q) = %+v, want an error", c.in, id)
		case !c.bad && err != nil:
			t.Errorf("ParseSPIFFEID(%q): %v", c.in, err)
		case !c.bad && (id.TrustDomain != c.td || id.Path != c.path || id.String() != c.in):
			t.Errorf("ParseSPIFFEID(%q) = %+v, want %q %q", c.in, id, c.td, c.path)
		}
	}
}

func TestParseTrustDomainID(t *testing.T) {
	if _, err := ParseTrustDomainID("spiffe://example.org"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"spiffe://example.org/x", "spiffe://example.org/", "example.org"} {
		if _, err := ParseTrustDomainID(bad); err == nil {
			t.Errorf("ParseTrustDomainID(%q) accepted", bad)
		}
	}
}

// FuzzParseSPIFFEID: whatever the input, an ID that parses is its own
// one spelling, within the bounds, with only the allowed bytes, and no
// dot or empty segment.
func FuzzParseSPIFFEID(f *testing.F) {
	for _, s := range []string{"spiffe://example.org/ns/prod", "spiffe://a/b/../c", "spiffe://a/%41", "spiffe://A/b", "spiffe://a//b", "spiffe://a:1/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseSPIFFEID(s)
		if err != nil {
			return
		}
		if id.String() != s || len(s) > maxSPIFFEID || id.TrustDomain == "" || len(id.TrustDomain) > maxTrustDomain {
			t.Fatalf("%q parsed as %+v", s, id)
		}
		if strings.ContainsAny(s[len(SPIFFEScheme):], "%:@?#\\ ") || strings.ContainsAny(id.TrustDomain, "ABCDEFGHIJKLMNOPQRSTUVWXYZ/") {
			t.Fatalf("%q parsed with a forbidden byte", s)
		}
		if id.Path != "" {
			for _, seg := range strings.Split(id.Path[1:], "/") {
				if seg == "" || seg == "." || seg == ".." {
					t.Fatalf("%q parsed with segment %q", s, seg)
				}
			}
		}
		if again, err := ParseSPIFFEID(id.String()); err != nil || again != id {
			t.Fatalf("%q does not parse again the same", s)
		}
	})
}

// FuzzParseSVID: whatever a stranger sends as a jwt-spiffe assertion,
// parseSVID answers a *Refusal or an SVID whose sub is a workload's
// SPIFFE ID with aud and exp, never a panic.
func FuzzParseSVID(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJzcGlmZmU6Ly9leGFtcGxlLm9yZy9hIiwiYXVkIjoieCIsImV4cCI6MX0.c2ln")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	v := &Verifier{OwnIssuer: "https://mint.example"}
	f.Fuzz(func(t *testing.T, token string) {
		_, c, id, err := v.parseSVID(token)
		if err != nil {
			if _, ok := err.(*Refusal); !ok {
				t.Fatalf("%T: %v", err, err)
			}
			return
		}
		if id.Path == "" || id.String() != c.Subject || len(c.Audience) == 0 || c.Expiry == nil {
			t.Fatalf("accepted %+v as %+v", c, id)
		}
	})
}
