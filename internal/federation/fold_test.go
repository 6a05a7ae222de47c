package federation_test

import (
	"net/url"
	"testing"
)

// TestRegisteredClaimsByAnotherName: Go's encoding/json, which reads a
// token's registered claims, matches object names without regard to case
// and folds "ſ" (U+017F) to "s" and "K" (U+212A) to "k": a claim named
// "ſub" or "SUB" that comes after "sub" replaces the subject mint reads,
// while the issuer, other relying parties and the rule's claim conditions
// see two claims. An issuer that lets its users name claims of their own
// (custom claims, extension attributes) would then sign a token that
// mint reads as another workload's. go-jose decodes claims with its own
// case-sensitive fork of encoding/json, so mint reads "sub" and only
// "sub": this test keeps it so (a switch to encoding/json would fail it).
func TestRegisteredClaimsByAnotherName(t *testing.T) {
	f := newFixture(t, "sqlite")
	const attacker = "repo:mallory/tools:ref:refs/heads/main"
	cases := []struct{ name, key, value string }{
		{"long s in sub", "ſub", githubSubject},
		{"upper case sub", "SUB", githubSubject},
		{"long s in iss", "iſs", githubIssuer},
		{"title case aud", "Aud", mintIssuer},
		{"upper case exp", "EXP", "x"},
	}
	control := f.githubClaims()
	if a := post(t, f.a, url.Values{"grant_type": {bearerGrant}, "assertion": {f.gh.sign(control)}, "audience": {cargo}}); a.status != 200 {
		t.Fatalf("control: the workload's own token was refused: %d %v", a.status, a.body)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims := f.githubClaims()
			claims["sub"] = attacker // the attacker's own workload
			claims[c.key] = c.value
			tok := f.gh.sign(claims)
			a := post(t, f.a, url.Values{"grant_type": {bearerGrant}, "assertion": {tok}, "audience": {cargo}})
			if a.status == 200 {
				t.Fatalf("a token for %s with %q=%q got a token: %v", attacker, c.key, c.value, payload(t, a.str("access_token")))
			}
			if a.status != 400 || a.str("error") != "invalid_grant" {
				t.Fatalf("want invalid_grant, got %d %v", a.status, a.body)
			}
		})
	}
}
