package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// marshalledDetails is what TokenIssued wrote with json.Marshal before
// issuedDetails: the reference issuedDetails must match byte for byte.
func marshalledDetails(audience string, scopes []string, jti string, sample int) []byte {
	if scopes == nil {
		scopes = []string{}
	}
	b, _ := json.Marshal(struct {
		Audience string   `json:"audience"`
		Scopes   []string `json:"scopes"`
		JTI      string   `json:"jti"`
		Sample   int      `json:"sample,omitempty"`
	}{audience, scopes, jti, sample})
	return b
}

func TestIssuedDetailsIsJSONMarshal(t *testing.T) {
	for _, tc := range []struct {
		name     string
		audience string
		scopes   []string
		jti      string
		sample   int
	}{
		{"typical", "https://api.example.com/orders", []string{"read:orders", "write:orders"}, "3q2-7wAAAAAAAAAAAAAAAA", 0},
		{"no scopes", "https://api.example.com", nil, "abc", 0},
		{"empty scopes", "https://api.example.com", []string{}, "abc", 0},
		{"sampled", "https://api.example.com", []string{"a"}, "abc", 1000},
		{"escapes", `https://x.test/?a=1&b=<2>"\`, []string{"é", "\u2028", "\x00\x1f", "\xff"}, "", 0},
		{"empty", "", []string{""}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, want := issuedDetails(tc.audience, tc.scopes, tc.jti, tc.sample), marshalledDetails(tc.audience, tc.scopes, tc.jti, tc.sample)
			if !bytes.Equal(got, want) {
				t.Fatalf("issuedDetails\n got %s\nwant %s", got, want)
			}
		})
	}
}

func FuzzIssuedDetails(f *testing.F) {
	f.Add("https://api.example.com", "read:orders write:orders", "3q2-7wAAAAAAAAAAAAAAAA", 0)
	f.Add(`<&>"\`, "\x00 \xff \u2028", "", 7)
	f.Fuzz(func(t *testing.T, audience, scopeList, jti string, sample int) {
		var scopes []string
		if scopeList != "" {
			scopes = strings.Split(scopeList, " ")
		}
		got, want := issuedDetails(audience, scopes, jti, sample), marshalledDetails(audience, scopes, jti, sample)
		if !bytes.Equal(got, want) {
			t.Fatalf("issuedDetails(%q, %q, %q, %d)\n got %q\nwant %q", audience, scopes, jti, sample, got, want)
		}
	})
}
