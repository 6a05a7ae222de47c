package console_test

import (
	"html"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestClientMetadataAndPolicyForm: the client page shows the metadata and
// policy, saves them, and puts a refusal (a bad pair, a policy that does
// not compile) beside its field, keeping what was typed.
func TestClientMetadataAndPolicyForm(t *testing.T) {
	m := startMint(t)
	var c struct {
		ClientID string `json:"client_id"`
	}
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "Partner", "metadata": map[string]string{"tier": "gold"}}, &c)
	u := newUser(t, m)
	u.mustSignIn()
	p := u.get("/console/clients/" + c.ClientID)
	if !strings.Contains(p.Body, "tier=gold") {
		t.Fatalf("the client page does not show its metadata:\n%s", p.Body)
	}
	const pol = `client.metadata.tier == "gold" ? claims({"tier": "gold"}) : deny("gold only")`
	p = u.post("/console/clients/"+c.ClientID+"/policy", url.Values{"csrf": {u.csrf},
		"metadata": {"tier=silver\r\n\r\nregion=eu\r\n"}, "policy": {pol}})
	if p.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.StatusCode, p.Body)
	}
	var got struct {
		Metadata map[string]string `json:"metadata"`
		Policy   string            `json:"policy"`
	}
	m.admin(t, "GET", "/admin/v1/clients/"+c.ClientID, nil, &got)
	if !maps.Equal(got.Metadata, map[string]string{"tier": "silver", "region": "eu"}) || got.Policy != pol {
		t.Errorf("saved %+v", got)
	}
	if p := u.get("/console/clients/" + c.ClientID); !strings.Contains(p.Body, html.EscapeString(pol)) {
		t.Errorf("the page does not show the saved policy")
	}

	cases := []struct{ name, metadata, policy, errID, want string }{
		{"BadPair", "tier", "", "client-metadata-error", "is not key=value"},
		{"BadKey", "tïer=gold", "", "client-metadata-error", "may hold only"},
		{"PolicyDoesNotCompile", "tier=gold", "client.nmae == 1", "client-policy-error", "undefined field"},
		{"RegisteredClaim", "tier=gold", `claims({"sub": "x"})`, "client-policy-error", "registered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := u.post("/console/clients/"+c.ClientID+"/policy", url.Values{"csrf": {u.csrf},
				"metadata": {tc.metadata}, "policy": {tc.policy}})
			if p.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", p.StatusCode)
			}
			if !strings.Contains(p.Body, `id="`+tc.errID+`">`) || !strings.Contains(p.Body, html.EscapeString(tc.want)) {
				t.Errorf("no %q at #%s:\n%s", tc.want, tc.errID, p.Body)
			}
			if !strings.Contains(p.Body, html.EscapeString(tc.metadata)) {
				t.Errorf("the form lost the metadata typed")
			}
		})
	}
}

// TestAPIPolicyField: the API edit form saves a policy and shows CEL's
// error for a bad one.
func TestAPIPolicyField(t *testing.T) {
	m := startMint(t)
	var a struct {
		ID string `json:"id"`
	}
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Cargo", "audience": "https://cargo.example"}, &a)
	u := newUser(t, m)
	u.mustSignIn()
	u.get("/console/apis/" + a.ID)
	form := func(policy string) url.Values {
		return url.Values{"csrf": {u.csrf}, "name": {"Cargo"}, "scopes": {""}, "token_lifetime": {"3600"},
			"signing_alg": {"RS256"}, "policy": {policy}}
	}
	if p := u.post("/console/apis/"+a.ID, form(`request.scopes.size() < 3`)); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.StatusCode, p.Body)
	}
	var got struct{ Policy string }
	m.admin(t, "GET", "/admin/v1/apis/"+a.ID, nil, &got)
	if got.Policy != `request.scopes.size() < 3` {
		t.Errorf("saved policy %q", got.Policy)
	}
	p := u.post("/console/apis/"+a.ID, form(`request.scopes.size() <`))
	if p.StatusCode != http.StatusBadRequest || !strings.Contains(p.Body, `id="edit-policy-error">`) ||
		!strings.Contains(p.Body, "Syntax error") {
		t.Errorf("a bad policy: %d\n%s", p.StatusCode, p.Body)
	}
}
