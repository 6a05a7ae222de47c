package policy

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseMetadataPair: whatever the command line gives, the parser
// returns a pair CheckMetadata accepts, or ErrMetadata; never a panic, a
// key that is not ASCII, or a value with a control character.
func FuzzParseMetadataPair(f *testing.F) {
	for _, s := range []string{"tier=gold", "a=", "=x", "a=b=c", "tïer=x", "k=\x00", "k=é", "x", "", "A.b-c_d=v",
		strings.Repeat("k", 65) + "=v", "k=" + strings.Repeat("v", 257), "k=\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, v, err := ParseMetadataPair(s)
		if err != nil {
			if !errors.Is(err, ErrMetadata) {
				t.Fatalf("ParseMetadataPair(%q): error %v does not wrap ErrMetadata", s, err)
			}
			return
		}
		if k+"="+v != s {
			t.Fatalf("ParseMetadataPair(%q) = %q, %q: not the text given", s, k, v)
		}
		if err := CheckMetadata(map[string]string{k: v}); err != nil {
			t.Fatalf("ParseMetadataPair(%q) accepted what CheckMetadata refuses: %v", s, err)
		}
		if !utf8.ValidString(v) || strings.ContainsAny(k, "=\x00") {
			t.Fatalf("ParseMetadataPair(%q) = %q, %q", s, k, v)
		}
	})
}

// FuzzCompile: any text either compiles or is refused with ErrCompile, in
// bounded time (the parser's limits); what compiles runs on a fixed input
// without a panic, and any claims it adds are valid JSON members with no
// registered name.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{`true`, `{"deny": "x"}`, `claims({"a": client.name})`, `client.metadata.?x.orValue("")`,
		strings.Repeat("(", 40) + "true" + strings.Repeat(")", 40), `[1,2].map(x, [x, x].map(y, y * 2))`,
		`{"claims": {"s" + "ub": 1}}`, `cidr("10.0.0.0/8").containsIP(request.source)`, `request.time > timestamp("2020-01-01T00:00:00Z")`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(src)
		if err != nil {
			if !errors.Is(err, ErrCompile) {
				t.Fatalf("Compile(%q): %v does not wrap ErrCompile", src, err)
			}
			return
		}
		d, err := p.Evaluate(testInput())
		if err != nil || d.Deny || len(d.Claims) == 0 {
			return
		}
		checkClaimsJSON(t, src, d.Claims)
	})
}
