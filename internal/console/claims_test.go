package console_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/console"
)

func TestParseClaimsText(t *testing.T) {
	cases := []struct {
		name, text string
		want       map[string]string // nil: refused
	}{
		{"empty", "", map[string]string{}},
		{"blank lines", "\n  \r\n\t\n", map[string]string{}},
		{"one", "environment=prod", map[string]string{"environment": "prod"}},
		{"spaces trimmed, CRLF", " environment = prod \r\nref=refs/heads/main\r\n", map[string]string{"environment": "prod", "ref": "refs/heads/main"}},
		{"value with =", "job_workflow_ref=acme/x/.github/workflows/a.yml@refs/heads/main?x=y", map[string]string{"job_workflow_ref": "acme/x/.github/workflows/a.yml@refs/heads/main?x=y"}},
		{"pattern kept", "sub_path=repo:acme/*", map[string]string{"sub_path": "repo:acme/*"}},
		{"empty value", "team=", map[string]string{"team": ""}},
		{"no =", "environment", nil},
		{"no name", "=prod", nil},
		{"blank name", "  =prod", nil},
		{"twice", "env=a\nenv=b", nil},
		{"twice, spaced", "env=a\n env =a", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := console.ParseClaimsText(tc.text)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("accepted as %v, want refused", got)
				}
				return
			}
			if err != nil || !maps.Equal(got, tc.want) {
				t.Fatalf("= %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// FuzzParseClaimsText: any text is read or refused without a panic, and
// what is read, written back one name=value a line, reads the same.
func FuzzParseClaimsText(f *testing.F) {
	for _, s := range []string{"", "a=b", "a=b\nc=d=e", " a = b \r\n", "=x", "a", "a=1\na=2", "\x00=\x01", "ü=ß\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := console.ParseClaimsText(text)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(got)) {
			if k == "" || strings.Contains(k, "=") || strings.TrimSpace(k) != k {
				t.Fatalf("name %q read from %q", k, text)
			}
			b.WriteString(k + "=" + got[k] + "\n")
		}
		again, err := console.ParseClaimsText(b.String())
		if err != nil || !maps.Equal(again, got) {
			t.Fatalf("%q read as %v, written back and read as %v, %v", text, got, again, err)
		}
	})
}
