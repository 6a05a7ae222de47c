package admin

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/federation"
)

// TestSPIFFERules: a SPIFFE rule with an exact SPIFFE ID is stored as
// given; one with a pattern is stored under federation.SPIFFEAnySubject
// with the pattern as the sub condition, and shown back as given.
func TestSPIFFERules(t *testing.T) {
	h := newHarness(t)
	h.seedClient("partner", nil)
	base := "/admin/v1/clients/partner/federated-credentials"
	for _, c := range []struct{ subject, stored string }{
		{"spiffe://example.org/ns/prod/sa/billing", "spiffe://example.org/ns/prod/sa/billing"},
		{"spiffe://example.org/ns/batch/sa/*", federation.SPIFFEAnySubject},
	} {
		body := fmt.Sprintf(`{"issuer":"spiffe://example.org","subject":%q,"jwks_uri":"https://spire.example.org/bundle","claims":{"team":"pay"}}`, c.subject)
		var made, got federatedView
		h.json("POST", base, body, 201, &made)
		h.json("GET", base+"/"+made.ID, nil, 200, &got)
		if made.Subject != c.subject || got.Subject != c.subject || len(got.Claims) != 1 || got.Claims["team"] != "pay" || got.Audience != testIssuer {
			t.Fatalf("%s: created %+v, read %+v", c.subject, made, got)
		}
		stored, err := h.store.GetFederatedCredential(t.Context(), "partner", made.ID)
		if err != nil || stored.Subject != c.stored || stored.Issuer != "spiffe://example.org" {
			t.Fatalf("%s: stored %+v, %v", c.subject, stored, err)
		}
		if c.stored == federation.SPIFFEAnySubject && stored.Claims["sub"] != c.subject {
			t.Fatalf("pattern stored as %+v", stored.Claims)
		}
	}
}

func TestSPIFFERuleRefusals(t *testing.T) {
	h := newHarness(t)
	h.seedClient("partner", nil)
	const bundle = `"jwks_uri":"https://spire.example.org/bundle"`
	cases := []struct{ name, body, field string }{
		{"no bundle endpoint", `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/a"}`, "jwks_uri"},
		{"http bundle endpoint", `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/a","jwks_uri":"http://spire.example.org/b"}`, "jwks_uri"},
		{"trust domain with a path", `{"issuer":"spiffe://example.org/x","subject":"spiffe://example.org/x/a",` + bundle + `}`, "issuer"},
		{"upper-case trust domain", `{"issuer":"spiffe://Example.org","subject":"spiffe://Example.org/a",` + bundle + `}`, "issuer"},
		{"subject in another trust domain", `{"issuer":"spiffe://example.org","subject":"spiffe://evil.org/a",` + bundle + `}`, "subject"},
		{"subject is the trust domain", `{"issuer":"spiffe://example.org","subject":"spiffe://example.org",` + bundle + `}`, "subject"},
		{"subject not SPIFFE", `{"issuer":"spiffe://example.org","subject":"system:serviceaccount:a:b",` + bundle + `}`, "subject"},
		{"subject with a dot segment", `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/a/../b",` + bundle + `}`, "subject"},
		{"subject percent-encoded", `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/%61",` + bundle + `}`, "subject"},
		{"star in the trust domain", `{"issuer":"spiffe://example.org","subject":"spiffe://*.example.org/a",` + bundle + `}`, "subject"},
		{"star as the trust domain", `{"issuer":"spiffe://example.org","subject":"spiffe://*/a",` + bundle + `}`, "subject"},
		{"double star", `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/**",` + bundle + `}`, "subject"},
		{"trailing slash", `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/a/",` + bundle + `}`, "subject"},
		{"claim on sub", `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/a","claims":{"sub":"x"},` + bundle + `}`, "claims"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := h.json("POST", "/admin/v1/clients/partner/federated-credentials", c.body, 400, nil)
			var e struct{ Error, Field string }
			if err := json.Unmarshal(a.body, &e); err != nil || e.Error != "invalid_request" || e.Field != c.field {
				t.Fatalf("answer %s, want invalid_request on %q", a.body, c.field)
			}
		})
	}
}

// TestSPIFFEStaticBundle: a SPIFFE rule may hold its bundle instead of a
// bundle endpoint; the bundle must hold a jwt-svid key, and is shown back.
func TestSPIFFEStaticBundle(t *testing.T) {
	h := newHarness(t)
	h.seedClient("partner", nil)
	base := "/admin/v1/clients/partner/federated-credentials"
	const key = `{"kty":"EC","crv":"P-256","kid":"k1","use":"jwt-svid","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`
	bundle := `{"keys":[` + key + `],"spiffe_sequence":3}`
	var made federatedView
	h.json("POST", base, `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/a","bundle":`+bundle+`}`, 201, &made)
	if string(made.Bundle) != bundle || made.JWKSURI != "" {
		t.Fatalf("created %+v", made)
	}
	stored, err := h.store.GetFederatedCredential(t.Context(), "partner", made.ID)
	if err != nil || stored.Bundle != bundle {
		t.Fatalf("stored %q, %v", stored.Bundle, err)
	}
	x509Only := `{"keys":[` + strings.Replace(key, "jwt-svid", "x509-svid", 1) + `]}`
	for name, body := range map[string]string{
		"both":              `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/a","jwks_uri":"https://b.example","bundle":` + bundle + `}`,
		"no jwt-svid key":   `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/a","bundle":` + x509Only + `}`,
		"not a JWK Set":     `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/a","bundle":{"k":1}}`,
		"too large":         `{"issuer":"spiffe://example.org","subject":"spiffe://example.org/a","bundle":{"keys":[` + key + `],"pad":"` + strings.Repeat("x", 17<<10) + `"}}`,
		"not a SPIFFE rule": `{"issuer":"https://issuer.example","subject":"s","bundle":` + bundle + `}`,
	} {
		a := h.json("POST", base, body, 400, nil)
		var e struct{ Error, Field string }
		if err := json.Unmarshal(a.body, &e); err != nil || e.Field != "bundle" {
			t.Errorf("%s: answer %s, want invalid_request on bundle", name, a.body)
		}
	}
}
