package bench

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestClaimsTemplateFillsFreshValues: each payload is mint's with iat now,
// exp now plus mint's lifetime and a jti of its own, the rest unchanged.
func TestClaimsTemplateFillsFreshValues(t *testing.T) {
	mint := `{"iss":"https://mint.test/","sub":"cl_1@clients","aud":"https://a.test/?x=1\u0026y=2","iat":1700000000,"exp":1700086400,"jti":"3q2-7wAAAAAAAAAAAAAAAA","client_id":"cl_1","azp":"cl_1","gty":"client-credentials","scope":"read write"}`
	tmpl, err := newClaimsTemplate([]byte(mint))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(mint), &want); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1800000000, 5e8)
	seen := map[string]bool{}
	for range 3 {
		payload := tmpl.appendFresh(nil, now)
		var got map[string]any
		if err := json.Unmarshal(payload, &got); err != nil {
			t.Fatalf("%s: %v", payload, err)
		}
		jti, _ := got["jti"].(string)
		if _, err := base64.RawURLEncoding.DecodeString(jti); err != nil || len(jti) != 22 || seen[jti] || jti == want["jti"] {
			t.Fatalf("jti %q: want 22 base64url characters, new each time", jti)
		}
		seen[jti] = true
		if got["iat"] != float64(1800000000) || got["exp"] != float64(1800086400) {
			t.Fatalf("iat %v exp %v, want 1800000000 and 1800086400", got["iat"], got["exp"])
		}
		for _, k := range []string{"iss", "sub", "aud", "client_id", "azp", "gty", "scope"} {
			if got[k] != want[k] {
				t.Fatalf("%s is %v, mint's %v", k, got[k], want[k])
			}
		}
		if len(payload) != len(mint) {
			t.Fatalf("payload of %d bytes, mint's %d", len(payload), len(mint))
		}
	}
}

func TestClaimsTemplateRefusesOtherPayloads(t *testing.T) {
	for _, payload := range []string{
		`{"iat":1,"exp":2}`,
		`{"iat":1,"exp":2,"jti":"a","jti":"b"}`,
		`{"iat":"x","exp":2,"jti":"a"}`,
		`{"iat":1,"exp":2,"jti":"` + strings.Repeat("a", 100) + `"}`,
		``,
	} {
		if _, err := newClaimsTemplate([]byte(payload)); err == nil {
			t.Errorf("%s: accepted", payload)
		}
	}
}
